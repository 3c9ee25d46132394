// Two-factor sign-in as staff meet it: the sandbox's demo member, setting it up from the Account
// page, signing in with a code and with a recovery code, the fresh code a role change asks for, and
// an admin's reset.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, SHOTS, launch, openPage, hydrated, signIn, signInAs, shot, totp } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DEMO_SECRET = "KRSXG5CUO5XUMYLDORXXEREFJVHSAU3B";

async function signOut(page) {
  await hydrated(page);
  await page.click("text=Sign out");
  await page.waitForURL(/\/sign-in$/);
}

/** Password, then the code step: `code` goes in the code field. */
async function signInWithCode(page, email, password, code) {
  await page.goto(`${BASE_URL}/sign-in`);
  await signIn(page, email, password);
  await page.waitForSelector('[data-testid="code-step"]');
  assert.ok(!(await page.isVisible("#field-password")), "the password form gives way to the code");
  await page.fill("#field-code", code);
  await page.click('[data-testid="code-step"] button[type="submit"]');
  await page.waitForSelector('[data-testid="nav"]');
  await hydrated(page);
}

test("the demo member signs in with the code the sandbox shows, and a wrong code keeps them out", async () => {
  const { context, page, problems } = await openPage(browser);
  await page.goto(`${BASE_URL}/sign-in`);
  await hydrated(page);
  const shown = (await page.textContent('[data-testid="demo-code"]')).trim();
  // Our server and an independent RFC 6238 implementation agree (allowing for a step boundary).
  assert.ok([totp(DEMO_SECRET, 0), totp(DEMO_SECRET, -1)].includes(shown), `${shown}`);

  await signIn(page, "finance-2fa@sandbox.test", "sandbox-finance-2fa");
  await page.waitForSelector('[data-testid="code-step"]');
  await page.fill("#field-code", "000000");
  await page.click('[data-testid="code-step"] button[type="submit"]');
  const message = await page.waitForSelector("#field-code-error:has-text('not right')");
  assert.ok(message);
  await page.screenshot({ path: `${SHOTS}sign-in-code.png` });
  await page.fill("#field-code", totp(DEMO_SECRET, 1));
  await page.click('[data-testid="code-step"] button[type="submit"]');
  await page.waitForSelector('[data-testid="nav"]');
  assert.equal(await page.textContent('[data-testid="staff-name"]'), "Tess Two-Factor");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a member sets up two-factor, signs in with a code and a recovery code, and steps up to change roles", async () => {
  const { context, page, problems } = await openPage(browser);
  // An admin of our own, so no other test's member changes.
  await signInAs(page, "admin");
  const email = `secure-${Date.now()}@sandbox.test`;
  const password = "a-long-password-for-2fa";
  await page.click('[data-testid="nav"] >> text=Staff');
  await hydrated(page);
  await page.click("text=Add staff member");
  await page.fill("#field-email", email);
  await page.fill("#field-name", "Sam Secure");
  await page.fill("#field-password", password);
  await page.check('input[name="roles"][value="admin"]');
  await page.click("text=Create account");
  await page.waitForSelector(`[data-staff-email="${email}"]`);
  await signOut(page);

  // Set-up from the Account page.
  await signIn(page, email, password);
  await page.waitForSelector('[data-testid="nav"]');
  await hydrated(page);
  await page.click('header a[href="/account"]');
  await page.waitForSelector("text=Set up two-factor");
  await hydrated(page);
  await page.click("text=Set up two-factor");
  const secret = (await (await page.waitForSelector('[data-testid="enrolment-secret"]')).textContent()).replace(/\s/g, "");
  assert.ok(await page.isVisible('[data-testid="enrolment"] svg'), "a QR code to scan");
  await shot(page, "account-enrolment");
  await page.fill("#field-code", "123");
  await page.click("text=Confirm and turn on");
  await page.waitForSelector("#field-code-error:has-text('6 digits')");
  await page.fill("#field-code", totp(secret));
  await page.click("text=Confirm and turn on");
  const codes = await (await page.waitForSelector('[data-testid="recovery-codes"]')).$$eval("li", (els) => els.map((e) => e.textContent));
  assert.equal(codes.length, 10);
  await shot(page, "account-recovery-codes");
  await signOut(page);

  // Password, then the app's next code.
  await signInWithCode(page, email, password, totp(secret, 1));
  await signOut(page);
  // Password, then a recovery code (the phone is lost).
  await signInWithCode(page, email, password, codes[0]);
  await page.goto(`${BASE_URL}/account`);
  await page.waitForSelector('[data-testid="two-factor-state"]:has-text("9 of 10 recovery codes left")');

  // A role change asks for a fresh code once the last one is older than the window (5 s here).
  await page.waitForTimeout(5_500);
  await page.goto(`${BASE_URL}/staff`);
  await hydrated(page);
  const row = page.locator('[data-staff-email="viewer@sandbox.test"]');
  await row.locator("text=Manage").click();
  const manager = page.locator('[data-testid="staff-manager"]');
  await manager.locator('input[name="roles"][value="onboarding"]').check();
  await manager.locator("text=Save roles").click();
  await page.waitForSelector('[data-testid="step-up"]');
  await shot(page, "staff-step-up");
  await page.fill("#field-roles-code", codes[1]);
  await manager.locator("text=Save roles").click();
  await page.waitForSelector('[data-testid="staff-notice"]:has-text("Roles saved.")');
  // Put the viewer back as they were (within the window: no code asked).
  await manager.locator('input[name="roles"][value="onboarding"]').uncheck();
  await manager.locator("text=Save roles").click();
  await page.waitForFunction(() => !document.querySelector('[data-staff-email="viewer@sandbox.test"]')?.textContent.includes("Onboarding"));
  await signOut(page);

  // The admin resets it (a lost phone and lost codes): the next sign-in needs the password only.
  await signInAs(page, "admin");
  await page.goto(`${BASE_URL}/staff`);
  await hydrated(page);
  await page.locator(`[data-staff-email="${email}"]`).locator("text=Manage").click();
  await page.locator('[data-testid="staff-manager"] >> text=Reset two-factor').click();
  await page.waitForSelector('[data-testid="staff-notice"]:has-text("Two-factor removed")');
  await signOut(page);
  await signIn(page, email, password);
  await page.waitForSelector('[data-testid="nav"]');
  assert.deepEqual(problems, []);
  await context.close();
});
