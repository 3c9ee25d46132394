import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, SHOTS, launch, openPage, hydrated, signIn, demo } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const NAV = {
  admin: ["Users", "KYC queue", "Payouts", "Deposits", "Exchanges", "Collections", "Balances", "Approvals", "Reconciliation", "Webhooks", "Audit log", "Staff", "Settings", "Sandbox"],
  onboarding: ["Users"],
  compliance: ["Users", "KYC queue", "Payouts", "Deposits", "Exchanges", "Collections", "Balances", "Approvals", "Audit log"],
  finance: ["Users", "Payouts", "Deposits", "Exchanges", "Collections", "Balances", "Approvals", "Reconciliation", "Webhooks"],
  viewer: ["Users", "Payouts", "Deposits", "Exchanges", "Collections", "Balances", "Audit log"],
};

for (const [role, expected] of Object.entries(NAV)) {
  test(`${role} signs in, sees their areas, and signs out`, async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(`${BASE_URL}/`);
    assert.match(page.url(), /\/sign-in\?next=%2F$/, "signed-out visitors land on sign-in");
    assert.ok(await page.isVisible('[data-testid="sandbox-banner"]'), "the sign-in page says SANDBOX");

    const { email, password } = demo(role);
    await signIn(page, email, password);
    await page.waitForSelector('[data-testid="nav"]');
    await hydrated(page);
    assert.equal(new URL(page.url()).pathname, "/");
    const nav = await page.$$eval('[data-testid="nav"] a > span:first-child', (els) => els.map((e) => e.textContent));
    assert.deepEqual(nav, expected);
    assert.ok(await page.isVisible('[data-testid="sandbox-banner"]'));
    const cards = await page.$$eval('[data-testid="area-cards"] a', (els) => els.length);
    assert.equal(cards, expected.length);
    await page.screenshot({ path: `${SHOTS}home-${role}.png` });

    // An area outside the role answers 403, not an error.
    if (!expected.includes("Staff")) {
      await page.goto(`${BASE_URL}/staff`);
      await page.waitForSelector('[data-testid="forbidden"]');
    }

    await hydrated(page);
    await page.click("text=Sign out");
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${BASE_URL}/`);
    assert.match(page.url(), /\/sign-in\?next=/, "signed out for real");
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test("a wrong password shows the uniform error and keeps the member out", async () => {
  const { context, page, problems } = await openPage(browser);
  await page.goto(`${BASE_URL}/sign-in`);
  await hydrated(page);
  await page.screenshot({ path: `${SHOTS}sign-in.png` });
  await signIn(page, "finance@sandbox.test", "not-the-password");
  const alert = await page.waitForSelector('[role="alert"]');
  assert.equal((await alert.textContent()).trim(), "Email or password is wrong.");
  assert.match(page.url(), /\/sign-in$/);
  await page.screenshot({ path: `${SHOTS}sign-in-error.png` });

  await signIn(page, "not-an-email", "whatever");
  await page.waitForSelector("#field-email-error:not(:empty)");
  assert.match(await page.textContent("#field-email-error"), /email address/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a deep link survives signing in", async () => {
  const { context, page, problems } = await openPage(browser);
  await page.goto(`${BASE_URL}/audit?action=auth.`);
  assert.match(page.url(), /\/sign-in\?next=/);
  const { email, password } = demo("compliance");
  await signIn(page, email, password);
  await page.waitForSelector('[data-testid="audit-table"]');
  const url = new URL(page.url());
  assert.equal(url.pathname + url.search, "/audit?action=auth.");
  assert.deepEqual(problems, []);
  await context.close();
});
