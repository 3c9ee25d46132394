import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A small image whose first bytes say JPEG, as a file input takes it. */
const jpeg = (name) => ({ name, mimeType: "image/jpeg", buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(4096)]) });

test("onboarding creates a user and uploads documents; KYC turns verified; compliance finds the user", async () => {
  const admin = await openPage(browser);
  await signInAs(admin.page, "admin");
  await admin.page.goto(`${BASE_URL}/sandbox`);
  await hydrated(admin.page);
  await admin.page.click("text=Approve next");
  await admin.page.waitForSelector('[data-testid="kyc-next"] >> text="approve"');

  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "onboarding");
  await page.click('[data-testid="nav"] >> text=Users');
  await page.waitForSelector('[data-testid="users-table"]');
  await hydrated(page);
  await page.click('[data-testid="new-user"]');
  await page.waitForSelector('[data-testid="new-user-form"]');
  await hydrated(page);

  // Sent empty, every required field says so and nothing is created.
  await page.click('[data-testid="create-user"]');
  await page.waitForSelector("#field-first_name-error:not(:empty)");
  assert.match(await page.textContent("#field-phone-error"), /international form/);
  assert.match(await page.textContent("#field-accepted_terms-error"), /terms/);
  await shot(page, "user-new-errors");

  const lastName = `Endtoend${Date.now() % 100000}`;
  await page.fill("#field-first_name", "Erika");
  await page.fill("#field-last_name", lastName);
  await page.fill("#field-birth_date", "1990-03-14");
  await page.fill("#field-id_number", "90031412345");
  for (const field of ["citizenship", "nationality", "birth_country", "country"]) {
    await page.selectOption(`#field-${field}`, "PL");
  }
  await page.fill("#field-email", `${lastName.toLowerCase()}@example.com`);
  await page.fill("#field-phone", "+48 601 234 567");
  await page.fill("#field-street", "ul. Marszałkowska");
  await page.fill("#field-house_number", "12/3");
  await page.fill("#field-post_code", "00-001");
  await page.fill("#field-city", "Warszawa");
  await page.check('input[name="accepted_terms"]');
  await page.dblclick('[data-testid="create-user"]');
  await page.waitForURL(/\/users\/usr-/);
  const id = page.url().split("/users/")[1];
  await page.waitForSelector('[data-testid="user-name"]');
  await hydrated(page);
  assert.equal(await page.textContent('[data-testid="user-name"]'), `Erika ${lastName}`);
  await page.waitForSelector('[data-testid="kyc-status"] [data-kyc="not_started"]');

  // Compliance sees the new user waiting in the queue.
  const reviewer = await openPage(browser);
  await signInAs(reviewer.page, "compliance");
  await reviewer.page.click('[data-testid="nav"] >> text=KYC queue');
  await reviewer.page.waitForSelector(`[data-testid="kyc-queue"] tr[data-user="${id}"]`);
  await hydrated(reviewer.page);
  await shot(reviewer.page, "kyc-queue");

  // Method A: a text file is refused before anything is sent; then the real images go up.
  const documents = page.locator('[data-testid="documents-form"]');
  await documents.locator('input[name="front"]').setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
  await page.waitForSelector("#field-front-error:not(:empty)");
  assert.match(await page.textContent("#field-front-error"), /JPEG, PNG or PDF/);
  await documents.locator('input[name="front"]').setInputFiles(jpeg("front.jpg"));
  await documents.locator('input[name="back"]').setInputFiles(jpeg("back.jpg"));
  await documents.locator('input[name="selfie"]').setInputFiles(jpeg("selfie.jpg"));
  await page.click('[data-testid="upload-documents"]');
  // The confirmation stays above the cards after the page reads the user again.
  await page.waitForSelector('[data-testid="user-notice"] >> text=Documents sent to P100');
  await page.waitForSelector('[data-testid="kyc-status"] [data-kyc]:not([data-kyc="not_started"])');
  await page.waitForTimeout(300);
  assert.equal(await page.locator('[data-testid="user-notice"]').count(), 1, "still shown after the reload");
  await shot(page, "user-documents-sent");

  // The sandbox approves after a moment; its webhook updates the registry; Refresh reads it.
  for (let i = 0; i < 40; i++) {
    if (await page.locator('[data-testid="kyc-status"] [data-kyc="verified"]').count()) break;
    await page.waitForTimeout(500);
    await page.click('[data-testid="refresh-kyc"]');
    await page.waitForFunction(() => !document.querySelector('[data-testid="refresh-kyc"]')?.disabled);
  }
  await page.waitForSelector('[data-testid="kyc-status"] [data-kyc="verified"]');
  await page.waitForSelector('[data-testid="history"] >> text=KYC · Verified');
  await shot(page, "user");

  // The queue drops the user by itself, and the search page finds them verified.
  await reviewer.page.waitForSelector(`[data-testid="kyc-queue"] tr[data-user="${id}"]`, { state: "detached", timeout: 15_000 });
  await reviewer.page.click('[data-testid="nav"] >> text=Users');
  await reviewer.page.waitForSelector('[data-testid="user-search"]');
  await hydrated(reviewer.page);
  await reviewer.page.fill("#field-q", lastName.toUpperCase());
  await reviewer.page.click('[data-testid="user-search"] button[type="submit"]');
  await reviewer.page.waitForURL(new RegExp(`q=${lastName.toUpperCase()}`));
  // The unfiltered list may show the new user too: wait for the search's own answer.
  await reviewer.page.waitForSelector('[data-testid="user-count"] >> text="1 user"');
  const row = reviewer.page.locator(`tr[data-user="${id}"]`);
  await row.waitFor();
  await row.locator('[data-kyc="verified"]').waitFor();
  await shot(reviewer.page, "users");

  // Compliance reveals the personal data; it is audited.
  await row.locator("a").first().click();
  await reviewer.page.waitForSelector('[data-testid="reveal-pii"]');
  await hydrated(reviewer.page);
  await reviewer.page.click('[data-testid="reveal-pii"]');
  await reviewer.page.waitForSelector("text=Personal data shown (audited)");
  await reviewer.page.waitForSelector('[data-testid="profile"] >> text=1990-03-14');

  for (const p of [problems, reviewer.problems, admin.problems]) assert.deepEqual(p, []);
  await Promise.all([context.close(), reviewer.context.close(), admin.context.close()]);
});

test("while a search is on its way the rows on screen are dimmed and marked busy, then its answer replaces them", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "compliance");
  await page.goto(`${BASE_URL}/users`);
  await page.waitForSelector('[data-testid="user-search"]');
  await hydrated(page);
  const region = page.locator("[aria-busy]", { has: page.locator('[data-testid="user-search"]') });
  assert.equal(await region.getAttribute("aria-busy"), "false");

  // The search's answer is held until the busy list has been looked at.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route("**/users/search*", async (route) => { await held; await route.continue(); });
  await page.fill("#field-q", "nobody-is-called-this");
  await page.click('[data-testid="user-search"] button[type="submit"]');
  await page.waitForSelector('[aria-busy="true"]');
  assert.match(await region.getAttribute("class"), /opacity-60/);
  assert.doesNotMatch(await page.textContent('[data-testid="user-count"]'), /^0 users$/, "the old rows stay meanwhile");

  release();
  await page.waitForSelector('[data-testid="user-count"] >> text="0 users"');
  await page.waitForSelector('[aria-busy="false"]');
  assert.doesNotMatch(await region.getAttribute("class"), /opacity-60/);
  assert.deepEqual(problems, []);
  await context.close();
});
