import type { QueryRunner } from 'typeorm';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { UsernameKey1795737500000 } from '../migrations/1795737500000-UsernameKey';

/**
 * Migration UsernameKey on a database holding usernames that citext kept apart but the canonical key does not
 * (`ｊｏｓｅ@` beside `jose@`): the upgrade does not fail; the older person keeps the username, the newer one is
 * reported (log and the tenant's audit log) and stays reachable by id; other tenants and deleted rows are untouched.
 */
let h: Harness;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  h = await Harness.start({ RATE_LIMIT_PER_SECOND: '0' });
  a = await h.tenant('migrate-a');
  b = await h.tenant('migrate-b');
});
afterAll(async () => h?.close());

async function insert(runner: QueryRunner, tenantId: string, username: string, createdAt: string, deleted = false): Promise<string> {
  const [row] = await runner.query(
    `INSERT INTO employees (tenant_id, username, first_name, last_name, email, managed_by, primary_role_id, created_at, deleted_at)
     VALUES ($1, $2, 'Old', 'Row', 'old@example.com', 'IDENTITY_PROVIDER', (SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Agent'),
             $3, CASE WHEN $4 THEN now() END)
     RETURNING id`,
    [tenantId, username, createdAt, deleted],
  );
  return row.id;
}

test('keys every row, keeps the older of two look-alikes, reports the newer, and the index then holds', async () => {
  const runner = h.dataSource.createQueryRunner();
  const migration = new UsernameKey1795737500000();
  try {
    await migration.down(runner);
    // As the database was before: citext kept these apart.
    const jose = await insert(runner, a.tenant.id, 'jose@example.com', '2026-01-01T00:00:00Z');
    const wide = await insert(runner, a.tenant.id, 'ｊｏｓｅ@example.com', '2026-02-01T00:00:00Z');
    const ligature = await insert(runner, a.tenant.id, 'ﬁle@example.com', '2026-01-01T00:00:00Z');
    const file = await insert(runner, a.tenant.id, 'FILE@example.com', '2026-03-01T00:00:00Z');
    const deleted = await insert(runner, a.tenant.id, 'ＪＯＳＥ@example.com', '2025-01-01T00:00:00Z', true);
    const otherTenant = await insert(runner, b.tenant.id, 'ｊｏｓｅ@example.com', '2026-02-01T00:00:00Z');

    await migration.up(runner);
    // The embedded database has one connection: hand it back before the app needs it.
    await runner.release();

    const keys = new Map<string, string>(
      (await h.dataSource.query('SELECT id, username_key FROM employees')).map((r: { id: string; username_key: string }) => [r.id, r.username_key]),
    );
    expect(keys.get(jose)).toBe('jose@example.com');
    expect(keys.get(ligature)).toBe('file@example.com');
    expect(keys.get(wide)).toBe(`jose@example.com\u0001${wide}`);
    expect(keys.get(file)).toBe(`file@example.com\u0001${file}`);
    expect(keys.get(deleted)).toBeNull();
    expect(keys.get(otherTenant)).toBe('jose@example.com');

    const reported = await h.dataSource.query(
      `SELECT target_id, actor_surface, changes FROM audit_events WHERE tenant_id = $1 AND action = 'employee.username_collision' ORDER BY target_id`,
      [a.tenant.id],
    );
    expect(reported).toEqual(
      [
        { target_id: wide, actor_surface: 'system', changes: { username: { from: 'ｊｏｓｅ@example.com', to: 'ｊｏｓｅ@example.com' }, sameUsernameAs: { from: null, to: jose } } },
        { target_id: file, actor_surface: 'system', changes: { username: { from: 'FILE@example.com', to: 'FILE@example.com' }, sameUsernameAs: { from: null, to: ligature } } },
      ].sort((x, y) => (x.target_id < y.target_id ? -1 : 1)),
    );
    expect((await h.dataSource.query(`SELECT 1 FROM audit_events WHERE tenant_id = $1 AND action = 'employee.username_collision'`, [b.tenant.id])).length).toBe(0);

    // The unique index on the key is in force: a third look-alike is refused.
    expect((await h.scim('POST', '/Users', a.tokens.scim, oktaCreateUser('JOSE@example.com'))).status).toBe(409);
    // The older person is the one a lookup finds; the newer one is still served by id, and a rename gives it a key.
    const found = await h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "ｊｏｓｅ@example.com"')}`, a.tokens.scim);
    expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([jose]);
    expect((await h.scim('GET', `/Users/${wide}`, a.tokens.scim)).body.userName).toBe('ｊｏｓｅ@example.com');
    const renamed = await h.scim('PUT', `/Users/${wide}`, a.tokens.scim, oktaCreateUser('jose.wide@example.com'));
    expect(renamed.status).toBe(200);
    const [row] = await h.dataSource.query('SELECT username_key FROM employees WHERE tenant_id = $1 AND id = $2', [a.tenant.id, wide]);
    expect(row.username_key).toBe('jose.wide@example.com');
  } finally {
    if (!runner.isReleased) await runner.release();
  }
});
