// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { Employee } from '../../entities';
import { ScimImportField, UsernameFormat } from '../../entities/enums';
import { AuditChanges } from '../../entities/audit-event.entity';
import { auditRowsSql } from '../audit.service';
import { logger } from '../../logging';
import { Batched, asError } from '../coalesce';
import { RequestContext } from '../context';
import { DomainError, IssueCollector } from '../errors';
import { EMPLOYEE_FIELDS } from '../ownership';
import { mapRow } from '../rows';
import * as sql from '../sql';
import { DEFAULT_ROLE_NAME, TenantDefaults, defaultsSelect, knownDefaults } from '../tenant-defaults';
import { isUuid } from '../validation';
import { resolveIdpInput, ResolvedIdpInput } from './idp-input';
import { counts } from './list-caches';
import { AUDITED_FIELDS, CREATED_FIELDS, WRITTEN_FIELDS, normalize, validate, withKey } from './rules';
import { EmployeeView, IdpEmployee, IdpWriteResult } from './types';
import { VIEW_COLUMNS, VIEW_JOINS, VIEW_NAMES, column, toView, typedColumns } from './view';

/**
 * Creates and PUTs of one tenant go one statement at a time (see Batched): their statements cost PostgreSQL much per
 * execution (the change feed's trigger, opening the table's indexes, the commit), so larger batches save it, and
 * neither waits for another transaction's row lock (a PUT's statement skips a locked row: see replaceStatement), so one
 * slow holder cannot hold back the tenant's other requests. A second statement starts once 8 requests wait, as they do
 * while a slow disk holds a commit (at 16 concurrent requests, a batch is about 8). PATCHes and GraphQL updates lost
 * more by waiting than they saved (docs/benchmarks.md, "Session 25").
 */
const ONE_AT_A_TIME = { inFlight: 1, moreWhenWaiting: 8 };

/** One optimistic employee update that changes no reference, as a batched UPDATE takes it. */
export interface PendingUpdate {
  id: string;
  /** The version read: the row is written only while it still has it. */
  version: number;
  /** Every audited field's value after the update (for the fields it does not change, the value read). */
  after: Record<string, unknown>;
  deactivation: 'set' | 'clear' | 'keep';
  action: string;
  changes: AuditChanges;
  /** The employee as read (the answer reuses its names and groups). */
  current: EmployeeView;
  /** The same update as a statement of its own. */
  alone: () => Promise<EmployeeView | null>;
  /** Whose request it is (for its audit row): the batch runs with the first request's context. */
  requestId: string;
  actor: RequestContext['actor'];
}

/**
 * Concurrent optimistic updates of one tenant (SCIM PUT and PATCH) in one statement and one commit (see Batched):
 * `UPDATE employees … FROM` the list of rows, each guarded by the version it read, and their audit rows. Writing the
 * value read back to a field the update does not change is safe because of that guard. PostgreSQL alone ran 3.5
 * times as many such updates per second in batches of 8 as one by one (docs/benchmarks.md).
 *
 * A row whose version moved is missing from the result: that request reads again (StaleVersion), as alone. When the
 * statement fails (a username taken, a reference deleted meanwhile, a deadlock with another batch), every update of
 * the batch runs alone, so that each request gets only its own error.
 */
export const updateBatches = new Batched<PendingUpdate, EmployeeView | null>(async (ctx, items) => {
  if (items.length === 1) return [await items[0].alone()];
  try {
    const rows = await sql.rows(ctx, batchedUpdateStatement(ctx), [
      ctx.tenantId,
      JSON.stringify(
        items.map((item, i) => {
          const row: Record<string, unknown> = { _i: i, _id: item.id, _version: item.version, _deactivation: item.deactivation };
          for (const field of WRITTEN_FIELDS) row[column(ctx, field)] = item.after[field] ?? null;
          Object.assign(row, { _action: item.action, _changes: item.changes, _request_id: item.requestId, _token_id: item.actor.tokenId, _surface: item.actor.surface });
          return row;
        }),
      ),
    ]);
    const byIndex = new Map(rows.map((raw) => [Number(raw._i), raw]));
    return items.map((item, i) => {
      const raw = byIndex.get(i);
      return raw ? { employee: mapRow(ctx.manager, Employee, raw), names: item.current.names, groups: item.current.groups } : null;
    });
  } catch (error) {
    logger.debug({ code: (error as { code?: unknown }).code, updates: items.length }, 'batched employee update failed; each runs alone');
    return Promise.all(items.map((item) => item.alone().catch(asError)));
  }
});

/**
 * A SCIM PUT in one statement, without reading the employee first (Okta pushes every profile change as a PUT). The
 * general path reads, computes in JavaScript and writes if the version is unchanged: two round trips in turn, which
 * capped PUTs at about 2,200/s on a machine with a fifth of its CPU idle (docs/benchmarks.md). A PUT needs the
 * stored row only to know what changed (for the audit row and the version), and whether it claims a LOCAL employee;
 * the statement (see replaceBatches) locks the rows, compares in SQL and writes in one go.
 *
 * Taken only when the answer cannot differ from the general path's: a SCIM write (which may change every field)
 * without If-Match, while the tenant's defaults are known. Anything else, and anything the statement does not settle
 * (an unknown id, defaults changed meanwhile, an input or database error), takes the general path, which answers as
 * it always did. test/scim-replace.test.ts compares the two paths' answers and audit rows.
 */
export async function replaceWithoutReading(
  ctx: RequestContext,
  id: string,
  input: Partial<IdpEmployee>,
  options: { expectedVersion?: number },
): Promise<IdpWriteResult | undefined> {
  const defaults = knownDefaults.get(ctx.tenantId);
  if (!defaults || ctx.actor.surface !== 'scim' || options.expectedVersion !== undefined || !isUuid(id)) return undefined;
  let set: Record<string, unknown>;
  let resolved: ResolvedIdpInput;
  try {
    resolved = await resolveIdpInput(ctx, input, false, defaults);
    const issues = new IssueCollector();
    await validate(ctx, resolved.changes, issues, defaults);
    issues.throwIfAny();
    const values = normalize(resolved.changes);
    set = {};
    for (const field of EMPLOYEE_FIELDS) if (values[field] !== undefined) set[field] = values[field];
    if (resolved.externalId !== undefined) set.externalId = resolved.externalId;
    if (resolved.formattedName !== undefined) set.formattedName = resolved.formattedName;
    withKey(set);
  } catch (error) {
    // The remembered defaults may be stale (an optional field just enabled): the general path says it with fresh ones.
    if (error instanceof DomainError) return undefined;
    throw error;
  }
  // A SCIM write makes (or keeps) the employee IdP-managed: it claims an employee created in Rollcall.
  set.managedBy = 'IDENTITY_PROVIDER';
  const { requestId, actor } = ctx;
  const { scimImportFields, usernameFormat } = defaults;
  const done = await replaceBatches.do(ctx, { id: id.toLowerCase(), set, scimImportFields, usernameFormat, requestId, actor });
  if (!done) return undefined;
  if (done.written) counts.invalidate(ctx.tenantId);
  return { employee: done.view.employee, view: done.view, ignoredAttributes: resolved.ignoredAttributes, warnings: resolved.warnings };
}

/** One SCIM PUT as replaceBatches takes it. */
export interface PendingReplace {
  /** Lower case, as PostgreSQL prints uuids. */
  id: string;
  /** The normalized value of every field the PUT sets, by property name (managedBy included). */
  set: Record<string, unknown>;
  /** The tenant's settings the values were resolved with: the row is written only while they still hold. */
  scimImportFields: ScimImportField[];
  usernameFormat: UsernameFormat;
  requestId: string;
  actor: RequestContext['actor'];
}

/**
 * Concurrent SCIM PUTs of one tenant in one statement and one commit (see replaceWithoutReading): lock the rows, take
 * each given field, write the rows that changed with their audit rows, and return every row with its names and
 * groups. A PUT gets null, and takes the general path, when its row was not found (or the tenant's import settings
 * changed), when another transaction holds its row, when another PUT of the batch has the same id, and when the
 * statement fails.
 */
export const replaceBatches = new Batched<PendingReplace, { view: EmployeeView; written: boolean } | null>(async (ctx, items) => {
  const ids = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  items.forEach((item, i) => {
    if (ids.has(item.id)) return;
    ids.add(item.id);
    const row: Record<string, unknown> = {
      _i: i,
      _id: item.id,
      _set: [] as string[],
      _scim_import_fields: item.scimImportFields,
      _username_format: item.usernameFormat,
    };
    for (const [property, value] of Object.entries(item.set)) {
      const name = column(ctx, property);
      (row._set as string[]).push(name);
      row[name] = value;
    }
    rows.push(Object.assign(row, { _request_id: item.requestId, _token_id: item.actor.tokenId, _surface: item.actor.surface }));
  });
  let result: Record<string, unknown>[];
  try {
    result = await sql.rows(ctx, replaceStatement(ctx), [ctx.tenantId, JSON.stringify(rows)]);
  } catch (error) {
    logger.debug({ code: (error as { code?: unknown }).code, replaces: items.length }, 'batched replace failed; each takes the general path');
    return items.map(() => null);
  }
  const byIndex = new Map(result.map((raw) => [Number(raw._i), raw]));
  return items.map((_, i) => {
    const raw = byIndex.get(i);
    return raw ? { view: toView(ctx, raw), written: raw._written === true } : null;
  });
}, ONE_AT_A_TIME);

/** One create, as a batched INSERT takes it. */
export interface PendingCreate {
  /** The new row by property name, its tenant included. */
  row: Record<string, unknown>;
  changes: AuditChanges;
  /** The tenant defaults it was computed with: it is written only while they are still the tenant's. */
  defaults: TenantDefaults;
  /** The same create as a statement of its own. */
  alone: () => Promise<EmployeeView>;
  requestId: string;
  actor: RequestContext['actor'];
}

/**
 * Concurrent creates of one tenant (an Okta import, an Entra initial cycle) in one INSERT … SELECT, with their audit
 * rows, in one commit (see updateBatches for why). Rows are matched back by username key (unique in the tenant). A create
 * the tenant's defaults no longer fit, and every create of a failing statement (a username taken, in the batch or
 * before it), runs alone, which answers as it would have.
 */
export const createBatches = new Batched<PendingCreate, EmployeeView>(async (ctx, items) => {
  if (items.length === 1) return [await items[0].alone().catch(asError)];
  let rows: Record<string, unknown>[];
  try {
    rows = await sql.rows(ctx, batchedCreateStatement(ctx), [
      ctx.tenantId,
      DEFAULT_ROLE_NAME,
      JSON.stringify(
        items.map((item) => {
          const row: Record<string, unknown> = {};
          for (const [property, value] of Object.entries(item.row)) row[column(ctx, property)] = value;
          const d = item.defaults;
          return Object.assign(row, {
            _inactive: item.row.status === 'INACTIVE',
            _scim_import_fields: d.scimImportFields,
            _username_format: d.usernameFormat,
            _default_role: d.defaultRoleId,
            _chosen_default_role: d.chosenDefaultRoleId,
            _default_authenticator: d.defaultLoginAuthenticatorId,
            _changes: item.changes,
            _request_id: item.requestId,
            _token_id: item.actor.tokenId,
            _surface: item.actor.surface,
          });
        }),
      ),
    ]);
  } catch (error) {
    logger.debug({ code: (error as { code?: unknown }).code, creates: items.length }, 'batched employee create failed; each runs alone');
    return Promise.all(items.map((item) => item.alone().catch(asError)));
  }
  const byKey = new Map(rows.map((raw) => [String(raw.username_key), raw]));
  return Promise.all(
    items.map((item) => {
      const raw = byKey.get(String(item.row.usernameKey));
      return raw ? toView(ctx, raw) : item.alone().catch(asError);
    }),
  );
}, ONE_AT_A_TIME);


/** The audit columns a batch row carries for its own request (`_surface`, `_token_id`, …), read from `alias`. */
const BATCH_AUDIT = (alias: string) => ({
  surface: `${alias}._surface`,
  tokenId: `${alias}._token_id`,
  targetType: "'employee'",
  changes: `${alias}._changes`,
  requestId: `${alias}._request_id`,
});

let batchedCreate: string | undefined;

/** The batched INSERT (see createBatches), built once from the entity metadata. */
function batchedCreateStatement(ctx: RequestContext): string {
  if (batchedCreate) return batchedCreate;
  const columns = typedColumns(ctx, CREATED_FIELDS);
  batchedCreate = `WITH d AS (${defaultsSelect('$1', '$2')}),
    v AS (
      SELECT * FROM jsonb_to_recordset($3::jsonb) AS v(${columns.map((c) => `${c.name} ${c.type}`).join(', ')},
        _inactive boolean, _scim_import_fields text[], _username_format text, _default_role uuid, _chosen_default_role uuid, _default_authenticator uuid,
        _changes jsonb, _request_id text, _token_id uuid, _surface text)),
    w AS (
      INSERT INTO employees (${columns.map((c) => c.name).join(', ')}, deactivated_at)
      SELECT ${columns.map((c) => `v.${c.name}`).join(', ')}, CASE WHEN v._inactive THEN now() END FROM v CROSS JOIN d
       WHERE v.tenant_id = $1 AND d._scim_import_fields = v._scim_import_fields AND d._username_format = v._username_format
         AND d._default_role IS NOT DISTINCT FROM v._default_role AND d._chosen_default_role IS NOT DISTINCT FROM v._chosen_default_role
         AND d._default_authenticator IS NOT DISTINCT FROM v._default_authenticator
      RETURNING *),
    audit AS (
      ${auditRowsSql({ ...BATCH_AUDIT('v'), tenantId: 'w.tenant_id', action: "'employee.created'", targetId: 'w.id' }, 'FROM w JOIN v ON v.username_key = w.username_key')})
    SELECT e.*, ${VIEW_NAMES}, '[]'::json AS _groups FROM w AS e ${VIEW_JOINS}`;
  return batchedCreate;
}

let batchedUpdate: string | undefined;

/**
 * The batched UPDATE (see updateBatches), built once from the entity metadata. `o` finds each row by its key and the
 * version read, by a subquery of its own (see sql.byKeys), and keeps its ctid; one UPDATE writes the rows by those
 * ctids (a TID scan, a plan that holds whatever the statistics say). As `UPDATE employees … FROM` the list by id,
 * PostgreSQL without statistics for the tenant believed it held a row or two and hashed all its rows (24 ms for 8 rows
 * at 5,000, docs/benchmarks.md); as one writable CTE per row, every batch size was a statement of its own, and each
 * execution opened the table's indexes once per row (see replaceStatement). No `deleted_at IS NULL`, which would make
 * partial indexes without the key candidates: the version guard already refuses a deleted row (a delete moves the
 * version). A row another transaction changed after this statement's snapshot fails the guard when PostgreSQL checks
 * it again (its newest version has another ctid and version): that request reads again (StaleVersion), as a lost race
 * does. Two updates of one row in a batch: PostgreSQL applies one, the other finds no row and reads again.
 */
function batchedUpdateStatement(ctx: RequestContext): string {
  if (batchedUpdate) return batchedUpdate;
  const columns = typedColumns(ctx, WRITTEN_FIELDS);
  batchedUpdate = `WITH v AS (
      SELECT * FROM jsonb_to_recordset($2::jsonb) AS v(_i int, _id uuid, _version int, _deactivation text,
        ${columns.map((c) => `${c.name} ${c.type}`).join(', ')},
        _action text, _changes jsonb, _request_id text, _token_id uuid, _surface text)),
    o AS (
      SELECT v._i, e._ctid FROM v
        CROSS JOIN LATERAL (SELECT e.ctid AS _ctid FROM employees e WHERE e.tenant_id = $1 AND e.id = v._id AND e.version = v._version OFFSET 0) e),
    w AS (
      UPDATE employees e SET ${columns.map((c) => `${c.name} = v.${c.name}`).join(', ')},
        version = e.version + 1, updated_at = now(),
        deactivated_at = CASE v._deactivation WHEN 'set' THEN now() WHEN 'clear' THEN NULL ELSE e.deactivated_at END
      FROM o JOIN v ON v._i = o._i
      WHERE e.ctid = ANY(ARRAY(SELECT o._ctid FROM o)) AND e.ctid = o._ctid AND e.tenant_id = $1 AND e.id = v._id AND e.version = v._version
      RETURNING e.*, v._i, v._action, v._changes, v._request_id, v._token_id, v._surface),
    audit AS (
      ${auditRowsSql({ ...BATCH_AUDIT('w'), tenantId: 'w.tenant_id', action: 'w._action', targetId: 'w.id' }, 'FROM w')})
    SELECT * FROM w`;
  return batchedUpdate;
}

let replace: string | undefined;

/**
 * The statement of replaceBatches, built once from the entity metadata. `o` locks the rows and keeps each one's ctid,
 * skipping a row another transaction holds (`SKIP LOCKED`: a group change holds its members `FOR SHARE` until it
 * commits, another instance's PUT its rows): that PUT takes the general path, which waits for the row alone, so the
 * batch, and with it the tenant's next PUTs (see ONE_AT_A_TIME), waits for no one. `c` takes each field the PUT sets
 * and describes what changed as the general path's audit does (compared as text, so that a username's change of case
 * is a change, as it is in JavaScript); `w` writes the rows that changed, found by the ctids `o` locked (a TID scan, a plan that holds whatever
 * the statistics say; as `UPDATE … FROM c` by id, PostgreSQL without statistics for the tenant hashed all its rows);
 * unchanged rows are answered as they are, with no new version and no audit row.
 *
 * One UPDATE for the whole batch, not one writable CTE per row: each CTE opened the table's 8 indexes, parsed its CHECK
 * constraints and built its nodes at every execution, and each batch size was a statement of its own, prepared and
 * planned on every connection (docs/benchmarks.md, "Session 23"). A row updated by a transaction that committed after
 * this statement's snapshot and before its lock is locked at its newest version, which the TID scan does not see: that
 * PUT finds no written row and takes the general path, which reads again.
 */
function replaceStatement(ctx: RequestContext): string {
  if (replace) return replace;
  const columns = typedColumns(ctx, WRITTEN_FIELDS).map((c, i) => ({ ...c, property: WRITTEN_FIELDS[i] }));
  // The key is derived from the username: a change of it is the username's change, audited as such.
  const audited = columns.filter((c) => (AUDITED_FIELDS as readonly string[]).includes(c.property));
  const all = ctx.manager.connection.getMetadata(Employee).columns.map((c) => c.databaseName);
  const given = (name: string) => `CASE WHEN '${name}' = ANY(v._set) THEN v.${name} ELSE o.${name} END`;
  const change = (c: { name: string; property: string }) =>
    `CASE WHEN (${given(c.name)})::text IS DISTINCT FROM o.${c.name}::text
       THEN jsonb_build_object('${c.property}', jsonb_build_object('from', o.${c.name}, 'to', ${given(c.name)})) ELSE '{}'::jsonb END`;
  replace = `WITH v AS (
      SELECT * FROM jsonb_to_recordset($2::jsonb) AS v(_i int, _id uuid, _set text[], _scim_import_fields text[], _username_format text,
        ${columns.map((c) => `${c.name} ${c.type}`).join(', ')}, _request_id text, _token_id uuid, _surface text)),
    d AS (SELECT t.scim_import_fields AS _scim_import_fields, t.username_format::text AS _username_format FROM tenants t WHERE t.id = $1),
    o AS (
      -- Each row read and locked by a subquery of its own (see sql.byKeys: joined, PostgreSQL without statistics for the
      -- tenant hashed all its rows), in id order; a row another transaction holds is skipped (see above).
      SELECT e.* FROM (SELECT * FROM v ORDER BY v._id) v CROSS JOIN d
        CROSS JOIN LATERAL (SELECT e.ctid AS _ctid, e.* FROM employees e WHERE e.tenant_id = $1 AND e.id = v._id OFFSET 0 FOR UPDATE SKIP LOCKED) e
       WHERE e.deleted_at IS NULL AND d._scim_import_fields = v._scim_import_fields AND d._username_format = v._username_format),
    c AS (
      SELECT o.id AS _id, o._ctid, v._i, v._request_id, v._token_id, v._surface, o.managed_by::text AS _old_managed_by,
        o.status::text AS _old_status, ${columns.map((c) => `${given(c.name)} AS ${c.name}`).join(', ')},
        ${audited.map(change).join(' || ')} AS _changes
      FROM o JOIN v ON v._id = o.id),
    w AS (
      UPDATE employees e SET ${columns.map((c) => `${c.name} = c.${c.name}`).join(', ')},
        version = e.version + 1, updated_at = now(),
        deactivated_at = CASE WHEN c.status::text = c._old_status THEN e.deactivated_at WHEN c.status::text = 'INACTIVE' THEN now() END
      FROM c WHERE e.ctid = ANY(ARRAY(SELECT c._ctid FROM c WHERE c._changes <> '{}'::jsonb))
        AND e.ctid = c._ctid AND e.tenant_id = $1 AND e.id = c._id
      RETURNING e.*, c._i, c._changes, c._request_id, c._token_id, c._surface, c._old_managed_by),
    audit AS (
      ${auditRowsSql(
        {
          ...BATCH_AUDIT('w'),
          tenantId: 'w.tenant_id',
          action: "CASE WHEN w._old_managed_by = 'LOCAL' THEN 'employee.claimed' ELSE 'employee.updated' END",
          targetId: 'w.id',
        },
        'FROM w',
      )})
    SELECT e.*, ${VIEW_COLUMNS} FROM (
      SELECT ${all.map((name) => `w.${name}`).join(', ')}, w._i, true AS _written FROM w
      UNION ALL
      SELECT ${all.map((name) => `o.${name}`).join(', ')}, c._i, false FROM o JOIN c ON c._id = o.id WHERE c._changes = '{}'::jsonb
    ) AS e ${VIEW_JOINS}`;
  return replace;
}
