import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BASE_URL, launch, openPage, hydrated, signInAs, shot } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** `"250,000.00 EUR"` → 25000000 (hundredths as an integer: exact, no float arithmetic). */
const units = (text, decimals) => {
  const [whole, fraction = ""] = text.trim().split(" ")[0].replaceAll(",", "").split(".");
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0"));
};

const pairBalance = async (page, code) =>
  (await page.textContent(`[data-testid="pair-balances"] [data-balance="${code}"]`)).trim();

test("finance locks a rate, watches the countdown, finalizes, and sees both balances change", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "finance");
  await page.click('[data-testid="nav"] >> text=Balances');
  await page.waitForSelector('[data-testid="balances"] tr[data-currency="eur"]');
  await page.waitForSelector('[data-testid="transactions"] tbody tr');
  await hydrated(page);
  await shot(page, "balances-partner");
  // EURT has no deposit wallet yet: finance creates one and the balance shows its address.
  await page.click('[data-testid="balances"] tr[data-currency="eurt"] >> text=Create wallet');
  await page.waitForSelector('[data-testid="balances"] tr[data-currency="eurt"] td >> text=/^0x[0-9a-f]{40}$/');

  await page.click('[data-testid="exchange-link"]');
  await page.waitForSelector('[data-testid="exchange-form"]');
  await hydrated(page);
  await page.waitForSelector('[data-testid="available"] >> text=/EUR$/');
  const available = (await page.textContent('[data-testid="available"]')).replace("Available:", "").trim();
  // An amount the balance cannot cover is refused next to the field.
  await page.fill("#field-amount", String(units(available, 2) / 100n + 50_000n));
  await page.click('[data-testid="exchange-form"] button[type="submit"]');
  await page.waitForSelector(`#field-amount-error >> text=More than the available ${available}`);
  await page.fill("#field-amount", "1,000.00");
  await page.click('[data-testid="exchange-form"] button[type="submit"]');
  await page.waitForSelector('[data-testid="quote"] >> text=1 EUR = ');
  await shot(page, "exchange-quote");

  await page.click("text=Lock rate");
  await page.waitForURL(/\/exchanges\/[0-9a-f-]{36}$/);
  await page.waitForSelector('[data-testid="countdown"]');
  await hydrated(page);
  const eurBefore = await pairBalance(page, "eur");
  const btcBefore = await pairBalance(page, "btc");
  const first = Number(await page.textContent('[data-testid="countdown"]'));
  assert.ok(first > 30 && first <= 40, `a fresh 40 s lock: ${first}`);
  await page.waitForFunction(
    (start) => Number(document.querySelector('[data-testid="countdown"]').textContent) <= start - 2,
    first,
  );
  await shot(page, "exchange-locked");

  await page.click('[data-testid="finalize"]');
  await page.waitForSelector('[data-testid="exchange-status"] [data-exchange="completed"]', { timeout: 20_000 });
  const received = (await page.textContent('[data-testid="amount-to"]')).trim();
  await page.waitForFunction(
    (before) => document.querySelector('[data-testid="pair-balances"] [data-balance="eur"]')?.textContent.trim() !== before,
    eurBefore,
  );
  assert.equal(units(await pairBalance(page, "eur"), 2), units(eurBefore, 2) - 100000n, "exactly 1,000.00 EUR left");
  assert.equal(
    units(await pairBalance(page, "btc"), 8),
    units(btcBefore, 8) + units(received, 8),
    "exactly the BTC received arrived",
  );
  await shot(page, "exchange-completed");

  await page.click('[data-testid="nav"] >> text=Exchanges');
  await page.waitForSelector('[data-testid="exchanges"] [data-exchange="completed"]');
  await shot(page, "exchanges-list");
  assert.deepEqual(problems, []);
  await context.close();
});

test("finance filters a user's history, opens an entry, and exports the filtered set", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "finance");
  await page.goto(`${BASE_URL}/balances`);
  await hydrated(page);
  await page.fill("#find-user", "demo-0025");
  await page.click("text=Find user");
  await page.click('[data-testid="user-finder"] a[href="/balances/users/demo-0025"]');
  // The partner's page has the same tables: wait for the user's page, not the one being left.
  await page.waitForURL(/\/balances\/users\/demo-0025$/);
  await page.waitForSelector('[data-testid="balances"] tr[data-currency="usdc"]');
  await page.waitForSelector('[data-testid="transactions"] tbody tr');
  await hydrated(page);
  await page.waitForLoadState("networkidle");

  await page.fill("#field-min", "lots");
  await page.click('[data-testid="history-filters"] button[type="submit"]');
  await page.waitForSelector("#field-min-error >> text=Enter an amount");
  await page.fill("#field-min", "");
  await page.selectOption("#field-currency", "eur");
  await page.click('[data-testid="history-filters"] button[type="submit"]');
  await page.waitForURL(/currency=eur/);
  // The list keeps its rows until the filtered ones arrive: wait for those.
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-testid="transactions"] tbody tr[data-tx] td:last-child')];
    return cells.length > 0 && cells.every((c) => c.textContent.trim().endsWith(" EUR"));
  });
  const amounts = await page.$$eval('[data-testid="transactions"] tbody tr[data-tx] td:last-child', (cells) =>
    cells.map((c) => c.textContent.trim()));
  assert.ok(amounts.length > 0 && amounts.every((a) => a.endsWith(" EUR")), amounts.join(" | "));

  await page.click('[data-testid="transactions"] tbody tr[data-tx] >> nth=0');
  await page.waitForSelector('[data-testid="tx-drawer"] >> text=createdAt');
  await shot(page, "balances-user-drawer");
  await page.click('[data-testid="tx-drawer"] >> text=Close');

  const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-history"]')]);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
  assert.equal(csv[0], "id,created_at,type,status,currency,amount");
  assert.equal(csv.length - 1, amounts.length, "the export holds the filtered set");
  assert.ok(csv.slice(1).every((line) => line.split(",")[4] === "eur"));
  assert.deepEqual(problems, []);
  await context.close();
});
