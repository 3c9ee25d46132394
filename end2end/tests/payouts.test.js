import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot, openAwaitingRequest, fillSepaPayout } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("finance pays out above the threshold, a second member approves it, and it completes", async () => {
  const maker = await openPage(browser);
  await signInAs(maker.page, "finance");
  // One digit off: the IBAN's check digits catch it, next to the field, before anything is sent.
  await fillSepaPayout(maker.page, {
    beneficiary: "Anna Nowak", iban: "DE89 3704 0044 0532 0130 01", amount: "1,500.00", reference: "Invoice 2026/11",
  });
  await maker.page.click('[data-testid="review-movement"]');
  await maker.page.waitForSelector("#field-iban-error >> text=check digits");
  await shot(maker.page, "payout-invalid-iban");
  assert.equal(await maker.page.locator('[data-testid="review-lines"]').count(), 0);

  await maker.page.fill("#field-iban", "DE89 3704 0044 0532 0130 00");
  await maker.page.click('[data-testid="review-movement"]');
  await maker.page.waitForSelector('[data-testid="review-lines"] >> text=1,500.00 EUR');
  await maker.page.waitForSelector('[data-testid="needs-approval"] >> text=1,000.00 EUR');
  assert.match(await maker.page.textContent('[data-testid="review-lines"]'), /Taken from the balance\s*1,501\.50 EUR/);
  await shot(maker.page, "payout-review");
  await maker.page.click('[data-testid="submit-movement"]');
  await maker.page.waitForURL(/\/payouts\/[0-9a-f-]{36}$/);
  await maker.page.waitForSelector('[data-testid="movement-status"] [data-movement="awaiting_approval"]');
  await hydrated(maker.page);
  const movementUrl = maker.page.url();
  await shot(maker.page, "payout-awaiting-approval");

  const checker = await openPage(browser);
  await signInAs(checker.page, "finance2");
  await openAwaitingRequest(checker.page, "Payout or withdrawal");
  const review = await checker.page.textContent('[data-testid="review"]');
  for (const part of ["1,500.00 EUR", "1.50 EUR", "DE89 3704 0044 0532 0130 00", "Anna Nowak"]) {
    assert.ok(review.includes(part), `the checker sees ${part}: ${review}`);
  }
  await shot(checker.page, "payout-approval-review");
  await checker.page.click('[data-testid="approve"]');
  await checker.page.waitForSelector('[data-approval="executed"]');

  // The maker's page follows it by itself until P100 completes it.
  await maker.page.waitForSelector('[data-testid="movement-status"] [data-movement="completed"]', { timeout: 30_000 });
  assert.equal(maker.page.url(), movementUrl);
  assert.match(await maker.page.textContent('[data-testid="movement-approval"]'), /Fay Finance/);
  const timeline = await maker.page.textContent('[data-testid="timeline"]');
  for (const action of ["payouts.submit", "approvals.approve", "payouts.send", "payouts.status"]) {
    assert.ok(timeline.includes(action), `${action} in the timeline`);
  }
  await shot(maker.page, "payout-completed");

  await maker.page.goto(`${BASE_URL}/payouts?kind=sepa&status=completed`);
  await maker.page.waitForSelector('[data-testid="movements"] >> text=1,500.00 EUR');
  await hydrated(maker.page);
  await shot(maker.page, "payouts-list");
  assert.deepEqual([...maker.problems, ...checker.problems], []);
  await maker.context.close();
  await checker.context.close();
});

test("finance reviews a crypto withdrawal and a transfer; an admin sets a threshold; compliance sees held deposits", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "finance");
  await page.goto(`${BASE_URL}/payouts/new?kind=crypto`);
  await page.waitForSelector('[data-testid="networks"]');
  await hydrated(page);
  await page.fill("#field-address", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx");
  await page.fill("#field-amount", "0.01");
  await page.fill("#field-beneficiary", "Anna Nowak");
  await page.click('[data-testid="review-movement"]');
  await page.waitForSelector('[data-testid="review-lines"] >> text=Network fee (live)');
  await shot(page, "withdrawal-review");

  await page.click("text=Internal transfer");
  await page.waitForSelector('[data-testid="movement-form"] #field-direction');
  await hydrated(page);
  await page.fill("#field-user", "demo-0025");
  await page.fill("#field-amount", "25");
  await page.click('[data-testid="review-movement"]');
  await page.waitForSelector("#field-note-error >> text=Say what the transfer is for");
  await page.fill("#field-note", "Welcome bonus");
  await page.click('[data-testid="review-movement"]');
  await page.waitForSelector('[data-testid="review-lines"] >> text=Partner to user (funding)');
  await page.click('[data-testid="submit-movement"]');
  await page.waitForSelector('[data-testid="movement-status"] [data-movement="completed"]', { timeout: 30_000 });
  await shot(page, "transfer-completed");
  assert.deepEqual(problems, []);
  await context.close();

  const admin = await openPage(browser);
  await signInAs(admin.page, "admin");
  await admin.page.click('[data-testid="nav"] >> text=Settings');
  await admin.page.waitForSelector('[data-testid="thresholds"]');
  await hydrated(admin.page);
  await admin.page.fill('[id="field-threshold.eur"]', "12.345");
  await admin.page.click("text=Ask to change thresholds");
  await admin.page.waitForSelector('[id="field-threshold.eur-error"] >> text=2 decimal places');
  await admin.page.fill('[id="field-threshold.eur"]', "2000");
  await admin.page.click("text=Ask to change thresholds");
  await admin.page.waitForSelector("text=Sent for approval");
  await admin.page.waitForSelector('[data-testid="thresholds-pending"]');
  await shot(admin.page, "settings-thresholds");

  // A second admin approves the change; only then does it apply.
  const admin2 = await openPage(browser);
  await signInAs(admin2.page, "admin2");
  await openAwaitingRequest(admin2.page, "Change four-eyes thresholds");
  assert.match(await admin2.page.textContent('[data-testid="review"]'), /1,000\.00 EUR → 2,000\.00 EUR/);
  await admin2.page.click('[data-testid="approve"]');
  await admin2.page.waitForSelector('[data-approval="executed"]');
  await admin.page.reload();
  await hydrated(admin.page);
  assert.equal(await admin.page.inputValue('[id="field-threshold.eur"]'), "2000");
  assert.equal(await admin.page.locator('[data-testid="thresholds-pending"]').count(), 0);
  assert.deepEqual([...admin.problems, ...admin2.problems], []);
  await admin.context.close();
  await admin2.context.close();

  const compliance = await openPage(browser);
  await signInAs(compliance.page, "compliance");
  await compliance.page.goto(`${BASE_URL}/payouts/travel-rule`);
  await compliance.page.waitForSelector('[data-testid="waiting-deposits"] tbody tr');
  await hydrated(compliance.page);
  await compliance.page.click('[data-testid="waiting-deposits"] tbody tr >> text=Fill in');
  await compliance.page.fill("#field-name", "Jan Kowalski");
  await compliance.page.click("text=Send to P100");
  await compliance.page.waitForSelector("text=/Sent to P100 for deposit/");
  await shot(compliance.page, "travel-rule");
  assert.deepEqual(compliance.problems, []);
  await compliance.context.close();
});
