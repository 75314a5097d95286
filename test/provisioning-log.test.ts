import { randomUUID } from 'node:crypto';
import { ProvisioningLogWriter, ProvisioningRecord } from '../src/services/provisioning-log.service';
import { Harness, TestTenant } from './support/harness';

/**
 * The provisioning-log writer on its own (SCIM requests reach it in every other test). Entries kept through a
 * database outage are proven in test/outage.test.ts, which stops a real PostgreSQL.
 */
let h: Harness;
let t: TestTenant;
beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('provisioning-log');
});
afterAll(async () => h?.close());

const entry = (tenantId: string, userName: string): ProvisioningRecord => ({
  tenantId,
  occurredAt: new Date(),
  outcome: 'SUCCESS',
  method: 'POST',
  path: '/scim/v2/Users',
  status: 201,
  scimType: null,
  detail: null,
  employeeId: null,
  userName,
  ignoredAttributes: [],
  warnings: [],
  durationMs: 3,
  requestId: randomUUID(),
  tokenId: null,
});

test('a row the database refuses (its tenant is gone) is the only one lost; the rest of its batch is written', async () => {
  const errors: unknown[] = [];
  const writer = new ProvisioningLogWriter(h.dataSource, (error) => errors.push(error));
  writer.record(entry(t.tenant.id, 'first@example.com'));
  writer.record(entry(randomUUID(), 'orphan@example.com'));
  writer.record(entry(t.tenant.id, 'last@example.com'));
  await writer.close();
  const rows: { user_name: string }[] = await h.dataSource.query(
    `SELECT user_name FROM provisioning_events WHERE tenant_id = $1 ORDER BY user_name`,
    [t.tenant.id],
  );
  expect(rows.map((r) => r.user_name)).toEqual(['first@example.com', 'last@example.com']);
  expect(writer.dropped).toBe(1);
  expect(errors).toHaveLength(1);
  expect(String((errors[0] as { code?: string }).code)).toBe('23503');
});

test('every field of an entry is written as recorded, and text PostgreSQL cannot hold is kept with U+FFFD in its place', async () => {
  const errors: unknown[] = [];
  const writer = new ProvisioningLogWriter(h.dataSource, (error) => errors.push(error));
  const tokenId = randomUUID();
  const employeeId = randomUUID();
  const occurredAt = new Date('2026-12-08T01:02:03.456Z');
  const full: ProvisioningRecord = {
    ...entry(t.tenant.id, 'full@example.com'),
    occurredAt,
    outcome: 'WARNING',
    method: 'PUT',
    path: `/scim/v2/Users/${employeeId}`,
    status: 200,
    scimType: 'invalidValue',
    detail: 'Ünïcödé "quoted" \\ back\nslash',
    employeeId,
    ignoredAttributes: ['nickName', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter'],
    warnings: [{ attribute: 'timezone', value: 'Mars/Olympus', reason: 'not an IANA time zone' }],
    durationMs: 17,
    tokenId,
  };
  // A NUL and both halves of a surrogate pair alone, in every kind of field that holds what the IdP sent.
  const odd: ProvisioningRecord = {
    ...entry(t.tenant.id, 'odd\u0000name\uD83D@example.com'),
    detail: 'cut at the limit \uD83D',
    ignoredAttributes: ['x\u0000y'],
    warnings: [{ attribute: 'title', value: '\uDE00tail', reason: 'too long' }],
  };
  writer.record(full);
  writer.record(odd);
  writer.record(entry(t.tenant.id, 'fine 😀 emoji@example.com'));
  await writer.close();
  expect(errors).toEqual([]);
  expect(writer.dropped).toBe(0);
  const rows: Record<string, unknown>[] = await h.dataSource.query(
    `SELECT occurred_at, outcome, method, path, status, scim_type, detail, employee_id, user_name, ignored_attributes,
            warnings, duration_ms, request_id, token_id
       FROM provisioning_events WHERE tenant_id = $1 AND request_id = ANY($2) ORDER BY user_name`,
    [t.tenant.id, [full.requestId, odd.requestId]],
  );
  expect(rows).toHaveLength(2);
  const [written, oddWritten] = rows;
  expect(new Date(written.occurred_at as string).toISOString()).toBe(occurredAt.toISOString());
  expect(written).toMatchObject({
    outcome: 'WARNING',
    method: 'PUT',
    path: full.path,
    status: 200,
    scim_type: 'invalidValue',
    detail: full.detail,
    employee_id: employeeId,
    user_name: 'full@example.com',
    ignored_attributes: full.ignoredAttributes,
    warnings: full.warnings,
    duration_ms: 17,
    request_id: full.requestId,
    token_id: tokenId,
  });
  expect(oddWritten).toMatchObject({
    user_name: 'odd\uFFFDname\uFFFD@example.com',
    detail: 'cut at the limit \uFFFD',
    ignored_attributes: ['x\uFFFDy'],
    warnings: [{ attribute: 'title', value: '\uFFFDtail', reason: 'too long' }],
  });
  const [emoji] = await h.dataSource.query(`SELECT user_name FROM provisioning_events WHERE tenant_id = $1 AND user_name LIKE 'fine%'`, [t.tenant.id]);
  expect(emoji.user_name).toBe('fine 😀 emoji@example.com');
});
