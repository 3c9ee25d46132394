// Collections as finance uses them: an order locked for a EUR amount, created, paid by the
// sandbox's payer in two transfers and followed to completion; a payment link created and paid.
// (Named to run after money.test.js, which reads the partner's EUR balance exactly.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, hydrated, signInAs, shot, violations } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const status = (page, word) => page.waitForSelector(`[data-testid="collection-status"] [data-collection="${word}"]`, { timeout: 45_000 });

/** From the nav to the new order or link page. */
async function openNew(page) {
  await page.click('[data-testid="nav"] >> text=Collections');
  await page.waitForSelector('[data-testid="collections"]');
  await hydrated(page);
  await page.click("text=New order or link");
  await page.waitForSelector('[data-testid="order-form"]');
  await hydrated(page);
}

test("an order is locked, created, underpaid, paid in full and watched to completion", async () => {
  // The admin holds collections.create and, in the sandbox, the payer's controls.
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "admin");
  await openNew(page);
  await page.waitForSelector('[data-testid="indicative-rate"] >> text=/1 USDC = [0-9.]+ EUR/');
  // Checked next to the field before anything is sent.
  await page.fill("#field-amount", "-3");
  await page.click('[data-testid="order-form"] button[type="submit"]');
  await page.waitForSelector("#field-amount-error >> text=/\\S/");

  await page.fill("#field-amount", "180.00");
  await page.selectOption("#field-asset", "usdc:polygon");
  await page.click('[data-testid="order-form"] button[type="submit"]');
  await status(page, "locked");
  await hydrated(page);
  const terms = await page.textContent('[data-testid="collection-terms"]');
  assert.match(terms, /Settles\s*180\.00 EUR/);
  assert.match(terms, /Payer sends\s*[0-9]+\.[0-9]{6} USDC on polygon/);
  assert.ok(Number(await page.textContent('[data-testid="countdown"]')) > 0);

  await page.click('[data-testid="create-order"]');
  await status(page, "awaiting_payment");
  await page.waitForSelector('[data-testid="qr-copy"] svg');
  assert.match(await page.textContent('[data-testid="qr-text"]'), /^0x[0-9a-f]{40}$/);
  await shot(page, "order-awaiting-payment");
  assert.deepEqual(await violations(page), [], "the order page with its QR code and the payer passes WCAG 2.1 AA");

  await page.click('[data-testid="pay-under"]');
  await status(page, "underpaid");
  await page.click('[data-testid="pay-exact"]');
  await status(page, "paid");
  const paid = await page.textContent('[data-testid="collection-terms"]');
  assert.match(paid, /Confirmations\s*3 \/ 3/);
  assert.match(paid, /P100 status\s*COMPLETED/);
  await shot(page, "order-paid");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a payment link is created with a reference, paid, and listed under its kind", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "admin");
  await openNew(page);
  await page.fill("#field-link_amount", "64.50");
  await page.fill("#field-reference", "INV-E2E-1");
  await page.click('[data-testid="link-form"] button[type="submit"]');
  await status(page, "awaiting_payment");
  await hydrated(page);
  assert.match(await page.textContent('[data-testid="qr-text"]'), /^http.*\/pay\//);
  await page.click('[data-testid="pay-exact"]');
  await status(page, "paid");
  await page.waitForSelector('[data-testid="transfers"] >> text=64.50 EUR');
  assert.deepEqual(await violations(page), [], "the paid link with its transfers passes WCAG 2.1 AA");

  await page.click('[data-testid="nav"] >> text=Collections');
  await page.waitForSelector('[data-testid="collection-filters"]');
  await hydrated(page);
  await page.selectOption("#field-kind", "payment_link");
  await page.click('[data-testid="collection-filters"] button[type="submit"]');
  await page.waitForURL(/kind=payment_link/);
  // The list keeps its rows until the filtered ones arrive (the link is among both): wait for those.
  await page.waitForFunction(() => {
    const kinds = [...document.querySelectorAll('[data-testid="collection-row"] td:nth-child(2)')];
    return kinds.length > 0 && kinds.every((k) => k.textContent.trim() === "Payment link");
  });
  await page.waitForSelector('[data-testid="collection-row"] >> text=INV-E2E-1');
  const kinds = await page.$$eval('[data-testid="collection-row"] td:nth-child(2)', (cells) => cells.map((c) => c.textContent.trim()));
  assert.ok(kinds.length > 0 && kinds.every((k) => k === "Payment link"), kinds.join(", "));
  await shot(page, "collections-list");
  assert.deepEqual(problems, []);
  await context.close();
});
