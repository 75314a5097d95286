import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { idpRequestBody } from './support/idp-fixtures';

/** SCIM PATCH and DELETE as Okta and Entra send them, the provisioning log, and HTTP-level refusals. */
let h: Harness;
let t: TestTenant;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('writes');
});
afterAll(async () => h?.close());

async function create(userName: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName, overrides));
  expect(result.status).toBe(201);
  return result.body.id;
}

function patch(id: string, Operations: unknown[], headers?: Record<string, string>) {
  return h.scim('PATCH', `/Users/${id}`, t.tokens.scim, { schemas: [PATCH_OP], Operations }, headers);
}

async function provisioningEvents(): Promise<any[]> {
  await h.app.provisioningLog.flush();
  return h.dataSource.query('SELECT * FROM provisioning_events WHERE tenant_id = $1 ORDER BY occurred_at, id', [t.tenant.id]);
}

describe('PATCH /Users/{id}', () => {
  test('Okta unassign and reassign: pathless replace of active; same id, same attributes', async () => {
    const id = await create('okta-deactivate@example.com');
    const before = await h.employeeRow(t.tenant.id, id);
    const off = await patch(id, idpRequestBody('okta', '08-patch-deactivate').Operations);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id, active: false, userName: 'okta-deactivate@example.com' });
    const row = await h.employeeRow(t.tenant.id, id);
    expect(row).toMatchObject({ status: 'INACTIVE', firstName: before!.firstName, primaryRoleId: before!.primaryRoleId });
    expect(row?.deactivatedAt).toBeInstanceOf(Date);
    expect((await h.scim('GET', `/Users/${id}`, t.tokens.scim)).body.active).toBe(false);

    const on = await patch(id, idpRequestBody('okta', '09-patch-reactivate').Operations);
    expect(on.body).toMatchObject({ id, active: true });
    expect(await h.employeeRow(t.tenant.id, id)).toMatchObject({ status: 'ACTIVE', deactivatedAt: null });
  });

  test('Entra: capitalised ops, string booleans, filtered email path created when absent', async () => {
    const id = await create('entra@example.com', { emails: [] });
    const result = await patch(id, idpRequestBody('entra', '06-patch-capitalised-ops').Operations);
    expect(result.status).toBe(200);
    expect(await h.employeeRow(t.tenant.id, id)).toMatchObject({
      status: 'INACTIVE',
      email: 'entra.work@example.com',
      lastName: 'Contoso',
    });
  });

  test('Entra with aadOptscim062020: one pathless replace with dotted and URN-qualified keys', async () => {
    const id = await create('entra-flag@example.com');
    const result = await patch(id, idpRequestBody('entra', '07-patch-pathless-dotted-keys').Operations);
    expect(result.status).toBe(200);
    expect(await h.employeeRow(t.tenant.id, id)).toMatchObject({ firstName: 'Flag', status: 'INACTIVE' });
  });

  test('remove clears an optional field; the tenant setting still decides what is imported', async () => {
    await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{DISPLAY_NAME}' WHERE id = $1`, [t.tenant.id]);
    try {
      const id = await create('remove@example.com');
      expect((await h.employeeRow(t.tenant.id, id))?.displayName).toBe('remove Tester');
      const removed = await patch(id, [{ op: 'remove', path: 'displayName' }]);
      expect(removed.status).toBe(200);
      expect((await h.employeeRow(t.tenant.id, id))?.displayName).toBeNull();
    } finally {
      await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{}' WHERE id = $1`, [t.tenant.id]);
    }
  });

  test('all operations apply or none: a bad second operation leaves the row unchanged', async () => {
    const id = await create('atomic@example.com');
    const before = await h.employeeRow(t.tenant.id, id);
    const result = await patch(id, [
      { op: 'replace', path: 'name.givenName', value: 'Changed' },
      { op: 'replace', path: 'userName', value: 'not-an-email' },
    ]);
    expect(result.status).toBe(400);
    expect(result.body.scimType).toBe('invalidValue');
    expect(await h.employeeRow(t.tenant.id, id)).toEqual(before);
  });

  test('writes to readOnly attributes are 400 mutability; prototype keys never pass', async () => {
    const id = await create('readonly@example.com');
    const before = await h.employeeRow(t.tenant.id, id);
    const idChange = await patch(id, [{ op: 'replace', path: 'id', value: '00000000-0000-4000-8000-000000000000' }]);
    expect(idChange.status).toBe(400);
    expect(idChange.body.scimType).toBe('mutability');
    for (const path of ['__proto__.polluted', 'constructor.prototype', 'name.__proto__']) {
      const result = await patch(id, [{ op: 'add', path, value: 'x' }]);
      expect(result.status).toBe(400);
    }
    const pathless = await h.request('PATCH', `/scim/v2/Users/${id}`, {
      token: t.tokens.scim,
      rawBody: `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":{"__proto__":{"polluted":true}}}]}`,
      headers: { 'Content-Type': 'application/scim+json' },
    });
    expect(pathless.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await h.employeeRow(t.tenant.id, id)).toEqual(before);
  });

  test('If-Match with a stale version: 412; with the current one: 200', async () => {
    const id = await create('patch-etag@example.com');
    const current = await h.scim('GET', `/Users/${id}`, t.tokens.scim);
    const ok = await patch(id, [{ op: 'replace', path: 'name.givenName', value: 'One' }], { 'If-Match': current.body.meta.version });
    expect(ok.status).toBe(200);
    const stale = await patch(id, [{ op: 'replace', path: 'name.givenName', value: 'Two' }], { 'If-Match': current.body.meta.version });
    expect(stale.status).toBe(412);
    expect((await h.employeeRow(t.tenant.id, id))?.firstName).toBe('One');
  });

  test('concurrent PATCHes of different fields both land (row lock, no lost update)', async () => {
    const id = await create('concurrent@example.com');
    const results = await Promise.all([
      patch(id, [{ op: 'replace', path: 'name.givenName', value: 'Concurrent' }]),
      patch(id, [{ op: 'replace', path: 'name.familyName', value: 'Writer' }]),
      patch(id, [{ op: 'replace', path: 'active', value: false }]),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await h.employeeRow(t.tenant.id, id)).toMatchObject({ firstName: 'Concurrent', lastName: 'Writer', status: 'INACTIVE' });
  });

  test('malformed PATCH bodies are 400 with a SCIM error', async () => {
    const id = await create('malformed-patch@example.com');
    for (const body of [{}, { Operations: [] }, { Operations: [{ op: 'jump', path: 'x' }] }, { Operations: [{ op: 'remove' }] }]) {
      const result = await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, body);
      expect(result.status).toBe(400);
      expect(result.body.status).toBe('400');
    }
  });
});

describe('DELETE /Users/{id} (Entra hard delete)', () => {
  test('soft: 204, then GET 404; the row and its history stay; the username is free again', async () => {
    const id = await create('leaver@example.com');
    const deleted = await h.scim('DELETE', `/Users/${id}`, t.tokens.scim);
    expect(deleted.status).toBe(204);
    expect((await h.scim('GET', `/Users/${id}`, t.tokens.scim)).status).toBe(404);
    expect((await h.scim('DELETE', `/Users/${id}`, t.tokens.scim)).status).toBe(404);
    expect((await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] })).status).toBe(404);
    const row = await h.employeeRow(t.tenant.id, id);
    expect(row).toMatchObject({ status: 'INACTIVE', username: 'leaver@example.com' });
    expect(row?.deletedAt).toBeInstanceOf(Date);
    const audit = await h.dataSource.query(
      'SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY occurred_at',
      [t.tenant.id, id],
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['employee.created', 'employee.deleted']);
    const [deletion] = await h.dataSource.query(
      `SELECT changes FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'employee.deleted'`,
      [t.tenant.id, id],
    );
    expect(deletion.changes.status).toEqual({ from: 'ACTIVE', to: 'INACTIVE' });
    expect(deletion.changes.deletedAt.from).toBeNull();
    expect(deletion.changes.deletedAt.to).toEqual(expect.any(String));
    const list = await h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "leaver@example.com"')}`, t.tokens.scim);
    expect(list.body.totalResults).toBe(0);

    const again = await create('leaver@example.com');
    expect(again).not.toBe(id);
  });
});

describe('totalResults during an import walk', () => {
  test('later pages see writes made through this instance', async () => {
    const first = await h.scim('GET', '/Users?startIndex=1&count=1', t.tokens.scim);
    const second = await h.scim('GET', '/Users?startIndex=2&count=1', t.tokens.scim);
    expect(second.body.totalResults).toBe(first.body.totalResults);
    await create('walk-insert@example.com');
    const third = await h.scim('GET', '/Users?startIndex=3&count=1', t.tokens.scim);
    expect(third.body.totalResults).toBe(first.body.totalResults + 1);
  });
});

describe('provisioning log', () => {
  test('records writes and failures with status, scimType, detail and the employee; not successful reads', async () => {
    const before = (await provisioningEvents()).length;
    const id = await create('logged@example.com', { locale: 'fr-FR', displayName: 'Not imported' });
    await h.scim('GET', `/Users/${id}`, t.tokens.scim);
    await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('LOGGED@example.com'));
    await h.scim('GET', '/Users/no-such-user', t.tokens.scim);
    // Ordered by outcome so that two entries finishing in the same millisecond cannot swap places.
    const events = (await provisioningEvents()).slice(before).sort((a, b) => a.status - b.status);
    expect(events.map((e) => [e.method, e.status, e.outcome])).toEqual([
      ['POST', 201, 'SUCCESS'],
      ['GET', 404, 'FAILURE'],
      ['POST', 409, 'FAILURE'],
    ]);
    expect(events[0]).toMatchObject({ employee_id: id, user_name: 'logged@example.com', path: '/scim/v2/Users' });
    expect(events[0].ignored_attributes).toEqual(['displayName']);
    expect(events[2]).toMatchObject({ scim_type: 'uniqueness', user_name: 'LOGGED@example.com' });
    expect(events[2].detail).toContain('already exists');
    expect(typeof events[2].duration_ms).toBe('number');
    expect(events[2].request_id).toBeTruthy();
  });

  test('expired entries are purged per the tenant retention', async () => {
    const { provisioningLogService } = await import('../src/services/provisioning-log.service');
    await h.dataSource.query(
      `UPDATE provisioning_events SET occurred_at = now() - interval '40 days'
        WHERE tenant_id = $1 AND id = (SELECT id FROM provisioning_events WHERE tenant_id = $1 LIMIT 1)`,
      [t.tenant.id],
    );
    const count = (await provisioningEvents()).length;
    expect(await provisioningLogService.purgeExpired(h.dataSource.manager)).toBe(1);
    expect((await provisioningEvents()).length).toBe(count - 1);
  });
});

describe('HTTP-level refusals still speak SCIM', () => {
  test('a 20 KB filter (refused by the HTTP parser) gets a SCIM error body', async () => {
    const result = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${'a'.repeat(20_000)}"`)}`, t.tokens.scim);
    expect([400, 414, 431]).toContain(result.status);
    expect(result.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(result.body.status).toBe(String(result.status));
  });

  test('NUL in a filter or body: 400 before any SQL, nothing stored', async () => {
    const filter = await h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "a\u0000b"')}`, t.tokens.scim);
    expect(filter.status).toBe(400);
    expect(filter.body.status).toBe('400');
    const body = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('nul@example.com', { displayName: 'a\u0000b' }));
    expect(body.status).toBe(400);
    expect((await h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nul@example.com"')}`, t.tokens.scim)).body.totalResults).toBe(0);
  });

  test('a body over the limit: 413 with a SCIM error', async () => {
    const result = await h.scim('POST', '/Users', t.tokens.scim, { ...oktaCreateUser('big@example.com'), padding: 'x'.repeat(1_100_000) });
    expect(result.status).toBe(413);
    expect(result.body.status).toBe('413');
  });

  test('the Rollcall extension in the representation carries names', async () => {
    const id = await create('ext-names@example.com');
    const user = (await h.scim('GET', `/Users/${id}`, t.tokens.scim)).body;
    expect(user[EXT]).toEqual({ primaryRole: 'Agent', loginAuthenticator: 'Default' });
  });
});
