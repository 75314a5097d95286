import { createHash } from 'node:crypto';
import { GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { toGlobalId } from '../src/graphql/global-id';
import { createSchema } from '../src/graphql/schema';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/** The GraphQL admin API: viewer, tenant settings, access tokens, the audit log and the provisioning log, over HTTP. */
let h: Harness;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  a = await h.tenant('admin-a');
  b = await h.tenant('admin-b');
});
afterAll(async () => h?.close());

const VIEWER = `{ viewer { scope tenant { id name slug } token { id name scope prefix revokedAt } } }`;

const SETTINGS = `{ tenantSettings { scimImportFields provisioningLogRetentionDays defaultRole { id name } } }`;

const UPDATE_SETTINGS = `mutation($input: UpdateTenantSettingsInput!) {
  updateTenantSettings(input: $input) {
    tenantSettings { scimImportFields provisioningLogRetentionDays defaultRole { id name } }
    userErrors { code field message }
  }
}`;

const CREATE_TOKEN = `mutation($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) {
    accessToken { id name scope prefix createdAt lastUsedAt revokedAt expiresAt }
    secret
    userErrors { code field message }
  }
}`;

const REVOKE_TOKEN = `mutation($input: RevokeAccessTokenInput!) {
  revokeAccessToken(input: $input) { accessToken { id revokedAt } userErrors { code field message } }
}`;

const TOKENS = `query($first: Int, $after: String) {
  accessTokens(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id name scope prefix createdAt lastUsedAt revokedAt expiresAt } }
  }
}`;

const AUDIT = `query($employeeId: ID, $first: Int, $after: String) {
  auditEvents(employeeId: $employeeId, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    nodes { id occurredAt actor { surface tokenId } action targetType targetId changes { field from to } requestId }
  }
}`;

const PROVISIONING = `query($outcome: ProvisioningOutcome, $employeeId: ID, $first: Int, $after: String) {
  provisioningEvents(outcome: $outcome, employeeId: $employeeId, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id occurredAt outcome method path status scimType detail userName ignoredAttributes durationMs requestId
      employee { id username }
    }
  }
}`;

async function roleId(t: TestTenant, name: string): Promise<string> {
  const rows: { id: string }[] = await h.dataSource.query('SELECT id FROM roles WHERE tenant_id = $1 AND name = $2', [
    t.tenant.id,
    name,
  ]);
  return rows[0].id;
}

async function tenantRow(t: TestTenant): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown>[] = await h.dataSource.query('SELECT * FROM tenants WHERE id = $1', [t.tenant.id]);
  return rows[0];
}

async function viewerTokenId(token: string): Promise<string> {
  return (await h.graphql(token, VIEWER)).body.data.viewer.token.id;
}

describe('viewer', () => {
  test("each token sees itself, its scope and its own tenant (from the token, never from an argument)", async () => {
    for (const [t, scope] of [
      [a, 'admin'],
      [a, 'read'],
      [b, 'admin'],
    ] as const) {
      const result = await h.graphql(t.tokens[scope], VIEWER);
      expect(result.status).toBe(200);
      expect(result.body.data.viewer).toEqual({
        scope: scope.toUpperCase(),
        tenant: { id: toGlobalId('Tenant', t.tenant.id), name: t.tenant.name, slug: t.tenant.slug },
        token: {
          id: expect.any(String),
          name: `test-${scope}`,
          scope: scope.toUpperCase(),
          prefix: t.tokens[scope].slice(0, `rc_${scope}_`.length + 6),
          revokedAt: null,
        },
      });
      const row: { tenant_id: string }[] = await h.dataSource.query('SELECT tenant_id FROM access_tokens WHERE token_hash = $1', [
        createHash('sha256').update(t.tokens[scope]).digest('hex'),
      ]);
      expect(row[0].tenant_id).toBe(t.tenant.id);
    }
  });

  test('a SCIM token is refused on GraphQL', async () => {
    const result = await h.graphql(a.tokens.scim, VIEWER);
    expect(result.status).toBe(403);
    expect(result.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('tenant settings', () => {
  test('a new tenant imports no optional field, gives "Agent" and keeps the provisioning log 30 days', async () => {
    const result = await h.graphql(b.tokens.read, SETTINGS);
    expect(result.body.data.tenantSettings).toEqual({
      scimImportFields: [],
      provisioningLogRetentionDays: 30,
      defaultRole: { id: toGlobalId('Role', await roleId(b, 'Agent')), name: 'Agent' },
    });
  });

  test('an update changes what SCIM imports and the role new IdP employees get; it is audited', async () => {
    const t = await h.tenant('settings-apply');
    const before = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('before@settings.test'));
    expect(before.status).toBe(201);
    expect(await h.employeeRow(t.tenant.id, before.body.id)).toMatchObject({
      displayName: null,
      primaryRoleId: await roleId(t, 'Agent'),
    });

    const supervisor = await roleId(t, 'Supervisor');
    const update = await h.graphql(t.tokens.admin, UPDATE_SETTINGS, {
      input: {
        scimImportFields: ['DISPLAY_NAME', 'TIME_ZONE', 'DISPLAY_NAME'],
        defaultRoleId: toGlobalId('Role', supervisor),
        provisioningLogRetentionDays: 90,
      },
    });
    expect(update.body.data.updateTenantSettings).toEqual({
      tenantSettings: {
        scimImportFields: ['DISPLAY_NAME', 'TIME_ZONE'],
        provisioningLogRetentionDays: 90,
        defaultRole: { id: toGlobalId('Role', supervisor), name: 'Supervisor' },
      },
      userErrors: [],
    });
    expect(await tenantRow(t)).toMatchObject({
      scim_import_fields: ['DISPLAY_NAME', 'TIME_ZONE'],
      default_role_id: supervisor,
      provisioning_log_retention_days: 90,
    });

    const after = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('after@settings.test'));
    expect(after.status).toBe(201);
    expect(await h.employeeRow(t.tenant.id, after.body.id)).toMatchObject({
      displayName: 'after Tester',
      primaryRoleId: supervisor,
    });

    // Omitted fields stay; null returns the default role to "Agent".
    const reset = await h.graphql(t.tokens.admin, UPDATE_SETTINGS, { input: { defaultRoleId: null } });
    expect(reset.body.data.updateTenantSettings.tenantSettings).toEqual({
      scimImportFields: ['DISPLAY_NAME', 'TIME_ZONE'],
      provisioningLogRetentionDays: 90,
      defaultRole: { id: toGlobalId('Role', await roleId(t, 'Agent')), name: 'Agent' },
    });

    const audit = await h.dataSource.query(
      `SELECT * FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.settings_updated' ORDER BY occurred_at`,
      [t.tenant.id],
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({
      actor_surface: 'graphql',
      target_type: 'tenant',
      target_id: t.tenant.id,
      changes: {
        scimImportFields: { from: [], to: ['DISPLAY_NAME', 'TIME_ZONE'] },
        defaultRoleId: { from: null, to: supervisor },
        provisioningLogRetentionDays: { from: 30, to: 90 },
      },
    });
    expect(audit[1].changes).toEqual({ defaultRoleId: { from: supervisor, to: null } });

    // The same change through the audit log: non-text values as JSON, null as null.
    const listed = await h.graphql(t.tokens.read, AUDIT, { first: 100 });
    const settingsEvents = listed.body.data.auditEvents.nodes.filter((n: { action: string }) => n.action === 'tenant.settings_updated');
    expect(settingsEvents).toHaveLength(2);
    expect(settingsEvents[1]).toMatchObject({
      action: 'tenant.settings_updated',
      targetType: 'tenant',
      targetId: t.tenant.id,
      actor: { surface: 'GRAPHQL', tokenId: await viewerTokenId(t.tokens.admin) },
      changes: [
        { field: 'defaultRoleId', from: null, to: supervisor },
        { field: 'provisioningLogRetentionDays', from: '30', to: '90' },
        { field: 'scimImportFields', from: '[]', to: '["DISPLAY_NAME","TIME_ZONE"]' },
      ],
    });
  });

  test('a role id of the wrong type, of another tenant or unknown is INVALID_VALUE and nothing changes', async () => {
    const before = await tenantRow(a);
    const auditBefore = await h.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1', [a.tenant.id]);
    const refused = [
      toGlobalId('Team', await roleId(a, 'Supervisor')),
      toGlobalId('Role', await roleId(b, 'Supervisor')),
      toGlobalId('Role', '00000000-0000-4000-8000-000000000000'),
      'not-a-global-id',
    ];
    for (const defaultRoleId of refused) {
      const result = await h.graphql(a.tokens.admin, UPDATE_SETTINGS, {
        input: { defaultRoleId, scimImportFields: ['TEAM'], provisioningLogRetentionDays: 7 },
      });
      expect(result.body.data.updateTenantSettings).toEqual({
        tenantSettings: null,
        userErrors: [{ code: 'INVALID_VALUE', field: ['input', 'defaultRoleId'], message: expect.any(String) }],
      });
    }
    for (const provisioningLogRetentionDays of [0, 3651]) {
      const result = await h.graphql(a.tokens.admin, UPDATE_SETTINGS, {
        input: { provisioningLogRetentionDays, scimImportFields: ['TEAM'] },
      });
      expect(result.body.data.updateTenantSettings.userErrors).toEqual([
        { code: 'INVALID_VALUE', field: ['input', 'provisioningLogRetentionDays'], message: expect.any(String) },
      ]);
    }
    const nulls = await h.graphql(a.tokens.admin, UPDATE_SETTINGS, {
      input: { scimImportFields: null, provisioningLogRetentionDays: null },
    });
    expect(nulls.body.data.updateTenantSettings.userErrors.map((e: { code: string; field: string[] }) => `${e.code}:${e.field[1]}`)).toEqual([
      'REQUIRED:scimImportFields',
      'REQUIRED:provisioningLogRetentionDays',
    ]);
    expect(await tenantRow(a)).toEqual(before);
    expect(await h.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1', [a.tenant.id])).toEqual(
      auditBefore,
    );
  });
});

describe('access tokens', () => {
  test('a token name with control characters is an INVALID_VALUE userError and no token is stored', async () => {
    const [{ n: before }] = await h.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE tenant_id = $1', [a.tenant.id]);
    const result = await h.graphql(a.tokens.admin, CREATE_TOKEN, { input: { name: 'bad\u0000name', scope: 'READ' } });
    expect(result.body.data.createAccessToken).toMatchObject({ accessToken: null, secret: null });
    expect(result.body.data.createAccessToken.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', field: ['input', 'name'] })]);
    const [{ n: after }] = await h.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE tenant_id = $1', [a.tenant.id]);
    expect(after).toBe(before);
  });

  test('createAccessToken shows a working secret once; only its SHA-256 is stored', async () => {
    const result = await h.graphql(a.tokens.admin, CREATE_TOKEN, { input: { name: 'dashboard', scope: 'READ' } });
    const { accessToken, secret, userErrors } = result.body.data.createAccessToken;
    expect(userErrors).toEqual([]);
    expect(secret).toMatch(/^rc_read_[A-Za-z0-9_-]{43}$/);
    expect(accessToken).toMatchObject({ name: 'dashboard', scope: 'READ', revokedAt: null, expiresAt: null, lastUsedAt: null });
    expect(secret.startsWith(accessToken.prefix)).toBe(true);

    const viewer = await h.graphql(secret, VIEWER);
    expect(viewer.body.data.viewer).toMatchObject({ scope: 'READ', token: { id: accessToken.id }, tenant: { slug: a.tenant.slug } });

    const listed = await h.graphql(a.tokens.admin, TOKENS, { first: 100 });
    expect(listed.body.data.accessTokens.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(accessToken.id);
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toContain(createHash('sha256').update(secret).digest('hex'));
    const asked = await h.graphql(a.tokens.admin, '{ accessTokens { nodes { secret } } }');
    expect(asked.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const rows: Record<string, unknown>[] = await h.dataSource.query('SELECT * FROM access_tokens WHERE tenant_id = $1 AND name = $2', [
      a.tenant.id,
      'dashboard',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(secret, 'utf8').digest('hex'));
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows[0])).not.toContain(secret);
    const audit = await h.dataSource.query(`SELECT * FROM audit_events WHERE tenant_id = $1 AND target_id = $2`, [a.tenant.id, rows[0].id]);
    expect(audit).toMatchObject([{ action: 'token.created', actor_surface: 'graphql' }]);
  });

  test('a SCIM token created here works on SCIM; an expiry in the past and an empty name are refused', async () => {
    const created = await h.graphql(a.tokens.admin, CREATE_TOKEN, {
      input: { name: 'okta', scope: 'SCIM', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    const { accessToken, secret } = created.body.data.createAccessToken;
    expect(accessToken.expiresAt).not.toBeNull();
    expect((await h.scim('GET', '/Users', secret)).status).toBe(200);

    const count = await h.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE tenant_id = $1', [a.tenant.id]);
    for (const [input, field] of [
      [{ name: 'old', scope: 'ADMIN', expiresAt: '2020-01-01T00:00:00.000Z' }, 'expiresAt'],
      [{ name: '  ', scope: 'ADMIN' }, 'name'],
    ] as const) {
      const refused = await h.graphql(a.tokens.admin, CREATE_TOKEN, { input });
      expect(refused.body.data.createAccessToken).toEqual({
        accessToken: null,
        secret: null,
        userErrors: [{ code: 'INVALID_VALUE', field: ['input', field], message: expect.any(String) }],
      });
    }
    expect(await h.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE tenant_id = $1', [a.tenant.id])).toEqual(count);
  });

  test('revokeAccessToken: the secret gets 401 from then on; even the token of the request itself', async () => {
    const created = await h.graphql(a.tokens.admin, CREATE_TOKEN, { input: { name: 'to-revoke', scope: 'ADMIN' } });
    const { accessToken, secret } = created.body.data.createAccessToken;
    const revoked = await h.graphql(a.tokens.admin, REVOKE_TOKEN, { input: { id: accessToken.id } });
    expect(revoked.body.data.revokeAccessToken).toEqual({
      accessToken: { id: accessToken.id, revokedAt: expect.any(String) },
      userErrors: [],
    });
    const refused = await h.graphql(secret, VIEWER);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const self = (await h.graphql(a.tokens.admin, CREATE_TOKEN, { input: { name: 'self', scope: 'ADMIN' } })).body.data
      .createAccessToken;
    const own = await h.graphql(self.secret, REVOKE_TOKEN, { input: { id: self.accessToken.id } });
    expect(own.body.data.revokeAccessToken.userErrors).toEqual([]);
    expect((await h.graphql(self.secret, VIEWER)).status).toBe(401);
    const listed = await h.graphql(a.tokens.read, TOKENS, { first: 100 });
    const node = listed.body.data.accessTokens.edges.find((e: { node: { id: string } }) => e.node.id === self.accessToken.id).node;
    expect(node.revokedAt).not.toBeNull();
  });

  test("another tenant's token, an unknown id or a non-token id is NOT_FOUND, and that token keeps working", async () => {
    const foreign = await viewerTokenId(b.tokens.read);
    for (const id of [foreign, toGlobalId('AccessToken', '00000000-0000-4000-8000-000000000000'), toGlobalId('Tenant', a.tenant.id)]) {
      const result = await h.graphql(a.tokens.admin, REVOKE_TOKEN, { input: { id } });
      expect(result.body.data.revokeAccessToken).toEqual({
        accessToken: null,
        userErrors: [{ code: 'NOT_FOUND', field: ['input', 'id'], message: expect.any(String) }],
      });
    }
    expect((await h.graphql(b.tokens.read, VIEWER)).status).toBe(200);
  });

  test('accessTokens pages newest first by keyset, with an exact totalCount, and shows only this tenant', async () => {
    const t = await h.tenant('token-pages');
    for (let i = 0; i < 4; i++) await h.graphql(t.tokens.admin, CREATE_TOKEN, { input: { name: `page-${i}`, scope: 'READ' } });
    const seen: { id: string; createdAt: string }[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const result: any = await h.graphql(t.tokens.admin, TOKENS, { first: 2, after });
      const page = result.body.data.accessTokens;
      expect(page.totalCount).toBe(7);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((e: { node: { id: string; createdAt: string } }) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen.map((n) => n.id)).size).toBe(7);
    const times = seen.map((n) => n.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(seen.map((n) => n.id)).not.toContain(await viewerTokenId(a.tokens.admin));

    const cursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    for (const forged of [
      'nope',
      cursor(['2026-02-30T00:00:00.000000Z', a.tenant.id]),
      cursor(['2026-13-01T00:00:00.000000Z', a.tenant.id]),
      cursor(['0000-01-01T00:00:00.000000Z', a.tenant.id]),
      cursor(['2026-01-01T00:00:00.000000Z', 'not-a-uuid']),
      cursor(['2026-01-01 00:00:00', a.tenant.id]),
    ]) {
      const result = await h.graphql(t.tokens.admin, TOKENS, { first: 2, after: forged });
      expect(result.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (const first of [0, 101]) {
      expect((await h.graphql(t.tokens.admin, TOKENS, { first })).body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

test('a read token cannot call any of these mutations: FORBIDDEN, nothing written', async () => {
  const tenantBefore = await tenantRow(a);
  const tokensBefore = await h.dataSource.query('SELECT * FROM access_tokens WHERE tenant_id = $1 ORDER BY id', [a.tenant.id]);
  const adminTokenId = await viewerTokenId(a.tokens.admin);
  for (const [query, input] of [
    [UPDATE_SETTINGS, { scimImportFields: ['TEAM'] }],
    [CREATE_TOKEN, { name: 'sneaky', scope: 'ADMIN' }],
    [REVOKE_TOKEN, { id: adminTokenId }],
  ] as const) {
    const result = await h.graphql(a.tokens.read, query, { input });
    expect(result.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(result.body.data ?? null).toBeNull();
  }
  expect(await tenantRow(a)).toEqual(tenantBefore);
  const tokensAfter = await h.dataSource.query('SELECT * FROM access_tokens WHERE tenant_id = $1 ORDER BY id', [a.tenant.id]);
  // last_used_at is refreshed by authentication itself; nothing else may differ.
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ last_used_at: _ignored, ...rest }) => rest);
  expect(strip(tokensAfter)).toEqual(strip(tokensBefore));
});

describe('audit and provisioning logs', () => {
  test("auditEvents of an employee: the SCIM create and the GraphQL update, newest first, with actors and changes", async () => {
    const created = await h.scim('POST', '/Users', a.tokens.scim, oktaCreateUser('audited@admin.test'));
    expect(created.status).toBe(201);
    const employeeId = toGlobalId('Employee', created.body.id);
    const updated = await h.graphql(
      a.tokens.admin,
      `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code } } }`,
      { input: { id: employeeId, timeZone: 'Europe/Paris' } },
    );
    expect(updated.body.data.updateEmployee.userErrors).toEqual([]);

    const result = await h.graphql(a.tokens.read, AUDIT, { employeeId, first: 10 });
    const { nodes, totalCount } = result.body.data.auditEvents;
    expect(totalCount).toBe(2);
    const scimTokenId = (
      await h.dataSource.query('SELECT id FROM access_tokens WHERE token_hash = $1', [createHash('sha256').update(a.tokens.scim).digest('hex')])
    )[0].id as string;
    expect(nodes).toEqual([
      {
        id: expect.any(String),
        occurredAt: expect.any(String),
        actor: { surface: 'GRAPHQL', tokenId: await viewerTokenId(a.tokens.admin) },
        action: 'employee.updated',
        targetType: 'employee',
        targetId: created.body.id,
        changes: [{ field: 'timeZone', from: null, to: 'Europe/Paris' }],
        requestId: expect.any(String),
      },
      {
        id: expect.any(String),
        occurredAt: expect.any(String),
        actor: { surface: 'SCIM', tokenId: toGlobalId('AccessToken', scimTokenId) },
        action: 'employee.created',
        targetType: 'employee',
        targetId: created.body.id,
        changes: expect.arrayContaining([
          { field: 'username', from: null, to: 'audited@admin.test' },
          { field: 'firstName', from: null, to: 'Audited' },
        ]),
        requestId: created.headers.get('x-request-id'),
      },
    ]);
    expect(nodes[0].occurredAt >= nodes[1].occurredAt).toBe(true);

    // One per page, by cursor, same order.
    const first = await h.graphql(a.tokens.read, AUDIT, { employeeId, first: 1 });
    expect(first.body.data.auditEvents.pageInfo.hasNextPage).toBe(true);
    const second = await h.graphql(a.tokens.read, AUDIT, { employeeId, first: 1, after: first.body.data.auditEvents.pageInfo.endCursor });
    expect(second.body.data.auditEvents.nodes.map((n: { id: string }) => n.id)).toEqual([nodes[1].id]);
    expect(second.body.data.auditEvents.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    // Another tenant sees none of it, by id or in its whole log.
    const foreign = await h.graphql(b.tokens.admin, AUDIT, { employeeId, first: 100 });
    expect(foreign.body.data.auditEvents).toMatchObject({ totalCount: 0, nodes: [] });
    const all = await h.graphql(b.tokens.admin, AUDIT, { first: 100 });
    expect(all.body.data.auditEvents.nodes.map((n: { targetId: string }) => n.targetId)).not.toContain(created.body.id);

    const malformed = await h.graphql(a.tokens.read, AUDIT, { employeeId: toGlobalId('Role', created.body.id) });
    expect(malformed.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('changes of role, team, authenticator and default role carry the current names, never another tenant\'s', async () => {
    const t = await h.tenant('audit-names');
    const other = await h.tenant('audit-names-other');
    const NAMES = `query($employeeId: ID, $first: Int) {
      auditEvents(employeeId: $employeeId, first: $first) { nodes { action changes { field from to fromName toName } } }
    }`;
    const team = await h.graphql(t.tokens.admin, `mutation { createTeam(input: { name: "Billing" }) { team { id } userErrors { code } } }`);
    const teamGid = team.body.data.createTeam.team.id as string;
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('named@admin.test'));
    const employeeId = toGlobalId('Employee', created.body.id);
    const moved = await h.graphql(
      t.tokens.admin,
      `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { userErrors { code } } }`,
      { input: { id: employeeId, teamId: teamGid } },
    );
    expect(moved.body.data.updateEmployee.userErrors).toEqual([]);
    // Renamed since: the history shows the name it has now.
    const renamed = await h.graphql(t.tokens.admin, `mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { userErrors { code } } }`, {
      input: { id: teamGid, name: 'Billing, evening' },
    });
    expect(renamed.body.data.updateTeam.userErrors).toEqual([]);
    const supervisor = await roleId(t, 'Supervisor');
    const settings = await h.graphql(t.tokens.admin, UPDATE_SETTINGS, { input: { defaultRoleId: toGlobalId('Role', supervisor) } });
    expect(settings.body.data.updateTenantSettings.userErrors).toEqual([]);

    const history = (await h.graphql(t.tokens.read, NAMES, { employeeId, first: 10 })).body.data.auditEvents.nodes;
    const [teamUuid] = (await h.dataSource.query('SELECT id FROM teams WHERE tenant_id = $1', [t.tenant.id])) as { id: string }[];
    expect(history[0]).toEqual({
      action: 'employee.updated',
      changes: [{ field: 'teamId', from: null, to: teamUuid.id, fromName: null, toName: 'Billing, evening' }],
    });
    const createdChanges = history[1].changes as { field: string; fromName: string | null; toName: string | null }[];
    expect(createdChanges.find((c) => c.field === 'primaryRoleId')).toMatchObject({ fromName: null, toName: 'Agent' });
    expect(createdChanges.find((c) => c.field === 'loginAuthenticatorId')).toMatchObject({ toName: expect.any(String) });
    // Plain fields are never resolved, even when their value looks like an id.
    expect(createdChanges.filter((c) => !/Id$/.test(c.field)).every((c) => c.fromName === null && c.toName === null)).toBe(true);

    const all = (await h.graphql(t.tokens.read, NAMES, { first: 50 })).body.data.auditEvents.nodes;
    const defaultRole = all.find((n: { action: string }) => n.action === 'tenant.settings_updated').changes[0];
    expect(defaultRole).toMatchObject({ field: 'defaultRoleId', from: null, fromName: null, to: supervisor, toName: 'Supervisor' });

    // An audit change naming another tenant's role (written by hand: no surface can) resolves to no name, like an id
    // that no longer exists.
    const foreignRole = await roleId(other, 'Supervisor');
    const GONE = '00000000-0000-4000-8000-000000000000';
    await h.dataSource.query(
      `INSERT INTO audit_events (tenant_id, actor_surface, action, target_type, target_id, changes)
       VALUES ($1, 'system', 'employee.updated', 'employee', $2, $3::jsonb)`,
      [t.tenant.id, created.body.id, JSON.stringify({ primaryRoleId: { from: supervisor, to: foreignRole }, teamId: { from: GONE, to: teamUuid.id } })],
    );
    const crossed = (await h.graphql(t.tokens.read, NAMES, { employeeId, first: 1 })).body.data.auditEvents.nodes[0];
    expect(crossed.changes).toEqual([
      { field: 'primaryRoleId', from: supervisor, to: foreignRole, fromName: 'Supervisor', toName: null },
      { field: 'teamId', from: GONE, to: teamUuid.id, fromName: null, toName: 'Billing, evening' },
    ]);

  });

  test('a page of 50 audit events with names costs a constant number of SQL statements', async () => {
    const t = await h.tenant('audit-names-count');
    const ids = async (table: string) =>
      ((await h.dataSource.query(`SELECT id FROM ${table} WHERE tenant_id = $1`, [t.tenant.id])) as { id: string }[]).map((r) => r.id);
    const [roles, authenticators] = [await ids('roles'), await ids('login_authenticators')];
    for (const name of ['North', 'South', 'East']) {
      await h.graphql(t.tokens.admin, `mutation($n: String!) { createTeam(input: { name: $n }) { userErrors { code } } }`, { n: name });
    }
    const teams = await ids('teams');
    // 50 events, each naming a role, a team and an authenticator, all newer than the tenant's own events.
    const rows = Array.from({ length: 50 }, (_, i) => [
      `now() + interval '${i + 1} seconds'`,
      JSON.stringify({
        primaryRoleId: { from: roles[i % roles.length], to: roles[(i + 1) % roles.length] },
        teamId: { from: null, to: teams[i % teams.length] },
        loginAuthenticatorId: { from: authenticators[0], to: null },
      }),
    ]);
    for (const [time, changes] of rows) {
      await h.dataSource.query(
        `INSERT INTO audit_events (tenant_id, occurred_at, actor_surface, action, target_type, changes)
         VALUES ($1, ${time}, 'system', 'employee.updated', 'employee', $2::jsonb)`,
        [t.tenant.id, changes],
      );
    }
    const PAGE = `{ auditEvents(first: 50) { totalCount nodes { changes { field from to fromName toName } } } }`;
    const PLAIN = `{ auditEvents(first: 50) { totalCount nodes { changes { field from to } } } }`;
    await h.graphql(t.tokens.read, PLAIN); // warm-up (token last-used stamp)
    const beforePlain = h.statements.count;
    await h.graphql(t.tokens.read, PLAIN);
    const plain = h.statements.count - beforePlain;
    const before = h.statements.count;
    const result = await h.graphql(t.tokens.read, PAGE);
    const named = h.statements.count - before;
    const nodes = result.body.data.auditEvents.nodes as { changes: { field: string; toName: string | null }[] }[];
    expect(nodes).toHaveLength(50);
    expect(nodes.every((n) => n.changes.find((c) => c.field === 'teamId')!.toName !== null)).toBe(true);
    // at most one more statement per kind named (roles, teams, authenticators), whatever the page size
    expect(named - plain).toBeLessThanOrEqual(3);
  });

  test('provisioningEvents(outcome: FAILURE) shows a refused SCIM create with its status and detail', async () => {
    const ok = await h.scim('POST', '/Users', a.tokens.scim, oktaCreateUser('dup@admin.test'));
    expect(ok.status).toBe(201);
    const dup = await h.scim('POST', '/Users', a.tokens.scim, oktaCreateUser('DUP@admin.test'));
    expect(dup.status).toBe(409);
    await h.app.provisioningLog.flush();

    const failures = await h.graphql(a.tokens.read, PROVISIONING, { outcome: 'FAILURE', first: 100 });
    const { nodes, totalCount } = failures.body.data.provisioningEvents;
    expect(totalCount).toBe(nodes.length);
    expect(nodes.every((n: { outcome: string }) => n.outcome === 'FAILURE')).toBe(true);
    expect(nodes[0]).toEqual({
      id: expect.any(String),
      occurredAt: expect.any(String),
      outcome: 'FAILURE',
      method: 'POST',
      path: '/scim/v2/Users',
      status: 409,
      scimType: 'uniqueness',
      detail: dup.body.detail,
      userName: 'DUP@admin.test',
      ignoredAttributes: expect.any(Array),
      durationMs: expect.any(Number),
      requestId: dup.headers.get('x-request-id'),
      employee: null,
    });
    expect(nodes[0].detail).toEqual(expect.any(String));

    // The successful create is logged too, with its employee, and the employee filter finds it.
    const employeeId = toGlobalId('Employee', ok.body.id);
    const mine = await h.graphql(a.tokens.read, PROVISIONING, { employeeId, first: 10 });
    expect(mine.body.data.provisioningEvents.nodes).toMatchObject([
      {
        outcome: 'SUCCESS',
        status: 201,
        employee: { id: employeeId, username: 'dup@admin.test' },
        ignoredAttributes: expect.arrayContaining(['displayName']),
      },
    ]);
    const successes = await h.graphql(a.tokens.read, PROVISIONING, { outcome: 'SUCCESS', first: 100 });
    expect(successes.body.data.provisioningEvents.nodes.every((n: { outcome: string }) => n.outcome === 'SUCCESS')).toBe(true);

    const foreign = await h.graphql(b.tokens.admin, PROVISIONING, { first: 100 });
    expect(foreign.body.data.provisioningEvents).toMatchObject({ totalCount: 0, nodes: [] });
    const foreignById = await h.graphql(b.tokens.admin, PROVISIONING, { employeeId, first: 100 });
    expect(foreignById.body.data.provisioningEvents.totalCount).toBe(0);
  });
});

test('every type, field, argument and enum value of the admin API has a description', async () => {
  const schema: GraphQLSchema = await createSchema();
  const names = [
    'Viewer', 'Tenant', 'TokenScope', 'AccessToken', 'TenantSettings', 'ScimImportField', 'UpdateTenantSettingsInput',
    'UpdateTenantSettingsPayload', 'AccessTokenConnection', 'AccessTokenEdge', 'CreateAccessTokenInput',
    'CreateAccessTokenPayload', 'RevokeAccessTokenInput', 'RevokeAccessTokenPayload', 'AuditEvent', 'Actor',
    'ActorSurface', 'FieldChange', 'AuditEventConnection', 'AuditEventEdge', 'ProvisioningEvent',
    'ProvisioningOutcome', 'ProvisioningEventConnection', 'ProvisioningEventEdge',
  ];
  const missing: string[] = [];
  for (const name of names) {
    const type = schema.getType(name);
    if (!type) {
      missing.push(`${name} (absent)`);
      continue;
    }
    if (!type.description) missing.push(name);
    if (type instanceof GraphQLEnumType) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${name}.${value.name}`);
    }
    if (type instanceof GraphQLObjectType || type instanceof GraphQLInputObjectType || type instanceof GraphQLInterfaceType) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${name}.${field.name}(${arg.name})`);
      }
    }
  }
  const roots = { Query: ['viewer', 'tenantSettings', 'accessTokens', 'auditEvents', 'provisioningEvents'], Mutation: ['updateTenantSettings', 'createAccessToken', 'revokeAccessToken'] };
  for (const [root, fields] of Object.entries(roots)) {
    const type = schema.getType(root) as GraphQLObjectType;
    for (const name of fields) {
      const field = type.getFields()[name];
      if (!field?.description) missing.push(`${root}.${name}`);
      for (const arg of field?.args ?? []) if (!arg.description) missing.push(`${root}.${name}(${arg.name})`);
    }
  }
  expect(missing).toEqual([]);
});
