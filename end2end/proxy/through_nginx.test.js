// Through nginx ending TLS in front of two app instances (scripts/through-nginx.sh): sign-in with
// cookies that only travel over TLS, HSTS, a payout approved with a step-up code, and audit rows
// that name the member's address, not the proxy's, even when the browser forges X-Forwarded-For.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signIn, signInAs, totp, openAwaitingRequest, fillSepaPayout } from "../tests/support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The throwaway certificate is not signed by anyone the browser knows.
const TLS = { ignoreHTTPSErrors: true };
const DEMO_SECRET = "KRSXG5CUO5XUMYLDORXXEREFJVHSAU3B";

test("sign-in over TLS sets a Secure, HttpOnly, SameSite=Strict cookie and HSTS", async () => {
  const { context, page, problems } = await openPage(browser, TLS);
  const response = await page.goto(`${BASE_URL}/sign-in`);
  assert.match(response.headers()["strict-transport-security"] ?? "", /max-age=31536000/);
  await signIn(page, "viewer@sandbox.test", "sandbox-viewer");
  await page.waitForSelector('[data-testid="nav"]');
  const [cookie] = (await context.cookies()).filter((c) => c.name === "backoffice_session");
  assert.ok(cookie, "a session cookie");
  assert.equal(cookie.secure, true);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a payout above the threshold is approved by a member who steps up with a code", async () => {
  const maker = await openPage(browser, TLS);
  await signInAs(maker.page, "finance");
  await fillSepaPayout(maker.page, {
    beneficiary: "Anna Nowak", iban: "DE89 3704 0044 0532 0130 00", amount: "1,200.00", reference: "Through nginx",
  });
  await maker.page.click('[data-testid="review-movement"]');
  await maker.page.waitForSelector('[data-testid="needs-approval"]');
  await maker.page.click('[data-testid="submit-movement"]');
  await maker.page.waitForSelector('[data-testid="movement-status"] [data-movement="awaiting_approval"]');

  // The checker signs in with password and code; their approval comes later than the 1 s window
  // this deployment allows, so it asks for a fresh code.
  const checker = await openPage(browser, TLS);
  await checker.page.goto(`${BASE_URL}/sign-in`);
  await signIn(checker.page, "finance-2fa@sandbox.test", "sandbox-finance-2fa");
  await checker.page.waitForSelector('[data-testid="code-step"]');
  await checker.page.fill("#field-code", totp(DEMO_SECRET, 0));
  await checker.page.click('[data-testid="code-step"] button[type="submit"]');
  await checker.page.waitForSelector('[data-testid="nav"]');
  await openAwaitingRequest(checker.page, "Payout or withdrawal");
  await checker.page.waitForTimeout(1_200);
  await checker.page.click('[data-testid="approve"]');
  await checker.page.waitForSelector('[data-testid="step-up"]');
  await checker.page.fill("#field-approve-code", totp(DEMO_SECRET, 1));
  await checker.page.click('[data-testid="approve"]');
  await checker.page.waitForSelector('[data-approval="executed"]');
  await maker.page.waitForSelector('[data-testid="movement-status"] [data-movement="completed"]', { timeout: 30_000 });
  assert.deepEqual([...maker.problems, ...checker.problems], []);
  await maker.context.close();
  await checker.context.close();
});

test("audit rows name the member's address, never the proxy's or a forged one", async () => {
  const { context, page, problems } = await openPage(browser, TLS);
  // A forged header from the client: nginx appends the real address, the app reads the nearest hop.
  const forged = await context.request.post(`${BASE_URL}/api/auth/sign_in`, {
    headers: { "X-Forwarded-For": "203.0.113.9" },
    data: { email: "finance@sandbox.test", password: "not-the-password", next: null },
  });
  assert.equal(forged.status(), 409);
  await signInAs(page, "admin");
  await page.goto(`${BASE_URL}/audit`);
  await page.waitForSelector('[data-testid="audit-table"] >> text=auth.sign_in');
  const text = await page.textContent('[data-testid="audit-table"] tbody');
  assert.ok(text.includes("127.0.0.1"), "the member's address is in the log");
  assert.ok(!text.includes("127.0.0.2"), "the proxy's address is not");
  assert.ok(!text.includes("203.0.113.9"), "a forged address is not");
  assert.deepEqual(problems, []);
  await context.close();
});
