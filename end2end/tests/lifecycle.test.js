import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openUser(page, id) {
  await page.goto(`${BASE_URL}/users/${id}`);
  await page.waitForSelector('[data-testid="user-name"]');
  await hydrated(page);
}

test("compliance suspends a user with a reason and sees it in the timeline; bulk suspend reports per user", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "compliance");
  await openUser(page, "demo-0017");
  await page.click('[data-testid="open-suspend"]');
  await page.click('[data-testid="suspend-form"] button[type="submit"]');
  await page.waitForSelector("#field-reason-error:not(:empty)");
  assert.match(await page.textContent("#field-suspend_note-error"), /Write what happened/);
  await page.selectOption("#field-reason", "fraud_alert");
  await page.fill("#field-suspend_note", "Card testing pattern reported by the acquirer");
  await page.click('[data-testid="suspend-form"] button[type="submit"]');
  await page.waitForSelector('[data-account="SUSPENDED"]');
  await page.waitForSelector('[data-testid="history"] >> text=Fraud alert: Card testing pattern reported by the acquirer');
  assert.match(await page.textContent('[data-testid="history"] li:first-child'), /Account · Suspended/);
  await shot(page, "user-suspended");

  // Two users ticked in the list, one reason: each is suspended and reported on its own.
  await page.goto(`${BASE_URL}/users?q=demo-003`);
  await page.waitForSelector('[data-testid="users-table"]');
  await hydrated(page);
  // The rows are the server's HTML, kept as they came: the header box ticks and clears them all.
  const rows = await page.locator('[data-testid="users-table"] tbody tr').count();
  assert.ok(rows > 2, "the search lists several users");
  await page.check('[data-testid="select-all"]');
  await page.waitForSelector(`[data-testid="bulk-suspend"] >> text=${rows} selected`);
  assert.equal(await page.locator('[data-testid="users-table"] tbody input:checked').count(), rows);
  await page.uncheck('[data-testid="select-all"]');
  await page.waitForSelector('[data-testid="bulk-suspend"]', { state: "detached" });
  assert.equal(await page.locator('[data-testid="users-table"] tbody input:checked').count(), 0);
  await page.check('input[aria-label="Select demo-0031"]');
  await page.check('input[aria-label="Select demo-0032"]');
  await page.waitForSelector('[data-testid="bulk-suspend"] >> text=2 selected');
  await page.selectOption("#field-reason", "compliance_review");
  await page.fill("#field-suspend_note", "Sanctions screening hit, under review");
  await page.click('[data-testid="bulk-suspend"] button[type="submit"]');
  await page.waitForSelector('[data-testid="bulk-result"] >> text=Suspended 2 of 2');
  await page.waitForSelector('tr[data-user="demo-0031"] [data-account="SUSPENDED"]');
  assert.equal(await page.locator('[data-testid="users-table"] tbody input:checked').count(), 0);
  await shot(page, "users-bulk-suspended");
  // The rows read again after the action are built in the browser, and tick the same way.
  await page.check('input[aria-label="Select demo-0033"]');
  await page.waitForSelector('[data-testid="bulk-suspend"] >> text=1 selected');
  assert.deepEqual(problems, []);
  await context.close();
});

test("one compliance member asks to delete a user, cannot approve it; a second one approves it from the inbox", async () => {
  const maker = await openPage(browser);
  await signInAs(maker.page, "compliance");
  await openUser(maker.page, "demo-0022");
  await maker.page.click('[data-testid="reveal-pii"]');
  await maker.page.waitForSelector('[data-testid="user-email"]:not(:has-text("***"))');
  const email = (await maker.page.textContent('[data-testid="user-email"]')).trim();

  await maker.page.click('[data-testid="open-delete"]');
  // A seeded user still waiting for activation has no balances yet (P100 opens them after verification).
  await maker.page.waitForSelector('[data-testid="delete-balances"] >> text=/Every balance is zero|nothing is held/');
  await maker.page.fill("#field-confirm_email", "wrong@example.com");
  await maker.page.click('[data-testid="delete-form"] button[type="submit"]');
  await maker.page.waitForSelector("#field-confirm_email-error:not(:empty)");
  assert.match(await maker.page.textContent("#field-delete_note-error"), /Say why/);
  await maker.page.fill("#field-confirm_email", email);
  await maker.page.fill("#field-delete_note", "User asked to close the account (ticket 4411)");
  await maker.page.click('[data-testid="delete-form"] button[type="submit"]');
  await maker.page.waitForSelector('[data-testid="pending-delete"] >> text=Deletion awaiting approval');
  // Nothing happened yet: the account is as it was.
  assert.equal(await maker.page.locator('[data-account="DELETED"]').count(), 0);
  await shot(maker.page, "user-delete-pending");

  // The maker's own request: no approve button, only withdraw.
  await maker.page.click('[data-testid="pending-delete"] >> text=Open the request');
  await maker.page.waitForSelector('[data-testid="own-request"]');
  await hydrated(maker.page);
  assert.equal(await maker.page.locator('[data-testid="approve"]').count(), 0);
  assert.match(await maker.page.textContent('[data-testid="review"]'), /demo-0022/);
  const approvalUrl = maker.page.url();

  const checker = await openPage(browser);
  await signInAs(checker.page, "compliance2");
  assert.equal(await checker.page.textContent('[data-testid="awaiting-count"]'), "1");
  await checker.page.click('[data-testid="nav"] >> text=Approvals');
  await checker.page.waitForSelector('[data-testid="awaiting"] >> text=demo-0022');
  await hydrated(checker.page);
  await shot(checker.page, "approvals-inbox");
  await checker.page.click('[data-testid="awaiting"] >> text=Delete user');
  await checker.page.waitForSelector('[data-testid="approve"]');
  await hydrated(checker.page);
  assert.equal(checker.page.url(), approvalUrl);
  await shot(checker.page, "approval-review");
  await checker.page.click('[data-testid="approve"]');
  await checker.page.waitForSelector('[data-approval="executed"]');
  await shot(checker.page, "approval-executed");

  await openUser(checker.page, "demo-0022");
  await checker.page.waitForSelector('[data-account="DELETED"]');
  assert.match(await checker.page.textContent('[data-testid="user-name"]'), /personal data erased/);
  await shot(checker.page, "user-deleted");
  assert.deepEqual(maker.problems, []);
  assert.deepEqual(checker.problems, []);
  await maker.context.close();
  await checker.context.close();
});
