import { eventService } from '../../src/services/event.service';
import { Harness } from './harness';

/**
 * Every row of one tenant, in every table with a tenant_id column plus its `tenants` row, as JSON text sorted per
 * table: two snapshots are equal exactly when nothing of the tenant changed. `ignore` leaves out columns that change
 * by design on any request (e.g. `access_tokens.last_used_at`) and whole tables (e.g. `provisioning_events`, which
 * records refused SCIM requests on purpose). The tenant's committed events are numbered first (see below).
 */
export async function snapshotTenant(
  h: Harness,
  tenantId: string,
  ignore: { tables?: string[]; columns?: Record<string, string[]> } = {},
): Promise<Record<string, string[]>> {
  await h.app.provisioningLog.flush();
  // The change feed numbers committed events in the background: number them now, so that two snapshots around a
  // request that changed nothing are equal whenever the background run happens.
  await eventService.sequence(h.dataSource.manager, tenantId);
  const tables: { table_name: string }[] = await h.dataSource.query(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
  );
  const snapshot: Record<string, string[]> = {};
  for (const { table_name } of tables) {
    if (ignore.tables?.includes(table_name)) continue;
    const dropped = (ignore.columns?.[table_name] ?? []).map((c) => ` - '${c}'`).join('');
    const rows: { r: string }[] = await h.dataSource.query(
      `SELECT (to_jsonb(t)${dropped})::text AS r FROM "${table_name}" t WHERE tenant_id = $1 ORDER BY 1`,
      [tenantId],
    );
    snapshot[table_name] = rows.map((row) => row.r);
  }
  const tenant: { r: string }[] = await h.dataSource.query('SELECT to_jsonb(t)::text AS r FROM tenants t WHERE id = $1', [tenantId]);
  snapshot.tenants = tenant.map((row) => row.r);
  return snapshot;
}
