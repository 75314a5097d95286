import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
import { Employee } from '../src/entities';
import { oauthPlatformClientService } from '../src/services/oauth/platform-client.service';
import { CHROMIUM, CHROMIUM_ARGS, ensureAdminBuild } from './admin-console-support';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * The OAuth connections of issue 19 in a real browser (Debian's Chromium driven by playwright-core) against the real
 * server and database. The test plays Okta: an admin creates an Okta connection on the Connections page and copies
 * what to paste (the secret once); then the authorization code flow runs for real: Chromium opens
 * `GET /oauth/authorize` with PKCE, signs in on the consent page, approves, and lands on the test's own redirect
 * server on 127.0.0.1 with the code and the state; the code and the verifier are exchanged at `POST /oauth/token`
 * with the client secret, and the access token provisions a person over SCIM. Deny returns error=access_denied with
 * the state; a request of another tenant reads as unknown; both pages fit a 375-pixel phone. Screenshots go to
 * test-output/.
 */
const SCREENSHOTS = path.join(__dirname, '..', 'test-output');
const INSTALL = 'npm run setup:browser (apt-get install -y chromium)';

const chromiumMissing = !fs.existsSync(CHROMIUM);
const underCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** RFC 7636: a random verifier and its S256 challenge. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
}

/** Where Okta's browser would land: records each request's query and answers a plain page. */
class RedirectServer {
  readonly hits: URL[] = [];
  private readonly server = http.createServer((req, res) => {
    this.hits.push(new URL(req.url ?? '/', this.origin));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Okta</title><p>Back in Okta.</p>');
  });
  origin = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

if (chromiumMissing && underCi) {
  test('Chromium is installed for the OAuth console end-to-end test', () => {
    throw new Error(`No Chromium at ${CHROMIUM}: the OAuth console end-to-end test cannot run. Install it with ${INSTALL}.`);
  });
} else if (chromiumMissing) {
  console.warn(`\n!!!!!!!!!!\n!!! SKIPPING the OAuth console end-to-end test: no Chromium at ${CHROMIUM}.\n!!! Install it with ${INSTALL}.\n!!!!!!!!!!\n`);
  test.skip('OAuth console end to end (needs Chromium)', () => undefined);
} else {
  describe('OAuth connections and consent in Chromium', () => {
    let h: Harness;
    let t: TestTenant;
    let other: TestTenant;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    const okta = new RedirectServer();
    let redirectUri: string;
    /** The Okta connection as the page showed it. */
    let client: { id: string; clientId: string; secret: string };
    const pageErrors: string[] = [];

    const shot = (target: Page, name: string) => target.screenshot({ path: path.join(SCREENSHOTS, `oauth-${name}.png`), fullPage: true });
    const noOverflow = (target: Page) => target.evaluate<number>('document.documentElement.scrollWidth');

    /** `GET /oauth/authorize` as Okta builds it, for the test's client. */
    const authorizeUrl = (state: string, challenge: string) =>
      `${h.baseUrl}/oauth/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: redirectUri,
        state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }).toString()}`;

    /** `POST /oauth/token` (form-encoded); `basic` authenticates the client with client_secret_basic. */
    const token = async (form: Record<string, string>, basic?: [string, string]) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
      if (basic) headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
      const response = await fetch(`${h.baseUrl}/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
      return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
    };

    /** A new tab (its own sessionStorage: signed out) that reports script errors. */
    const newTab = async () => {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      return tab;
    };

    /** Opens the authorize URL in `tab`, signs in there if asked, and waits for the consent page. */
    const openConsent = async (tab: Page, state: string, challenge: string, adminToken?: string) => {
      await tab.goto(authorizeUrl(state, challenge));
      await tab.waitForURL(/\/admin\/consent\/[^/]+$/);
      if (adminToken) {
        await tab.getByText('An app asks for SCIM provisioning access').waitFor();
        await tab.getByLabel('Admin token').fill(adminToken);
        await tab.getByRole('button', { name: 'Sign in' }).click();
      }
    };

    beforeAll(async () => {
      ensureAdminBuild();
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await okta.start();
      // Okta's real callback is https on its admin site; the test's stand-in listens on loopback over plain http, which
      // a redirect URI may use (RFC 8252 §7.3).
      h = await Harness.start();
      t = await h.tenant('oauth-console');
      other = await h.tenant('oauth-console-other');
      redirectUri = `${okta.origin}/admin/app/cpc/rollcall_${'scim_provisioning_'.repeat(3)}1/oauth/callback`;

      profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
        timeout: 30_000,
        viewport: { width: 1280, height: 900 },
        locale: 'en-US',
        timezoneId: 'UTC',
      });
      context.setDefaultTimeout(10_000);
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (error) => pageErrors.push(error.message));
    });

    afterAll(async () => {
      await context?.close();
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
      await okta.close();
      await h?.close();
    });

    test('creates an Okta connection: what to paste into Okta is shown, and the client secret once', async () => {
      await page.goto(`${h.baseUrl}/admin/connections`);
      await page.getByLabel('Admin token').fill(t.tokens.admin);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
      await page.getByText('No connections yet.').waitFor();

      const form = page.getByRole('form', { name: 'Create connection' });
      await expect(form.getByRole('radio', { name: /^Okta/ }).isChecked()).resolves.toBe(true);
      // The redirect URI starts as Okta's callback with {appName} for the admin to fill in.
      await expect(form.getByLabel('Redirect URIs').inputValue()).resolves.toBe('https://system-admin.okta.com/admin/app/cpc/{appName}/oauth/callback');
      await form.getByLabel('Name').fill('Okta production');
      await form.getByLabel('Redirect URIs').fill(redirectUri);
      await form.getByRole('button', { name: 'Create connection' }).click();

      const created = page.locator('#created');
      await created.getByTestId('new-secret').waitFor();
      await expect(created.getByTestId('new-secret').innerText()).resolves.toContain('you will not see this secret again');
      const secret = await page.getByRole('textbox', { name: 'Client secret' }).inputValue();
      await expect(page.getByRole('textbox', { name: 'Client secret' }).evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight)).resolves.toBe(true);
      const shown = async (field: string) => created.locator(`.paste-row[data-field="${field}"] .paste-value`).innerText();

      const api = await h.graphql(
        t.tokens.admin,
        '{ oauthClients { id clientId name grantTypes redirectUris secrets { prefix } } oauthEndpoints { scimBaseUrl tokenUrl authorizeUrl } }',
      );
      expect(api.body.errors).toBeUndefined();
      const [row] = api.body.data.oauthClients;
      expect(row).toMatchObject({ name: 'Okta production', grantTypes: ['AUTHORIZATION_CODE'], redirectUris: [redirectUri] });
      const endpoints = api.body.data.oauthEndpoints;
      // Exactly what Okta's SCIM connection (Authentication Mode: OAuth 2) asks for.
      await expect(shown('SCIM connector base URL')).resolves.toBe(endpoints.scimBaseUrl);
      await expect(shown('Authorization endpoint URI')).resolves.toBe(endpoints.authorizeUrl);
      await expect(shown('Access token endpoint URI')).resolves.toBe(endpoints.tokenUrl);
      await expect(shown('Client ID')).resolves.toBe(row.clientId);
      expect(secret.startsWith(row.secrets[0].prefix)).toBe(true);
      expect(secret.length).toBeGreaterThan(row.secrets[0].prefix.length + 20);
      client = { id: row.id, clientId: row.clientId, secret };
      await shot(page, 'connection-created');

      // After a reload the secret is gone for good: only its prefix is listed.
      await page.reload();
      const item = page.locator(`li.connection[data-client-id="${client.clientId}"]`);
      await item.waitFor();
      await expect(page.getByTestId('new-secret').count()).resolves.toBe(0);
      await expect(page.content()).resolves.not.toContain(secret);
      await item.locator(`.secrets li[data-prefix="${row.secrets[0].prefix}"]`).waitFor();
      await expect(item.getByTestId('client-last-used').innerText()).resolves.toBe('Never');
      // Another tenant does not see it.
      const elsewhere = await h.graphql(other.tokens.admin, '{ oauthClients { id } }');
      expect(elsewhere.body.data.oauthClients).toEqual([]);
    });

    test('authorization code flow: Okta opens /oauth/authorize, the admin signs in on the consent page and approves, and the browser lands on the redirect URI with a code and the state', async () => {
      const tab = await newTab();
      try {
        const { challenge } = pkce();
        const state = base64url(randomBytes(12));
        await openConsent(tab, state, challenge, t.tokens.admin);
        const consent = tab.getByTestId('consent');
        await consent.waitFor();
        const text = await consent.innerText();
        expect(text).toContain('Okta production');
        expect(text).toContain(t.tenant.name);
        expect(text).toContain('SCIM provisioning access');
        // The admin token never reaches a URL; the page returns to itself after sign-in.
        expect(tab.url()).not.toContain(t.tokens.admin);
        await shot(tab, 'consent');

        await tab.getByRole('button', { name: 'Approve' }).click();
        await tab.waitForURL((url) => url.toString().startsWith(redirectUri));
        const landed = new URL(tab.url());
        expect(landed.origin + landed.pathname).toBe(redirectUri);
        expect(landed.searchParams.get('state')).toBe(state);
        const code = landed.searchParams.get('code');
        expect(code).toBeTruthy();
        // The redirect reached the stand-in for Okta (Chromium may ask it for a favicon too).
        expect(okta.hits.filter((hit) => hit.pathname === landed.pathname).at(-1)?.searchParams.get('code')).toBe(code);

        // A wrong verifier is refused (RFC 7636 §4.6; RFC 6749 §5.2: invalid_grant).
        const wrong = await token(
          { grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, code_verifier: pkce().verifier },
          [client.clientId, client.secret],
        );
        expect(wrong.status).toBe(400);
        expect(wrong.body.error).toBe('invalid_grant');
      } finally {
        await tab.close();
      }
    });

    test('the code and verifier are exchanged with the client secret, and the access token provisions a person over SCIM', async () => {
      const tab = await newTab();
      try {
        const { verifier, challenge } = pkce();
        const state = base64url(randomBytes(12));
        await openConsent(tab, state, challenge, t.tokens.admin);
        await tab.getByRole('button', { name: 'Approve' }).click();
        await tab.waitForURL((url) => url.toString().startsWith(redirectUri));
        const landed = new URL(tab.url());
        expect(landed.searchParams.get('state')).toBe(state);
        const code = landed.searchParams.get('code')!;

        // Okta sends the client id and secret in the form (client_secret_post).
        const granted = await token({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          client_id: client.clientId,
          client_secret: client.secret,
        });
        expect(granted.status).toBe(200);
        expect(granted.headers.get('cache-control')).toContain('no-store');
        expect(granted.body).toMatchObject({ token_type: expect.stringMatching(/^bearer$/i) });
        const accessToken = String(granted.body.access_token);
        expect(accessToken).toMatch(/^rc_oauth_/);
        expect(Number(granted.body.expires_in)).toBeGreaterThan(0);

        const created = await h.scim('POST', '/Users', accessToken, oktaCreateUser('katherine.johnson@oauth.example', { externalId: '00ukatherine' }));
        expect(created.status).toBe(201);
        const row = await h.dataSource.manager.findOneByOrFail(Employee, { tenantId: t.tenant.id, username: 'katherine.johnson@oauth.example' });
        expect(row.externalId).toBe('00ukatherine');
        // The token is for SCIM only, and for its own tenant only.
        const graphql = await h.graphql(accessToken, '{ viewer { scope } }');
        expect(graphql.body.data?.viewer ?? null).toBeNull();
        expect(await h.dataSource.manager.countBy(Employee, { tenantId: other.tenant.id })).toBe(0);
        await h.app.provisioningLog.flush();
        // The provisioning log names the connection as the actor.
        const log = await h.graphql(t.tokens.admin, '{ provisioningEvents(first: 5) { nodes { method path status actorName } } }');
        expect(log.body.data.provisioningEvents.nodes).toContainEqual({ method: 'POST', path: '/scim/v2/Users', status: 201, actorName: 'Okta production' });

        // The code is single use; presented again, it also revokes the tokens it gave (RFC 6749 §4.1.2).
        const again = await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, [client.clientId, client.secret]);
        expect(again.status).toBe(400);
        expect(again.body.error).toBe('invalid_grant');
        expect((await h.scim('GET', '/Users?count=1', accessToken)).status).toBe(401);

        // The Connections page shows the client and its secret as used.
        await page.reload();
        const item = page.locator(`li.connection[data-client-id="${client.clientId}"]`);
        await expect(item.getByTestId('client-last-used').innerText()).resolves.not.toBe('Never');
        await expect(item.getByTestId('secret-last-used').first().innerText()).resolves.not.toBe('Last used never');
      } finally {
        await tab.close();
      }
    });

    test('Deny returns error=access_denied with the state, and no code', async () => {
      const tab = await newTab();
      try {
        const state = base64url(randomBytes(12));
        await openConsent(tab, state, pkce().challenge, t.tokens.admin);
        await tab.getByTestId('consent').waitFor();
        await tab.getByRole('button', { name: 'Deny' }).click();
        await tab.waitForURL((url) => url.toString().startsWith(redirectUri));
        const landed = new URL(tab.url());
        expect(landed.searchParams.get('error')).toBe('access_denied');
        expect(landed.searchParams.get('state')).toBe(state);
        expect(landed.searchParams.get('code')).toBeNull();

        // Signed in in this tab: the next request goes straight to the consent page.
        const next = base64url(randomBytes(12));
        await openConsent(tab, next, pkce().challenge);
        await tab.getByTestId('consent').waitFor();
      } finally {
        await tab.close();
      }
    });

    test('a request is unknown to an admin of another tenant and to a read token; an unknown client or redirect URI gets an error page, never a redirect', async () => {
      for (const [who, value] of [
        ['other tenant', other.tokens.admin],
        ['read token', t.tokens.read],
      ] as const) {
        const tab = await newTab();
        try {
          await openConsent(tab, base64url(randomBytes(12)), pkce().challenge, value);
          await tab.getByTestId('consent-unknown').waitFor();
          expect({ who, approve: await tab.getByRole('button', { name: 'Approve' }).count() }).toEqual({ who, approve: 0 });
          await expect(tab.getByTestId('consent-unknown').innerText()).resolves.not.toContain('Okta production');
        } finally {
          await tab.close();
        }
      }

      const unregistered = authorizeUrl('s', pkce().challenge).replace(encodeURIComponent(redirectUri), encodeURIComponent(`${okta.origin}/elsewhere`));
      const unknownClient = authorizeUrl('s', pkce().challenge).replace(client.clientId, 'rc_client_unknown');
      for (const url of [unregistered, unknownClient]) {
        const response = await fetch(url, { redirect: 'manual' });
        expect({ url, status: response.status, location: response.headers.get('location') }).toEqual({ url, status: 400, location: null });
        expect(response.headers.get('content-type')).toContain('text/html');
      }
    });

    test('at 375 px and 1280 px the Connections and consent pages do not overflow sideways', async () => {
      const tab = await newTab();
      try {
        await tab.setViewportSize({ width: 375, height: 800 });
        await openConsent(tab, base64url(randomBytes(12)), pkce().challenge, t.tokens.admin);
        await tab.getByTestId('consent').waitFor();
        await expect(noOverflow(tab)).resolves.toBeLessThanOrEqual(375);
        await shot(tab, 'consent-375');
        await tab.goto(`${h.baseUrl}/admin/connections`);
        await tab.locator(`li.connection[data-client-id="${client.clientId}"]`).waitFor();
        await expect(noOverflow(tab)).resolves.toBeLessThanOrEqual(375);
        // The form is one column: the inputs are stacked, not side by side.
        const form = tab.getByRole('form', { name: 'Create connection' });
        const name = await form.getByLabel('Name').boundingBox();
        const redirect = await form.getByLabel('Redirect URIs').boundingBox();
        expect(redirect!.y).toBeGreaterThan(name!.y + name!.height);
        await tab.getByRole('radio', { name: /workload identity federation/ }).check();
        await expect(noOverflow(tab)).resolves.toBeLessThanOrEqual(375);
        // A new secret's box, at a phone's width: whole, and nothing widens the page.
        const item = tab.locator(`li.connection[data-client-id="${client.clientId}"]`);
        await item.getByRole('button', { name: 'Add secret' }).click();
        await item.getByTestId('new-secret').waitFor();
        await expect(noOverflow(tab)).resolves.toBeLessThanOrEqual(375);
        await shot(tab, 'connections-375');

        await tab.setViewportSize({ width: 1280, height: 900 });
        await expect(noOverflow(tab)).resolves.toBeLessThanOrEqual(1280);
        await openConsent(tab, base64url(randomBytes(12)), pkce().challenge);
        await tab.getByTestId('consent').waitFor();
        await expect(noOverflow(tab)).resolves.toBeLessThanOrEqual(1280);
      } finally {
        await tab.close();
      }
    });

    test('rotation: a second secret is added; the first, revoked after a confirmation, is refused and the second works; Delete asks first', async () => {
      await page.reload();
      const item = page.locator(`li.connection[data-client-id="${client.clientId}"]`);
      await item.waitFor();
      const before = await item.locator('.secrets li').count();
      await item.getByLabel('New secret valid for').selectOption({ label: '1 year' });
      await item.getByRole('button', { name: 'Add secret' }).click();
      await item.getByTestId('new-secret').waitFor();
      const second = await item.getByRole('textbox', { name: 'Client secret' }).inputValue();
      await item.locator('.secrets li').nth(before).waitFor();
      await item.getByRole('button', { name: 'Done' }).click();

      const secrets = (await h.graphql(t.tokens.admin, '{ oauthClients { clientId secrets { id prefix expiresAt } } }')).body.data.oauthClients[0].secrets as {
        id: string;
        prefix: string;
        expiresAt: string;
      }[];
      const firstPrefix = secrets.find((s) => client.secret.startsWith(s.prefix))!.prefix;
      const secondRow = secrets.find((s) => second.startsWith(s.prefix))!;
      // 1 year, as chosen.
      expect(Math.abs(new Date(secondRow.expiresAt).getTime() - Date.now() - 365 * 86_400_000)).toBeLessThan(3_600_000);

      // Revoke asks first; then the first secret no longer authenticates the client.
      const first = item.locator(`.secrets li[data-prefix="${firstPrefix}"]`);
      await first.getByRole('button', { name: 'Revoke' }).click();
      await first.getByRole('button', { name: 'Cancel' }).click();
      await first.getByRole('button', { name: 'Revoke' }).click();
      await first.getByRole('button', { name: 'Revoke secret' }).click();
      await first.waitFor({ state: 'detached' });
      const { verifier, challenge } = pkce();
      const tab = await newTab();
      try {
        await openConsent(tab, 'rotate', challenge, t.tokens.admin);
        await tab.getByRole('button', { name: 'Approve' }).click();
        await tab.waitForURL((url) => url.toString().startsWith(redirectUri));
        const code = new URL(tab.url()).searchParams.get('code')!;
        const refused = await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, [client.clientId, client.secret]);
        expect(refused.status).toBe(401);
        expect(refused.body.error).toBe('invalid_client');
        // The second secret, pasted into Okta in its place, works.
        const granted = await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, [client.clientId, second]);
        expect(granted.status).toBe(200);
        expect((await h.scim('GET', '/Users?count=1', String(granted.body.access_token))).status).toBe(200);
      } finally {
        await tab.close();
      }

      // Delete asks first, and the connection is gone.
      await item.getByRole('button', { name: 'Delete', exact: true }).click();
      await item.getByRole('button', { name: 'Delete connection' }).click();
      await page.getByText('No connections yet.').waitFor();
      expect((await h.graphql(t.tokens.admin, '{ oauthClients { id } }')).body.data.oauthClients).toEqual([]);
    });

    test('Entra: a client-credentials connection shows what Entra asks for and its secret gets a token of the chosen lifetime; a federation connection has no secret, and a bad JWKS URL is refused under its field', async () => {
      const created = page.locator('#created');
      const shown = async (field: string) => created.locator(`.paste-row[data-field="${field}"] .paste-value`).innerText();
      const endpoints = (await h.graphql(t.tokens.admin, '{ oauthEndpoints { scimBaseUrl tokenUrl } }')).body.data.oauthEndpoints;

      // The tenant's access-token lifetime, for every connection: 2 hours.
      await page.getByLabel('Access tokens last').selectOption({ label: '2 hours' });
      await page.getByRole('form', { name: 'Access token lifetime' }).getByRole('button', { name: 'Save' }).click();
      await page.getByRole('form', { name: 'Access token lifetime' }).getByText('Saved.').waitFor();
      expect((await h.graphql(t.tokens.admin, '{ tenantSettings { oauthAccessTokenLifetimeSeconds } }')).body.data.tenantSettings).toEqual({
        oauthAccessTokenLifetimeSeconds: 7200,
      });

      const form = page.getByRole('form', { name: 'Create connection' });
      await form.getByRole('radio', { name: /client secret/ }).check();
      await expect(form.getByLabel('Name').inputValue()).resolves.toBe('Microsoft Entra ID');
      await expect(form.getByLabel('Redirect URIs').count()).resolves.toBe(0);
      await form.getByRole('button', { name: 'Create connection' }).click();
      await created.getByTestId('new-secret').waitFor();
      const secret = await page.getByRole('textbox', { name: 'Client secret' }).inputValue();
      await expect(shown('Tenant URL')).resolves.toBe(`${endpoints.scimBaseUrl}?aadOptscim062020`);
      await expect(shown('Token endpoint')).resolves.toBe(endpoints.tokenUrl);
      const clientId = await shown('Client identifier');
      await shot(page, 'entra-created');
      const [entra] = (await h.graphql(t.tokens.admin, '{ oauthClients { clientId grantTypes } }')).body.data.oauthClients;
      expect(entra).toEqual({ clientId, grantTypes: ['CLIENT_CREDENTIALS'] });
      const granted = await token({ grant_type: 'client_credentials' }, [clientId, secret]);
      expect(granted.status).toBe(200);
      // Counted down from the stored expiry: a second may have passed.
      expect(Number(granted.body.expires_in)).toBeGreaterThan(7190);
      expect(Number(granted.body.expires_in)).toBeLessThanOrEqual(7200);
      expect((await h.scim('GET', '/Users?count=1', String(granted.body.access_token))).status).toBe(200);
      await page.getByRole('button', { name: 'Done' }).click();

      // Workload identity federation: the values Entra shows go in; a JWKS URL that is not a URL is refused under its field.
      await form.getByRole('radio', { name: /workload identity federation/ }).check();
      await form.getByLabel('Name').fill('Entra federation');
      await form.getByLabel('Issuer', { exact: true }).fill('https://login.microsoftonline.com/ce5f061f-abe6-4e40-9615-301f87bcb7f0/v2.0');
      await form.getByLabel('Subject', { exact: true }).fill('d2f8ee76-c549-45b8-a143-f5b640669704');
      await form.getByLabel('JWKS URL', { exact: true }).fill('login.microsoftonline.com/keys');
      await form.getByRole('button', { name: 'Create connection' }).click();
      await page.locator('#new-connection-jwks-error').waitFor();
      await expect(form.getByLabel('JWKS URL', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
      expect((await h.graphql(t.tokens.admin, '{ oauthClients { id } }')).body.data.oauthClients).toHaveLength(1);
      await form.getByLabel('JWKS URL', { exact: true }).fill('https://login.microsoftonline.com/ce5f061f-abe6-4e40-9615-301f87bcb7f0/discovery/v2.0/keys');
      await form.getByRole('button', { name: 'Create connection' }).click();
      await created.locator('.paste-row[data-field="Client ID"]').waitFor();
      await expect(created.getByTestId('new-secret').count()).resolves.toBe(0);
      await expect(shown('SCIM URL')).resolves.toBe(`${endpoints.scimBaseUrl}?aadOptscim062020`);
      await expect(shown('Token URL')).resolves.toBe(endpoints.tokenUrl);
      const federated = (await h.graphql(t.tokens.admin, '{ oauthClients { name clientId grantTypes secrets { id } federation { issuer subject audience jwksUrl } } }')).body.data
        .oauthClients[1];
      expect(federated).toMatchObject({ name: 'Entra federation', grantTypes: ['JWT_BEARER'], secrets: [] });
      // Left empty, the audience is the token URL.
      expect(federated.federation.audience).toBe(endpoints.tokenUrl);
      await expect(shown('Client ID')).resolves.toBe(federated.clientId);
      const item = page.locator(`li.connection[data-client-id="${federated.clientId}"]`);
      await expect(item.getByRole('button', { name: 'Add secret' }).count()).resolves.toBe(0);
      await shot(page, 'entra-federation-created');

      // The API shows connections to admin tokens only: a read token is told so, and sees no client id or control.
      const reader = await newTab();
      try {
        await reader.goto(`${h.baseUrl}/admin/connections`);
        await reader.getByLabel('Admin token').fill(t.tokens.read);
        await reader.getByRole('button', { name: 'Sign in' }).click();
        await expect(reader.getByTestId('admin-only').innerText()).resolves.toContain('admin tokens only');
        await expect(reader.content()).resolves.not.toContain(federated.clientId);
        await expect(reader.getByRole('button', { name: /Add secret|Revoke|Delete|Create connection|Save/ }).count()).resolves.toBe(0);
      } finally {
        await reader.close();
      }
      expect(pageErrors).toEqual([]);
    });

    test("a platform client (Okta's integration network): an admin of another tenant approves it for that tenant; Connections shows the grant and revokes it", async () => {
      const operator = { actor: { surface: 'cli' as const, tokenId: null }, requestId: 'e2e', manager: h.dataSource.manager };
      const platform = await oauthPlatformClientService.create(operator, { name: 'Okta (OIN)', redirectUris: [redirectUri] });
      const tab = await newTab();
      try {
        // Okta's OIN flow: no PKCE; the one client secret authenticates the exchange.
        const state = base64url(randomBytes(12));
        await tab.goto(
          `${h.baseUrl}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: platform.client.clientId, redirect_uri: redirectUri, state })}`,
        );
        await tab.waitForURL(/\/admin\/consent\/[^/]+$/);
        await tab.getByLabel('Admin token').fill(other.tokens.admin);
        await tab.getByRole('button', { name: 'Sign in' }).click();
        await tab.getByTestId('consent').waitFor();
        await expect(tab.getByTestId('consent').innerText()).resolves.toContain(other.tenant.name);
        await expect(tab.getByTestId('consent-platform').innerText()).resolves.toContain(`${other.tenant.name} only`);
        await shot(tab, 'consent-platform');
        await tab.getByRole('button', { name: 'Approve' }).click();
        await tab.waitForURL((url) => url.toString().startsWith(redirectUri));
        const landed = new URL(tab.url());
        expect(landed.searchParams.get('state')).toBe(state);
        const granted = await token(
          { grant_type: 'authorization_code', code: landed.searchParams.get('code')!, redirect_uri: redirectUri },
          [platform.client.clientId, platform.clientSecret],
        );
        expect(granted.status).toBe(200);
        const accessToken = String(granted.body.access_token);
        expect((await h.scim('POST', '/Users', accessToken, oktaCreateUser('mary.jackson@oin.example'))).status).toBe(201);
        expect(await h.dataSource.manager.countBy(Employee, { tenantId: other.tenant.id, username: 'mary.jackson@oin.example' })).toBe(1);
        expect(await h.dataSource.manager.countBy(Employee, { tenantId: t.tenant.id, username: 'mary.jackson@oin.example' })).toBe(0);

        // The other tenant's Connections page: "Okta (OIN) — authorized on …, last used …", and Revoke access.
        await tab.goto(`${h.baseUrl}/admin/connections`);
        const item = tab.locator(`li.connection[data-client-id="${platform.client.clientId}"]`);
        await item.waitFor();
        await expect(item.getByTestId('grant-summary').innerText()).resolves.toMatch(/^Okta \(OIN\) — authorized on .+, last used (?!never)/);
        await expect(item.getByRole('button', { name: 'Add secret' }).count()).resolves.toBe(0);
        await shot(tab, 'connections-platform');
        await item.getByRole('button', { name: 'Revoke access' }).click();
        await item.getByRole('button', { name: "Revoke this tenant's access" }).click();
        await item.waitFor({ state: 'detached' });
        expect((await h.scim('GET', '/Users?count=1', accessToken)).status).toBe(401);
        // The first tenant never saw it.
        await page.reload();
        await expect(page.locator(`li.connection[data-client-id="${platform.client.clientId}"]`).count()).resolves.toBe(0);
      } finally {
        await tab.close();
      }
      expect(pageErrors).toEqual([]);
    });
  });
}
