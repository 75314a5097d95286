import { catalogService } from '../src/services/catalog.service';
import { employeeService } from '../src/services/employee.service';
import { Harness, TestTenant } from './support/harness';

/**
 * The GraphQL catalog: roles, teams, login authenticators and employee templates, listed by keyset connections and
 * changed by admin mutations, through Apollo over HTTP. Rules about data are checked against the rows.
 */
let h: Harness;

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h?.close());

const USER_ERRORS = 'userErrors { code field message }';
const TABLES = ['roles', 'teams', 'login_authenticators', 'employee_templates'] as const;

interface UserErrorResult {
  code: string;
  field: string[] | null;
  message: string;
}

/** Runs `name(input: $input) { <selection> userErrors }` and returns the payload (or the whole body on errors). */
async function mutate(token: string, name: string, input: Record<string, unknown>, selection = ''): Promise<any> {
  const inputType = `${name.charAt(0).toUpperCase()}${name.slice(1)}Input`;
  const result = await h.graphql(
    token,
    `mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} ${USER_ERRORS} } }`,
    { input },
  );
  if (result.body.errors) return result.body;
  return result.body.data[name];
}

function codes(errors: UserErrorResult[]): string[] {
  return errors.map((e) => `${e.code}:${e.field?.join('.') ?? ''}`);
}

/** Every catalog row of a tenant, to prove that a refusal changed nothing. */
async function snapshot(tenantId: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    out[table] = await h.dataSource.query(`SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
  }
  return out;
}

async function row(table: (typeof TABLES)[number], tenantId: string, globalId: string): Promise<any> {
  const id = Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
  const rows = await h.dataSource.query(`SELECT * FROM ${table} WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0] ?? null;
}

async function globalIdOf(token: string, connection: string, name: string): Promise<string> {
  const result = await h.graphql(token, `{ ${connection}(first: 100) { nodes { id name } } }`);
  const node = result.body.data[connection].nodes.find((n: { name: string }) => n.name === name);
  if (!node) throw new Error(`no ${connection} named ${name}`);
  return node.id;
}

async function auditActions(tenantId: string, globalId: string): Promise<{ action: string; actor_surface: string }[]> {
  const id = Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
  return h.dataSource.query(
    'SELECT action, actor_surface FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY occurred_at, id',
    [tenantId, id],
  );
}

async function newEmployee(t: TestTenant, username: string, refs: { teamId?: string; primaryRoleId?: string } = {}) {
  return employeeService.createLocal(t.ctx, { username, firstName: 'Ann', lastName: 'Lee', email: username, ...refs });
}

function uuidOf(globalId: string): string {
  return Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
}

describe('roles and teams', () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await h.tenant('cat-roles');
  });

  test('a role is created, updated and deleted; each change is in the database and audited', async () => {
    const created = await mutate(t.tokens.admin, 'createRole', { name: '  Quality Analyst ', description: ' Listens to calls ' }, 'role { id name description }');
    expect(created.userErrors).toEqual([]);
    expect(created.role).toMatchObject({ name: 'Quality Analyst', description: 'Listens to calls' });
    const id = created.role.id;
    expect(await row('roles', t.tenant.id, id)).toMatchObject({ name: 'Quality Analyst', description: 'Listens to calls' });

    const updated = await mutate(t.tokens.admin, 'updateRole', { id, name: 'QA Analyst', description: null }, 'role { id name description }');
    expect(updated).toEqual({ role: { id, name: 'QA Analyst', description: null }, userErrors: [] });
    expect(await row('roles', t.tenant.id, id)).toMatchObject({ name: 'QA Analyst', description: null });

    const deleted = await mutate(t.tokens.admin, 'deleteRole', { id }, 'deletedRoleId');
    expect(deleted).toEqual({ deletedRoleId: id, userErrors: [] });
    expect(await row('roles', t.tenant.id, id)).toBeNull();

    expect(await auditActions(t.tenant.id, id)).toEqual([
      { action: 'role.created', actor_surface: 'graphql' },
      { action: 'role.updated', actor_surface: 'graphql' },
      { action: 'role.deleted', actor_surface: 'graphql' },
    ]);
  });

  test('a team is created, updated and deleted; each change is in the database', async () => {
    const created = await mutate(t.tokens.admin, 'createTeam', { name: 'Billing, evening' }, 'team { id name description }');
    expect(created).toMatchObject({ team: { name: 'Billing, evening', description: null }, userErrors: [] });
    const id = created.team.id;
    expect(await row('teams', t.tenant.id, id)).toMatchObject({ name: 'Billing, evening', description: null });

    const updated = await mutate(t.tokens.admin, 'updateTeam', { id, description: 'Second line\nof billing' }, 'team { name description }');
    expect(updated).toEqual({ team: { name: 'Billing, evening', description: 'Second line\nof billing' }, userErrors: [] });
    expect(await row('teams', t.tenant.id, id)).toMatchObject({ name: 'Billing, evening', description: 'Second line\nof billing' });

    expect(await mutate(t.tokens.admin, 'deleteTeam', { id }, 'deletedTeamId')).toEqual({ deletedTeamId: id, userErrors: [] });
    expect(await row('teams', t.tenant.id, id)).toBeNull();
    expect((await auditActions(t.tenant.id, id)).map((a) => a.action)).toEqual(['team.created', 'team.updated', 'team.deleted']);
  });

  test('names are unique per tenant, case-insensitively; refusals write nothing', async () => {
    const before = await snapshot(t.tenant.id);
    const role = await mutate(t.tokens.admin, 'createRole', { name: ' supervisor ' }, 'role { id }');
    expect(role.role).toBeNull();
    expect(codes(role.userErrors)).toEqual(['UNIQUENESS:input.name']);

    const supervisor = await globalIdOf(t.tokens.admin, 'roles', 'Supervisor');
    const rename = await mutate(t.tokens.admin, 'updateRole', { id: supervisor, name: 'ADMINISTRATOR' }, 'role { id }');
    expect(codes(rename.userErrors)).toEqual(['UNIQUENESS:input.name']);

    expect((await mutate(t.tokens.admin, 'createTeam', { name: 'Nights' }, 'team { id }')).userErrors).toEqual([]);
    const before2 = await snapshot(t.tenant.id);
    const team = await mutate(t.tokens.admin, 'createTeam', { name: 'NIGHTS' }, 'team { id }');
    expect(codes(team.userErrors)).toEqual(['UNIQUENESS:input.name']);
    expect(await snapshot(t.tenant.id)).toEqual(before2);
    expect((await snapshot(t.tenant.id)).roles).toEqual(before.roles);

    // Another tenant may use the same name.
    const other = await h.tenant('cat-roles-other');
    expect((await mutate(other.tokens.admin, 'createTeam', { name: 'Nights' }, 'team { id }')).userErrors).toEqual([]);
  });

  test('concurrent creates of one name: one wins, the others get UNIQUENESS (never a 500)', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => mutate(t.tokens.admin, 'createRole', { name: i % 2 ? 'Racer' : 'RACER' }, 'role { id }')),
    );
    expect(results.filter((r) => r.role).length).toBe(1);
    expect(results.filter((r) => !r.role).flatMap((r) => codes(r.userErrors))).toEqual(Array(4).fill('UNIQUENESS:input.name'));
    expect(await h.dataSource.query(`SELECT name FROM roles WHERE tenant_id = $1 AND name = 'racer'::citext`, [t.tenant.id])).toHaveLength(1);
  });

  test('names must be 1 to 100 characters without control characters; all problems at once, nothing written', async () => {
    const before = await snapshot(t.tenant.id);
    for (const [name, expected] of [
      ['', 'REQUIRED:input.name'],
      ['   ', 'REQUIRED:input.name'],
      ['x'.repeat(101), 'INVALID_VALUE:input.name'],
      ['Two\nlines', 'INVALID_VALUE:input.name'],
      ['Tab\there', 'INVALID_VALUE:input.name'],
      ['Nul\u0000', 'INVALID_VALUE:input.name'],
    ] as const) {
      const result = await mutate(t.tokens.admin, 'createRole', { name, description: 'Bell\u0007' }, 'role { id }');
      expect(codes(result.userErrors).sort()).toEqual([expected, 'INVALID_VALUE:input.description'].sort());
    }
    const id = await globalIdOf(t.tokens.admin, 'roles', 'Supervisor');
    expect(codes((await mutate(t.tokens.admin, 'updateRole', { id, name: null }, 'role { id }')).userErrors)).toEqual([
      'REQUIRED:input.name',
    ]);
    expect(await snapshot(t.tenant.id)).toEqual(before);

    const longest = await mutate(t.tokens.admin, 'createTeam', { name: ` ${'é'.repeat(100)} ` }, 'team { id name }');
    expect(longest.userErrors).toEqual([]);
    expect(longest.team.name).toBe('é'.repeat(100));
  });

  test('a role or team in use is not deleted: IN_USE with the counts, and the row stays', async () => {
    const team = (await mutate(t.tokens.admin, 'createTeam', { name: 'Escalations' }, 'team { id }')).team.id;
    const role = (await mutate(t.tokens.admin, 'createRole', { name: 'Escalation lead' }, 'role { id }')).role.id;
    const employee = await newEmployee(t, 'lead@cat.test', { teamId: uuidOf(team), primaryRoleId: uuidOf(role) });
    await newEmployee(t, 'lead2@cat.test', { primaryRoleId: uuidOf(role) });
    expect((await mutate(t.tokens.admin, 'createEmployeeTemplate', { name: 'Leads', primaryRoleId: role }, 'employeeTemplate { id }')).userErrors).toEqual([]);

    const teamResult = await mutate(t.tokens.admin, 'deleteTeam', { id: team }, 'deletedTeamId');
    expect(teamResult.deletedTeamId).toBeNull();
    expect(codes(teamResult.userErrors)).toEqual(['IN_USE:input.id']);
    expect(teamResult.userErrors[0].message).toMatch(/used by 1 employee;/);
    expect(await row('teams', t.tenant.id, team)).not.toBeNull();

    const roleResult = await mutate(t.tokens.admin, 'deleteRole', { id: role }, 'deletedRoleId');
    expect(codes(roleResult.userErrors)).toEqual(['IN_USE:input.id']);
    expect(roleResult.userErrors[0].message).toMatch(/used by 2 employees and 1 employee template;/);
    expect(await row('roles', t.tenant.id, role)).not.toBeNull();

    // Deleted employees keep their references (the audit trail and the foreign keys need them), so they count.
    const archive = (await mutate(t.tokens.admin, 'createTeam', { name: 'Archive' }, 'team { id }')).team.id;
    const leaver = await newEmployee(t, 'leaver@cat.test', { teamId: uuidOf(archive) });
    await employeeService.remove(t.ctx, leaver.id);
    const archived = await mutate(t.tokens.admin, 'deleteTeam', { id: archive }, 'deletedTeamId');
    expect(archived.userErrors[0].message).toMatch(/used by 1 employee \(1 of them deleted\);/);
    expect(await row('teams', t.tenant.id, archive)).not.toBeNull();

    // Once nobody uses the team, it goes.
    await employeeService.update(t.ctx, employee.id, { teamId: null });
    expect((await mutate(t.tokens.admin, 'deleteTeam', { id: team }, 'deletedTeamId')).deletedTeamId).toBe(team);
    expect(await row('teams', t.tenant.id, team)).toBeNull();
  });
});

describe('the default role', () => {
  test('the role named "Agent" is the default while none is chosen: not deleted, not renamed away', async () => {
    const t = await h.tenant('cat-default-role');
    const agent = await globalIdOf(t.tokens.admin, 'roles', 'Agent');
    const before = await snapshot(t.tenant.id);

    const deleted = await mutate(t.tokens.admin, 'deleteRole', { id: agent }, 'deletedRoleId');
    expect(codes(deleted.userErrors)).toEqual(['IN_USE:input.id']);
    expect(deleted.userErrors[0].message).toContain('it is the default role for IdP-created employees; choose another default first');
    const renamed = await mutate(t.tokens.admin, 'updateRole', { id: agent, name: 'Agents' }, 'role { id }');
    expect(codes(renamed.userErrors)).toEqual(['INVALID_VALUE:input.name']);
    expect(await snapshot(t.tenant.id)).toEqual(before);

    // A change of case keeps it the default, so it is allowed.
    expect((await mutate(t.tokens.admin, 'updateRole', { id: agent, name: 'AGENT' }, 'role { name }')).role).toEqual({ name: 'AGENT' });
  });

  test('a chosen default role is protected instead of "Agent"', async () => {
    const t = await h.tenant('cat-chosen-role');
    const agent = await globalIdOf(t.tokens.admin, 'roles', 'Agent');
    const supervisor = await globalIdOf(t.tokens.admin, 'roles', 'Supervisor');
    await h.dataSource.query('UPDATE tenants SET default_role_id = $2 WHERE id = $1', [t.tenant.id, uuidOf(supervisor)]);

    const refused = await mutate(t.tokens.admin, 'deleteRole', { id: supervisor }, 'deletedRoleId');
    expect(codes(refused.userErrors)).toEqual(['IN_USE:input.id']);
    expect(await row('roles', t.tenant.id, supervisor)).not.toBeNull();

    expect((await mutate(t.tokens.admin, 'updateRole', { id: agent, name: 'Frontline' }, 'role { name }')).userErrors).toEqual([]);
    expect((await mutate(t.tokens.admin, 'deleteRole', { id: agent }, 'deletedRoleId')).deletedRoleId).toBe(agent);
    expect(await row('roles', t.tenant.id, agent)).toBeNull();
  });
});

describe('login authenticators', () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await h.tenant('cat-auth');
  });

  async function defaults(): Promise<string[]> {
    const rows: { name: string }[] = await h.dataSource.query(
      'SELECT name FROM login_authenticators WHERE tenant_id = $1 AND is_default ORDER BY name',
      [t.tenant.id],
    );
    return rows.map((r) => r.name);
  }

  test('a new default replaces the old one in the same change; the default is neither deleted nor unset', async () => {
    expect(await defaults()).toEqual(['Default']);
    const sso = await mutate(t.tokens.admin, 'createLoginAuthenticator', { name: 'Okta SSO', isDefault: true }, 'loginAuthenticator { id name isDefault }');
    expect(sso).toMatchObject({ loginAuthenticator: { name: 'Okta SSO', isDefault: true }, userErrors: [] });
    expect(await defaults()).toEqual(['Okta SSO']);
    const seeded = await globalIdOf(t.tokens.admin, 'loginAuthenticators', 'Default');
    expect((await auditActions(t.tenant.id, seeded)).map((a) => a.action)).toEqual(['login_authenticator.updated']);

    const back = await mutate(t.tokens.admin, 'updateLoginAuthenticator', { id: seeded, isDefault: true }, 'loginAuthenticator { isDefault }');
    expect(back).toEqual({ loginAuthenticator: { isDefault: true }, userErrors: [] });
    expect(await defaults()).toEqual(['Default']);

    const before = await snapshot(t.tenant.id);
    const unset = await mutate(t.tokens.admin, 'updateLoginAuthenticator', { id: seeded, isDefault: false }, 'loginAuthenticator { id }');
    expect(codes(unset.userErrors)).toEqual(['INVALID_VALUE:input.isDefault']);
    const deleted = await mutate(t.tokens.admin, 'deleteLoginAuthenticator', { id: seeded }, 'deletedLoginAuthenticatorId');
    expect(codes(deleted.userErrors)).toEqual(['IN_USE:input.id']);
    expect(deleted.userErrors[0].message).toMatch(/default/);
    expect(await snapshot(t.tenant.id)).toEqual(before);

    const renamed = await mutate(t.tokens.admin, 'updateLoginAuthenticator', { id: sso.loginAuthenticator.id, name: 'Okta' }, 'loginAuthenticator { name isDefault }');
    expect(renamed).toEqual({ loginAuthenticator: { name: 'Okta', isDefault: false }, userErrors: [] });
    const gone = await mutate(t.tokens.admin, 'deleteLoginAuthenticator', { id: sso.loginAuthenticator.id }, 'deletedLoginAuthenticatorId');
    expect(gone).toEqual({ deletedLoginAuthenticatorId: sso.loginAuthenticator.id, userErrors: [] });
    expect(await row('login_authenticators', t.tenant.id, sso.loginAuthenticator.id)).toBeNull();
  });

  test('concurrent "make this the default" leave exactly one default', async () => {
    const results = await Promise.all(
      ['Race A', 'Race B', 'Race C', 'Race D'].map((name) =>
        mutate(t.tokens.admin, 'createLoginAuthenticator', { name, isDefault: true }, 'loginAuthenticator { id }'),
      ),
    );
    expect(results.every((r) => r.userErrors.length === 0)).toBe(true);
    expect(await defaults()).toHaveLength(1);
  });

  test('an authenticator in use by employees or templates is not deleted', async () => {
    const created = await mutate(t.tokens.admin, 'createLoginAuthenticator', { name: 'Badge' }, 'loginAuthenticator { id isDefault }');
    expect(created.loginAuthenticator.isDefault).toBe(false);
    const id = created.loginAuthenticator.id;
    await employeeService.createLocal(t.ctx, {
      username: 'badge@cat.test',
      firstName: 'B',
      lastName: 'Adge',
      email: 'badge@cat.test',
      loginAuthenticatorId: uuidOf(id),
    });
    await mutate(t.tokens.admin, 'createEmployeeTemplate', { name: 'Badge users', loginAuthenticatorId: id }, 'employeeTemplate { id }');
    const refused = await mutate(t.tokens.admin, 'deleteLoginAuthenticator', { id }, 'deletedLoginAuthenticatorId');
    expect(codes(refused.userErrors)).toEqual(['IN_USE:input.id']);
    expect(refused.userErrors[0].message).toMatch(/used by 1 employee and 1 employee template;/);
    expect(await row('login_authenticators', t.tenant.id, id)).not.toBeNull();
  });
});

describe('employee templates', () => {
  let t: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    t = await h.tenant('cat-templates');
    other = await h.tenant('cat-templates-other');
  });

  const TEMPLATE = `employeeTemplate { id name timeZone type primaryRole { name } team { name } loginAuthenticator { name } }`;

  test('a template with presets resolves its role, team and authenticator; update clears and changes; delete', async () => {
    const role = await globalIdOf(t.tokens.admin, 'roles', 'Supervisor');
    const team = (await mutate(t.tokens.admin, 'createTeam', { name: 'Night shift' }, 'team { id }')).team.id;
    const auth = await globalIdOf(t.tokens.admin, 'loginAuthenticators', 'Default');
    const created = await mutate(
      t.tokens.admin,
      'createEmployeeTemplate',
      { name: 'Night supervisors', primaryRoleId: role, teamId: team, timeZone: 'Europe/Paris', type: ' Contractor ', loginAuthenticatorId: auth },
      TEMPLATE,
    );
    expect(created.userErrors).toEqual([]);
    expect(created.employeeTemplate).toMatchObject({
      name: 'Night supervisors',
      timeZone: 'Europe/Paris',
      type: 'Contractor',
      primaryRole: { name: 'Supervisor' },
      team: { name: 'Night shift' },
      loginAuthenticator: { name: 'Default' },
    });
    const id = created.employeeTemplate.id;
    expect(await row('employee_templates', t.tenant.id, id)).toMatchObject({
      name: 'Night supervisors',
      primary_role_id: uuidOf(role),
      team_id: uuidOf(team),
      time_zone: 'Europe/Paris',
      type: 'Contractor',
      login_authenticator_id: uuidOf(auth),
    });

    const listed = await h.graphql(t.tokens.read, `{ employeeTemplates { totalCount nodes { id primaryRole { id name } team { name } loginAuthenticator { name isDefault } } } }`);
    expect(listed.body.data.employeeTemplates).toEqual({
      totalCount: 1,
      nodes: [{ id, primaryRole: { id: role, name: 'Supervisor' }, team: { name: 'Night shift' }, loginAuthenticator: { name: 'Default', isDefault: true } }],
    });

    const updated = await mutate(t.tokens.admin, 'updateEmployeeTemplate', { id, teamId: null, timeZone: 'America/New_York', type: null }, TEMPLATE);
    expect(updated.userErrors).toEqual([]);
    expect(updated.employeeTemplate).toMatchObject({ team: null, timeZone: 'America/New_York', type: null, primaryRole: { name: 'Supervisor' } });
    expect(await row('employee_templates', t.tenant.id, id)).toMatchObject({ team_id: null, time_zone: 'America/New_York', type: null, primary_role_id: uuidOf(role) });

    // Templates are used only when an employee is created, so deleting one is never refused.
    expect(await mutate(t.tokens.admin, 'deleteEmployeeTemplate', { id }, 'deletedEmployeeTemplateId')).toEqual({
      deletedEmployeeTemplateId: id,
      userErrors: [],
    });
    expect(await row('employee_templates', t.tenant.id, id)).toBeNull();
    expect((await auditActions(t.tenant.id, id)).map((a) => a.action)).toEqual([
      'employee_template.created',
      'employee_template.updated',
      'employee_template.deleted',
    ]);
  });

  test('related ids of the wrong type, of another tenant or malformed, and bad time zones are INVALID_VALUE; nothing written', async () => {
    const team = (await mutate(t.tokens.admin, 'createTeam', { name: 'Day shift' }, 'team { id }')).team.id;
    const otherRole = await globalIdOf(other.tokens.admin, 'roles', 'Agent');
    const before = await snapshot(t.tenant.id);

    const wrongType = await mutate(t.tokens.admin, 'createEmployeeTemplate', { name: 'Wrong', primaryRoleId: team, loginAuthenticatorId: 'nonsense' }, 'employeeTemplate { id }');
    expect(codes(wrongType.userErrors).sort()).toEqual(['INVALID_VALUE:input.loginAuthenticatorId', 'INVALID_VALUE:input.primaryRoleId']);

    const foreign = await mutate(
      t.tokens.admin,
      'createEmployeeTemplate',
      { name: 'Foreign', primaryRoleId: otherRole, timeZone: 'Mars/Olympus', type: 'x'.repeat(300) },
      'employeeTemplate { id }',
    );
    expect(foreign.employeeTemplate).toBeNull();
    expect(codes(foreign.userErrors).sort()).toEqual([
      'INVALID_VALUE:input.primaryRoleId',
      'INVALID_VALUE:input.timeZone',
      'INVALID_VALUE:input.type',
    ]);
    expect(await snapshot(t.tenant.id)).toEqual(before);

    await mutate(t.tokens.admin, 'createEmployeeTemplate', { name: 'Days', teamId: team }, 'employeeTemplate { id }');
    const dup = await mutate(t.tokens.admin, 'createEmployeeTemplate', { name: 'DAYS' }, 'employeeTemplate { id }');
    expect(codes(dup.userErrors)).toEqual(['UNIQUENESS:input.name']);
  });
});

describe('connections', () => {
  let t: TestTenant;
  const KINDS = [
    { connection: 'roles', table: 'roles', order: 'RoleOrder' },
    { connection: 'teams', table: 'teams', order: 'TeamOrder' },
    { connection: 'loginAuthenticators', table: 'login_authenticators', order: 'LoginAuthenticatorOrder' },
    { connection: 'employeeTemplates', table: 'employee_templates', order: 'EmployeeTemplateOrder' },
  ] as const;

  beforeAll(async () => {
    t = await h.tenant('cat-paging');
    // Mixed case, so that order by name is checked to be case-insensitive; one at a time, so creation times differ.
    for (const name of ['beta', 'Alpha', 'gamma', 'Delta', 'epsilon', 'Zeta', 'eta']) {
      await catalogService.createRole(t.ctx, { name: `${name} role` });
      await catalogService.createTeam(t.ctx, { name: `${name} team` });
      await catalogService.createLoginAuthenticator(t.ctx, { name: `${name} login` });
      await catalogService.createEmployeeTemplate(t.ctx, { name: `${name} template` });
    }
  });

  function query(kind: (typeof KINDS)[number]): string {
    return `query($first: Int, $after: String, $orderBy: ${kind.order}) {
      ${kind.connection}(first: $first, after: $after, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name } }
        nodes { id name }
      }
    }`;
  }

  async function walk(kind: (typeof KINDS)[number], orderBy?: { field: string; direction: string }): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const result: any = await h.graphql(t.tokens.read, query(kind), { first: 2, after, orderBy });
      expect(result.body.errors).toBeUndefined();
      const page = result.body.data[kind.connection];
      expect(page.nodes.length).toBeLessThanOrEqual(2);
      expect(page.edges.map((e: { node: unknown }) => e.node)).toEqual(page.nodes);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
      seen.push(...page.nodes.map((n: { name: string }) => n.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    return seen;
  }

  test.each(KINDS)('$connection: first=2 walks visit every row once, in order, both ways, by name and by creation', async (kind) => {
    const byName: { name: string }[] = await h.dataSource.query(
      `SELECT name FROM ${kind.table} WHERE tenant_id = $1 ORDER BY name, id`,
      [t.tenant.id],
    );
    const byCreation: { name: string }[] = await h.dataSource.query(
      `SELECT name FROM ${kind.table} WHERE tenant_id = $1 ORDER BY created_at, id`,
      [t.tenant.id],
    );
    const names = byName.map((r) => r.name);
    expect(names.length).toBeGreaterThanOrEqual(7);

    const first = await h.graphql(t.tokens.read, query(kind), { first: 2 });
    expect(first.body.data[kind.connection].totalCount).toBe(names.length);

    expect(await walk(kind)).toEqual(names);
    expect(await walk(kind, { field: 'NAME', direction: 'ASC' })).toEqual(names);
    expect(await walk(kind, { field: 'NAME', direction: 'DESC' })).toEqual([...names].reverse());
    expect(await walk(kind, { field: 'CREATED_AT', direction: 'ASC' })).toEqual(byCreation.map((r) => r.name));
    expect(await walk(kind, { field: 'CREATED_AT', direction: 'DESC' })).toEqual(byCreation.map((r) => r.name).reverse());
  });

  test('order by name ignores case', async () => {
    const seen = await walk(KINDS[1]);
    expect(seen.slice(0, 4)).toEqual(['Alpha team', 'beta team', 'Delta team', 'epsilon team']);
  });

  test('bad `first`, forged cursors and cursors of another order are BAD_USER_INPUT', async () => {
    const kind = KINDS[0];
    const byName = await h.graphql(t.tokens.read, query(kind), { first: 2 });
    const nameCursor = byName.body.data.roles.pageInfo.endCursor;
    const forged = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    for (const variables of [
      { first: 0 },
      { first: 101 },
      { first: 2, after: 'not-a-cursor' },
      { first: 2, after: nameCursor, orderBy: { field: 'CREATED_AT', direction: 'ASC' } },
      { first: 2, after: forged(['NAME', 'x', 'not-a-uuid']) },
      { first: 2, after: forged(['CREATED_AT', 'yesterday', '00000000-0000-4000-8000-000000000000']), orderBy: { field: 'CREATED_AT', direction: 'ASC' } },
      { first: 2, after: forged(['CREATED_AT', '2026-02-30T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000']), orderBy: { field: 'CREATED_AT', direction: 'ASC' } },
      { first: 2, after: forged(['NAME', 'nul\u0000', '00000000-0000-4000-8000-000000000000']) },
    ]) {
      const result = await h.graphql(t.tokens.read, query(kind), variables);
      expect(result.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  test('a cursor stays valid after the row it points at is deleted', async () => {
    const kind = KINDS[1];
    const page = await h.graphql(t.tokens.admin, query(kind), { first: 2 });
    const last = page.body.data.teams.nodes[1];
    const all = await walk(kind);
    await mutate(t.tokens.admin, 'deleteTeam', { id: last.id }, 'deletedTeamId');
    const rest = await h.graphql(t.tokens.read, query(kind), { first: 100, after: page.body.data.teams.pageInfo.endCursor });
    expect(rest.body.data.teams.nodes.map((n: { name: string }) => n.name)).toEqual(all.slice(2));
  });
});

describe('access', () => {
  let t: TestTenant;
  let other: TestTenant;
  beforeAll(async () => {
    t = await h.tenant('cat-access');
    other = await h.tenant('cat-access-other');
  });

  test('a read token can list but every catalog mutation is FORBIDDEN, and nothing changes', async () => {
    const role = await globalIdOf(t.tokens.read, 'roles', 'Supervisor');
    const auth = await globalIdOf(t.tokens.read, 'loginAuthenticators', 'Default');
    const team = (await catalogService.createTeam(t.ctx, { name: 'Readers' })).id;
    const teamId = Buffer.from(`Team:${team}`).toString('base64url');
    const template = (await catalogService.createEmployeeTemplate(t.ctx, { name: 'Readers' })).id;
    const templateId = Buffer.from(`EmployeeTemplate:${template}`).toString('base64url');
    const before = await snapshot(t.tenant.id);
    const attempts: [string, Record<string, unknown>][] = [
      ['createRole', { name: 'Nope' }],
      ['updateRole', { id: role, name: 'Nope' }],
      ['deleteRole', { id: role }],
      ['createTeam', { name: 'Nope' }],
      ['updateTeam', { id: teamId, name: 'Nope' }],
      ['deleteTeam', { id: teamId }],
      ['createLoginAuthenticator', { name: 'Nope', isDefault: true }],
      ['updateLoginAuthenticator', { id: auth, name: 'Nope' }],
      ['deleteLoginAuthenticator', { id: auth }],
      ['createEmployeeTemplate', { name: 'Nope' }],
      ['updateEmployeeTemplate', { id: templateId, name: 'Nope' }],
      ['deleteEmployeeTemplate', { id: templateId }],
    ];
    for (const [name, input] of attempts) {
      const result = await mutate(t.tokens.read, name, input);
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(result.data?.[name] ?? null).toBeNull();
    }
    expect(await snapshot(t.tenant.id)).toEqual(before);
  });

  test("another tenant's ids, unknown ids and ids of another type are NOT_FOUND; nothing changes", async () => {
    const foreignRole = await globalIdOf(other.tokens.admin, 'roles', 'Supervisor');
    const foreignAuth = await globalIdOf(other.tokens.admin, 'loginAuthenticators', 'Default');
    const ownTeam = (await mutate(t.tokens.admin, 'createTeam', { name: 'Mine' }, 'team { id }')).team.id;
    const beforeOther = await snapshot(other.tenant.id);
    const before = await snapshot(t.tenant.id);

    const update = await mutate(t.tokens.admin, 'updateRole', { id: foreignRole, name: 'Hijacked' }, 'role { id }');
    expect(update.role).toBeNull();
    expect(codes(update.userErrors)).toEqual(['NOT_FOUND:input.id']);
    expect(codes((await mutate(t.tokens.admin, 'deleteRole', { id: foreignRole }, 'deletedRoleId')).userErrors)).toEqual(['NOT_FOUND:input.id']);
    expect(codes((await mutate(t.tokens.admin, 'updateLoginAuthenticator', { id: foreignAuth, isDefault: true })).userErrors)).toEqual([
      'NOT_FOUND:input.id',
    ]);
    const unknown = Buffer.from('Role:00000000-0000-4000-8000-000000000000').toString('base64url');
    expect(codes((await mutate(t.tokens.admin, 'deleteRole', { id: unknown })).userErrors)).toEqual(['NOT_FOUND:input.id']);
    expect(codes((await mutate(t.tokens.admin, 'deleteRole', { id: ownTeam })).userErrors)).toEqual(['NOT_FOUND:input.id']);
    expect(codes((await mutate(t.tokens.admin, 'updateTeam', { id: 'garbage', name: 'x' })).userErrors)).toEqual(['NOT_FOUND:input.id']);

    expect(await snapshot(other.tenant.id)).toEqual(beforeOther);
    expect(await snapshot(t.tenant.id)).toEqual(before);
  });

  test("connections list only the caller's tenant", async () => {
    const mine = await h.graphql(t.tokens.read, '{ roles(first: 100) { totalCount nodes { id } } }');
    const theirs = await h.graphql(other.tokens.read, '{ roles(first: 100) { nodes { id } } }');
    const ids = new Set(mine.body.data.roles.nodes.map((n: { id: string }) => n.id));
    expect(mine.body.data.roles.totalCount).toBe(ids.size);
    expect(theirs.body.data.roles.nodes.some((n: { id: string }) => ids.has(n.id))).toBe(false);
  });
});
