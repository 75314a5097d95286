import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { BrowserContext, Page, chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ensureAdminBuild } from './admin-console-support';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * The console for daily work (issue 20), in Chromium against the real server and database: an empty tenant is walked
 * through connecting an identity provider up to its first SCIM request; the Employees list fits 1,280 px and 375 px,
 * sorts names with the tenant locale's collation and finds "José Álvarez-Núñez" by "Jose Alvarez", keeps its page
 * and page size in the URL, and exports every matching person as CSV; a LOCAL employee is added; leaving an edited
 * page asks first; Groups (with the connection that created each) and the provisioning log (searched by person) are
 * shown. Every page is audited with axe-core (no serious or critical violation) and checked for sideways overflow, both
 * at 1,280 and at 375 px.
 *
 * `npm run docs:screenshots` runs this file with DOCS_SCREENSHOTS=1: each page at both widths goes to docs/screenshots/.
 */
const INSTALL = 'npm run setup:browser (apt-get install -y chromium)';
const DOCS_SHOTS = process.env.DOCS_SCREENSHOTS === '1' ? path.join(__dirname, '..', 'docs', 'screenshots') : null;
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
const LONG_EMAIL = 'maximiliana.wolfeschlegelsteinhausenbergerdorff.the.third@a-very-long-subsidiary-name.example.com';
const LONG_TOKEN = 'Okta production (EMEA contact centers, migrated from the old HR feed, do not revoke before March)';

/** Polls `read` until it gives `want` (the page updates after network round trips), for at most 10 s; then compares. */
async function settles<T>(read: () => T | Promise<T>, want: T): Promise<void> {
  let got = await read();
  for (const started = Date.now(); JSON.stringify(got) !== JSON.stringify(want) && Date.now() - started < 10_000; got = await read()) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(got).toEqual(want);
}

const chromiumMissing = !fs.existsSync(CHROMIUM);
const underCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

if (chromiumMissing && underCi) {
  test('Chromium is installed for the daily console end-to-end test', () => {
    throw new Error(`No Chromium at ${CHROMIUM}: the console end-to-end test cannot run. Install it with ${INSTALL}.`);
  });
} else if (chromiumMissing) {
  console.warn(`\n!!! SKIPPING the daily console end-to-end test: no Chromium at ${CHROMIUM}. Install it with ${INSTALL}.\n`);
  test.skip('daily console end to end (needs Chromium)', () => undefined);
} else {
  describe('the console for daily work, in Chromium', () => {
    let h: Harness;
    let t: TestTenant;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      ensureAdminBuild();
      if (DOCS_SHOTS) fs.mkdirSync(DOCS_SHOTS, { recursive: true });
      h = await Harness.start();
      t = await h.tenant('daily');
      profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        timeout: 30_000,
        viewport: { width: 1280, height: 900 },
        locale: 'en-US',
        timezoneId: 'UTC',
        acceptDownloads: true,
      });
      context.setDefaultTimeout(10_000);
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
    });

    afterAll(async () => {
      await context?.close();
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
      await h?.close();
    });

    const menu = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
    const scrollWidth = () => page.evaluate<number>('document.documentElement.scrollWidth');
    /** No serious or critical axe-core violation on the page as it is now. */
    const audit = async (what: string) => {
      const results = await new AxeBuilder({ page }).analyze();
      const bad = results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ page: what, rule: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
      expect(bad).toEqual([]);
    };
    /** At 1,280 and then 375 px: nothing wider than the window; a screenshot of each for the docs when asked. */
    const fits = async (name: string, ready: () => Promise<unknown>) => {
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
        await ready();
        expect({ name, width, scrollWidth: await scrollWidth() }).toEqual({ name, width, scrollWidth: width });
        // Each test audits its page at 1,280 px; a phone's layout (stacked cards, the narrow header) is audited too.
        if (width === 375) await audit(`${name} at 375 px`);
        // Signed in, the header keeps the tenant's name and Sign out on screen at any width.
        const signOut = page.getByRole('button', { name: 'Sign out' });
        if (await signOut.count()) {
          const box = (await signOut.boundingBox())!;
          const tenant = (await page.locator('.tenant-name').boundingBox())!;
          expect({ name, width, signOut: box.x + box.width <= width, tenant: tenant.width > 20 && tenant.x >= 0 }).toEqual({ name, width, signOut: true, tenant: true });
        }
        if (DOCS_SHOTS) {
          await page.evaluate('window.scrollTo(0, 0)');
          await page.screenshot({ path: path.join(DOCS_SHOTS, `${name}-${width}.png`) });
        }
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    };

    test('an empty tenant is walked through connecting Okta, up to its first SCIM request', async () => {
      await page.goto(`${h.baseUrl}/admin`);
      await page.getByLabel('Admin token').fill(t.tokens.admin);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Employees' }).waitFor();
      const onboarding = page.getByTestId('onboarding');
      await onboarding.waitFor();
      await expect(page.getByTestId('employee-count').innerText()).resolves.toBe('No employees yet.');
      await audit('employees (empty tenant)');
      await fits('employees-empty', () => onboarding.waitFor());

      await onboarding.getByRole('link', { name: 'Connect Okta or Entra' }).click();
      await page.getByRole('heading', { name: 'Connect an identity provider' }).waitFor();
      const endpoints = await h.graphql(t.tokens.admin, '{ oauthEndpoints { scimBaseUrl } }');
      await settles(() => page.getByTestId('scim-base-url').innerText(), endpoints.body.data!.oauthEndpoints.scimBaseUrl);
      await expect(page.getByTestId('extension-urn').innerText()).resolves.toBe(EXT);
      await expect(page.getByText('primaryRole', { exact: true }).count()).resolves.toBe(1);
      const waiting = page.getByTestId('first-request');
      await expect(waiting.innerText()).resolves.toContain('Waiting for the first SCIM request');
      // The guides are served by the console itself.
      await expect(page.getByRole('link', { name: 'Okta guide' }).getAttribute('href')).resolves.toBe('/admin/docs/okta');

      // A SCIM token made here, with the keyboard: the name field, Enter.
      await page.getByLabel('Name of a new SCIM token').fill('Okta provisioning');
      await page.keyboard.press('Enter');
      const secret = await page.getByLabel('New SCIM token', { exact: true }).inputValue();
      expect(secret).toMatch(/^rc_scim_/);
      await audit('connect');
      await fits('connect', () => waiting.waitFor());

      // Okta's first request with that token: the page turns green by itself.
      const created = await h.scim('POST', '/Users', secret, oktaCreateUser('first.person@daily.example', { externalId: '00ufirst' }));
      expect(created.status).toBe(201);
      await h.app.provisioningLog.flush();
      await page.locator('[data-testid="first-request"][data-arrived="true"]').waitFor({ timeout: 15_000 });
      // The token's use can show before the log entry does (a poll that started before the flush finished): the page
      // keeps asking until the entry is there, and then shows the request.
      await page.locator('[data-testid="first-request"]', { hasText: 'first.person@daily.example' }).waitFor({ timeout: 15_000 });
      await expect(waiting.innerText()).resolves.toMatch(/Okta has connected\.[\s\S]*POST \/scim\/v2\/Users[\s\S]*first\.person@daily\.example/);
      await expect(waiting.evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor)).resolves.toBe('rgb(227, 244, 234)');
      if (DOCS_SHOTS) await page.locator('.steps > li').last().screenshot({ path: path.join(DOCS_SHOTS, 'connect-arrived-1280.png') });

      await page.getByRole('link', { name: 'Okta guide' }).click();
      await page.getByRole('heading', { name: 'Provisioning Rollcall from Okta', level: 1 }).waitFor();
      await audit('docs/okta');
      await fits('docs-okta', () => page.getByRole('heading', { name: 'Attribute mapping' }).waitFor());
    });

    test('the Employees list fits 1,280 px with every column, sorts by "Last, First" with the locale\'s collation, and finds accents without typing them', async () => {
      // People with accents, one with a very long email, IdP-managed (username = email) and LOCAL ones.
      const scimPeople: [string, string, string][] = [
        ['jose.alvarez@daily.example', 'José', 'Álvarez-Núñez'],
        ['tim.zone@daily.example', 'Tim', 'Zone'],
        ['emile.zola@daily.example', 'Émile', 'Zola'],
        [LONG_EMAIL, 'Maximiliana', 'Wolfeschlegelsteinhausenbergerdorff'],
        ['ada.lovelace@daily.example', 'Ada', 'Lovelace'],
        ['ines.oconnor@daily.example', 'Inés', "O'Connor"],
      ];
      for (const [userName, givenName, familyName] of scimPeople) {
        const response = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName, { name: { givenName, familyName }, displayName: `${givenName} ${familyName}`, externalId: `00u${givenName}` }));
        expect(response.status).toBe(201);
      }
      const create = (i: number) =>
        h.graphql(t.tokens.admin, 'mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { userErrors { message } } }', {
          input: { username: `agent${String(i).padStart(2, '0')}@daily.example`, email: `agent${i}.mail@daily.example`, firstName: `Agent${i}`, lastName: `Bulk${String(i).padStart(2, '0')}` },
        });
      for (let i = 0; i < 26; i += 13) {
        const answers = await Promise.all(Array.from({ length: 13 }, (_, j) => create(i + j)));
        for (const answer of answers) expect(answer.body.data.createEmployee.userErrors).toEqual([]);
      }
      const total = scimPeople.length + 26 + 1; // and the first person of the onboarding test

      await menu('Employees').click();
      await settles(() => page.getByTestId('employee-count').innerText(), `1–25 of ${total} employees`);
      // Every column inside the card at 1,280 px, even with the long email on the page.
      await page.goto(`${h.baseUrl}/admin/employees?q=wolfe`);
      await page.getByText('1–1 of 1 employees').waitFor();
      const card = (await page.locator('.table-card').boundingBox())!;
      for (const name of ['Name', 'Username / Email', 'Status', 'Primary role', 'Team', 'Managed by']) {
        const header = (await page.locator('.employees-table th').filter({ hasText: new RegExp(`^${name.split(' ')[0]}`) }).boundingBox())!;
        expect({ name, inside: header.x + header.width <= card.x + card.width + 1 }).toEqual({ name, inside: true });
      }
      expect(await scrollWidth()).toBe(1280);
      // One identity column: the username, and the email only when it differs; the long value is cut, whole in the title.
      const row = page.locator('.employees-table tbody tr').first();
      await expect(row.locator('.cell-identity .truncate').count()).resolves.toBe(1);
      await expect(row.locator('.cell-identity .truncate').getAttribute('title')).resolves.toBe(LONG_EMAIL);
      await expect(row.locator('.cell-name a').innerText()).resolves.toBe('Wolfeschlegelsteinhausenbergerdorff, Maximiliana');

      // Accent- and case-insensitive search.
      await page.getByLabel('Search').fill('jose alvarez');
      await settles(() => page.locator('.employees-table tbody .cell-name a').allInnerTexts(), ['Álvarez-Núñez, José']);

      // Sorted by name: last name, then first, collated as en-US (not byte order: "Álvarez" first, "Zola" before "Zone").
      await page.goto(`${h.baseUrl}/admin/employees?sort=name&size=100`);
      await page.getByText(`1–${total} of ${total} employees`).waitFor();
      const names = await page.locator('.employees-table tbody .cell-name a').allInnerTexts();
      const collator = new Intl.Collator('en-US');
      const expected = [...names].sort((a, b) => {
        const [la, fa] = a.split(', ');
        const [lb, fb] = b.split(', ');
        return collator.compare(la, lb) || collator.compare(fa, fb);
      });
      expect(names).toEqual(expected);
      expect(names[0]).toBe('Álvarez-Núñez, José');
      expect(names.indexOf('Zola, Émile')).toBe(names.indexOf('Zone, Tim') - 1);
      await expect(page.locator('.employees-table th[aria-sort="ascending"]').textContent()).resolves.toMatch(/^Name/);
      await audit('employees');

      // Page size and page number in the URL: a reload (or a link) opens the same page.
      await page.goto(`${h.baseUrl}/admin/employees?sort=name&size=25&page=2`);
      await page.getByText(`26–${total} of ${total} employees`).waitFor();
      await expect(page.getByTestId('page-number').innerText()).resolves.toBe('Page 2 of 2');
      await expect(page.locator('.employees-table tbody .cell-name a').first().innerText()).resolves.toBe(names[25]);
      await page.getByRole('button', { name: '← Previous' }).click();
      await page.getByText(`1–25 of ${total} employees`).waitFor();
      await settles(() => new URL(page.url()).search, '?sort=name');
      await page.getByLabel('Per page').selectOption('50');
      await page.getByText(`1–${total} of ${total} employees`).waitFor();
      await settles(() => new URL(page.url()).search, '?sort=name&size=50');
      await fits('employees', () => page.getByText(`1–${total} of ${total} employees`).waitFor());

      // Managed by: only the people added in Rollcall.
      await page.getByLabel('Managed by').selectOption('LOCAL');
      await page.getByText('1–26 of 26 employees').waitFor();
      await settles(() => new URL(page.url()).search, '?managedBy=LOCAL&sort=name&size=50');
    });

    test('Export CSV downloads every person of the current list, all pages', async () => {
      await page.goto(`${h.baseUrl}/admin/employees?q=daily.example&size=25`);
      await page.getByText(/^1–25 of \d+ employees$/).waitFor();
      const count = Number((await page.getByTestId('employee-count').innerText()).match(/of (\d+) employees/)?.[1] ?? 'NaN');
      expect(count).toBeGreaterThan(25);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const file = await download.path();
      const lines = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r\n/);
      expect(lines[0]).toMatch(/^id,username,firstName,lastName/);
      expect(lines.length - 1).toBe(count);
      expect(download.suggestedFilename()).toMatch(/^employees-\d{4}-\d{2}-\d{2}\.csv$/);
    });

    test('an admin adds a LOCAL employee; leaving an edited page asks first, in the app and in the browser', async () => {
      await page.getByRole('link', { name: 'Add employee' }).click();
      await page.getByRole('heading', { name: 'Add employee' }).waitFor();
      await audit('add employee');
      await fits('employee-new', async () => {
        await page.getByLabel('Username').waitFor();
        // One column on a phone: Email is under Username, not beside it.
        const [username, email] = [await page.getByLabel('Username').boundingBox(), await page.getByLabel('Email').boundingBox()];
        if ((page.viewportSize()?.width ?? 0) <= 375) expect(email!.y).toBeGreaterThan(username!.y + username!.height);
      });
      // One column at a phone's width was checked by `fits`; here the fields, with the keyboard where it matters.
      await page.getByLabel('Username').fill('grace.local@daily.example');
      await page.getByLabel('Email').fill('grace.local@daily.example');
      await page.getByLabel('First name').fill('Grace');
      await page.getByLabel('Last name').fill('Local');
      const zones = await page.getByLabel('Time zone').locator('option').count();
      expect(zones).toBeGreaterThan(300); // the IANA list, not free text
      await page.getByLabel('Time zone').selectOption('America/Los_Angeles');
      await page.getByRole('button', { name: 'Add employee' }).click();
      await page.getByRole('heading', { name: 'Grace Local' }).waitFor();
      const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
      const stored = await h.graphql(t.tokens.admin, 'query($id: ID!) { employee(id: $id) { managedBy timeZone } }', { id });
      expect(stored.body.data.employee).toEqual({ managedBy: 'LOCAL', timeZone: 'America/Los_Angeles' });
      // The audit reads as words, and names the token that made the change.
      const audit1 = page.locator('#audit tbody tr').first();
      await expect(audit1.locator('td').nth(1).innerText()).resolves.toBe('Created');
      await expect(audit1.locator('td').nth(2).innerText()).resolves.toBe('test-admin · Admin API');

      // An edit, then the menu: the prompt; staying keeps the edit.
      await page.getByLabel('Display name').fill('Amazing Grace');
      const dialogs: string[] = [];
      page.once('dialog', (dialog) => {
        dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await menu('Groups').click();
      await settles(() => dialogs.length, 1);
      expect(dialogs[0]).toBe('confirm: This page has unsaved changes. Leave it and lose them?');
      expect(new URL(page.url()).pathname).toBe(`/admin/employees/${encodeURIComponent(id)}`);
      await expect(page.getByLabel('Display name').inputValue()).resolves.toBe('Amazing Grace');
      // Back asks too; a reload gets the browser's own prompt.
      page.once('dialog', (dialog) => {
        dialogs.push(dialog.type());
        void dialog.dismiss();
      });
      await page.goBack();
      await settles(() => dialogs.length, 2);
      expect(dialogs[1]).toBe('confirm');
      await expect(page.getByLabel('Display name').inputValue()).resolves.toBe('Amazing Grace');
      expect(new URL(page.url()).pathname).toBe(`/admin/employees/${encodeURIComponent(id)}`);
      page.once('dialog', (dialog) => {
        dialogs.push(dialog.type());
        void dialog.dismiss();
      });
      await page.reload({ timeout: 2_000 }).catch(() => undefined);
      await settles(() => dialogs.length, 3);
      expect(dialogs[2]).toBe('beforeunload');
      await expect(page.getByLabel('Display name').inputValue()).resolves.toBe('Amazing Grace');
      // Leaving for real: accepted, the page goes, nothing saved.
      page.once('dialog', (dialog) => void dialog.accept());
      await menu('Groups').click();
      await page.getByRole('heading', { name: 'Groups' }).waitFor();
      const after = await h.graphql(t.tokens.admin, 'query($id: ID!) { employee(id: $id) { displayName } }', { id });
      expect(after.body.data.employee.displayName).toBeNull();
    });

    test('"No such employee" for any bad id; a token secret shows its underscores; a long token name never pushes Cancel off-screen', async () => {
      for (const bad of ['abc', 'RW1wbG95ZWU6bm9wZQ', encodeURIComponent('Employee:00000000-0000-0000-0000-000000000000')]) {
        await page.goto(`${h.baseUrl}/admin/employees/${bad}`);
        await page.getByRole('heading', { name: 'No such employee' }).waitFor();
      }
      await audit('no such employee');
      await fits('no-such-employee', () => page.getByRole('heading', { name: 'No such employee' }).waitFor());

      await menu('Settings').click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      // The extension's URN is in the import settings, and the role attribute is named as Okta must send it.
      await expect(page.getByTestId('extension-note').innerText()).resolves.toContain(EXT);
      await expect(page.getByRole('checkbox', { name: /Primary role/ }).locator('xpath=..').innerText()).resolves.toContain('primaryRole');
      await page.setViewportSize({ width: 375, height: 812 });
      await page.getByLabel('Name', { exact: true }).last().fill(LONG_TOKEN);
      await page.getByRole('button', { name: 'Create token' }).click();
      const secretBox = page.getByLabel('New token secret');
      const secret = await secretBox.inputValue();
      expect(await secretBox.evaluate((e) => (globalThis as any).getComputedStyle(e).fontFamily)).toMatch(/mono/i);
      // The whole secret is in view: the box is as tall as its text, so an underscore on the last line is not clipped.
      expect(await secretBox.evaluate((e) => e.scrollHeight <= e.clientHeight + 1)).toBe(true);
      expect(secret).toContain('_');
      await page.getByRole('button', { name: 'Done' }).click();
      const row = page.getByRole('row', { name: new RegExp(LONG_TOKEN.slice(0, 20).replace(/[()]/g, '\\$&')) });
      await row.getByRole('button', { name: 'Revoke' }).click();
      const cancel = row.getByRole('button', { name: 'Cancel' });
      const box = (await cancel.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(375);
      expect(await scrollWidth()).toBe(375);
      await cancel.click();
      await page.setViewportSize({ width: 1280, height: 900 });
      await audit('settings');
      await fits('settings', () => page.getByRole('heading', { name: 'Settings' }).waitFor());
    });

    test('Groups lists the groups the identity provider pushed, and a group its members a page at a time', async () => {
      const members = await h.graphql(t.tokens.admin, '{ employees(first: 30, filter: { managedBy: IDENTITY_PROVIDER }) { nodes { id } } }');
      const scimIds = await h.scim('GET', '/Users?count=10', t.tokens.scim);
      const group = await h.scim('POST', '/Groups', t.tokens.scim, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Billing EMEA, second line',
        externalId: '00gbilling',
        members: (scimIds.body.Resources as { id: string }[]).map((u) => ({ value: u.id })),
      });
      expect(group.status).toBe(201);
      expect(members.body.data.employees.nodes.length).toBeGreaterThan(0);
      await menu('Groups').click();
      await page.getByRole('heading', { name: 'Groups' }).waitFor();
      const row = page.getByRole('row', { name: /Billing EMEA, second line/ });
      await row.waitFor();
      await expect(row.locator('td').allInnerTexts()).resolves.toEqual(['Billing EMEA, second line', String(scimIds.body.Resources.length), expect.stringContaining('Identity provider'), expect.any(String)]);
      // Which identity provider manages it: the SCIM token that created the group, by name.
      await expect(row.locator('.group-provisioner').innerText()).resolves.toBe('test-scim');
      await audit('groups');
      await fits('groups', () => row.waitFor());
      await row.getByRole('link').click();
      await page.getByRole('heading', { name: 'Billing EMEA, second line' }).waitFor();
      await page.getByRole('heading', { name: 'Members' }).waitFor();
      await expect(page.getByTestId('provisioned-by').innerText()).resolves.toBe('test-scim');
      await expect(page.locator('.employees-table tbody tr').count()).resolves.toBe(scimIds.body.Resources.length);
      await audit('group');
      await fits('group', () => page.getByRole('heading', { name: 'Members' }).waitFor());
    });

    test('the provisioning log is searched by person, shows times to the second with the zone, full names, reasons without opening, and links to the person', async () => {
      const warned = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('linus.torvalds@daily.example', { name: { givenName: 'Linus', familyName: 'Torvalds' }, displayName: 'Linus Torvalds', timezone: 'PST', externalId: '00ulinus' }));
      expect(warned.status).toBe(201);
      // Display names and time zones are not imported by default: the link is "First Last", and the time zone is listed
      // as not imported, in the row itself.
      await h.app.provisioningLog.flush();
      await menu('Provisioning').click();
      await page.getByRole('heading', { name: 'Provisioning' }).waitFor();
      await page.getByRole('radio', { name: 'All requests' }).check();
      await page.getByLabel('Person (name or user name)').fill('torvalds');
      const rows = page.locator('.events > li');
      await settles(() => rows.count(), 1);
      const row = rows.first();
      await expect(row.locator('.event-time').innerText()).resolves.toMatch(/\d{1,2}:\d{2}:\d{2}\s?[AP]M UTC$/);
      await expect(row.getByRole('link', { name: 'Linus Torvalds' }).count()).resolves.toBe(1);
      await expect(row.innerText()).resolves.toContain('linus.torvalds@daily.example');
      await expect(row.locator('.event-ignored').innerText()).resolves.toBe('Not imported: display name, time zone');
      await audit('provisioning');
      await fits('provisioning', () => row.waitFor());
      // By the person's name where the userName the IdP sent does not hold it ("nunez" is only in José's last name).
      await page.getByLabel('Person (name or user name)').fill('nunez');
      await settles(() => rows.locator('.event-user a').allInnerTexts(), ['José Álvarez-Núñez']);
      await page.getByLabel('Person (name or user name)').fill('torvalds');
      await settles(() => rows.locator('.event-user a').allInnerTexts(), ['Linus Torvalds']);
      await row.getByRole('link', { name: 'Linus Torvalds' }).click();
      await page.getByRole('heading', { name: 'Linus Torvalds' }).waitFor();
      await audit('employee');
      await fits('employee', () => page.getByRole('heading', { name: /Audit history/ }).waitFor());
    });

    test('keyboard only: skip to the content, search, open a person, edit and save, then the provisioning log', async () => {
      /** Presses Tab until the focused element's text or label is `name` (at most 40 times). */
      const tabTo = async (name: string) => {
        const focused = () =>
          page.evaluate<string>("(document.activeElement?.getAttribute('aria-label') || document.activeElement?.labels?.[0]?.textContent || document.activeElement?.textContent || '').trim()");
        for (let i = 0; i < 40 && (await focused()) !== name; i++) await page.keyboard.press('Tab');
        expect(await focused()).toBe(name);
      };
      await page.goto(`${h.baseUrl}/admin/employees`);
      await page.getByRole('heading', { name: 'Employees' }).waitFor();
      await page.keyboard.press('Tab');
      await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to content');
      await page.keyboard.press('Enter');
      await tabTo('Search');
      await page.keyboard.type('zola');
      await page.getByText('1–1 of 1 employees').waitFor();
      await tabTo('Zola, Émile');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Émile Zola' }).waitFor();
      await tabTo('Display name');
      await page.keyboard.type('É. Zola');
      await tabTo('Save changes');
      await page.keyboard.press('Enter');
      await page.getByText('Saved.').waitFor();
      await page.getByRole('heading', { name: 'É. Zola' }).waitFor();
      // The menu, by keyboard: Shift+Tab back to the top, then along the menu to Provisioning.
      await page.keyboard.press('Shift+Tab');
      await tabTo('Provisioning');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Provisioning' }).waitFor();
      await tabTo('Person (name or user name)');
      await page.keyboard.type('zola');
      // A radio group is one Tab stop (the checked choice, Failures); the arrows move the choice.
      await tabTo('Failures');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await expect(page.getByRole('radio', { name: 'All requests' }).isChecked()).resolves.toBe(true);
      await page.locator('.events > li').filter({ hasText: 'emile.zola@daily.example' }).waitFor();
    });

    test('the other pages: no overflow at either width, no serious accessibility violation', async () => {
      for (const [name, heading] of [
        ['connections', 'Connections'],
        ['webhooks', 'Webhooks'],
        ['events', 'Events'],
      ] as const) {
        await menu(heading).click();
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await audit(name);
        await fits(name, () => page.getByRole('heading', { name: heading, level: 1 }).waitFor());
      }
      // The sign-in page, signed out.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Admin token').waitFor();
      await audit('sign in');
      await fits('sign-in', () => page.getByLabel('Admin token').waitFor());
      expect(pageErrors.filter((e) => !e.includes('401'))).toEqual([]);
    });
  });
}
