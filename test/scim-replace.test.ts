import fc from 'fast-check';
import { fromScimUser } from '../src/scim/user-mapping';
import { RequestContext } from '../src/services/context';
import { employeeService } from '../src/services/employee.service';
import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';
import { someoneWaitsForALock } from './support/lock-waits';

/**
 * A SCIM PUT has two paths (src/services/employee.service.ts): one statement that locks, compares in SQL and writes
 * (replaceWithoutReading, taken without If-Match once the tenant's defaults are known), and the general read-then-write
 * path (taken with If-Match). The same PUT on two employees in the same state, one through each path, must give the
 * same answer, the same stored row and the same audit rows: this is what keeps the two paths one rule. Run on both
 * databases (the embedded one runs each statement in a transaction of its own).
 */
let h: Harness;
let t: TestTenant;
const EXTENSION = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
let serial = 0;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('replace');
  await h.dataSource.query(
    `UPDATE tenants SET scim_import_fields = '{DISPLAY_NAME,MIDDLE_NAME,MOBILE_NUMBER,TIME_ZONE,TYPE,PRIMARY_ROLE,TEAM}' WHERE id = $1`,
    [t.tenant.id],
  );
  for (const [kind, name] of [['role', 'Supervisor'], ['team', 'Blue'], ['team', 'Green']]) {
    const mutation = kind === 'role' ? 'createRole' : 'createTeam';
    const result = await h.graphql(t.tokens.admin, `mutation($input: ${kind === 'role' ? 'CreateRoleInput' : 'CreateTeamInput'}!) { ${mutation}(input: $input) { userErrors { code } } }`, { input: { name } });
    expect(result.body.errors).toBeUndefined();
  }
  // The tenant's defaults become known to this process with its first create.
  expect((await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('first@example.com'))).status).toBe(201);
});
afterAll(async () => h?.close());

/** The statements a request costs (the provisioning-log insert that follows it excluded). */
async function counted(request: () => Promise<HttpResult>): Promise<{ statements: number; result: HttpResult }> {
  await h.app.provisioningLog.flush();
  const before = h.statements.count;
  const result = await request();
  const statements = h.statements.count - before;
  await h.app.provisioningLog.flush();
  return { statements, result };
}

interface Twin {
  id: string;
  userName: string;
}

/** Two employees created by the same SCIM body (apart from their userName). */
async function twins(extra: Record<string, unknown> = {}): Promise<[Twin, Twin]> {
  serial++;
  const made: Twin[] = [];
  for (const side of ['fast', 'general']) {
    const userName = `${side}${serial}@example.com`;
    const created = await h.scim('POST', '/Users', t.tokens.scim, user(userName, extra));
    expect(created.status).toBe(201);
    made.push({ id: created.body.id as string, userName });
  }
  return made as [Twin, Twin];
}

/** Everything that must be equal between the twins, with their own userName and id written as placeholders. */
function comparable(value: unknown, twin: Twin): unknown {
  const text = JSON.stringify(value ?? null)
    .split(twin.id)
    .join('<id>')
    .split(twin.userName)
    .join('<userName>')
    .split(twin.userName.charAt(0).toUpperCase() + twin.userName.slice(1))
    .join('<UserName>')
    .split(twin.userName.toUpperCase())
    .join('<USERNAME>');
  return JSON.parse(text);
}

async function state(twin: Twin): Promise<unknown> {
  const [row] = await h.dataSource.query(
    `SELECT username::text, first_name, last_name, email, status, display_name, middle_name, mobile_number, time_zone, type,
            primary_role_id, team_id, login_authenticator_id, external_id, managed_by, version,
            deactivated_at IS NOT NULL AS deactivated FROM employees WHERE tenant_id = $1 AND id = $2`,
    [t.tenant.id, twin.id],
  );
  const audit = await h.dataSource.query(
    `SELECT action, actor_surface, changes FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY occurred_at, id`,
    [t.tenant.id, twin.id],
  );
  return comparable({ row, audit }, twin);
}

/** An answer as the twins must share it: no timestamps (they were created apart) and no request id. */
function answer(r: HttpResult, twin: Twin): unknown {
  const { meta, requestId, ...rest } = (r.body ?? {}) as Record<string, unknown>;
  expect(requestId === undefined || typeof requestId === 'string').toBe(true);
  return comparable({ ...rest, version: (meta as { version?: string } | undefined)?.version, etag: r.headers.get('etag'), status: r.status }, twin);
}

/**
 * PUTs `body(userName)` to both twins, the first without If-Match (one statement), the second with it (the general
 * path), and expects the same outcome from both.
 */
async function putBoth(
  pair: [Twin, Twin],
  body: (userName: string) => Record<string, unknown>,
  status = 200,
  statements = 1,
): Promise<HttpResult> {
  const [fast, general] = pair;
  const one = await counted(() => h.scim('PUT', `/Users/${fast.id}`, t.tokens.scim, body(fast.userName)));
  const version = (await h.employeeRow(t.tenant.id, general.id))!.version;
  const other = await h.scim('PUT', `/Users/${general.id}`, t.tokens.scim, body(general.userName), { 'If-Match': `W/"${version}"` });
  expect(one.result.status).toBe(status);
  expect(other.status).toBe(status);
  if (status === 200) expect(one.statements).toBe(statements);
  expect(answer(one.result, fast)).toEqual(answer(other, general));
  expect(await state(fast)).toEqual(await state(general));
  return one.result;
}

/** Okta's body, with names that do not spell the userName (so that twins differ only in it). */
const user = (userName: string, overrides: Record<string, unknown> = {}) =>
  oktaCreateUser(userName, { name: { givenName: 'Twin', familyName: 'Tester' }, displayName: 'Twin Tester', ...overrides });

test('a name change: the same answer, row and audit row from both paths', async () => {
  const pair = await twins();
  const answer = await putBoth(pair, (u) => user(u, { name: { givenName: 'Renamed', familyName: 'Person' } }));
  expect(answer.body.name).toMatchObject({ givenName: 'Renamed', familyName: 'Person' });
  const [fast] = pair;
  expect(await state(fast)).toMatchObject({
    audit: [{ action: 'employee.created' }, { action: 'employee.updated', changes: { firstName: { to: 'Renamed' }, lastName: { from: 'Tester', to: 'Person' } } }],
  });
});

test('a PUT that changes nothing writes nothing: same version, no audit row', async () => {
  const pair = await twins();
  const answer = await putBoth(pair, (u) => user(u));
  expect(answer.headers.get('etag')).toBe('W/"1"');
  expect(await state(pair[0])).toMatchObject({ row: { version: 1 }, audit: [{ action: 'employee.created' }] });
});

test('a change of case in userName is a change, as the general path sees it', async () => {
  const pair = await twins();
  await putBoth(pair, (u) => user(u.charAt(0).toUpperCase() + u.slice(1)));
  expect(await state(pair[0])).toMatchObject({ row: { username: '<UserName>', version: 2 } });
});

test('deactivation sets deactivated_at, reactivation clears it, an unchanged status keeps it', async () => {
  const pair = await twins();
  await putBoth(pair, (u) => user(u, { active: false }));
  expect(await state(pair[0])).toMatchObject({ row: { status: 'INACTIVE', deactivated: true } });
  await putBoth(pair, (u) => user(u, { active: false, displayName: 'Still off' }));
  expect(await state(pair[0])).toMatchObject({ row: { status: 'INACTIVE', deactivated: true, display_name: 'Still off' } });
  await putBoth(pair, (u) => user(u, { active: true }));
  expect(await state(pair[0])).toMatchObject({ row: { status: 'ACTIVE', deactivated: false } });
});

test('optional fields, references by name, nulls that clear and externalId', async () => {
  const pair = await twins({ timezone: 'Europe/Paris', [EXTENSION]: { team: 'Blue' } });
  const body = (u: string) =>
    user(u, {
      externalId: 'okta-moved-1',
      timezone: null,
      phoneNumbers: [{ value: '+1 415 555 0100', type: 'mobile', primary: true }],
      [EXTENSION]: { primaryRole: 'supervisor', team: 'Green' },
    });
  // Each name costs two catalog reads (its id, then that the id exists), on either path; the employee one statement.
  await putBoth(pair, body, 200, 1 + 2 * 2);
  const [fast] = pair;
  const after = (await state(fast)) as { row: Record<string, unknown> };
  expect(after.row).toMatchObject({ time_zone: null, mobile_number: '+1 415 555 0100', external_id: 'okta-moved-1' });
  expect(after.row.primary_role_id).not.toBeNull();
  const get = await h.scim('GET', `/Users/${fast.id}`, t.tokens.scim);
  expect(get.body[EXTENSION]).toMatchObject({ primaryRole: 'Supervisor', team: 'Green' });
});

test('claiming an employee created in Rollcall: managedBy changes and the audit says employee.claimed', async () => {
  serial++;
  const pair: Twin[] = [];
  for (const side of ['fast', 'general']) {
    const userName = `local-${side}${serial}@example.com`;
    const created = await h.graphql(
      t.tokens.admin,
      'mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { userErrors { code } } }',
      { input: { username: userName, email: userName, firstName: 'Local', lastName: 'Hire' } },
    );
    expect(created.body.errors).toBeUndefined();
    const [row] = await h.dataSource.query('SELECT id FROM employees WHERE tenant_id = $1 AND username = $2', [t.tenant.id, userName]);
    pair.push({ id: row.id, userName });
  }
  await putBoth(pair as [Twin, Twin], (u) => user(u, { name: { givenName: 'Local', familyName: 'Hire' }, displayName: null }));
  expect(await state(pair[0])).toMatchObject({
    row: { managed_by: 'IDENTITY_PROVIDER' },
    audit: [{ action: 'employee.created' }, { action: 'employee.claimed', changes: { managedBy: { from: 'LOCAL', to: 'IDENTITY_PROVIDER' } } }],
  });
});

test('errors are the general path’s: a userName taken, an invalid email, an unknown id', async () => {
  const pair = await twins();
  const taken = await putBoth(pair, () => user('first@example.com'), 409);
  expect(taken.body).toMatchObject({ scimType: 'uniqueness' });
  await putBoth(pair, (u) => user(u, { emails: [{ value: 'not-an-email', type: 'work', primary: true }] }), 400);
  const missing = await h.scim('PUT', '/Users/00000000-0000-4000-8000-000000000000', t.tokens.scim, user('missing@example.com'));
  expect(missing.status).toBe(404);
  expect(await state(pair[0])).toMatchObject({ row: { version: 1 } });
});

test('unusable optional values are skipped alike on both paths: an unknown role keeps the role, a bad zone the zone', async () => {
  const pair = await twins({ timezone: 'Europe/Paris' });
  // The role name costs one catalog read (no id to check), the employee one statement.
  await putBoth(pair, (u) => user(u, { timezone: 'Mars/Olympus', displayName: 'Skipped around', [EXTENSION]: { primaryRole: 'Nobody' } }), 200, 2);
  expect(await state(pair[0])).toMatchObject({ row: { time_zone: 'Europe/Paris', display_name: 'Skipped around', version: 2 } });
});

test('a deleted employee is not found', async () => {
  const [gone] = await twins();
  expect((await h.scim('DELETE', `/Users/${gone.id}`, t.tokens.scim)).status).toBe(204);
  expect((await h.scim('PUT', `/Users/${gone.id}`, t.tokens.scim, user(gone.userName))).status).toBe(404);
});

test('PUTs started in one turn of the event loop share one statement; PUTs of one employee in it each apply', async () => {
  // Through the service, so the eight calls are started together whatever the machine's speed (over HTTP, whether
  // requests arrive within one turn depends on the load: CI once saw eight PUTs arrive one by one).
  const employees: Twin[] = [];
  for (let i = 0; i < 4; i++) employees.push(...(await twins()));
  const ctx = (requestId: string): RequestContext => ({ ...t.ctx, actor: { surface: 'scim', tokenId: null }, requestId });
  await h.app.provisioningLog.flush();
  const before = h.statements.count;
  const results = await Promise.all(
    employees.map((e, i) =>
      employeeService.updateFromIdentityProvider(ctx(`batch-${i}`), e.id, fromScimUser(user(e.userName, { name: { givenName: 'Batch', familyName: `N${i}` } }))),
    ),
  );
  expect(h.statements.count - before).toBe(1);
  expect(results.map((r) => r.employee.lastName)).toEqual(employees.map((_, i) => `N${i}`));
  for (const [i, e] of employees.entries()) expect((await h.employeeRow(t.tenant.id, e.id))?.lastName).toBe(`N${i}`);

  const [one] = employees;
  const same = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      employeeService.updateFromIdentityProvider(ctx(`same-${i}`), one.id, fromScimUser(user(one.userName, { name: { givenName: 'Same', familyName: `S${i}` } }))),
    ),
  );
  const row = await h.employeeRow(t.tenant.id, one.id);
  // Each PUT changed the row, so each wrote a version and an audit row; the last one written is what is stored.
  expect(row?.version).toBe(2 + 6);
  expect(same.map((r) => r.employee.version).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8]);
  const audit = await h.dataSource.query(
    `SELECT changes FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'employee.updated' ORDER BY occurred_at, id`,
    [t.tenant.id, one.id],
  );
  expect(audit).toHaveLength(1 + 6);
  expect(audit[audit.length - 1].changes.lastName.to).toBe(row?.lastName);
});

test('five PUTs, then two, run as one statement of the same text: each applies, and no other row or audit row is written', async () => {
  const employees: Twin[] = [];
  for (let i = 0; i < 3; i++) employees.push(...(await twins()));
  const [bystander, ...five] = employees;
  const ctx = (requestId: string): RequestContext => ({ ...t.ctx, actor: { surface: 'scim', tokenId: null }, requestId });
  await h.app.provisioningLog.flush();
  const auditBefore = await h.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1`, [t.tenant.id]);
  const before = h.statements.count;
  const results = await Promise.all(
    five.map((e, i) =>
      employeeService.updateFromIdentityProvider(ctx(`five-${i}`), e.id, fromScimUser(user(e.userName, { name: { givenName: 'Five', familyName: `F${i}` } }))),
    ),
  );
  expect(h.statements.count - before).toBe(1);
  const statement = h.statements.last;
  expect(results.map((r) => [r.employee.id, r.employee.lastName, r.employee.version])).toEqual(five.map((e, i) => [e.id, `F${i}`, 2]));
  const two = await Promise.all(
    five.slice(0, 2).map((e, i) =>
      employeeService.updateFromIdentityProvider(ctx(`two-${i}`), e.id, fromScimUser(user(e.userName, { name: { givenName: 'Two', familyName: `T${i}` } }))),
    ),
  );
  // One UPDATE for any number of rows: a batch size is not a statement of its own for every connection to plan.
  expect(h.statements.last).toBe(statement);
  expect(two.map((r) => [r.employee.lastName, r.employee.version])).toEqual([['T0', 3], ['T1', 3]]);
  const auditAfter = await h.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1`, [t.tenant.id]);
  expect(auditAfter[0].n - auditBefore[0].n).toBe(5 + 2);
  const untouched = await h.employeeRow(t.tenant.id, bystander.id);
  expect(untouched?.version).toBe(1);
  expect(untouched?.lastName).not.toMatch(/^[FT]\d$/);
});

// Needs a second connection that holds a row while the PUTs run (PGlite has one).
(process.env.DATABASE_URL ? test : test.skip)(
  'a row another transaction holds: the batch writes the others without waiting; that PUT waits alone and applies after the other change',
  async () => {
    const [held, other] = await twins();
    const ctx = (requestId: string): RequestContext => ({ ...t.ctx, actor: { surface: 'scim', tokenId: null }, requestId });
    const holder = h.dataSource.createQueryRunner();
    await holder.connect();
    let puts: Promise<{ employee: { lastName: string; version: number } }>[];
    try {
      await holder.startTransaction();
      // As a group change holds the members it adds until it commits.
      await holder.query('SELECT id FROM employees WHERE tenant_id = $1 AND id = $2 FOR SHARE', [t.tenant.id, held.id]);
      puts = [held, other].map((e, i) =>
        employeeService.updateFromIdentityProvider(ctx(`held-${i}`), e.id, fromScimUser(user(e.userName, { name: { givenName: 'Held', familyName: `W${i}` } }))),
      );
      // The other PUT is answered while the row is still held: the batch skipped the held row instead of waiting for
      // it (one statement at a time per tenant, a waiting batch would hold back every PUT of the tenant).
      const stillHeld = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000));
      const second = await Promise.race([puts[1], stillHeld]);
      expect(second).not.toBe('waited');
      expect(second).toMatchObject({ employee: { lastName: 'W1', version: 2 } });
      // The held row's PUT took the general path, which waits for the row on its own.
      await someoneWaitsForALock(holder, 'the held row’s PUT');
      await holder.query(`UPDATE employees SET display_name = 'Changed meanwhile', version = version + 1 WHERE tenant_id = $1 AND id = $2`, [
        t.tenant.id,
        held.id,
      ]);
      await holder.commitTransaction();
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    const first = await puts[0];
    // The PUT applies on top of the other change (its version counted), and nothing of the other change is lost
    // that the PUT does not set (a PUT without displayName clears it, as the general path does).
    expect([first.employee.lastName, first.employee.version]).toEqual(['W0', 3]);
    const stored = await h.employeeRow(t.tenant.id, held.id);
    expect([stored?.lastName, stored?.version]).toEqual(['W0', 3]);
    const audit = await h.dataSource.query(
      `SELECT request_id FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'employee.updated' ORDER BY occurred_at, id`,
      [t.tenant.id, held.id],
    );
    expect(audit.map((a: { request_id: string }) => a.request_id)).toEqual(['held-0']);
  },
);

test('concurrent PUTs over HTTP each apply, none lost, each answered with its own employee', async () => {
  const employees: Twin[] = [];
  for (let i = 0; i < 3; i++) employees.push(...(await twins()));
  const answers = await Promise.all(
    employees.map((e, i) => h.scim('PUT', `/Users/${e.id}`, t.tokens.scim, user(e.userName, { name: { givenName: 'Http', familyName: `H${i}` } }))),
  );
  for (const [i, answer] of answers.entries()) {
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: employees[i].id, name: { familyName: `H${i}` } });
  }
  for (const [i, e] of employees.entries()) expect((await h.employeeRow(t.tenant.id, e.id))?.lastName).toBe(`H${i}`);
});

test('tenant settings changed behind this process: the PUT takes the general path and honours them', async () => {
  const [e] = await twins();
  await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{}' WHERE id = $1`, [t.tenant.id]);
  try {
    const put = await counted(() => h.scim('PUT', `/Users/${e.id}`, t.tokens.scim, user(e.userName, { displayName: 'Not imported' })));
    expect(put.result.status).toBe(200);
    expect(put.statements).toBeGreaterThan(1);
    expect((await h.employeeRow(t.tenant.id, e.id))?.displayName).toBe('Twin Tester');
    // Now known again: one statement.
    const again = await counted(() => h.scim('PUT', `/Users/${e.id}`, t.tokens.scim, user(e.userName, { displayName: 'Still not' })));
    expect(again.statements).toBe(1);
    expect((await h.employeeRow(t.tenant.id, e.id))?.displayName).toBe('Twin Tester');
  } finally {
    await h.dataSource.query(
      `UPDATE tenants SET scim_import_fields = '{DISPLAY_NAME,MIDDLE_NAME,MOBILE_NUMBER,TIME_ZONE,TYPE,PRIMARY_ROLE,TEAM}' WHERE id = $1`,
      [t.tenant.id],
    );
  }
});

/** Random PUT bodies: any subset of the attributes Rollcall maps, with valid, invalid, empty and null values. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const text = fc.oneof(fc.constantFrom('Ann', ' Ann ', 'ANN', 'Zoë', 'O\'Brien', '', '   ', 'x'.repeat(300)), fc.string({ maxLength: 12 }));
const putBody = fc.record({
  name: maybe(fc.record({ givenName: maybe(fc.oneof(text, fc.constant(null))), familyName: maybe(fc.oneof(text, fc.constant(null))), middleName: maybe(fc.oneof(text, fc.constant(null))) })),
  displayName: maybe(fc.oneof(text, fc.constant(null))),
  active: maybe(fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', null))),
  timezone: maybe(fc.constantFrom('Europe/Paris', 'America/New_York', 'Mars/Olympus', '', null)),
  userType: maybe(fc.oneof(text, fc.constant(null))),
  externalId: maybe(fc.constantFrom('okta-1', 'okta-2', '', null)),
  phone: maybe(fc.constantFrom('+1 415 555 0100', '+14155550100', 'not a phone', '', null)),
  role: maybe(fc.constantFrom('Supervisor', 'supervisor', 'Agent', 'Nobody', '', null)),
  team: maybe(fc.constantFrom('Blue', 'GREEN', 'Nobody', null)),
  userNameCase: fc.constantFrom('same', 'upper', 'padded'),
});

type RandomPut = typeof putBody extends fc.Arbitrary<infer T> ? T : never;

function randomPut(userName: string, r: RandomPut): Record<string, unknown> {
  const body: Record<string, unknown> = user(
    r.userNameCase === 'upper' ? userName.toUpperCase() : r.userNameCase === 'padded' ? ` ${userName} ` : userName,
  );
  if (r.name !== undefined) body.name = Object.fromEntries(Object.entries(r.name).filter(([, v]) => v !== undefined));
  for (const key of ['displayName', 'active', 'timezone', 'userType', 'externalId'] as const) if (r[key] !== undefined) body[key] = r[key];
  if (r.phone !== undefined) body.phoneNumbers = [{ value: r.phone, type: 'mobile' }];
  const extension: Record<string, unknown> = {};
  if (r.role !== undefined) extension.primaryRole = r.role;
  if (r.team !== undefined) extension.team = r.team;
  if (Object.keys(extension).length > 0) body[EXTENSION] = extension;
  return body;
}

test('random PUTs give the same answers, rows and audit rows on both paths', async () => {
  let fast = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(putBody, { minLength: 1, maxLength: 3 }), async (puts) => {
      const pair = await twins();
      for (const r of puts) {
        const one = await counted(() => h.scim('PUT', `/Users/${pair[0].id}`, t.tokens.scim, randomPut(pair[0].userName, r)));
        const version = (await h.employeeRow(t.tenant.id, pair[1].id))!.version;
        const other = await h.scim('PUT', `/Users/${pair[1].id}`, t.tokens.scim, randomPut(pair[1].userName, r), { 'If-Match': `W/"${version}"` });
        expect(one.result.status).toBe(other.status);
        expect(answer(one.result, pair[0])).toEqual(answer(other, pair[1]));
        expect(await state(pair[0])).toEqual(await state(pair[1]));
        if (one.result.status === 200) {
          // Each name sent costs two catalog reads; the general path would add its read to those and the write.
          const names = [r.role, r.team].filter((n) => typeof n === 'string' && n.trim() !== '').length;
          expect(one.statements).toBeLessThanOrEqual(1 + 2 * names);
          fast++;
        }
      }
    }),
    { numRuns: 60, seed: 1313 },
  );
  expect(fast).toBeGreaterThan(10);
}, 120_000);
