// Shared set-up for the end-to-end tests: Debian's Chromium through playwright-core, a page that
// records every browser error, and helpers that act as a staff member would.
import { chromium } from "playwright-core";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

export const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
export const SHOTS = new URL("../screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A fresh browser context and page (`options` for the context); `problems` collects page errors,
 * console errors and 5xx. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // A refused server function (e.g. a wrong password, 409) is logged by Chromium as a failed
    // resource; that is the app working. Anything else in red is a problem.
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => { if (r.status() >= 500) problems.push(`${r.status()} ${r.url()}`); });
  return { context, page, problems };
}

export async function hydrated(page) {
  await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 30_000 });
}

export async function signIn(page, email, password) {
  await hydrated(page);
  await page.fill("#field-email", email);
  await page.fill("#field-password", password);
  await page.click('button[type="submit"]');
}

export const demo = (role) => ({ email: `${role}@sandbox.test`, password: `sandbox-${role}` });

export async function signInAs(page, role) {
  await page.goto(`${BASE_URL}/sign-in`);
  const { email, password } = demo(role);
  await signIn(page, email, password);
  await page.waitForSelector('[data-testid="nav"]');
  await hydrated(page);
}

/** Clicks a filter form's `submit` and waits until the page has drawn the answer of the server
 * function `endpoint`: until then the list, and the form drawn again from that answer, are the old
 * ones (with the same rows when the filter keeps them), inside an `aria-busy` region. */
export async function submitFilter(page, submit, endpoint) {
  const answered = page.waitForResponse((r) => r.url().includes(`/${endpoint}`));
  await page.click(submit);
  await (await answered).finished();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
}

/** A screenshot of the whole page: the window grows to the main column's height first. */
export async function shot(page, name) {
  const size = page.viewportSize();
  const height = await page.evaluate(() => (document.querySelector("main")?.scrollHeight ?? 700) + 110);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await page.screenshot({ path: `${SHOTS}${name}.png` });
  await page.setViewportSize(size);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 `secret`, `steps` steps from now: what an
 * authenticator app shows. Written out here so the server's codes are checked against a second,
 * independent implementation. */
export function totp(secret, steps = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...secret.replace(/\s/g, "")].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + steps));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** From the nav, opens the request waiting for this member whose kind reads `title`, ready to decide. */
export async function openAwaitingRequest(page, title) {
  await page.click('[data-testid="nav"] >> text=Approvals');
  await page.waitForSelector(`[data-testid="awaiting"] >> text=${title}`);
  await hydrated(page);
  await page.click(`[data-testid="awaiting"] >> text=${title}`);
  await page.waitForSelector('[data-testid="approve"]');
  await hydrated(page);
}

/** From the nav, opens a new SEPA payout and fills its form (nothing is reviewed or sent yet). */
export async function fillSepaPayout(page, { beneficiary, iban, amount, reference }) {
  await page.click('[data-testid="nav"] >> text=Payouts');
  await page.waitForSelector('[data-testid="movements"]');
  await hydrated(page);
  await page.click("text=New SEPA payout");
  await page.waitForSelector('[data-testid="movement-form"]');
  await hydrated(page);
  await page.waitForSelector('[data-testid="available"] >> text=/EUR$/');
  await page.fill("#field-beneficiary", beneficiary);
  await page.fill("#field-iban", iban);
  await page.fill("#field-amount", amount);
  await page.fill("#field-reference", reference);
}

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** The WCAG 2.1 A/AA violations (axe-core) on the page now, one line each with the elements they are on. */
export async function violations(page) {
  // Through the DevTools protocol, so the page's script policy does not apply to the checker.
  await page.evaluate(AXE);
  const found = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }).then((r) => r.violations),
    WCAG_21_AA,
  );
  return found.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}
