import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';

/**
 * The OAuth authorization server (issue 19, docs/oauth.md) through real HTTP on both databases: every grant at
 * POST /oauth/token, the authorization-code flow through GET /oauth/authorize and the consent mutation (the console's
 * Chromium test drives the page itself), what the access tokens may do, and every refusal.
 */
jest.setTimeout(60_000);

const REDIRECT = 'https://idp.example.test/oauth/callback';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let h: Harness;
let a: TestTenant;
let b: TestTenant;
let jwks: Server;
let jwksUrl: string;
let jwksKeys: JWK[] = [];

beforeAll(async () => {
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwksKeys })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`;
  h = await Harness.start({ WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1' });
  a = await h.tenant('oauth-a');
  b = await h.tenant('oauth-b');
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

const CLIENT_FIELDS = 'id clientId name grantTypes redirectUris federation { issuer subject audience jwksUrl } secrets { id prefix createdAt expiresAt lastUsedAt } lastUsedAt createdAt';

interface CreatedClient {
  id: string;
  clientId: string;
  secret: string | null;
  secretIds: string[];
}

async function createClient(t: TestTenant, input: Record<string, unknown>): Promise<CreatedClient> {
  const r = await h.graphql(
    t.tokens.admin,
    `mutation($input: CreateOAuthClientInput!) { createOAuthClient(input: $input) { oauthClient { ${CLIENT_FIELDS} } clientSecret userErrors { code field message } } }`,
    { input },
  );
  const p = r.body.data!.createOAuthClient;
  expect(p.userErrors).toEqual([]);
  return { id: p.oauthClient.id, clientId: p.oauthClient.clientId, secret: p.clientSecret, secretIds: p.oauthClient.secrets.map((s: { id: string }) => s.id) };
}

async function token(form: Record<string, string>, basic?: [string, string]): Promise<HttpResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (basic) headers.Authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
  return h.request('POST', '/oauth/token', { rawBody: new URLSearchParams(form).toString(), headers });
}

/** A token-endpoint refusal: the RFC 6749 §5.2 body and nothing else, never cached. */
function expectRefusal(r: HttpResult, error: string, status = 400): void {
  expect({ status: r.status, error: r.body?.error }).toEqual({ status, error });
  expect(Object.keys(r.body).sort()).toEqual(['error', 'error_description']);
  expect(r.headers.get('cache-control')).toBe('no-store');
  expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/);
  // One fixed text per error: nothing says which part of a credential was wrong.
  if (error in FIXED_DESCRIPTIONS) expect(r.body.error_description).toBe(FIXED_DESCRIPTIONS[error]);
}

const FIXED_DESCRIPTIONS: Record<string, string> = {
  invalid_client: 'Client authentication failed.',
  invalid_grant: 'The authorization code, refresh token or assertion is invalid, expired, revoked, or was issued to another client.',
};

async function clientCredentials(client: CreatedClient): Promise<string> {
  const r = await token({ grant_type: 'client_credentials' }, [client.clientId, client.secret!]);
  expect(r.status).toBe(200);
  return r.body.access_token;
}

async function scimStatus(accessToken: string): Promise<number> {
  return (await h.scim('GET', '/Users?count=1', accessToken)).status;
}

async function waitUntilRefused(accessToken: string, boundMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs + 2_000) {
    if ((await scimStatus(accessToken)) === 401) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return Infinity;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET /oauth/authorize without following the redirect. */
async function authorize(params: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
  const response = await fetch(`${h.baseUrl}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}

/** The authorize redirect, the consent query and approval as the console does them: the code sent back. */
async function approvedCode(t: TestTenant, client: CreatedClient, extra: Record<string, string> = {}): Promise<string> {
  const state = randomUUID();
  const r = await authorize({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT, state, scope: 'scim', ...extra });
  expect(r.status).toBe(302);
  const requestId = /^\/admin\/consent\/([0-9a-f-]{36})$/.exec(r.location ?? '')?.[1];
  expect(requestId).toBeDefined();
  const decided = await h.graphql(
    t.tokens.admin,
    'mutation($input: DecideOAuthAuthorizationInput!) { decideOAuthAuthorization(input: $input) { redirectTo userErrors { code } } }',
    { input: { requestId, approve: true } },
  );
  const redirectTo = new URL(decided.body.data!.decideOAuthAuthorization.redirectTo);
  expect(`${redirectTo.origin}${redirectTo.pathname}`).toBe(REDIRECT);
  expect(redirectTo.searchParams.get('state')).toBe(state);
  return redirectTo.searchParams.get('code')!;
}

describe('metadata and endpoints', () => {
  test('GET /.well-known/oauth-authorization-server is the RFC 8414 document of this server', async () => {
    const r = await h.request('GET', '/.well-known/oauth-authorization-server');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      issuer: h.baseUrl,
      token_endpoint: `${h.baseUrl}/oauth/token`,
      revocation_endpoint: `${h.baseUrl}/oauth/revoke`,
      authorization_endpoint: `${h.baseUrl}/oauth/authorize`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['scim'],
    });
    expect(r.body.grant_types_supported).toEqual(expect.arrayContaining(['client_credentials', 'authorization_code', 'refresh_token', JWT_BEARER]));
    expect(r.body.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  });

  test('behind a path (PUBLIC_URL https://host/rollcall) the metadata is also at the RFC 8414 path form', async () => {
    // WEBHOOK_ALLOW_INSECURE_HOSTS as for h: it is set for the whole process at start-up, and later tests need it.
    const behind = await Harness.start({ WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1', PUBLIC_URL: 'https://sso.example.com/rollcall/' });
    try {
      const pathForm = await behind.request('GET', '/.well-known/oauth-authorization-server/rollcall');
      expect(pathForm.status).toBe(200);
      expect(pathForm.body).toMatchObject({
        issuer: 'https://sso.example.com/rollcall',
        token_endpoint: 'https://sso.example.com/rollcall/oauth/token',
        authorization_endpoint: 'https://sso.example.com/rollcall/oauth/authorize',
      });
      // A client that appends the well-known name to the issuer arrives here once the proxy strips the path.
      expect((await behind.request('GET', '/.well-known/oauth-authorization-server')).body).toEqual(pathForm.body);
      expect((await behind.request('GET', '/.well-known/oauth-authorization-server/other')).status).toBe(404);
      // Without a path in PUBLIC_URL there is no such form.
      expect((await h.request('GET', '/.well-known/oauth-authorization-server/rollcall')).status).toBe(404);
    } finally {
      await behind.close();
    }
  });

  test('oauthEndpoints gives the console what to paste; read tokens may not see OAuth clients', async () => {
    const r = await h.graphql(a.tokens.admin, '{ oauthEndpoints { scimBaseUrl tokenUrl authorizeUrl issuer } }');
    expect(r.body.data!.oauthEndpoints).toEqual({
      scimBaseUrl: `${h.baseUrl}/scim/v2`,
      tokenUrl: `${h.baseUrl}/oauth/token`,
      authorizeUrl: `${h.baseUrl}/oauth/authorize`,
      issuer: h.baseUrl,
    });
    const read = await h.graphql(a.tokens.read, '{ oauthClients { id } }');
    expect(read.body.errors![0].extensions!.code).toBe('FORBIDDEN');
  });
});

describe('clients and secrets', () => {
  test('create answers the secret once and stores only its hash; every change is audited', async () => {
    const client = await createClient(a, { name: 'Entra ID', grantTypes: ['CLIENT_CREDENTIALS'] });
    expect(client.clientId).toMatch(/^rc_client_[0-9a-f]{24}$/);
    expect(client.secret).toMatch(/^rc_secret_/);
    const stored = await h.dataSource.query('SELECT secret_hash, prefix FROM oauth_client_secrets WHERE oauth_client_id = $1', [idOf(client.id)]);
    expect(stored).toEqual([{ secret_hash: createHash('sha256').update(client.secret!).digest('hex'), prefix: client.secret!.slice(0, 16) }]);
    const dump = JSON.stringify(await h.dataSource.query('SELECT * FROM oauth_clients c JOIN oauth_client_secrets s ON s.oauth_client_id = c.id'));
    expect(dump).not.toContain(client.secret!);
    const audit = await h.dataSource.query('SELECT action FROM audit_events WHERE target_id = $1 ORDER BY occurred_at', [idOf(client.id)]);
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['oauth_client.created', 'oauth_client.secret_added']);
  });

  test('refusals: no grant type, authorization code without redirect URI, http redirect, federation missing, secret past 3 years', async () => {
    const create = (input: Record<string, unknown>) =>
      h.graphql(a.tokens.admin, 'mutation($input: CreateOAuthClientInput!) { createOAuthClient(input: $input) { oauthClient { id } clientSecret userErrors { code field } } }', { input });
    expect((await create({ name: 'x', grantTypes: [] })).body.data!.createOAuthClient.userErrors).toEqual([{ code: 'REQUIRED', field: ['input', 'grantTypes'] }]);
    expect((await create({ name: 'x', grantTypes: ['AUTHORIZATION_CODE'] })).body.data!.createOAuthClient.userErrors[0].field).toEqual(['input', 'redirectUris']);
    expect((await create({ name: 'x', grantTypes: ['AUTHORIZATION_CODE'], redirectUris: ['http://idp.example.test/cb'] })).body.data!.createOAuthClient.userErrors[0].code).toBe('INVALID_VALUE');
    expect((await create({ name: 'x', grantTypes: ['JWT_BEARER'] })).body.data!.createOAuthClient.userErrors[0].field).toEqual(['input', 'federation']);
    // Nothing of a refused client was written: no client, no secret, no audit row.
    const written = async (sql: string, params: unknown[]) => Number((await h.dataSource.query(sql, params))[0].n);
    expect(await written(`SELECT count(*) AS n FROM oauth_clients WHERE tenant_id = $1 AND name = 'x'`, [a.tenant.id])).toBe(0);
    expect(await written(`SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1 AND action LIKE 'oauth_client.%' AND changes::text LIKE '%"x"%'`, [a.tenant.id])).toBe(0);
    const client = await createClient(a, { name: 'rotation', grantTypes: ['CLIENT_CREDENTIALS'] });
    const add = (expiresAt: string) =>
      h.graphql(a.tokens.admin, 'mutation($input: AddOAuthClientSecretInput!) { addOAuthClientSecret(input: $input) { clientSecret userErrors { code field } } }', {
        input: { oauthClientId: client.id, expiresAt },
      });
    const tooFar = new Date(Date.now() + 3 * 366 * 86_400_000 + 86_400_000).toISOString();
    expect((await add(tooFar)).body.data!.addOAuthClientSecret).toEqual({ clientSecret: null, userErrors: [{ code: 'INVALID_VALUE', field: ['input', 'expiresAt'] }] });
    expect((await add(new Date(Date.now() - 1000).toISOString())).body.data!.addOAuthClientSecret.clientSecret).toBeNull();
    // The refused secrets were not stored: the client still has only its first.
    expect(await written('SELECT count(*) AS n FROM oauth_client_secrets s JOIN oauth_clients c ON c.tenant_id = s.tenant_id AND c.id = s.oauth_client_id WHERE s.tenant_id = $1 AND c.client_id = $2',
      [a.tenant.id, client.clientId])).toBe(1);
    const ok = await add(new Date(Date.now() + 365 * 86_400_000).toISOString());
    expect(ok.body.data!.addOAuthClientSecret.clientSecret).toMatch(/^rc_secret_/);
  });
});

describe('client credentials', () => {
  let client: CreatedClient;
  beforeAll(async () => {
    client = await createClient(a, { name: 'Entra provisioning', grantTypes: ['CLIENT_CREDENTIALS'] });
  });

  test('client_secret_basic and client_secret_post both give an access token (RFC 6749 §5.1)', async () => {
    const basic = await token({ grant_type: 'client_credentials' }, [client.clientId, client.secret!]);
    expect(basic.status).toBe(200);
    expect(basic.headers.get('cache-control')).toBe('no-store');
    expect(basic.body).toEqual({ access_token: expect.stringMatching(/^rc_oauth_/), token_type: 'Bearer', expires_in: expect.any(Number), scope: 'scim' });
    const post = await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret!, scope: 'scim' });
    expect(post.status).toBe(200);
    expect(post.body.access_token).not.toBe(basic.body.access_token);
    // The console shows the last use of the client and of each secret.
    const listed = (await h.graphql(a.tokens.admin, `{ oauthClients { ${CLIENT_FIELDS} } }`)).body.data!.oauthClients.find((c: { id: string }) => c.id === client.id);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(listed.secrets).toEqual([{ id: client.secretIds[0], prefix: client.secret!.slice(0, 16), createdAt: expect.any(String), expiresAt: expect.any(String), lastUsedAt: expect.any(String) }]);
    // Each issuance is in the tenant's audit log, with the grant and the secret used, and nothing of the token.
    const issued = (await h.graphql(a.tokens.admin, '{ auditEvents(first: 50) { nodes { action targetId actor { surface } changes { field to } } } }')).body.data!.auditEvents.nodes.filter(
      (n: { action: string; targetId: string }) => n.action === 'oauth_client.token_issued' && n.targetId === idOf(client.id),
    );
    expect(issued).toHaveLength(2);
    for (const event of issued) {
      expect(event.actor.surface).toBe('SYSTEM');
      const changes = Object.fromEntries(event.changes.map((c: { field: string; to: unknown }) => [c.field, c.to]));
      expect(changes).toMatchObject({ grantType: 'client_credentials', secretId: client.secretIds[0], withRefreshToken: 'false' });
      expect(JSON.stringify(event)).not.toContain(basic.body.access_token.slice(9, 30));
      expect(JSON.stringify(event)).not.toContain(post.body.access_token.slice(9, 30));
    }
  });

  test('wrong secret, unknown client, no secret: refused without saying which part was wrong; another scope is narrowed to scim', async () => {
    const issuedSoFar = async () =>
      Number((await h.dataSource.query("SELECT (SELECT count(*) FROM oauth_tokens WHERE tenant_id = $1) + (SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'oauth_client.token_issued') AS n", [a.tenant.id]))[0].n);
    const before = await issuedSoFar();
    expectRefusal(await token({ grant_type: 'client_credentials' }, [client.clientId, `rc_secret_${randomBytes(32).toString('base64url')}`]), 'invalid_client', 401);
    expectRefusal(await token({ grant_type: 'client_credentials', client_id: 'rc_client_000000000000000000000000', client_secret: client.secret! }), 'invalid_client', 401);
    expectRefusal(await token({ grant_type: 'client_credentials', client_id: client.clientId }), 'invalid_client', 401);
    // A refused request stores no token and audits no issuance.
    expect(await issuedSoFar()).toBe(before);
    // Another scope is narrowed to SCIM, and the answer says so (RFC 6749 §3.3): such a token still cannot use GraphQL.
    const narrowed = await token({ grant_type: 'client_credentials', scope: 'admin offline_access' }, [client.clientId, client.secret!]);
    expect({ status: narrowed.status, scope: narrowed.body.scope }).toEqual({ status: 200, scope: 'scim' });
    expect((await h.graphql(narrowed.body.access_token, '{ viewer { scope } }')).status).toBe(403);
    expectRefusal(await token({ grant_type: 'password', username: 'x', password: 'y' }, [client.clientId, client.secret!]), 'unsupported_grant_type');
    expectRefusal(await token({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT }, [client.clientId, client.secret!]), 'unauthorized_client');
    const huge = await h.request('POST', '/oauth/token', {
      rawBody: `grant_type=client_credentials&assertion=${'a'.repeat(40_000)}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expectRefusal(huge, 'invalid_request');
    const repeated = await h.request('POST', '/oauth/token', {
      rawBody: `grant_type=client_credentials&grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.secret}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expectRefusal(repeated, 'invalid_request');
    const wrongType = await h.request('POST', '/oauth/token', { body: { grant_type: 'client_credentials' }, headers: { 'Content-Type': 'application/json' } });
    expectRefusal(wrongType, 'invalid_request');
  });

  test('the access token provisions over SCIM, shows the client as the actor, and is refused by GraphQL', async () => {
    const accessToken = await clientCredentials(client);
    const created = await h.scim('POST', '/Users', accessToken, oktaCreateUser(`oauth.${randomBytes(3).toString('hex')}@example.com`));
    expect(created.status).toBe(201);
    const clientUuid = idOf(client.id);
    const audit = await h.dataSource.query("SELECT actor_surface, actor_token_id FROM audit_events WHERE target_id = $1 AND action = 'employee.created'", [created.body.id]);
    expect(audit).toEqual([{ actor_surface: 'scim', actor_token_id: clientUuid }]);
    const gql = await h.graphql(accessToken, '{ viewer { scope } }');
    expect(gql.status).toBe(403);
    expect(gql.body.errors![0].extensions!.code).toBe('FORBIDDEN');
    const actor = await h.graphql(a.tokens.admin, '{ auditEvents(first: 50) { nodes { action actor { surface name oauthClientId } } } }');
    const event = actor.body.data!.auditEvents.nodes.find((n: { action: string }) => n.action === 'employee.created');
    expect(event.actor).toEqual({ surface: 'SCIM', name: 'Entra provisioning', oauthClientId: client.id });
    // The provisioning log is written shortly after the request (src/services/provisioning-log.service.ts).
    let logged: { actorName: string | null; userName: string | null }[] = [];
    for (let i = 0; i < 40 && !logged.some((e) => e.userName === created.body.userName); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      logged = (await h.graphql(a.tokens.admin, '{ provisioningEvents(first: 20) { nodes { actorName userName } } }')).body.data!.provisioningEvents.nodes;
    }
    expect(logged.find((e) => e.userName === created.body.userName)?.actorName).toBe('Entra provisioning');
    const [feed] = await h.dataSource.query("SELECT actor_token_name FROM events WHERE resource_id = $1 AND type = 'employee.created'", [created.body.id]);
    expect(feed.actor_token_name).toBe('Entra provisioning');
  });

  test('a revoked secret is refused at once here, its tokens too; another instance refuses them within 10 s', async () => {
    const added = await h.graphql(
      a.tokens.admin,
      'mutation($input: AddOAuthClientSecretInput!) { addOAuthClientSecret(input: $input) { clientSecret oauthClient { secrets { id } } } }',
      { input: { oauthClientId: client.id } },
    );
    const second = added.body.data!.addOAuthClientSecret.clientSecret as string;
    expect(added.body.data!.addOAuthClientSecret.oauthClient.secrets).toHaveLength(2);
    const fromFirst = await clientCredentials(client);
    const fromSecond = (await token({ grant_type: 'client_credentials' }, [client.clientId, second])).body.access_token;
    expect(await scimStatus(fromFirst)).toBe(200);
    const revoked = await h.graphql(
      a.tokens.admin,
      'mutation($input: RevokeOAuthClientSecretInput!) { revokeOAuthClientSecret(input: $input) { oauthClient { secrets { id } } userErrors { code } } }',
      { input: { oauthClientId: client.id, secretId: client.secretIds[0] } },
    );
    expect(revoked.body.data!.revokeOAuthClientSecret.oauthClient.secrets).toHaveLength(1);
    expectRefusal(await token({ grant_type: 'client_credentials' }, [client.clientId, client.secret!]), 'invalid_client', 401);
    expect(await scimStatus(fromFirst)).toBe(401);
    expect(await scimStatus(fromSecond)).toBe(200);

    // Another instance revoking: the rows change under this process's authentication cache, which must let go in time.
    expect(await scimStatus(fromSecond)).toBe(200);
    await h.dataSource.query('UPDATE oauth_client_secrets SET revoked_at = now() WHERE secret_hash = $1', [createHash('sha256').update(second).digest('hex')]);
    await h.dataSource.query("UPDATE oauth_tokens SET revoked_at = now() WHERE oauth_client_id = $1", [idOf(client.id)]);
    expect(await waitUntilRefused(fromSecond, 10_000)).toBeLessThanOrEqual(10_000);
  });

  test('POST /oauth/revoke (RFC 7009): the client revokes its own token; others\' tokens are untouched; 200 either way', async () => {
    const revoke = (form: Record<string, string>, basic?: [string, string]) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
      if (basic) headers.Authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
      return h.request('POST', '/oauth/revoke', { rawBody: new URLSearchParams(form).toString(), headers });
    };
    const other = await createClient(a, { name: 'other client', grantTypes: ['CLIENT_CREDENTIALS'] });
    const othersToken = await clientCredentials(other);
    const fresh = await createClient(a, { name: 'revoker', grantTypes: ['CLIENT_CREDENTIALS'] });
    const own = await clientCredentials(fresh);
    expect((await revoke({ token: othersToken }, [fresh.clientId, fresh.secret!])).status).toBe(200);
    expect(await scimStatus(othersToken)).toBe(200);
    expectRefusal(await revoke({ token: own }, [fresh.clientId, `rc_secret_${randomBytes(32).toString('base64url')}`]), 'invalid_client', 401);
    expect(await scimStatus(own)).toBe(200);
    const r = await revoke({ token: own, client_id: fresh.clientId, client_secret: fresh.secret! });
    expect({ status: r.status, cache: r.headers.get('cache-control') }).toEqual({ status: 200, cache: 'no-store' });
    expect(await scimStatus(own)).toBe(401);
    expect((await revoke({ token: 'rc_oauth_unknown' }, [fresh.clientId, fresh.secret!])).status).toBe(200);
  });

  test('an expired secret is refused', async () => {
    const expiring = await createClient(a, { name: 'expiring', grantTypes: ['CLIENT_CREDENTIALS'] });
    await clientCredentials(expiring);
    await h.dataSource.query("UPDATE oauth_client_secrets SET expires_at = now() - interval '1 second' WHERE id = $1", [expiring.secretIds[0]]);
    expectRefusal(await token({ grant_type: 'client_credentials' }, [expiring.clientId, expiring.secret!]), 'invalid_client', 401);
  });

  test('deleting the client ends its tokens', async () => {
    const doomed = await createClient(a, { name: 'doomed', grantTypes: ['CLIENT_CREDENTIALS'] });
    const accessToken = await clientCredentials(doomed);
    expect(await scimStatus(accessToken)).toBe(200);
    const r = await h.graphql(a.tokens.admin, 'mutation($input: DeleteOAuthClientInput!) { deleteOAuthClient(input: $input) { deletedOAuthClientId userErrors { code } } }', {
      input: { id: doomed.id },
    });
    expect(r.body.data!.deleteOAuthClient).toEqual({ deletedOAuthClientId: doomed.id, userErrors: [] });
    expect(await scimStatus(accessToken)).toBe(401);
    expectRefusal(await token({ grant_type: 'client_credentials' }, [doomed.clientId, doomed.secret!]), 'invalid_client', 401);
  });
});

describe('authorization code (Okta)', () => {
  let client: CreatedClient;
  beforeAll(async () => {
    client = await createClient(a, { name: 'Okta', grantTypes: ['AUTHORIZATION_CODE'], redirectUris: [REDIRECT] });
  });

  test('an unknown client or an unregistered redirect URI gets an error page, never a redirect', async () => {
    const cases: Record<string, string>[] = [
      { response_type: 'code', client_id: 'rc_client_000000000000000000000000', redirect_uri: REDIRECT, state: 's' },
      { response_type: 'code', client_id: client.clientId, redirect_uri: 'https://evil.example.test/cb', state: 's' },
      { response_type: 'code', client_id: client.clientId, state: 's' },
    ];
    for (const params of cases) {
      const r = await authorize(params);
      expect({ status: r.status, location: r.location }).toEqual({ status: 400, location: null });
      expect(r.text).toContain('<!doctype html>');
    }
    const wrongType = await authorize({ response_type: 'token', client_id: client.clientId, redirect_uri: REDIRECT, state: 'xyz' });
    expect(wrongType.status).toBe(302);
    expect(new URL(wrongType.location!).searchParams.get('error')).toBe('unsupported_response_type');
    expect(new URL(wrongType.location!).searchParams.get('state')).toBe('xyz');
  });

  test('with PKCE: consent, code, tokens that provision; the code replayed is refused and its tokens revoked', async () => {
    const { verifier, challenge } = pkce();
    const code = await approvedCode(a, client, { code_challenge: challenge, code_challenge_method: 'S256' });
    const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, [client.clientId, client.secret!]);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      access_token: expect.stringMatching(/^rc_oauth_/),
      refresh_token: expect.stringMatching(/^rc_refresh_/),
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      scope: 'scim',
    });
    expect(await scimStatus(first.body.access_token)).toBe(200);
    // Audited with its grant, and that a refresh token came with it (the newest issuance of this client).
    const [issued] = await h.dataSource.query(
      "SELECT changes FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'oauth_client.token_issued' ORDER BY occurred_at DESC, id DESC LIMIT 1",
      [a.tenant.id, idOf(client.id)],
    );
    expect(issued.changes).toMatchObject({ grantType: { to: 'authorization_code' }, withRefreshToken: { to: true }, secretId: { to: client.secretIds[0] } });
    const replay = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, [client.clientId, client.secret!]);
    expectRefusal(replay, 'invalid_grant');
    expect(await scimStatus(first.body.access_token)).toBe(401);
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, [client.clientId, client.secret!]), 'invalid_grant');
  });

  test('PKCE: a missing or wrong verifier is refused (and spends the code); a verifier without a challenge is refused', async () => {
    const { challenge } = pkce();
    const code = await approvedCode(a, client, { code_challenge: challenge, code_challenge_method: 'S256' });
    expectRefusal(await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, [client.clientId, client.secret!]), 'invalid_grant');
    const code2 = await approvedCode(a, client, { code_challenge: challenge, code_challenge_method: 'S256' });
    expectRefusal(await token({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, code_verifier: pkce().verifier }, [client.clientId, client.secret!]), 'invalid_grant');
    const code3 = await approvedCode(a, client);
    expectRefusal(await token({ grant_type: 'authorization_code', code: code3, redirect_uri: REDIRECT, code_verifier: pkce().verifier }, [client.clientId, client.secret!]), 'invalid_grant');
    const plain = await authorize({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT, state: 's', code_challenge: challenge, code_challenge_method: 'plain' });
    expect(new URL(plain.location!).searchParams.get('error')).toBe('invalid_request');
  });

  test("without PKCE, as Okta's SCIM OAuth does, the client secret binds the exchange; a client without a secret must use PKCE", async () => {
    const code = await approvedCode(a, client);
    const r = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: client.clientId, client_secret: client.secret! });
    expect(r.status).toBe(200);
    const noAuth = await approvedCode(a, client);
    expectRefusal(await token({ grant_type: 'authorization_code', code: noAuth, redirect_uri: REDIRECT, client_id: client.clientId }), 'invalid_client', 401);

    const secretless = await createClient(a, { name: 'secretless', grantTypes: ['AUTHORIZATION_CODE'], redirectUris: [REDIRECT] });
    await h.graphql(a.tokens.admin, 'mutation($input: RevokeOAuthClientSecretInput!) { revokeOAuthClientSecret(input: $input) { userErrors { code } } }', {
      input: { oauthClientId: secretless.id, secretId: secretless.secretIds[0] },
    });
    const refused = await authorize({ response_type: 'code', client_id: secretless.clientId, redirect_uri: REDIRECT, state: 'st' });
    expect(new URL(refused.location!).searchParams.get('error')).toBe('invalid_request');
  });

  test('an expired code, a wrong redirect_uri and another client are refused', async () => {
    const expired = await approvedCode(a, client);
    await h.dataSource.query("UPDATE oauth_authorizations SET expires_at = now() - interval '1 second' WHERE code_hash = $1", [createHash('sha256').update(expired).digest('hex')]);
    expectRefusal(await token({ grant_type: 'authorization_code', code: expired, redirect_uri: REDIRECT }, [client.clientId, client.secret!]), 'invalid_grant');
    const wrongRedirect = await approvedCode(a, client);
    expectRefusal(await token({ grant_type: 'authorization_code', code: wrongRedirect, redirect_uri: 'https://idp.example.test/other' }, [client.clientId, client.secret!]), 'invalid_grant');
    expectRefusal(await token({ grant_type: 'authorization_code', code: wrongRedirect, redirect_uri: REDIRECT }, [client.clientId, client.secret!]), 'invalid_grant');
    const other = await createClient(a, { name: 'other', grantTypes: ['AUTHORIZATION_CODE'], redirectUris: [REDIRECT] });
    const stolen = await approvedCode(a, client);
    expectRefusal(await token({ grant_type: 'authorization_code', code: stolen, redirect_uri: REDIRECT }, [other.clientId, other.secret!]), 'invalid_grant');
  });

  test("consent: denial sends access_denied with the state; another tenant's admin sees nothing and cannot decide", async () => {
    const r = await authorize({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT, state: 'st-1' });
    const requestId = r.location!.split('/').pop()!;
    const query = '{ oauthAuthorizationRequest(id: "ID") { id clientName redirectUri tenantName scopes expiresAt } }'.replace('ID', requestId);
    expect((await h.graphql(b.tokens.admin, query)).body.data!.oauthAuthorizationRequest).toBeNull();
    const seen = (await h.graphql(a.tokens.admin, query)).body.data!.oauthAuthorizationRequest;
    expect(seen).toMatchObject({ id: requestId, clientName: 'Okta', redirectUri: REDIRECT, tenantName: a.tenant.name, scopes: ['scim'] });
    const decide = (t: TestTenant, approve: boolean) =>
      h.graphql(t.tokens.admin, 'mutation($input: DecideOAuthAuthorizationInput!) { decideOAuthAuthorization(input: $input) { redirectTo userErrors { code } } }', {
        input: { requestId, approve },
      });
    expect((await decide(b, true)).body.data!.decideOAuthAuthorization).toEqual({ redirectTo: null, userErrors: [{ code: 'NOT_FOUND' }] });
    const denied = (await decide(a, false)).body.data!.decideOAuthAuthorization;
    expect(denied.userErrors).toEqual([]);
    expect(Object.fromEntries(new URL(denied.redirectTo).searchParams)).toEqual({ error: 'access_denied', state: 'st-1' });
    expect((await decide(a, true)).body.data!.decideOAuthAuthorization.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
  });

  test('refresh tokens rotate; a rotated one presented again revokes the whole family', async () => {
    const code = await approvedCode(a, client);
    const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, [client.clientId, client.secret!]);
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, [client.clientId, client.secret!]);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await scimStatus(second.body.access_token)).toBe(200);
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, [client.clientId, client.secret!]), 'invalid_grant');
    expect(await scimStatus(second.body.access_token)).toBe(401);
    expect(await scimStatus(first.body.access_token)).toBe(401);
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token }, [client.clientId, client.secret!]), 'invalid_grant');
  });
});

describe('tenant isolation', () => {
  test("tenant A's client never obtains a token that reads tenant B; B cannot see or change A's clients", async () => {
    const client = await createClient(a, { name: 'A only', grantTypes: ['CLIENT_CREDENTIALS'] });
    const inB = await h.scim('POST', '/Users', b.tokens.scim, oktaCreateUser(`only.b.${randomBytes(3).toString('hex')}@example.com`));
    expect(inB.status).toBe(201);
    const accessToken = await clientCredentials(client);
    expect((await h.scim('GET', `/Users/${inB.body.id}`, accessToken)).status).toBe(404);
    const list = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${inB.body.userName}"`)}`, accessToken);
    expect(list.body.totalResults).toBe(0);
    expect((await h.graphql(b.tokens.admin, '{ oauthClients { id } }')).body.data!.oauthClients.map((c: { id: string }) => c.id)).not.toContain(client.id);
    expect((await h.graphql(b.tokens.admin, `{ node(id: "${client.id}") { id } }`)).body.data!.node).toBeNull();
    expect((await h.graphql(a.tokens.admin, `{ node(id: "${client.id}") { id ... on OAuthClient { name } } }`)).body.data!.node).toEqual({ id: client.id, name: 'A only' });
    const del = await h.graphql(b.tokens.admin, 'mutation($input: DeleteOAuthClientInput!) { deleteOAuthClient(input: $input) { userErrors { code } } }', { input: { id: client.id } });
    expect(del.body.data!.deleteOAuthClient.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    const revoke = await h.graphql(b.tokens.admin, 'mutation($input: RevokeOAuthClientSecretInput!) { revokeOAuthClientSecret(input: $input) { userErrors { code } } }', {
      input: { oauthClientId: client.id, secretId: client.secretIds[0] },
    });
    expect(revoke.body.data!.revokeOAuthClientSecret.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    expect(await scimStatus(accessToken)).toBe(200);
  });
});

describe('access-token lifetime', () => {
  test('a tenant setting from 300 to 21600 seconds; tokens issued afterwards carry it', async () => {
    const set = (seconds: number) =>
      h.graphql(a.tokens.admin, 'mutation($input: UpdateTenantSettingsInput!) { updateTenantSettings(input: $input) { tenantSettings { oauthAccessTokenLifetimeSeconds } userErrors { code field } } }', {
        input: { oauthAccessTokenLifetimeSeconds: seconds },
      });
    for (const bad of [299, 21_601]) {
      expect((await set(bad)).body.data!.updateTenantSettings.userErrors).toEqual([{ code: 'INVALID_VALUE', field: ['input', 'oauthAccessTokenLifetimeSeconds'] }]);
    }
    expect((await set(300)).body.data!.updateTenantSettings.tenantSettings.oauthAccessTokenLifetimeSeconds).toBe(300);
    const client = await createClient(a, { name: 'short', grantTypes: ['CLIENT_CREDENTIALS'] });
    const r = await token({ grant_type: 'client_credentials' }, [client.clientId, client.secret!]);
    expect([299, 300]).toContain(r.body.expires_in);
    const [row] = await h.dataSource.query("SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM oauth_tokens WHERE token_hash = $1", [
      createHash('sha256').update(r.body.access_token).digest('hex'),
    ]);
    expect(row.seconds).toBeGreaterThanOrEqual(299);
    expect(row.seconds).toBeLessThanOrEqual(301);
    expect((await set(21_600)).body.data!.updateTenantSettings.userErrors).toEqual([]);
    await set(3600);
  });
});

describe('jwt-bearer and client assertions (workload identity federation)', () => {
  let key: { privateKey: CryptoKey; kid: string };
  const ISSUER = 'https://issuer.example.test';
  const SUBJECT = 'workload-1';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = { privateKey: pair.privateKey, kid: randomUUID() };
    jwksKeys = [{ ...(await exportJWK(pair.publicKey)), kid: key.kid, use: 'sig', alg: 'RS256' }];
  });

  function assertion(claims: Record<string, unknown> = {}, signWith: CryptoKey = key.privateKey): Promise<string> {
    return new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer((claims.iss as string) ?? ISSUER)
      .setSubject((claims.sub as string) ?? SUBJECT)
      .setAudience((claims.aud as string) ?? `${h.baseUrl}/oauth/token`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signWith);
  }

  test('a JWT_BEARER client has no secret; the jwt-bearer grant and client_assertion both give access tokens', async () => {
    const client = await createClient(a, { name: 'Entra federated', grantTypes: ['JWT_BEARER'], federation: { issuer: ISSUER, subject: SUBJECT, jwksUrl } });
    expect(client.secret).toBeNull();
    const grant = await token({ grant_type: JWT_BEARER, assertion: await assertion() });
    expect(grant.status).toBe(200);
    expect(await scimStatus(grant.body.access_token)).toBe(200);
    const asserted = await token({ grant_type: 'client_credentials', client_id: client.clientId, client_assertion_type: CLIENT_ASSERTION, client_assertion: await assertion() });
    expect(asserted.status).toBe(200);
    expect(asserted.body.refresh_token).toBeUndefined();
  });

  test('keys given inline (jwks) verify too; the assertion of another subject is not this client\'s', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    const inline = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, use: 'sig', alg: 'ES256' }] });
    const client = await createClient(a, { name: 'inline keys', grantTypes: ['JWT_BEARER'], federation: { issuer: ISSUER, subject: 'workload-inline', jwks: inline } });
    const sign = (sub: string) =>
      new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(ISSUER)
        .setSubject(sub)
        .setAudience(`${h.baseUrl}/oauth/token`)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(pair.privateKey);
    const ok = await token({ grant_type: JWT_BEARER, assertion: await sign('workload-inline') });
    expect(ok.status).toBe(200);
    expectRefusal(await token({ grant_type: JWT_BEARER, client_id: client.clientId, assertion: await sign('someone-else') }), 'invalid_grant');
  });

  test('replayed, wrong-audience, wrong-signature and expired assertions are refused', async () => {
    const replayed = await assertion();
    expect((await token({ grant_type: JWT_BEARER, assertion: replayed })).status).toBe(200);
    expectRefusal(await token({ grant_type: JWT_BEARER, assertion: replayed }), 'invalid_grant');
    expectRefusal(await token({ grant_type: JWT_BEARER, assertion: await assertion({ aud: 'https://elsewhere.example.test/token' }) }), 'invalid_grant');
    const stranger = await generateKeyPair('RS256');
    expectRefusal(await token({ grant_type: JWT_BEARER, assertion: await assertion({}, stranger.privateKey) }), 'invalid_grant');
    const expired = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject(SUBJECT)
      .setAudience(`${h.baseUrl}/oauth/token`)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 900)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 600)
      .sign(key.privateKey);
    expectRefusal(await token({ grant_type: JWT_BEARER, assertion: expired }), 'invalid_grant');
    const clientId = (await h.graphql(a.tokens.admin, '{ oauthClients { clientId name } }')).body.data!.oauthClients.find((c: { name: string }) => c.name === 'Entra federated').clientId;
    expectRefusal(
      await token({ grant_type: 'client_credentials', client_id: clientId, client_assertion_type: CLIENT_ASSERTION, client_assertion: await assertion({}, stranger.privateKey) }),
      'invalid_client',
      401,
    );
  });
});

describe('rate limit', () => {
  test('a flood of token requests from one client and address is answered 429 with Retry-After', async () => {
    const client = await createClient(b, { name: 'flood', grantTypes: ['CLIENT_CREDENTIALS'] });
    const answers = await Promise.all(
      Array.from({ length: 45 }, () => token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'rc_secret_wrong-wrong-wrong-wrong' })),
    );
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

function idOf(globalId: string): string {
  return Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
}
