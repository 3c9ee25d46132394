import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot, openAwaitingRequest, fillSepaPayout } from "./support.js";

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
  // Not the other tests' IBAN: payouts to one destination count together against the threshold.
  await fillSepaPayout(page, { beneficiary: "Anna Nowak", iban: "DE75 5121 0800 1245 1261 99", amount, reference });
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
  assert.match(failure, /P100 answered P500/);
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

test("two equal payouts with unclear answers wait for a person; one decides, a second member approves", async () => {
  const admin = await openPage(browser);
  await signInAs(admin.page, "admin");
  const finance = await openPage(browser);
  await signInAs(finance.page, "finance");

  // P100 makes the first and answers P500; it never makes the second and answers P500 too.
  await armFault(admin.page, ["partner.sepa_transfer", "400", "P500", "yes"]);
  await payOut(finance.page, "23.45", "Twin payout");
  const first = finance.page.url();
  await armFault(admin.page, ["partner.sepa_transfer", "400", "P500", "no"]);
  await payOut(finance.page, "23.45", "Twin payout");
  await finance.page.waitForSelector('[data-testid="movement-status"] [data-movement="unknown"]');

  // Either could be P100's one payout: nothing is adopted; the page asks for a decision.
  await finance.page.goto(first);
  await hydrated(finance.page);
  await finance.page.waitForSelector('[data-testid="needs-decision"]', { timeout: 60_000 });
  assert.match(await finance.page.textContent('[data-testid="needs-decision"]'), /could be this one/);
  await shot(finance.page, "payout-needs-decision");
  await finance.page.fill("#field-resolve_note", "The bank statement shows one debit of 23.45 EUR, for this payout.");
  await finance.page.click('[data-testid="resolve"]');
  await finance.page.waitForSelector('[data-testid="pending-resolution"]');
  await shot(finance.page, "payout-decision-awaiting-approval");

  const checker = await openPage(browser);
  await signInAs(checker.page, "finance2");
  await openAwaitingRequest(checker.page, "Decide an unclear payout");
  assert.match(await checker.page.textContent('[data-testid="review"]'), /at P100: follow it from there/);
  await shot(checker.page, "payout-decision-review");
  await checker.page.click('[data-testid="approve"]');
  await checker.page.waitForSelector('[data-approval="executed"]');

  await finance.page.reload();
  await hydrated(finance.page);
  await finance.page.waitForSelector('[data-testid="movement-status"] [data-movement="completed"]', { timeout: 60_000 });
  const timeline = await finance.page.textContent('[data-testid="timeline"]');
  for (const action of ["payouts.needs_decision", "payouts.recover"]) {
    assert.ok(timeline.includes(action), `${action} in the timeline`);
  }
  await shot(finance.page, "payout-decided");
  assert.deepEqual([...admin.problems, ...finance.problems, ...checker.problems], []);
  for (const p of [admin, finance, checker]) await p.context.close();
});

/** Quotes, locks and finalizes a partner exchange from EUR; lands on its page. */
async function exchange(page, amount) {
  await page.goto(`${BASE_URL}/exchanges/new`);
  await page.waitForSelector('[data-testid="exchange-form"]');
  await hydrated(page);
  await page.waitForSelector('[data-testid="available"] >> text=/EUR$/');
  await page.fill("#field-amount", amount);
  await page.click('[data-testid="exchange-form"] button[type="submit"]');
  await page.waitForSelector('[data-testid="quote"] >> text=1 EUR = ');
  await page.click("text=Lock rate");
  await page.waitForURL(/\/exchanges\/[0-9a-f-]{36}$/);
  await page.waitForSelector('[data-testid="countdown"]');
  await hydrated(page);
  await page.click('[data-testid="finalize"]');
  await page.waitForSelector('[data-testid="exchange-status"] [data-exchange="unknown"]');
}

test("two equal exchanges answered P500 wait for a person; the one P100 made is decided, with a second member", async () => {
  const admin = await openPage(browser);
  await signInAs(admin.page, "admin");
  const finance = await openPage(browser);
  await signInAs(finance.page, "finance");

  // P100 never makes the first; it makes the second. The page reads an exchange again after
  // finalizing, so the one P100 made comes second: by then the first is a rival for its entry.
  await armFault(admin.page, ["partner.exchange", "400", "P500", "no"]);
  await exchange(finance.page, "45.67");
  await armFault(admin.page, ["partner.exchange", "400", "P500", "yes"]);
  await exchange(finance.page, "45.67");
  // Looked for on each read of the page; reload until P100's history has been read.
  for (let i = 0; i < 20 && !(await finance.page.locator('[data-testid="needs-decision"]').count()); i++) {
    await finance.page.waitForTimeout(2_000);
    await finance.page.reload();
    await hydrated(finance.page);
  }
  assert.match(await finance.page.textContent('[data-testid="needs-decision"]'), /exchanges? that could be this one/);
  await shot(finance.page, "exchange-needs-decision");
  await finance.page.fill("#field-resolve_note", "P100 support confirmed this one was made.");
  await finance.page.click('[data-testid="resolve"]');
  await finance.page.waitForSelector('[data-testid="pending-resolution"]');

  const checker = await openPage(browser);
  await signInAs(checker.page, "finance2");
  await openAwaitingRequest(checker.page, "Decide an unclear exchange");
  await checker.page.click('[data-testid="approve"]');
  await checker.page.waitForSelector('[data-approval="executed"]');

  await finance.page.reload();
  await hydrated(finance.page);
  await finance.page.waitForSelector('[data-testid="exchange-status"] [data-exchange="completed"]', { timeout: 60_000 });
  await shot(finance.page, "exchange-decided");
  assert.deepEqual([...admin.problems, ...finance.problems, ...checker.problems], []);
  for (const p of [admin, finance, checker]) await p.context.close();
});
