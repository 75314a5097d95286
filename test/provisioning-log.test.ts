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
