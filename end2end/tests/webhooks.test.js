import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("an event P100 sends that the back office cannot place is kept, counted on the home and shown as unrecognised", async () => {
  // P100 delivers to the registered base URL itself, with an event this table does not know.
  const marker = `card-${Date.now()}`;
  const response = await fetch(`${BASE_URL}/webhooks/p100`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: process.env.WEBHOOK_TOKEN },
    body: JSON.stringify({ eventType: "card.frozen", cardRef: marker }),
  });
  assert.equal(response.status, 200, "answered 2xx, so P100 does not retry for ever");
  const refused = await fetch(`${BASE_URL}/webhooks/p100`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "forged" },
    body: JSON.stringify({ eventType: "card.frozen", cardRef: "forged" }),
  });
  assert.equal(refused.status, 401);

  const { page, context } = await openPage(browser);
  await signInAs(page, "finance");
  const tile = await page.waitForSelector('[data-testid="home-unrecognised"]');
  await hydrated(page);
  assert.ok(Number(await tile.textContent()) >= 1, "counted on the finance home");
  await page.click('a:has([data-testid="home-unrecognised"])');
  await page.waitForSelector('[data-testid="webhook-events"] tr[data-kind="unrecognised"]');
  await hydrated(page);
  const row = await page.textContent('[data-testid="webhook-events"] tr[data-kind="unrecognised"]');
  assert.match(row, /Unrecognised/);
  assert.match(row, /Ignored/);
  await shot(page, "webhooks-unrecognised");
  await page.click('[data-testid="webhook-events"] tr[data-kind="unrecognised"] >> nth=0 >> a');
  const payload = await page.waitForSelector('[data-testid="payload"]');
  assert.match(await payload.textContent(), new RegExp(marker), "the raw body is kept for the log");
  assert.ok(!(await page.content()).includes("forged"), "a refused delivery's body is never kept");
  await context.close();
});
