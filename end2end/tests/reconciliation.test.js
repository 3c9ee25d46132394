import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot, submitFilter } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const mismatchCount = async (page) => Number(await page.textContent('[data-testid="home-mismatches"]'));

test("finance finds a forced mismatch, resolves it with a note, and exports the report", async () => {
  // A second finance member watches the home page; its counts move without a reload.
  const watcher = await openPage(browser);
  await signInAs(watcher.page, "finance2");
  await watcher.page.waitForSelector('[data-testid="home-mismatches"]');
  const before = await mismatchCount(watcher.page);

  // The admin makes P100 answer 503 to the next SEPA payout: our record exists, P100's answer does not.
  const admin = await openPage(browser);
  await signInAs(admin.page, "admin");
  await admin.page.click('[data-testid="nav"] >> text=Sandbox');
  await admin.page.waitForSelector('[data-testid="fault-form"]');
  await hydrated(admin.page);
  await admin.page.selectOption('[data-testid="fault-form"] select >> nth=0', "partner.sepa_transfer");
  await admin.page.selectOption('[data-testid="fault-form"] select >> nth=1', "503");
  await admin.page.fill("#field-count", "1");
  await admin.page.click("text=Arm fault");
  await admin.page.waitForSelector('[data-testid="armed-faults"] >> text=partner.sepa_transfer');

  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "finance");
  await page.goto(`${BASE_URL}/payouts/new?kind=sepa`);
  await page.waitForSelector('[data-testid="movement-form"]');
  await hydrated(page);
  await page.waitForSelector('[data-testid="available"] >> text=/EUR$/');
  await page.fill("#field-beneficiary", "Jan Kowalski");
  await page.fill("#field-iban", "DE89 3704 0044 0532 0130 00");
  await page.fill("#field-amount", "321.00");
  await page.fill("#field-reference", "Refund 4411");
  await page.click('[data-testid="review-movement"]');
  await page.waitForSelector('[data-testid="review-lines"] >> text=321.00 EUR');
  await page.click('[data-testid="submit-movement"]');
  await page.waitForURL(/\/payouts\/[0-9a-f-]{36}$/);
  await page.waitForSelector('[data-testid="movement-status"] [data-movement="unknown"]');
  const id = page.url().split("/").pop();

  // The watcher's count goes up on its own.
  await watcher.page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="home-mismatches"]')?.textContent) > n,
    before,
    { timeout: 30_000 },
  );
  await shot(watcher.page, "home-finance-live");

  await page.click('[data-testid="nav"] >> text=Reconciliation');
  await page.waitForSelector('[data-testid="reconciliation"]');
  await hydrated(page);
  const row = page.locator(`tr[data-subject="${id}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute("data-verdict"), "mismatch");
  assert.match(await row.textContent(), /Missing at P100/);
  assert.match(await row.textContent(), /321\.00 EUR/);
  await shot(page, "reconciliation");

  // The queue alone, through the filter.
  await page.selectOption("#field-view", "mismatch");
  // The row is acted on only once the filtered list is drawn.
  await submitFilter(page, '[data-testid="reconciliation-filters"] >> text=Filter', "reconciliation/report");
  await page.waitForURL(/view=mismatch/);
  await row.waitFor();

  await row.locator('[data-testid="resolve"]').click();
  await page.click('[data-testid="resolve-submit"]');
  await page.waitForSelector("#field-note-error >> text=Say what was found");
  await page.fill("#field-note", "P100 support confirmed the 503 payout was never made; paid again as a new payout.");
  await shot(page, "reconciliation-resolve");
  await page.click('[data-testid="resolve-submit"]');
  // The queue shows mismatches only: once resolved, the row leaves it (other tests may leave rows there).
  await row.waitFor({ state: "detached" });
  await page.click('[data-testid="reconciliation-filters"] >> text=Clear');
  await page.waitForSelector(`tr[data-subject="${id}"][data-verdict="resolved"]`);
  assert.match(await page.textContent(`tr[data-subject="${id}"] [data-testid="resolution"]`), /Resolved by .*never made/);

  const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-report"]')]);
  const text = Buffer.concat(await (await download.createReadStream()).toArray()).toString();
  assert.match(text.split("\n")[0], /^made_at,kind,id,holder,currency,amount,our_status/);
  const line = text.split("\n").find((l) => l.includes(id));
  assert.ok(line, "the export holds the resolved row");
  assert.match(line, /,321\.00,unknown,.*,resolved,.*never made/);

  // The webhook log: one delivery, its payload, and a dry run of processing it again.
  await page.click('[data-testid="nav"] >> text=Webhooks');
  await page.waitForSelector('[data-testid="webhook-events"]');
  await hydrated(page);
  await shot(page, "webhooks");
  await page.click('[data-testid="webhook-events"] tbody tr >> nth=0 >> a');
  await page.waitForSelector('[data-testid="payload"]');
  await hydrated(page);
  await page.click('[data-testid="dry-run"]');
  await page.waitForSelector('[data-testid="reprocess-outcome"] >> text=Dry run');
  await shot(page, "webhook-dry-run");

  assert.deepEqual(problems, []);
  assert.deepEqual(watcher.problems, []);
  await Promise.all([context.close(), watcher.context.close(), admin.context.close()]);
});
