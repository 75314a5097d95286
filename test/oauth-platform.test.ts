import { randomBytes, randomUUID } from 'node:crypto';
import { oauthPlatformClientService, PlatformContext } from '../src/services/oauth/platform-client.service';
import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';

/**
 * Platform OAuth clients (docs/oauth.md "Platform clients"): one client id and secret for every tenant, as Okta's
 * integration network registers an app. Through real HTTP on both databases: an admin of any tenant approves it on the
 * consent mutation, and what that approval gives belongs to that tenant only; per-tenant revocation; the operator's
 * secret revocation and deletion (made here through the service the CLI calls; test/cli.test.ts runs the CLI).
 */
jest.setTimeout(60_000);

const REDIRECT = 'https://oin.example.test/oauth2/callback';
const CLIENT_FIELDS = 'id clientId name platform authorizedAt lastUsedAt secrets { id } grantTypes';

let h: Harness;
let a: TestTenant;
let b: TestTenant;
let operator: PlatformContext;

beforeAll(async () => {
  h = await Harness.start();
  a = await h.tenant('oin-a');
  b = await h.tenant('oin-b');
  operator = { actor: { surface: 'cli', tokenId: null }, requestId: 'test-operator', manager: h.dataSource.manager };
});
afterAll(async () => {
  await h?.close();
});

interface Platform {
  id: string;
  clientId: string;
  secret: string;
}

async function platformClient(name = 'Okta (OIN)'): Promise<Platform> {
  const { client, clientSecret } = await oauthPlatformClientService.create(operator, { name, redirectUris: [REDIRECT] });
  return { id: client.id, clientId: client.clientId, secret: clientSecret };
}

async function token(form: Record<string, string>, basic?: [string, string]): Promise<HttpResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (basic) headers.Authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`;
  return h.request('POST', '/oauth/token', { rawBody: new URLSearchParams(form).toString(), headers });
}

function expectRefusal(r: HttpResult, error: string, status = 400): void {
  expect({ status: r.status, error: r.body?.error }).toEqual({ status, error });
  expect(Object.keys(r.body).sort()).toEqual(['error', 'error_description']);
}

async function authorize(clientId: string, state: string): Promise<{ status: number; location: string | null; text: string }> {
  const params = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state, scope: 'scim offline_access' };
  const response = await fetch(`${h.baseUrl}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}

async function requestId(clientId: string, state = randomUUID()): Promise<string> {
  const r = await authorize(clientId, state);
  expect(r.status).toBe(302);
  const id = /^\/admin\/consent\/([0-9a-f-]{36})$/.exec(r.location ?? '')?.[1];
  expect(id).toBeDefined();
  return id!;
}

function decide(t: TestTenant, id: string, approve: boolean): Promise<HttpResult> {
  return h.graphql(t.tokens.admin, 'mutation($input: DecideOAuthAuthorizationInput!) { decideOAuthAuthorization(input: $input) { redirectTo userErrors { code } } }', {
    input: { requestId: id, approve },
  });
}

/** Okta's flow: authorize (no PKCE), an admin of `t` approves, the code is exchanged with the platform secret. */
async function connect(t: TestTenant, p: Platform, secret = p.secret): Promise<{ access: string; refresh: string }> {
  const state = randomUUID();
  const id = await requestId(p.clientId, state);
  const decided = (await decide(t, id, true)).body.data!.decideOAuthAuthorization;
  expect(decided.userErrors).toEqual([]);
  const back = new URL(decided.redirectTo);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  expect(back.searchParams.get('state')).toBe(state);
  const r = await token({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT }, [p.clientId, secret]);
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ token_type: 'Bearer', scope: 'scim' });
  return { access: r.body.access_token, refresh: r.body.refresh_token };
}

async function scimStatus(accessToken: string): Promise<number> {
  return (await h.scim('GET', '/Users?count=1', accessToken)).status;
}

async function grants(t: TestTenant): Promise<{ id: string; clientId: string; name: string; platform: boolean; authorizedAt: string | null; lastUsedAt: string | null; secrets: unknown[] }[]> {
  const r = await h.graphql(t.tokens.admin, `{ oauthClients { ${CLIENT_FIELDS} } }`);
  return r.body.data!.oauthClients.filter((c: { platform: boolean }) => c.platform);
}

async function provision(accessToken: string): Promise<{ id: string; userName: string }> {
  const r = await h.scim('POST', '/Users', accessToken, oktaCreateUser(`oin.${randomBytes(4).toString('hex')}@example.com`));
  expect(r.status).toBe(201);
  return r.body;
}

async function visible(accessToken: string, userName: string): Promise<number> {
  const r = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, accessToken);
  expect(r.status).toBe(200);
  return r.body.totalResults;
}

describe('platform clients: one client id for every tenant', () => {
  test("an admin of any tenant approves it; the code and tokens belong to that admin's tenant only", async () => {
    const p = await platformClient();
    // The consent page shows the platform client to an admin of either tenant, each with their own tenant's name.
    const id = await requestId(p.clientId);
    const query = `{ oauthAuthorizationRequest(id: "${id}") { id clientName tenantName platform scopes } }`;
    expect((await h.graphql(a.tokens.admin, query)).body.data!.oauthAuthorizationRequest).toEqual({
      id,
      clientName: 'Okta (OIN)',
      tenantName: a.tenant.name,
      platform: true,
      scopes: ['scim'],
    });
    expect((await h.graphql(b.tokens.admin, query)).body.data!.oauthAuthorizationRequest).toMatchObject({ tenantName: b.tenant.name, platform: true });
    // Read tokens may not see it, as for a tenant's own client.
    expect((await h.graphql(a.tokens.read, query)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Decided once: A's admin answers; then B's admin finds nothing.
    expect((await decide(a, id, false)).body.data!.decideOAuthAuthorization.userErrors).toEqual([]);
    expect((await decide(b, id, true)).body.data!.decideOAuthAuthorization).toEqual({ redirectTo: null, userErrors: [{ code: 'NOT_FOUND' }] });
    expect((await h.graphql(b.tokens.admin, query)).body.data!.oauthAuthorizationRequest).toBeNull();

    const inA = await connect(a, p);
    const inB = await connect(b, p);
    const userA = await provision(inA.access);
    const userB = await provision(inB.access);
    // Tenant isolation: A's token of the platform client reads A only, B's reads B only.
    expect(await visible(inA.access, userA.userName)).toBe(1);
    expect(await visible(inA.access, userB.userName)).toBe(0);
    expect(await visible(inB.access, userB.userName)).toBe(1);
    expect(await visible(inB.access, userA.userName)).toBe(0);
    expect((await h.scim('GET', `/Users/${userB.id}`, inA.access)).status).toBe(404);
    expect((await h.scim('GET', `/Users/${userA.id}`, inA.access)).status).toBe(200);
    // What was provisioned in A is in A's bearer-token view, not in B's.
    expect(await visible(a.tokens.scim, userA.userName)).toBe(1);
    expect(await visible(b.tokens.scim, userA.userName)).toBe(0);

    // Each tenant sees its own grant (the platform client's id and name, no secrets); the two grants differ.
    const [ga] = await grants(a);
    const [gb] = await grants(b);
    expect(ga).toMatchObject({ clientId: p.clientId, name: 'Okta (OIN)', platform: true, secrets: [], grantTypes: ['AUTHORIZATION_CODE'] });
    expect(ga.authorizedAt).not.toBeNull();
    expect(ga.lastUsedAt).not.toBeNull();
    expect(gb.id).not.toBe(ga.id);
    // The grant is the actor of what its tokens did, in the tenant's own audit log; the approval is audited there too.
    const audit = await h.graphql(a.tokens.admin, '{ auditEvents(first: 50) { nodes { action actor { name oauthClientId } } } }');
    const actions = audit.body.data!.auditEvents.nodes as { action: string; actor: { name: string | null; oauthClientId: string | null } }[];
    expect(actions.map((e) => e.action)).toEqual(expect.arrayContaining(['oauth_client.authorization_approved', 'oauth_client.authorization_denied', 'employee.created']));
    expect(actions.find((e) => e.action === 'employee.created')!.actor).toEqual({ name: 'Okta (OIN)', oauthClientId: ga.id });
    // B cannot see A's grant by id.
    expect((await h.graphql(b.tokens.admin, `{ node(id: "${ga.id}") { id } }`)).body.data!.node).toBeNull();
  });

  test("a refresh token stays in its tenant; another tenant's revocation of its grant leaves it working", async () => {
    const p = await platformClient();
    const inA = await connect(a, p);
    const inB = await connect(b, p);
    const rotated = await token({ grant_type: 'refresh_token', refresh_token: inA.refresh }, [p.clientId, p.secret]);
    expect(rotated.status).toBe(200);
    const userA = await provision(rotated.body.access_token);
    expect(await visible(b.tokens.scim, userA.userName)).toBe(0);

    // B's admin revokes B's grant: B's tokens end at once; A's keep working. B cannot revoke A's grant.
    const [gb] = (await grants(b)).filter((g) => g.clientId === p.clientId);
    const [ga] = (await grants(a)).filter((g) => g.clientId === p.clientId);
    const revoke = (t: TestTenant, id: string) =>
      h.graphql(t.tokens.admin, 'mutation($input: RevokeOAuthGrantInput!) { revokeOAuthGrant(input: $input) { deletedOAuthClientId userErrors { code } } }', {
        input: { oauthClientId: id },
      });
    expect((await revoke(b, ga.id)).body.data!.revokeOAuthGrant).toEqual({ deletedOAuthClientId: null, userErrors: [{ code: 'NOT_FOUND' }] });
    expect((await revoke(b, gb.id)).body.data!.revokeOAuthGrant).toEqual({ deletedOAuthClientId: gb.id, userErrors: [] });
    expect(await scimStatus(inB.access)).toBe(401);
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: inB.refresh }, [p.clientId, p.secret]), 'invalid_grant');
    expect(await scimStatus(rotated.body.access_token)).toBe(200);
    expect((await grants(b)).filter((g) => g.clientId === p.clientId)).toEqual([]);
    const audit = await h.graphql(b.tokens.admin, '{ auditEvents(first: 20) { nodes { action } } }');
    expect(audit.body.data!.auditEvents.nodes.map((e: { action: string }) => e.action)).toContain('oauth_client.grant_revoked');
    // revokeOAuthGrant is for grants only: a tenant's own client is deleted with deleteOAuthClient.
    const own = await h.graphql(b.tokens.admin, 'mutation { createOAuthClient(input: {name: "own", grantTypes: [CLIENT_CREDENTIALS]}) { oauthClient { id } } }');
    expect((await revoke(b, own.body.data!.createOAuthClient.oauthClient.id)).body.data!.revokeOAuthGrant.userErrors).toEqual([{ code: 'NOT_FOUND' }]);

    // B approves again: a new grant, working again; A's rotated family is untouched throughout. A reused refresh
    // token revokes A's family only.
    const again = await connect(b, p);
    expect(await scimStatus(again.access)).toBe(200);
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: inA.refresh }, [p.clientId, p.secret]), 'invalid_grant');
    expect(await scimStatus(rotated.body.access_token)).toBe(401);
    expect(await scimStatus(again.access)).toBe(200);
  });

  test("codes and refresh tokens are bound to their client: a tenant's own client and the platform client cannot use each other's", async () => {
    const p = await platformClient();
    const own = await h.graphql(
      a.tokens.admin,
      'mutation($input: CreateOAuthClientInput!) { createOAuthClient(input: $input) { oauthClient { clientId } clientSecret } }',
      { input: { name: 'own okta', grantTypes: ['AUTHORIZATION_CODE'], redirectUris: [REDIRECT] } },
    );
    const ownCreds: [string, string] = [own.body.data!.createOAuthClient.oauthClient.clientId, own.body.data!.createOAuthClient.clientSecret];
    const codeOf = async (clientId: string) => {
      const decided = (await decide(a, await requestId(clientId), true)).body.data!.decideOAuthAuthorization;
      return new URL(decided.redirectTo).searchParams.get('code')!;
    };
    expectRefusal(await token({ grant_type: 'authorization_code', code: await codeOf(p.clientId), redirect_uri: REDIRECT }, ownCreds), 'invalid_grant');
    expectRefusal(await token({ grant_type: 'authorization_code', code: await codeOf(ownCreds[0]), redirect_uri: REDIRECT }, [p.clientId, p.secret]), 'invalid_grant');
    const other = await platformClient('Another OIN app');
    expectRefusal(await token({ grant_type: 'authorization_code', code: await codeOf(p.clientId), redirect_uri: REDIRECT }, [other.clientId, other.secret]), 'invalid_grant');
    const inA = await connect(a, p);
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: inA.refresh }, ownCreds), 'invalid_grant');
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: inA.refresh }, [other.clientId, other.secret]), 'invalid_grant');
    expect(await scimStatus(inA.access)).toBe(200);
  });

  test('refusals: client credentials, a wrong or missing secret, an unregistered redirect URI; GraphQL refuses its tokens', async () => {
    const p = await platformClient();
    expectRefusal(await token({ grant_type: 'client_credentials' }, [p.clientId, p.secret]), 'unauthorized_client');
    expectRefusal(await token({ grant_type: 'client_credentials' }, [p.clientId, `${p.secret}x`]), 'invalid_client', 401);
    expectRefusal(await token({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, client_id: p.clientId }), 'invalid_client', 401);
    const page = await fetch(`${h.baseUrl}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: p.clientId, redirect_uri: 'https://evil.example.test/cb' })}`, {
      redirect: 'manual',
    });
    expect(page.status).toBe(400);
    const inA = await connect(a, p);
    expect((await h.graphql(inA.access, '{ oauthClients { id } }')).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // An admin of A cannot add secrets to the grant: the platform client's secrets are the operator's.
    const [ga] = (await grants(a)).filter((g) => g.clientId === p.clientId);
    const add = await h.graphql(a.tokens.admin, 'mutation($input: AddOAuthClientSecretInput!) { addOAuthClientSecret(input: $input) { clientSecret userErrors { code } } }', {
      input: { oauthClientId: ga.id },
    });
    expect(add.body.data!.addOAuthClientSecret).toEqual({ clientSecret: null, userErrors: [{ code: 'INVALID_VALUE' }] });
  });

  test('POST /oauth/revoke with the platform secret revokes that token in its tenant only', async () => {
    const p = await platformClient();
    const inA = await connect(a, p);
    const inB = await connect(b, p);
    const r = await h.request('POST', '/oauth/revoke', {
      rawBody: new URLSearchParams({ token: inA.access, client_id: p.clientId, client_secret: p.secret }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(200);
    expect(await scimStatus(inA.access)).toBe(401);
    expect(await scimStatus(inB.access)).toBe(200);
  });

  test("the operator's secret revocation ends every tenant's tokens obtained with it; deletion ends every grant", async () => {
    const p = await platformClient();
    const inA = await connect(a, p);
    const inB = await connect(b, p);
    const second = await oauthPlatformClientService.addSecret(operator, p.clientId, null);
    const viaSecond = await connect(a, p, second.clientSecret);
    const first = (await oauthPlatformClientService.list(operator)).find((l) => l.client.id === p.id)!;
    expect(first.grants).toBe(2);
    const firstSecret = first.secrets.find((s) => s.id !== second.secret.id)!;
    expect((await oauthPlatformClientService.revokeSecret(operator, p.clientId, firstSecret.id)).alreadyRevoked).toBe(false);
    expect(await scimStatus(inA.access)).toBe(401);
    expect(await scimStatus(inB.access)).toBe(401);
    expectRefusal(await token({ grant_type: 'refresh_token', refresh_token: inB.refresh }, [p.clientId, second.clientSecret]), 'invalid_grant');
    expect(await scimStatus(viaSecond.access)).toBe(200);
    expectRefusal(await token({ grant_type: 'client_credentials' }, [p.clientId, p.secret]), 'invalid_client', 401);

    expect((await oauthPlatformClientService.remove(operator, p.id)).grants).toBe(2);
    expect(await scimStatus(viaSecond.access)).toBe(401);
    expect((await grants(a)).filter((g) => g.clientId === p.clientId)).toEqual([]);
    expect((await grants(b)).filter((g) => g.clientId === p.clientId)).toEqual([]);
    const audit = await h.graphql(b.tokens.admin, '{ auditEvents(first: 20) { nodes { action actor { surface } } } }');
    expect(audit.body.data!.auditEvents.nodes).toEqual(
      expect.arrayContaining([
        { action: 'oauth_client.deleted', actor: { surface: 'CLI' } },
        { action: 'oauth_client.secret_revoked', actor: { surface: 'CLI' } },
      ]),
    );
    const page = await fetch(`${h.baseUrl}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: p.clientId, redirect_uri: REDIRECT })}`, {
      redirect: 'manual',
    });
    expect(page.status).toBe(400);
  });
});
