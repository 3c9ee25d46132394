import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot, submitFilter } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Reads the page until `check` holds, reloading between tries (the deposit arrives by webhook). */
async function untilListed(page, url, selector) {
  for (let attempt = 0; attempt < 30; attempt++) {
    await page.goto(url);
    await hydrated(page);
    await page.waitForSelector('[data-testid="deposits"]');
    if (await page.$(selector)) return;
    await page.waitForTimeout(500);
  }
  assert.fail(`${selector} never appeared on ${url}`);
}

test("a SEPA deposit made in the sandbox shows on Deposits with its exact amount, and filters find it", async () => {
  // Only an admin holds sandbox.control: the admin makes the deposit arrive.
  const admin = await openPage(browser);
  await signInAs(admin.page, "admin");
  await admin.page.click('[data-testid="nav"] >> text=Sandbox');
  await admin.page.waitForSelector('[data-testid="sepa-deposit-control"]');
  await hydrated(admin.page);
  // A bad amount is refused next to its field.
  await admin.page.fill('[data-testid="sepa-deposit-control"] #field-amount', "12.345");
  await admin.page.click('[data-testid="sepa-deposit-control"] button[type="submit"]');
  await admin.page.waitForSelector("#field-amount-error >> text=/\\S/");
  // Cents that differ from run to run, so this run's row is the one found.
  const cents = String(Date.now() % 100).padStart(2, "0");
  const amount = `4321.${cents}`;
  await admin.page.fill('[data-testid="sepa-deposit-control"] #field-amount', amount);
  await admin.page.fill('[data-testid="sepa-deposit-control"] #field-holder', "demo-0025");
  await admin.page.click('[data-testid="sepa-deposit-control"] button[type="submit"]');
  const done = await admin.page.waitForSelector('[data-testid="sepa-deposit-done"]');
  const id = (await done.textContent()).match(/Deposit (\S+) arrived/)[1];
  assert.ok(id, "the sandbox names the deposit");
  assert.deepEqual(admin.problems, []);
  await admin.context.close();

  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "finance");
  await page.click('[data-testid="nav"] >> text=Deposits');
  await page.waitForSelector('[data-testid="deposit-filters"]');
  const row = `[data-testid="deposits"] tr[data-deposit-id="${id}"]`;
  await untilListed(page, `${BASE_URL}/deposits`, row);
  assert.equal((await page.textContent(`${row} [data-testid="deposit-amount"]`)).trim(), `4,321.${cents} EUR`);
  assert.equal((await page.textContent(`${row} [data-testid="deposit-status"]`)).trim(), "Successful");
  await shot(page, "deposits");

  // Filtered by holder and kind through the form: the row stays; crypto only: it goes.
  await page.fill('[data-testid="deposit-filters"] #field-user', "demo-0025");
  await page.selectOption('[data-testid="deposit-filters"] #field-kind', "sepa");
  // The form is drawn again from the filtered answer: it is changed again only after that.
  await submitFilter(page, '[data-testid="deposit-filters"] button[type="submit"]', "deposits/list");
  await page.waitForURL(/kind=sepa/);
  await page.waitForSelector(row);
  await page.selectOption('[data-testid="deposit-filters"] #field-kind', "crypto");
  await page.click('[data-testid="deposit-filters"] button[type="submit"]');
  await page.waitForURL(/kind=crypto/);
  await page.waitForSelector(row, { state: "detached" });
  // A bad day is answered next to its field.
  await page.goto(`${BASE_URL}/deposits?from=not-a-day`);
  await hydrated(page);
  await page.waitForSelector("#field-from-error >> text=Enter a date as YYYY-MM-DD.");

  // The user page lists it too, with the IBAN status that approved the payer.
  await page.goto(`${BASE_URL}/users/demo-0025`);
  await hydrated(page);
  await page.waitForSelector(`[data-testid="user-deposits"] tr[data-deposit-id="${id}"]`);
  await page.waitForSelector('[data-testid="iban-status"] >> text=approved');
  assert.deepEqual(problems, []);
  await context.close();
});
