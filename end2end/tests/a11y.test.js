// Every page passes axe-core's WCAG 2.1 A and AA rules, as each role sees it: the pages in the
// role's navigation, the first record each list links to, and the forms its buttons open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, signInAs, violations } from "./support.js";

const ROLES = ["admin", "onboarding", "compliance", "finance", "viewer"];

async function check(page, who, path, failures) {
  await page.goto(`${BASE_URL}${path}`);
  await hydrated(page);
  // Secondary cards load once the page shows, saying "Loading…" until then: check them loaded.
  // (Not "network idle": that waits half a second after the last request on each of ~120 pages.)
  await page.waitForFunction(() => !document.querySelector("main")?.innerText.includes("Loading…"));
  for (const line of await violations(page)) failures.push(`${who} ${path}: ${line}`);
}

/** Where the page links to that a member opens from it: its first record and its "new" forms. */
async function onward(page) {
  return page.evaluate(() => {
    const local = (a) => a.getAttribute("href");
    const first = document.querySelector("main a.row-link, main table a[href^='/']");
    const forms = [...document.querySelectorAll("main a[href$='/new'], main a[href$='/travel-rule']")];
    return [first, ...forms].filter(Boolean).map(local).filter((h) => h && h.startsWith("/") && !h.includes("?"));
  });
}

test("every page passes the WCAG 2.1 A/AA checks as every role", async () => {
  const browser = await launch();
  const failures = [];
  try {
    const { context: anonymous, page: signIn } = await openPage(browser);
    await check(signIn, "signed out", "/sign-in", failures);
    await anonymous.close();

    for (const role of ROLES) {
      const { context, page } = await openPage(browser);
      await signInAs(page, role);
      const pages = await page.$$eval('[data-testid="nav"] a', (links) => links.map((a) => a.getAttribute("href")));
      const seen = new Set();
      const queue = ["/", "/account", ...pages];
      while (queue.length > 0) {
        const path = queue.shift();
        if (seen.has(path)) continue;
        seen.add(path);
        await check(page, role, path, failures);
        if (pages.includes(path)) queue.push(...(await onward(page)));
      }
      // The quick find box, open with results.
      await page.goto(`${BASE_URL}/`);
      await hydrated(page);
      await page.keyboard.press("/");
      await page.keyboard.type("demo-000");
      await page.waitForSelector('[data-testid="quick-find"] [role="option"]');
      for (const line of await violations(page)) failures.push(`${role} quick find: ${line}`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  assert.deepEqual(failures, [], `accessibility violations:\n${failures.join("\n")}`);
});
