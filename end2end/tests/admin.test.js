import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, SHOTS, launch, openPage, hydrated, signInAs } from "./support.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("an admin adds a member, gives roles, disables them, and finds it all in the audit log", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "admin");
  await page.click('[data-testid="nav"] >> text=Staff');
  await page.waitForSelector('[data-testid="staff-table"]');
  await hydrated(page);

  await page.click("text=Add staff member");
  await page.click("text=Create account");
  await page.waitForSelector("#field-email-error:not(:empty)");
  assert.match(await page.textContent("#field-roles-error"), /at least one role/);

  const email = `e2e-${Date.now()}@example.com`;
  await page.fill("#field-name", "Erin Endtoend");
  await page.fill("#field-email", email);
  await page.fill("#field-password", "a-long-password-1");
  await page.check('[data-testid="new-staff-form"] input[value="finance"]');
  await page.click("text=Create account");
  const row = page.locator(`tr[data-staff-email="${email}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Finance/);
  await page.screenshot({ path: `${SHOTS}staff.png`, fullPage: true });

  await row.locator("text=Manage").click();
  const manager = page.locator('[data-testid="staff-manager"]');
  await manager.locator('input[value="viewer"]').check();
  await manager.locator("text=Save roles").click();
  await page.waitForSelector('[data-testid="staff-notice"] >> text=Roles saved.');
  await row.locator("text=Viewer").waitFor(); // the list reloads after the notice
  await page.locator('[data-testid="staff-manager"] >> text=Disable account').click();
  await page.waitForSelector('[data-testid="staff-notice"] >> text=Account disabled');
  await row.locator("text=Disabled").waitFor();
  await page.screenshot({ path: `${SHOTS}staff-manage.png`, fullPage: true });

  await page.click('[data-testid="nav"] >> text=Audit log');
  await page.waitForSelector('[data-testid="audit-table"]');
  await hydrated(page);
  await page.fill("#field-action", "staff.");
  await page.click('[data-testid="audit-filters"] button[type="submit"]');
  await page.waitForURL(/action=staff\./);
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-testid="audit-table"] tbody tr td:nth-child(4)')];
    return cells.length > 0 && cells.every((c) => c.textContent.startsWith("staff."));
  });
  const actions = await page.$$eval('[data-testid="audit-table"] tbody tr td:nth-child(4)', (els) => els.map((e) => e.textContent));
  for (const expected of ["staff.create", "staff.set_roles", "staff.disable"]) {
    assert.ok(actions.includes(expected), `${expected} in ${actions}`);
  }
  await page.locator('[data-testid="audit-table"] tbody tr', { hasText: "staff.set_roles" }).first().click();
  await page.waitForSelector("text=Before");
  await page.screenshot({ path: `${SHOTS}audit.png`, fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="audit-export"]')]);
  const csv = await (await download.createReadStream()).toArray();
  const text = Buffer.concat(csv).toString();
  assert.match(text.split("\n")[0], /^seq,at,staff_email/);
  assert.ok(text.includes("staff.disable"));

  assert.deepEqual(problems, []);
  await context.close();
});

test("an admin steers the sandbox: arms a fault, sees it armed, clears it", async () => {
  const { context, page, problems } = await openPage(browser);
  await signInAs(page, "admin");
  await page.click('[data-testid="nav"] >> text=Sandbox');
  await page.waitForSelector('[data-testid="fault-form"]');
  await hydrated(page);
  await page.waitForSelector('[data-testid="no-faults"]');

  await page.selectOption('[data-testid="fault-form"] select >> nth=0', "partner.sepa_transfer");
  await page.selectOption('[data-testid="fault-form"] select >> nth=2', "P433");
  await page.fill("#field-count", "2");
  await page.click("text=Arm fault");
  const armed = page.locator('[data-testid="armed-faults"]');
  await armed.waitFor();
  assert.match(await armed.textContent(), /partner\.sepa_transfer.*P433.*2/s);
  await page.click("text=Reject next");
  await page.waitForSelector('[data-testid="kyc-next"] >> text="reject:NO_FACE_FOUND"');
  await page.screenshot({ path: `${SHOTS}sandbox.png`, fullPage: true });

  await page.click("text=Clear all faults");
  await page.waitForSelector('[data-testid="no-faults"]');
  await page.click("text=Approve next");
  await page.waitForSelector('[data-testid="kyc-next"] >> text="approve"');
  assert.deepEqual(problems, []);
  await context.close();
});
