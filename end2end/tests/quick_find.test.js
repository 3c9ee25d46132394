// Runs after money.test.js: it pays out 25.00 EUR from the partner balance that test reads exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot, fillSepaPayout } from "./support.js";

test("Ctrl+K finds a payout by P100's id and / a user; j, k and Enter open a row; ? lists the keys", async () => {
  const browser = await launch();
  const { context, page, problems } = await openPage(browser);
  try {
    await signInAs(page, "finance");
    await fillSepaPayout(page, { beneficiary: "Jan Kowalski", iban: "DE89 3704 0044 0532 0130 00", amount: "25.00", reference: "Refund 77" });
    await page.click('[data-testid="review-movement"]');
    await page.waitForSelector('[data-testid="review-lines"]');
    await page.click('[data-testid="submit-movement"]');
    await page.waitForURL(/\/payouts\/[0-9a-f-]{36}$/);
    const payoutUrl = page.url();
    const p100Id = page.locator('dt:text-is("P100 id") + dd');
    await page.waitForFunction((el) => el && el.textContent.trim().length > 3, await p100Id.elementHandle());
    const upstream = (await p100Id.textContent()).trim();
    await hydrated(page);

    await page.goto(`${BASE_URL}/`);
    await hydrated(page);
    await page.keyboard.press("Control+k");
    await page.waitForSelector('[data-testid="quick-find"] input:focus');
    await page.keyboard.type(upstream);
    await page.waitForSelector('[data-testid="quick-find"] [data-found="movement"]');
    await shot(page, "quick-find-payout");
    await page.keyboard.press("Enter");
    await page.waitForURL(payoutUrl);

    await page.keyboard.press("/");
    await page.waitForSelector('[data-testid="quick-find"] input:focus');
    await page.keyboard.type("demo-0042");
    await page.waitForSelector('[data-testid="quick-find"] [data-found="user"]');
    await page.keyboard.press("Enter");
    await page.waitForURL(`${BASE_URL}/users/demo-0042`);
    // The user page says what P100's suspended card module means for this user.
    await page.waitForSelector('[data-testid="cards-suspended"] >> text=suspended its virtual card module');
    await shot(page, "user-cards-suspended");

    await page.goto(`${BASE_URL}/users`);
    await hydrated(page);
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("k");
    const first = await page.getAttribute('[data-testid="users-table"] tbody tr[data-active]', "data-user");
    assert.ok(first, "a row is active");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${BASE_URL}/users/${first}`);

    await page.keyboard.press("?");
    await page.waitForSelector('[data-testid="shortcuts"] >> text=Keyboard shortcuts');
    await shot(page, "shortcuts");
    await page.keyboard.press("Escape");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await browser.close();
  }
});
