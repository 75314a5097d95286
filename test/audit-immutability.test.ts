import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AuditEvent } from '../src/entities';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * The audit log has no update or delete path. Two walls: the database refuses UPDATE, DELETE and TRUNCATE of
 * audit_events (migration AuditAppendOnly, a trigger, on PostgreSQL and on the embedded PGlite alike), and no code
 * under src/ contains a statement or repository call that would update or delete an audit row.
 */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('audit');
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('audited@example.com'));
  expect(created.status).toBe(201);
});
afterAll(async () => h?.close());

async function auditRows(): Promise<unknown[]> {
  return h.dataSource.query('SELECT * FROM audit_events WHERE tenant_id = $1 ORDER BY id', [t.tenant.id]);
}

const APPEND_ONLY = { driverError: expect.objectContaining({ code: '42501', message: expect.stringMatching(/append-only/) }) };

describe('the database refuses to change or remove audit rows', () => {
  test('raw UPDATE, DELETE and TRUNCATE through the application DataSource fail and change nothing', async () => {
    const before = await auditRows();
    expect(before.length).toBeGreaterThanOrEqual(2); // tenant.created, token.created x3, employee.created
    await expect(h.dataSource.query(`UPDATE audit_events SET action = 'forged' WHERE tenant_id = $1`, [t.tenant.id])).rejects.toMatchObject(APPEND_ONLY);
    await expect(h.dataSource.query('DELETE FROM audit_events WHERE tenant_id = $1', [t.tenant.id])).rejects.toMatchObject(APPEND_ONLY);
    await expect(h.dataSource.query('TRUNCATE audit_events')).rejects.toMatchObject(APPEND_ONLY);
    expect(await auditRows()).toEqual(before);
  });

  test('the TypeORM repository cannot update, delete or re-save an audit row', async () => {
    const before = await auditRows();
    const repository = h.dataSource.getRepository(AuditEvent);
    const row = await repository.findOneByOrFail({ tenantId: t.tenant.id, action: 'employee.created' });
    await expect(repository.update({ tenantId: t.tenant.id, id: row.id }, { action: 'forged' })).rejects.toMatchObject(APPEND_ONLY);
    await expect(repository.delete({ tenantId: t.tenant.id, id: row.id })).rejects.toMatchObject(APPEND_ONLY);
    await expect(repository.remove(row)).rejects.toMatchObject(APPEND_ONLY);
    await expect(repository.save({ ...row, changes: {} })).rejects.toMatchObject(APPEND_ONLY);
    expect(await auditRows()).toEqual(before);
  });

  test('inserting stays possible: the app keeps writing audit rows', async () => {
    const before = (await auditRows()).length;
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('second@example.com'));
    expect(created.status).toBe(201);
    expect((await auditRows()).length).toBe(before + 1);
  });
});

/** Statements and repository calls that would change or remove audit rows, in one source file's text. */
function auditMutations(source: string): string[] {
  const found: string[] = [];
  const patterns: RegExp[] = [
    /\bUPDATE\s+"?audit_events"?/gi,
    /\bDELETE\s+FROM\s+"?audit_events"?/gi,
    /\bTRUNCATE\b[^;`'"]*audit_events/gi,
    /\bALTER\s+TABLE\s+"?audit_events"?\s+(DISABLE|ENABLE)\s+TRIGGER/gi,
    /\.(update|delete|remove|softDelete|softRemove|restore|save|upsert|increment|decrement|clear)\(\s*AuditEvent\b/g,
    /getRepository\(\s*AuditEvent\s*\)/g,
    /createQueryBuilder\(\s*\)\s*\.(update|delete)\(\s*AuditEvent\b/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[0]);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('no code path updates or deletes audit rows', () => {
  test('the scanner recognises each kind of audit mutation (so the scan below can fail)', () => {
    for (const bad of [
      `await tx.manager.query('UPDATE audit_events SET action = $1')`,
      'DELETE FROM "audit_events" WHERE tenant_id = $1',
      'TRUNCATE TABLE tenants, audit_events',
      'ALTER TABLE audit_events DISABLE TRIGGER ALL',
      'ctx.manager.delete(AuditEvent, { id })',
      'ctx.manager.save(AuditEvent, row)',
      'dataSource.getRepository(AuditEvent)',
      'manager.createQueryBuilder().update(AuditEvent).set({})',
    ]) {
      expect(auditMutations(bad)).not.toEqual([]);
    }
    expect(auditMutations(`INSERT INTO audit_events (tenant_id) SELECT tenant_id FROM w`)).toEqual([]);
    expect(auditMutations('await ctx.manager.insert(AuditEvent, { tenantId })')).toEqual([]);
  });

  test('src/ (services, surfaces, CLI) contains none', () => {
    const root = path.join(__dirname, '..');
    const files = sourceFiles(path.join(root, 'src'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.flatMap((file) => auditMutations(readFileSync(file, 'utf8')).map((m) => `${path.relative(root, file)}: ${m}`));
    expect(offenders).toEqual([]);
  });
});
