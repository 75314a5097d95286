import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
import { Employee, Team } from '../src/entities';
import { CHROMIUM, CHROMIUM_ARGS, ensureAdminBuild } from './admin-console-support';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * The console in a real browser (Debian's Chromium driven by playwright-core) against the real server and database:
 * a person provisioned over SCIM is found by search, their IdP-owned fields are read-only with the note, their team is
 * changed and saved, a bad value is refused next to its field, and tokens are created and revoked from Settings. The
 * username format and default phone region are set in Settings, and values a SCIM create could not use are shown
 * under the provisioning page's Warnings and on the employee's page. Screenshots of each page go to test-output/.
 */
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
const SCREENSHOTS = path.join(__dirname, '..', 'test-output');
const INSTALL = 'npm run setup:browser (apt-get install -y chromium)';
/** Polls until `check` holds (deliveries are made in the background), for at most 10 s. */
async function waitFor(check: () => boolean): Promise<void> {
  for (const started = Date.now(); !check(); ) {
    if (Date.now() - started > 10_000) throw new Error('timed out waiting for a webhook delivery');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
/** A link of the console's main menu (the pages link to each other too). */
function menu(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

const chromiumMissing = !fs.existsSync(CHROMIUM);
const underCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

if (chromiumMissing && underCi) {
  test('Chromium is installed for the admin console end-to-end test', () => {
    throw new Error(`No Chromium at ${CHROMIUM}: the admin console end-to-end test cannot run. Install it with ${INSTALL}.`);
  });
} else if (chromiumMissing) {
  console.warn(
    `\n!!!!!!!!!!\n!!! SKIPPING the admin console end-to-end test: no Chromium at ${CHROMIUM}.\n!!! Install it with ${INSTALL}.\n!!!!!!!!!!\n`,
  );
  test.skip('admin console end to end (needs Chromium)', () => undefined);
} else {
  describe('admin console in Chromium', () => {
    let h: Harness;
    let t: TestTenant;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    let graceId: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      ensureAdminBuild();
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      // Webhooks may reach the test's local receiver over plain http.
      h = await Harness.start({ WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1' });
      t = await h.tenant('console');
      for (const name of ['Billing', 'Support']) {
        const created = await h.graphql(t.tokens.admin, 'mutation($n: String!) { createTeam(input: { name: $n }) { userErrors { message } } }', { n: name });
        expect(created.body.data.createTeam.userErrors).toEqual([]);
      }
      // The person an admin just assigned in Okta, some colleagues, and one provisioning failure (a duplicate).
      const grace = await h.scim(
        'POST',
        '/Users',
        t.tokens.scim,
        oktaCreateUser('grace.hopper@console.example', { name: { givenName: 'Grace', familyName: 'Hopper' }, displayName: 'Grace Hopper', externalId: '00ugrace' }),
      );
      expect(grace.status).toBe(201);
      for (const user of ['ada.lovelace', 'alan.turing', 'edsger.dijkstra']) {
        expect((await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`${user}@console.example`, { externalId: `00u${user}` }))).status).toBe(201);
      }
      const duplicate = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('grace.hopper@console.example', { externalId: '00uother' }));
      expect(duplicate.status).toBe(409);
      await h.app.provisioningLog.flush(); // the log is written in batches just after the requests

      profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-chromium-'));
      // A fresh profile per run (playwright passes it as --user-data-dir); nothing is downloaded, Debian's build is used.
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        timeout: 30_000,
        viewport: { width: 1366, height: 900 },
        locale: 'en-US',
        timezoneId: 'UTC',
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

    const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `admin-${name}.png`), fullPage: true });

    test('signs in with an admin token kept in session storage, never in the URL; a bad token is refused', async () => {
      await page.goto(`${h.baseUrl}/admin`);
      await page.getByLabel('Admin token').waitFor();
      await shot('sign-in');

      await page.getByLabel('Admin token').fill('rc_admin_notarealtoken');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('This token is not valid').waitFor();
      await page.getByLabel('Admin token').fill(t.tokens.scim);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('This is a SCIM token').waitFor();

      await page.getByLabel('Admin token').fill(t.tokens.admin);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Employees' }).waitFor();
      expect(page.url()).not.toContain(t.tokens.admin);
      expect(await page.evaluate("sessionStorage.getItem('rollcall.adminToken')")).toBe(t.tokens.admin);
      expect(await page.evaluate('localStorage.length')).toBe(0);
      await page.getByText('1–4 of 4 employees').waitFor();
      pageErrors.length = 0; // the refused tokens above were logged as failed requests, as they should be
    });

    test('finds the SCIM-provisioned person by searching as you type, without a query per keystroke', async () => {
      let searches = 0;
      const count = (request: { url(): string; postData(): string | null }) => {
        if (request.url().endsWith('/graphql') && request.postData()?.includes('query Employees')) searches++;
      };
      page.on('request', count);
      await page.getByLabel('Search').click();
      await page.keyboard.type('hopper', { delay: 30 });
      await page.getByText('1–1 of 1 employees').waitFor();
      page.off('request', count);
      expect(searches).toBeGreaterThanOrEqual(1);
      expect(searches).toBeLessThan('hopper'.length);

      // One identity column: her username is her email. The name reads as the Name sort orders it.
      const row = page.getByRole('row', { name: /Hopper, Grace/ });
      await expect(row.getByRole('cell').allInnerTexts()).resolves.toEqual([
        'Hopper, Grace',
        'grace.hopper@console.example',
        'Active',
        'Agent',
        '—',
        'Identity provider',
      ]);
      await shot('employees');
    });

    test('the employee page (opened with the keyboard) shows IdP-owned fields read-only with the note, and saves a team change', async () => {
      // From the search box, Tab passes the four filters and the three sort buttons of the column headers and reaches
      // the result; Enter opens it.
      await page.getByLabel('Search').focus();
      for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
      await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Hopper, Grace');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
      await expect(page.evaluate('document.activeElement.id')).resolves.toBe('main');
      graceId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

      await expect(page.getByTestId('idp-note').innerText()).resolves.toContain('Managed by your identity provider.');
      for (const label of ['Username', 'Email', 'First name', 'Last name', 'Status']) {
        const field = page.getByLabel(label, { exact: true });
        expect({ label, readOnly: await field.getAttribute('readonly') }).toEqual({ label, readOnly: '' });
      }
      await expect(page.getByLabel('Username', { exact: true }).inputValue()).resolves.toBe('grace.hopper@console.example');
      await expect(page.getByLabel('Team').isEnabled()).resolves.toBe(true);
      await expect(page.getByLabel('Display name').getAttribute('readonly')).resolves.toBeNull();
      await page.getByRole('heading', { name: /Audit history \(1\)/ }).waitFor();
      await page.locator('#provisioning').getByText(/^POST \/scim\/v2\/Users$/).first().waitFor();
      expect(await page.getByTestId('warnings-note').count()).toBe(0); // every value Okta sent for her was used
      await shot('employee');

      await page.getByLabel('Team').selectOption({ label: 'Support' });
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Saved.').waitFor();

      const support = await h.dataSource.manager.findOneByOrFail(Team, { tenantId: t.tenant.id, name: 'Support' });
      const row = await h.dataSource.manager.findOneByOrFail(Employee, { tenantId: t.tenant.id, username: 'grace.hopper@console.example' });
      expect(row.teamId).toBe(support.id);
      const api = await h.graphql(t.tokens.admin, 'query($id: ID!) { employee(id: $id) { team { name } } }', { id: graceId });
      expect(api.body.data.employee.team).toEqual({ name: 'Support' });
      await page.getByRole('heading', { name: /Audit history \(2\)/ }).waitFor();
      // The history names the team (and the role and authenticator of the SCIM create): no database id is shown.
      await expect(page.locator('#audit li[data-field="teamId"]').first().innerText()).resolves.toBe('Team: — → Support');
      await expect(page.locator('#audit li[data-field="primaryRoleId"]').innerText()).resolves.toBe('Primary role: — → Agent');
      expect(await page.locator('#audit').innerText()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
      await shot('employee-history');
    });

    test('a refused value is shown next to its field and nothing is written', async () => {
      const before = await h.employeeRow(t.tenant.id, (await h.dataSource.manager.findOneByOrFail(Employee, { tenantId: t.tenant.id, username: 'grace.hopper@console.example' })).id);
      await page.getByLabel('Mobile number').fill('not a phone');
      await page.getByLabel('Display name').fill('Amazing Grace');
      await page.getByRole('button', { name: 'Save changes' }).click();
      const error = page.locator('#field-mobileNumber-error');
      await error.waitFor();
      await expect(error.getAttribute('data-code')).resolves.toBe('INVALID_VALUE');
      await expect(page.getByLabel('Mobile number').getAttribute('aria-invalid')).resolves.toBe('true');
      const after = await h.employeeRow(t.tenant.id, before!.id);
      expect(after).toEqual(before);
      await page.getByRole('button', { name: 'Discard changes' }).click();
    });

    test('a locked field forced through the API is refused with IDP_MANAGED_FIELD and the row stays as it was', async () => {
      const before = await h.dataSource.manager.findOneByOrFail(Employee, { tenantId: t.tenant.id, username: 'grace.hopper@console.example' });
      // The same request the browser would send, from the signed-in page itself.
      const token = await page.evaluate<string>("sessionStorage.getItem('rollcall.adminToken')");
      const answer = await page.evaluate(
        async ({ id, token }) => {
          const response = await fetch('/graphql', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify({
              query: 'mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code field } } }',
              variables: { input: { id, username: 'someone.else@console.example', teamId: null } },
            }),
          });
          return (await response.json()) as { data: { updateEmployee: unknown } };
        },
        { id: graceId, token },
      );
      expect(answer.data.updateEmployee).toEqual({ employee: null, userErrors: [{ code: 'IDP_MANAGED_FIELD', field: ['input', 'username'] }] });
      expect(await h.employeeRow(t.tenant.id, before.id)).toEqual(before);
    });

    test('settings: SCIM import choices are saved', async () => {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      for (const name of [/Mobile number/, /Time zone/, /Primary role/]) await page.getByRole('checkbox', { name }).check();
      await page.getByRole('button', { name: 'Save SCIM import settings' }).click();
      await page.locator('#import').getByText('Saved.').waitFor();
      const settings = await h.graphql(t.tokens.admin, '{ tenantSettings { scimImportFields } }');
      expect([...settings.body.data.tenantSettings.scimImportFields].sort()).toEqual(['MOBILE_NUMBER', 'PRIMARY_ROLE', 'TIME_ZONE']);
    });

    test('settings: the username format and default phone region are saved (a bad region is refused next to its field), and then a non-email userName is provisioned', async () => {
      const emp1 = () => h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('emp1', { emails: [{ primary: true, value: 'emp1@console.example', type: 'work' }], externalId: '00uemp1' }));
      const settings = async () => (await h.graphql(t.tokens.admin, '{ tenantSettings { usernameFormat defaultPhoneRegion } }')).body.data.tenantSettings;
      // Under the default format, Microsoft's test userName is refused: the setting below is what lets it in.
      expect((await emp1()).status).toBe(400);
      expect(await settings()).toEqual({ usernameFormat: 'EMAIL', defaultPhoneRegion: null });
      const section = page.locator('#import');
      await expect(section.getByRole('radio', { name: /^Email address/ }).isChecked()).resolves.toBe(true);

      await section.getByRole('radio', { name: /^Any text/ }).check();
      await page.getByLabel('Default phone region').fill('ZZ');
      await page.getByRole('button', { name: 'Save SCIM import settings' }).click();
      const error = page.locator('#phone-region-error');
      await error.waitFor();
      await expect(error.getAttribute('data-code')).resolves.toBe('INVALID_VALUE');
      await expect(page.getByLabel('Default phone region').getAttribute('aria-invalid')).resolves.toBe('true');
      expect(await settings()).toEqual({ usernameFormat: 'EMAIL', defaultPhoneRegion: null }); // nothing written, the format neither

      await page.getByLabel('Default phone region').fill('us');
      await expect(page.getByLabel('Default phone region').inputValue()).resolves.toBe('US'); // a code reads in capitals
      await page.getByRole('button', { name: 'Save SCIM import settings' }).click();
      await section.getByText('Saved.').waitFor();
      await error.waitFor({ state: 'detached' });
      expect(await settings()).toEqual({ usernameFormat: 'ANY', defaultPhoneRegion: 'US' });
      await expect(section.getByRole('radio', { name: /^Any text/ }).isChecked()).resolves.toBe(true);
      await section.screenshot({ path: path.join(SCREENSHOTS, 'admin-settings-import.png') });

      const created = await emp1();
      expect(created.status).toBe(201);
      const row = await h.employeeRow(t.tenant.id, created.body.id);
      expect(row).toMatchObject({ username: 'emp1', email: 'emp1@console.example' });
    });

    test('settings: a team is renamed in place with the keyboard; a duplicate name is refused next to the field', async () => {
      const teams = page.locator('#teams');
      const heightOf = async (selector: string) => (await teams.locator(selector).boundingBox())!.height;
      const rowHeight = await heightOf('tbody tr:has-text("Support")');
      await teams.getByRole('button', { name: 'Edit Support' }).click();
      const name = teams.getByRole('textbox', { name: 'Name', exact: true }).first();
      await expect(page.evaluate('document.activeElement.getAttribute("aria-label") + "/" + document.activeElement.value')).resolves.toBe('Name/Support');
      expect(Math.abs((await heightOf('tr.editing')) - rowHeight)).toBeLessThanOrEqual(1); // no layout jump

      await name.fill('billing');
      await page.keyboard.press('Enter');
      const error = teams.locator('tr.editing .field-error');
      await error.waitFor();
      await expect(error.getAttribute('data-code')).resolves.toBe('UNIQUENESS');
      await expect(name.getAttribute('aria-invalid')).resolves.toBe('true');
      await shot('settings-edit');
      await page.keyboard.press('Escape');
      await expect(page.evaluate('document.activeElement.getAttribute("aria-label")')).resolves.toBe('Edit Support');
      expect(await h.dataSource.manager.countBy(Team, { tenantId: t.tenant.id, name: 'Support' })).toBe(1);

      await page.keyboard.press('Enter'); // the focused Edit button opens the row again
      await name.fill('Support, nights');
      await page.keyboard.press('Enter');
      await teams.locator('tr.editing').waitFor({ state: 'detached' });
      await teams.getByRole('cell', { name: 'Support, nights', exact: true }).waitFor();
      await expect(page.evaluate('document.activeElement.getAttribute("aria-label")')).resolves.toBe('Edit Support, nights');
      const api = await h.graphql(t.tokens.admin, '{ teams(first: 10) { nodes { name } } }');
      expect(api.body.data.teams.nodes.map((n: { name: string }) => n.name).sort()).toEqual(['Billing', 'Support, nights']);
    });

    test('settings: a new SCIM token is shown once and works, and revoking it stops it', async () => {
      await page.getByLabel('Name', { exact: true }).last().fill('Okta staging');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = await page.getByLabel('New token secret').inputValue();
      expect(secret).toMatch(/^rc_scim_/);
      expect((await h.scim('GET', '/Users?count=1', secret)).status).toBe(200);
      await page.getByRole('row', { name: /Okta staging/ }).waitFor();
      await shot('settings');

      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByRole('row', { name: /Okta staging/ }).getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('button', { name: 'Revoke Okta staging' }).click();
      await page.getByRole('row', { name: /Okta staging/ }).getByText(/^Revoked/).waitFor();
      expect((await h.scim('GET', '/Users?count=1', secret)).status).toBe(401);
      await page.reload();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      expect(await page.getByLabel('New token secret').count()).toBe(0);
    });

    test('provisioning lists the failed SCIM requests with their detail', async () => {
      await h.app.provisioningLog.flush();
      await page.getByRole('link', { name: 'Provisioning' }).click();
      await page.getByRole('heading', { name: 'Provisioning' }).waitFor();
      await page.getByText('2 failed requests in the log').waitFor(); // the duplicate, and emp1 before usernames could be any text
      // The status opens a row's text; '409' anywhere also matched another row's id or time.
      const failure = page.locator('.events > li').filter({ hasText: /^\s*409/ });
      expect(await page.locator('.events > li').count()).toBe(2);
      await failure.locator('summary').click();
      await page.getByText('uniqueness', { exact: true }).waitFor();
      await shot('provisioning');
    });

    test('provisioning: values a SCIM create could not use are skipped, and Warnings lists each with the value sent and why', async () => {
      // Imported, but unusable: an abbreviation for a time zone and a role Rollcall does not have. The national mobile
      // number is usable, and read with the tenant's region (US, set above).
      const created = await h.scim(
        'POST',
        '/Users',
        t.tokens.scim,
        oktaCreateUser('linus.torvalds@console.example', {
          name: { givenName: 'Linus', familyName: 'Torvalds' },
          externalId: '00ulinus',
          timezone: 'PST',
          phoneNumbers: [{ type: 'mobile', value: '312-320-1707', primary: true }],
          [EXT]: { primaryRole: 'Wizard' },
        }),
      );
      expect(created.status).toBe(201);
      const agent = await h.dataSource.query('SELECT id FROM roles WHERE tenant_id = $1 AND name = $2', [t.tenant.id, 'Agent']);
      expect(await h.employeeRow(t.tenant.id, created.body.id)).toMatchObject({ timeZone: null, mobileNumber: '312-320-1707', primaryRoleId: agent[0].id });
      await h.app.provisioningLog.flush();
      const logged = await h.graphql(t.tokens.admin, '{ provisioningEvents(outcome: WARNING, first: 10) { nodes { userName warnings { attribute value reason } } } }');
      const [event] = logged.body.data.provisioningEvents.nodes;
      expect(logged.body.data.provisioningEvents.nodes).toHaveLength(1);
      expect(event.userName).toBe('linus.torvalds@console.example');
      const byAttribute = Object.fromEntries((event.warnings as { attribute: string; value: string; reason: string }[]).map((w) => [w.attribute, w]));
      expect(Object.keys(byAttribute).sort()).toEqual(['timezone', `${EXT}:primaryRole`]);

      // The page still opens on failures; the warning is not one.
      await page.reload();
      await page.getByText('2 failed requests in the log').waitFor();
      expect(await page.locator('.events > li').filter({ hasText: 'linus.torvalds' }).count()).toBe(0);
      await page.getByRole('radio', { name: 'Warnings' }).check();
      await page.getByText('1 request with skipped values in the log').waitFor();
      // What was skipped, and why, without opening the row.
      const summary = page.locator('.events > li').filter({ hasText: 'linus.torvalds@console.example' });
      await expect(summary.innerText()).resolves.toContain('Skipped: Time zone “PST”, Primary role “Wizard”');
      await expect(summary.innerText()).resolves.toContain('No role named "Wizard" exists in Rollcall.');
      await expect(summary.locator('.event-row [data-outcome]').getAttribute('data-outcome')).resolves.toBe('WARNING');
      expect(await page.locator('.events > li').count()).toBe(1);
      await summary.locator('summary').click();
      const rows = page.locator('.events details[open] .warnings-table tbody tr');
      const shown = (attribute: string) => page.locator(`.events details[open] .warnings-table tr[data-attribute="${attribute}"] td`).allInnerTexts();
      expect(await rows.count()).toBe(2);
      expect(await shown('timezone')).toEqual(['Time zone\ntimezone', 'PST', byAttribute.timezone.reason]);
      expect(byAttribute.timezone.reason).toMatch(/abbreviation/);
      expect(await shown(`${EXT}:primaryRole`)).toEqual([`Primary role\n${EXT}:primaryRole`, 'Wizard', byAttribute[`${EXT}:primaryRole`].reason]);
      expect(byAttribute[`${EXT}:primaryRole`].reason).toBe('No role named "Wizard" exists in Rollcall. The default role was given.');
      await shot('provisioning-warnings');

      // "All requests" shows it too, among the successes.
      await page.getByRole('radio', { name: 'All requests' }).check();
      await page.locator('.events > li').filter({ hasText: /^\s*409/ }).waitFor();
      await expect(page.locator('.events > li').filter({ hasText: 'linus.torvalds' }).innerText()).resolves.toContain('Skipped: Time zone');
    });

    test("the employee's page says which values the identity provider sent that Rollcall could not use, and shows the E.164 form of the mobile number", async () => {
      await page.reload();
      await page.getByRole('radio', { name: 'Warnings' }).check();
      await page.locator('.events > li').filter({ hasText: 'linus.torvalds' }).locator('summary').click();
      await page.locator('.events details[open]').getByRole('link', { name: 'linus.torvalds@console.example' }).click();
      await page.getByRole('heading', { name: 'Linus Torvalds' }).waitFor();
      const note = page.getByTestId('warnings-note');
      await expect(note.locator('p').first().innerText()).resolves.toMatch(/^The identity provider sent values Rollcall could not use\./);
      await expect(note.getByText(/^POST \/scim\/v2\/Users$/).count()).resolves.toBe(1);
      await expect(note.locator('tr[data-attribute="timezone"] td').allInnerTexts()).resolves.toEqual([
        'Time zone\ntimezone',
        'PST',
        '"PST" is an abbreviation, not a time zone: send an IANA name such as "America/Los_Angeles". It was not stored.',
      ]);
      await expect(note.locator(`tr[data-attribute="${EXT}:primaryRole"] td`).nth(1).innerText()).resolves.toBe('Wizard');
      // The same request in the employee's provisioning events, with its warnings.
      await expect(page.locator('#provisioning').innerText()).resolves.toContain('Skipped Time zone “PST”');

      // The mobile number as Okta sent it, and beside it the E.164 form derived with the tenant's region.
      await expect(page.getByLabel('Mobile number').inputValue()).resolves.toBe('312-320-1707');
      await expect(page.getByTestId('mobile-e164').innerText()).resolves.toBe('E.164: +13123201707');
      const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
      const api = await h.graphql(t.tokens.admin, 'query($id: ID!) { employee(id: $id) { mobileNumber mobileNumberE164 timeZone primaryRole { name } } }', { id });
      expect(api.body.data.employee).toEqual({ mobileNumber: '312-320-1707', mobileNumberE164: '+13123201707', timeZone: null, primaryRole: { name: 'Agent' } });
      // While another number is typed, the stored number's form is not shown beside it.
      await page.getByLabel('Mobile number').fill('+44 20 7946 0018');
      expect(await page.getByTestId('mobile-e164').count()).toBe(0);
      await page.getByRole('button', { name: 'Discard changes' }).click();
      await page.getByTestId('mobile-e164').waitFor();
      await shot('employee-warnings');
    });

    test('the list sorts by a column; its search, filters and sort are in the URL and survive a reload', async () => {
      const usernames = () => page.locator('.employees-table tbody tr .cell-identity .mono').allInnerTexts();
      /** The usernames the API gives for this order, the first 25 (a page). */
      const expected = async (field: string, direction: string, filter: Record<string, unknown> = {}) => {
        const result = await h.graphql(
          t.tokens.admin,
          'query($o: EmployeeOrder, $f: EmployeeFilter) { employees(first: 25, orderBy: $o, filter: $f) { nodes { username } } }',
          { o: { field, direction }, f: filter },
        );
        return (result.body.data.employees.nodes as { username: string }[]).map((n) => n.username);
      };
      const shows = async (want: string[]) => {
        const deadline = Date.now() + 10_000;
        let got = await usernames();
        while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < deadline) {
          await page.waitForTimeout(50);
          got = await usernames();
        }
        expect(got).toEqual(want);
      };
      const header = (name: string) => page.locator('.employees-table th').filter({ hasText: new RegExp(`^${name}`) });

      const query = async (want: string) => {
        const deadline = Date.now() + 5_000;
        while (new URL(page.url()).search !== want && Date.now() < deadline) await page.waitForTimeout(50);
        expect(new URL(page.url()).search).toBe(want);
      };
      await page.getByRole('link', { name: 'Employees', exact: true }).click();
      await page.getByLabel('Search').fill('hopper');
      await page.getByText('1–1 of 1 employees').waitFor();
      await query('?q=hopper');
      // Back from an employee: the same list, from its URL.
      await page.getByRole('link', { name: 'Hopper, Grace' }).click();
      await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
      await page.goBack();
      await page.getByText('1–1 of 1 employees').waitFor();
      await expect(page.getByLabel('Search').inputValue()).resolves.toBe('hopper');
      await query('?q=hopper');
      // The menu's link has no query: the list stays as it was, and the URL shows it again.
      await page.getByRole('link', { name: 'Employees', exact: true }).click();
      await query('?q=hopper');
      await expect(page.getByLabel('Search').inputValue()).resolves.toBe('hopper');

      await page.getByLabel('Search').fill('');
      await shows(await expected('USERNAME', 'ASC'));
      await query('');
      await expect(header('Username').getAttribute('aria-sort')).resolves.toBe('ascending');

      // Username and email share a column (one value when they are the same): its header has a button for each.
      const emailButton = header('Username').getByRole('button', { name: /^Email/ });
      await emailButton.click();
      await shows(await expected('EMAIL', 'ASC'));
      await expect(header('Username').getAttribute('aria-sort')).resolves.toBe('ascending');
      await expect(emailButton.locator('.sort-mark').innerText()).resolves.toBe('▲');
      await expect(header('Name').getAttribute('aria-sort')).resolves.toBe('none');
      await emailButton.click();
      await shows(await expected('EMAIL', 'DESC'));
      await expect(header('Username').getAttribute('aria-sort')).resolves.toBe('descending');
      await query('?sort=email&order=desc');

      // Name sorts by last name, then first name (the Name column shows "Last, First"); a filter keeps the sort.
      await header('Name').getByRole('button').click();
      await page.getByLabel('Status').selectOption('ACTIVE');
      const byLastName = await expected('NAME', 'ASC', { status: 'ACTIVE' });
      expect(byLastName.length).toBeGreaterThan(2);
      await shows(byLastName);
      await query('?status=ACTIVE&sort=name');
      const url = page.url();

      await page.reload();
      await shows(byLastName);
      expect(page.url()).toBe(url);
      await expect(page.getByLabel('Status').inputValue()).resolves.toBe('ACTIVE');
      await expect(header('Name').getAttribute('aria-sort')).resolves.toBe('ascending');

      // A link someone sent: its list is shown; values the console does not know are dropped, not sent to the API.
      await page.goto(`${h.baseUrl}/admin/employees?q=turing&status=BOGUS&sort=email&order=desc`);
      await page.getByText('1–1 of 1 employees').waitFor();
      await expect(page.getByLabel('Search').inputValue()).resolves.toBe('turing');
      await expect(page.getByLabel('Status').inputValue()).resolves.toBe('');
      await shows(['alan.turing@console.example']);
      await query('?q=turing&sort=email&order=desc');
      await shot('employees-sorted');

      // A stale link: the role no longer exists (dropped, not sent), the team does (kept, and the list filtered by it).
      const teams = await h.graphql(t.tokens.admin, '{ teams(first: 100) { nodes { id name } } }');
      const support = (teams.body.data.teams.nodes as { id: string; name: string }[]).find((n) => n.name.startsWith('Support'))!;
      const sent: string[] = [];
      const record = (request: { url(): string; postData(): string | null }) => {
        if (request.url().endsWith('/graphql') && request.postData()?.includes('query Employees')) sent.push(request.postData()!);
      };
      page.on('request', record);
      await page.goto(`${h.baseUrl}/admin/employees?role=Um9sZTpnb25l&team=${encodeURIComponent(support.id)}`);
      await page.getByText('1–1 of 1 employees').waitFor();
      page.off('request', record);
      await shows(['grace.hopper@console.example']);
      await query(`?team=${encodeURIComponent(support.id)}`);
      await expect(page.getByLabel('Role').inputValue()).resolves.toBe('');
      await expect(page.getByLabel('Team').inputValue()).resolves.toBe(support.id);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.filter((body) => body.includes('Um9sZTpnb25l'))).toEqual([]);
    });

    test('webhooks: the secret is shown once, a SCIM change is delivered and redelivered, the endpoint is disabled; Events lists the change', async () => {
      // A receiver on a local port that records each delivery (its webhook-id and body type) and answers 204.
      const received: { id: string; type: string }[] = [];
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        req.on('end', () => {
          received.push({ id: String(req.headers['webhook-id']), type: (JSON.parse(body) as { type: string }).type });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      // Long, so that the narrow layout has to wrap it.
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/rollcall/directory-sync/${'contact-center-routing-'.repeat(3)}receiver`;
      const endpointsOverApi = async () =>
        (await h.graphql(t.tokens.admin, '{ webhookEndpoints { id url enabled secretPrefix eventTypes description } }')).body.data.webhookEndpoints as {
          id: string;
          url: string;
          enabled: boolean;
          secretPrefix: string;
          eventTypes: string[];
          description: string | null;
        }[];
      try {
        await menu(page, 'Webhooks').click();
        await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
        await page.getByText('No webhook endpoints yet.').waitFor();

        // A refused URL: the API's userError is shown under the URL field, and nothing is written.
        const form = page.getByRole('form', { name: 'Create endpoint' });
        await form.getByLabel('URL').fill('ftp://hooks.console.example/rollcall');
        await form.getByRole('button', { name: 'Create endpoint' }).click();
        await expect(page.locator('#new-endpoint-url-error').innerText()).resolves.toMatch(/https:\/\//);
        await expect(page.locator('#new-endpoint-url-error').getAttribute('data-code')).resolves.toBe('INVALID_VALUE');
        expect(await endpointsOverApi()).toEqual([]);

        // Created with every event type (checked by default) but group.deleted: the secret is shown once, whole.
        await form.getByLabel('URL').fill(url);
        await form.getByLabel('Description').fill('Routing (ACD) sync');
        await form.getByRole('checkbox', { name: /group\.deleted/ }).uncheck();
        await form.getByRole('button', { name: 'Create endpoint' }).click();
        const secretBox = page.getByTestId('new-secret');
        await secretBox.waitFor();
        await expect(secretBox.innerText()).resolves.toContain('You will not see this secret again');
        const secret = await page.getByLabel('Signing secret').inputValue();
        expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
        // The box shows every character: nothing is scrolled out of view.
        await expect(page.getByLabel('Signing secret').evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight)).resolves.toBe(true);
        await expect(page.locator('#new-endpoint-url-error').count()).resolves.toBe(0);
        const [endpoint] = await endpointsOverApi();
        expect(endpoint).toMatchObject({ url, enabled: true, description: 'Routing (ACD) sync' });
        expect(endpoint.eventTypes).not.toContain('GROUP_DELETED');
        expect(endpoint.eventTypes).toContain('EMPLOYEE_CREATED');
        expect(secret.startsWith(endpoint.secretPrefix)).toBe(true);
        // The endpoint's page reads it by global id (Query.node), with a read token too.
        const node = await h.graphql(t.tokens.read, 'query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { id url deliveries { totalCount } } } }', { id: endpoint.id });
        expect(node.body.data.node).toEqual({ id: endpoint.id, url, deliveries: { totalCount: 0 } });
        const stranger = await h.tenant('console-other');
        const elsewhere = await h.graphql(stranger.tokens.admin, 'query($id: ID!) { node(id: $id) { id } }', { id: endpoint.id });
        expect(elsewhere.body.data.node).toBeNull();
        await shot('webhooks-created');

        // After a reload the secret is gone for good; the endpoint shows only its prefix.
        await page.reload();
        await page.locator(`li.endpoint[data-url="${url}"]`).waitFor();
        await expect(page.getByTestId('new-secret').count()).resolves.toBe(0);
        await expect(page.getByText(secret).count()).resolves.toBe(0);
        await expect(page.content()).resolves.not.toContain(secret);
        await page.locator(`li.endpoint[data-url="${url}"]`).getByText(`${endpoint.secretPrefix}…`).waitFor();

        // A SCIM change reaches the receiver, and the delivery log shows it as DELIVERED after one attempt.
        await page.getByRole('link', { name: url }).click();
        await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
        await page.getByText('Nothing has been sent to this endpoint yet.').waitFor();
        const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('margaret.hamilton@console.example', {
            name: { givenName: 'Margaret', familyName: 'Hamilton' },
            displayName: 'Margaret Hamilton',
            externalId: '00umargaret',
          }));
        expect(created.status).toBe(201);
        await waitFor(() => received.some((r) => r.type === 'employee.created'));
        await page.getByRole('button', { name: 'Refresh' }).click();
        const row = page.locator('table.deliveries tbody tr').first();
        await row.locator('[data-status="DELIVERED"]').waitFor();
        await expect(row.locator('td[data-column="attempts"]').innerText()).resolves.toBe('1');
        await expect(row.innerText()).resolves.toContain('employee.created');
        await expect(row.innerText()).resolves.toContain('204');
        const sequence = Number(await row.getAttribute('data-sequence'));
        expect(sequence).toBeGreaterThan(0);

        // Redeliver sends the same event again (same webhook-id) and the attempt is counted.
        await row.getByRole('button', { name: `Redeliver event ${sequence}` }).click();
        await page.getByText(`Sent event #${sequence} again: delivered.`).waitFor();
        await expect(row.locator('td[data-column="attempts"]').innerText()).resolves.toBe('2');
        expect(received.length).toBe(2);
        expect(received[1]).toEqual(received[0]);
        await shot('webhook-deliveries');

        // Disabled by an admin: the badge says so (no Rollcall reason), and the API agrees.
        await page.getByRole('button', { name: 'Disable', exact: true }).click();
        await page.getByRole('button', { name: 'Enable', exact: true }).waitFor();
        await expect(page.locator('.page-header .badge').innerText()).resolves.toBe('Disabled');
        await expect(page.getByTestId('disabled-reason').count()).resolves.toBe(0);
        expect((await endpointsOverApi())[0].enabled).toBe(false);

        // Edit: a private address is refused under the URL field with nothing written; then the description and types change.
        await page.getByRole('button', { name: 'Edit', exact: true }).click();
        const edit = page.getByRole('form', { name: 'Save changes' });
        await edit.getByLabel('URL').fill('https://10.0.0.1/hook');
        await edit.getByRole('button', { name: 'Save changes' }).click();
        await expect(page.locator('#edit-endpoint-url-error').innerText()).resolves.toContain('public');
        expect((await endpointsOverApi())[0].url).toBe(url);
        await edit.getByLabel('URL').fill(url);
        await edit.getByLabel('Description').fill('Routing (ACD) sync, nights');
        await edit.getByRole('checkbox', { name: /employee\.updated/ }).uncheck();
        await edit.getByRole('button', { name: 'Save changes' }).click();
        await page.getByRole('button', { name: 'Edit', exact: true }).waitFor();
        const edited = (await endpointsOverApi())[0];
        expect(edited).toMatchObject({ url, description: 'Routing (ACD) sync, nights', enabled: false });
        expect(edited.eventTypes).not.toContain('EMPLOYEE_UPDATED');
        expect(edited.eventTypes).toContain('EMPLOYEE_CREATED');

        // Disabled by Rollcall after 3 days of failures (as the dispatcher leaves it): the reason is shown at the top.
        const reason = 'Every delivery failed for 3 days (last: HTTP 503 Service Unavailable).';
        await h.dataSource.query(`UPDATE webhook_endpoints SET disabled_reason = $1, failing_since = now() - interval '3 days' WHERE tenant_id = $2`, [
          reason,
          t.tenant.id,
        ]);
        await page.reload();
        await expect(page.getByTestId('disabled-reason').innerText()).resolves.toContain(reason);
        await expect(page.locator('.page-header .badge').innerText()).resolves.toBe('Disabled by Rollcall');
        await shot('webhook-disabled');
        await menu(page, 'Webhooks').click();
        await expect(page.locator(`li.endpoint[data-url="${url}"]`).getByTestId('disabled-reason').innerText()).resolves.toContain(reason);

        // The Events view lists the change with its type, actor and employee (filtered to employee.created).
        await menu(page, 'Events').click();
        await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
        await page.getByLabel('Type').selectOption('EMPLOYEE_CREATED');
        // The unfiltered page stays on screen until the filtered one arrives.
        await page.locator('ul.feed li:not([data-type="EMPLOYEE_CREATED"])').first().waitFor({ state: 'detached' });
        await expect(page.locator('ul.feed li:not([data-type="EMPLOYEE_CREATED"])').count()).resolves.toBe(0);
        const event = page.locator(`ul.feed li[data-sequence="${sequence}"]`);
        await event.waitFor();
        const summary = await event.locator('.event-row').innerText();
        expect(summary).toContain('employee.created');
        expect(summary).toContain(`#${sequence}`);
        expect(summary).toContain('SCIM · test-scim');
        await event.locator('summary').click();
        await expect(event.locator('pre.event-data').innerText()).resolves.toContain('"username": "margaret.hamilton@console.example"');
        await shot('events');
        await event.getByRole('link', { name: 'margaret.hamilton@console.example' }).click();
        await page.getByRole('heading', { name: 'Margaret Hamilton' }).waitFor();

        // At a phone's width (375 px) nothing widens the page: the long URL wraps.
        await page.setViewportSize({ width: 375, height: 800 });
        try {
          const noOverflow = () => page.evaluate<number>('document.documentElement.scrollWidth');
          await menu(page, 'Webhooks').click();
          await page.locator(`li.endpoint[data-url="${url}"]`).waitFor();
          await expect(noOverflow()).resolves.toBeLessThanOrEqual(375);
          await shot('webhooks-375');
          await page.getByRole('link', { name: url }).click();
          await page.locator('table.deliveries [data-status="DELIVERED"]').first().waitFor();
          await expect(noOverflow()).resolves.toBeLessThanOrEqual(375);
          await page.getByRole('button', { name: 'Rotate secret' }).click();
          await page.getByRole('button', { name: 'Rotate secret now' }).click();
          await expect(page.getByTestId('new-secret').innerText()).resolves.toContain('24 hours');
          const rotated = await page.getByLabel('Signing secret').inputValue();
          expect(rotated).toMatch(/^whsec_/);
          expect(rotated).not.toBe(secret);
          await expect(page.getByLabel('Signing secret').evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight)).resolves.toBe(true);
          await expect(noOverflow()).resolves.toBeLessThanOrEqual(375);
          await shot('webhook-375');
          await menu(page, 'Events').click();
          await page.locator('ul.feed li').first().waitFor();
          await expect(noOverflow()).resolves.toBeLessThanOrEqual(375);
        } finally {
          await page.setViewportSize({ width: 1366, height: 900 });
        }

        // A read-only token sees the endpoint and its log, without the controls (a new tab: its own session).
        const reader = await context.newPage();
        try {
          await reader.goto(`${h.baseUrl}/admin/webhooks`);
          await reader.getByLabel('Admin token').fill(t.tokens.read);
          await reader.getByRole('button', { name: 'Sign in' }).click();
          await reader.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
          await reader.getByRole('link', { name: url }).waitFor();
          await expect(reader.getByRole('button', { name: 'Create endpoint' }).count()).resolves.toBe(0);
          await reader.getByRole('link', { name: url }).click();
          await reader.locator('table.deliveries [data-status="DELIVERED"]').first().waitFor();
          await expect(reader.getByRole('button', { name: /Redeliver|Delete|Enable|Edit/ }).count()).resolves.toBe(0);
        } finally {
          await reader.close();
        }

        // Deleting asks first; the endpoint and its log are gone.
        await menu(page, 'Webhooks').click();
        await page.getByRole('link', { name: url }).click();
        await page.getByRole('button', { name: 'Delete', exact: true }).click();
        await page.getByRole('button', { name: 'Delete endpoint and its log' }).click();
        await page.getByText('No webhook endpoints yet.').waitFor();
        expect(await endpointsOverApi()).toEqual([]);
      } finally {
        await new Promise<void>((resolve) => receiver.close(() => resolve()));
      }
    });

    test('a reload on a client route keeps the session; signing out forgets the token', async () => {
      await page.goto(`${h.baseUrl}/admin/employees/${encodeURIComponent(graceId)}`);
      await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
      // The team renamed in Settings is shown by its name now, in the fields and in the history.
      await expect(page.locator('#audit li[data-field="teamId"]').first().innerText()).resolves.toBe('Team: — → Support, nights');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Admin token').waitFor();
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });
}
