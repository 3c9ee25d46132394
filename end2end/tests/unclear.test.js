import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, hydrated, signInAs, shot } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Arms a fault on the Sandbox page as an admin: endpoint, HTTP status, P-code, takes effect. */
async function armFault(page, [endpoint, status, code, applied]) {
  await page.click('[data-testid="nav"] >> text=Sandbox');
  await page.waitForSelector('[data-testid="fault-form"]');
  await hydrated(page);
  const select = (n) => `[data-testid="fault-form"] select >> nth=${n}`;
  await page.selectOption(select(0), endpoint);
  await page.selectOption(select(1), status);
  await page.selectOption(select(2), code);
  await page.selectOption(select(3), applied);
  await page.click("text=Arm fault");
  await page.waitForSelector(`[data-testid="armed-faults"] >> text=${endpoint}`);
}

/** Fills and submits a SEPA payout of the partner below the threshold; lands on its page. */
async function payOut(page, amount, reference) {
  await page.click('[data-testid="nav"] >> text=Payouts');
  await page.waitForSelector('[data-testid="movements"]');
  await hydrated(page);
  await page.click("text=New SEPA payout");
  await page.waitForSelector('[data-testid="movement-form"]');
  await hydrated(page);
  await page.waitForSelector('[data-testid="available"] >> text=/EUR$/');
  await page.fill("#field-beneficiary", "Anna Nowak");
  await page.fill("#field-iban", "DE89 3704 0044 0532 0130 00");
  await page.fill("#field-amount", amount);
  await page.fill("#field-reference", reference);
  await page.click('[data-testid="review-movement"]');
  await page.waitForSelector('[data-testid="review-lines"]');
  await page.click('[data-testid="submit-movement"]');
  await page.waitForURL(/\/payouts\/[0-9a-f-]{36}$/);
  await hydrated(page);
}

test("a payout P100 made but answered P500 is 'outcome unknown', never sent again, then completed once found", async () => {
  const admin = await openPage(browser);
  await signInAs(admin.page, "admin");
  await armFault(admin.page, ["partner.sepa_transfer", "400", "P500", "yes"]);
  assert.match(await admin.page.textContent('[data-testid="armed-faults"]'), /P500.*applied/);
  await shot(admin.page, "sandbox-fault-p500-applied");

  const finance = await openPage(browser);
  await signInAs(finance.page, "finance");
  await payOut(finance.page, "12.34", "Unclear answer");
  await finance.page.waitForSelector('[data-testid="movement-status"] [data-movement="unknown"]');
  const failure = await finance.page.textContent('[data-testid="movement-failure"]');
  assert.match(failure, /\(P500\)/);
  assert.match(failure, /not sent again/);
  await shot(finance.page, "payout-outcome-unknown");

  // The page reads it again by itself: the payout is found in P100's history and followed.
  await finance.page.waitForSelector('[data-testid="movement-status"] [data-movement="completed"]', { timeout: 90_000 });
  const timeline = await finance.page.textContent('[data-testid="timeline"]');
  assert.ok(timeline.includes("payouts.recover"), "found, not re-sent");
  await shot(finance.page, "payout-found-after-p500");
  assert.deepEqual([...admin.problems, ...finance.problems], []);
  await admin.context.close();
  await finance.context.close();
});
