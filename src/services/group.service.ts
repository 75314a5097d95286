import { Group } from '../entities';
import { AuditChanges } from '../entities/audit-event.entity';
import { auditService, diff } from './audit.service';
import { RequestContext, inTransaction } from './context';
import { DomainError, ErrorCode, IssueCollector, checkVersion, isUniqueViolation } from './errors';
import { likePattern } from './employee-query';
import { GROUP_SORT_FIELDS, GroupQuery, GroupSortField, compileGroupQuery } from './group-query';
import { mapRow } from './rows';
import * as sql from './sql';
import { MAX_TEXT_LENGTH, isUuid, textProblem } from './validation';

/**
 * Groups of employees, owned by the identity provider. Every membership change is set-based: whatever the number of
 * members a request names, it costs the same few SQL statements (one to validate the ids, one DELETE, one INSERT ...
 * SELECT unnest(...)), never one statement per member.
 *
 * Invariant: `group_members` never holds a deleted employee. Adding validates the employees FOR SHARE, and deleting
 * an employee removes its memberships in the same transaction, so neither can slip past the other; reads therefore
 * need no `deleted_at` filter (which would also lure the planner onto the partial username index). Locks are taken
 * employees first, then groups (in id order), on every path, so concurrent requests wait rather than deadlock.
 */

/** A member as representations show it. */
export interface GroupMemberRef {
  /** The employee id. */
  id: string;
  /** The employee's display name, else "first last". */
  display: string;
}

/** A group an employee belongs to, as the employee's representation shows it. */
export interface GroupRef {
  id: string;
  displayName: string;
}

export interface GroupView {
  group: Group;
  /** Present only when asked for: a list with `excludedAttributes=members` never reads a membership row. */
  members?: GroupMemberRef[];
}

/**
 * A change of a group's members. `replace` makes the set exactly `ids` (`[]` empties the group). Adding a member
 * that is there, or removing one that is not, changes nothing.
 */
export type MemberOperation =
  | { kind: 'add'; ids: readonly string[] }
  | { kind: 'remove'; ids: readonly string[] }
  | { kind: 'replace'; ids: readonly string[] };

export interface GroupChanges {
  displayName?: string;
  /** null clears it. */
  externalId?: string | null;
  /** Applied in order, all or nothing. */
  members?: readonly MemberOperation[];
}

export interface NewGroup {
  displayName: string;
  externalId?: string | null;
  memberIds?: readonly string[];
}

export interface GroupListOptions {
  query?: GroupQuery;
  sortBy?: GroupSortField;
  descending?: boolean;
  /** 1-based position of the first group to return. */
  startIndex: number;
  /** How many to return; 0 returns only the total. */
  count: number;
  /** Whether to read the members of the groups returned. */
  members: boolean;
}

export interface GroupWriteOptions {
  /** Refuse with VERSION_CONFLICT unless the stored version equals this (SCIM If-Match). */
  expectedVersion?: number;
}

/** Unknown ids listed in an error before "and N more": enough to find them, short enough for a log line. */
const MAX_IDS_IN_ERROR = 20;

const MEMBER_DISPLAY = `COALESCE(NULLIF(e.display_name, ''), e.first_name || ' ' || e.last_name)`;

export const groupService = {
  /** One group, with its members when `members` is set. */
  async get(ctx: RequestContext, id: string, options: { members: boolean }): Promise<GroupView | null> {
    if (!isUuid(id)) return null;
    const row = await sql.one(ctx, 'SELECT * FROM groups WHERE tenant_id = $1 AND id = $2', [ctx.tenantId, id]);
    if (!row) return null;
    const group = mapRow(ctx.manager, Group, row);
    if (!options.members) return { group };
    const members = await membersOf(ctx, [group.id]);
    return { group, members: members.get(group.id) ?? [] };
  },

  /**
   * A page of groups matching `query`, in a stable order (the sort key, then id; without one, creation order)
   * whatever startIndex and count, with the exact total. With `members`, the members of all the page's groups are read in one more statement.
   */
  async list(ctx: RequestContext, options: GroupListOptions): Promise<{ views: GroupView[]; totalResults: number }> {
    const params: unknown[] = [ctx.tenantId];
    const where = `g.tenant_id = $1${options.query ? ` AND ${compileGroupQuery(options.query, params)}` : ''}`;
    // Planned with the tenant's id (sql.COUNT_PLAN): a generic plan counted a new tenant's groups by reading the table.
    const count = async () =>
      (await sql.rows<{ n: number }>(ctx, `SELECT count(*)::int AS n FROM groups g WHERE ${where}`, [...params], sql.COUNT_PLAN))[0].n;
    if (options.count <= 0) return { views: [], totalResults: await count() };
    // Without sortBy, creation order (as for users, see CREATION_ORDER): a walk finds groups created meanwhile at
    // its end. The index ix_groups_tenant_created serves it.
    const sort = GROUP_SORT_FIELDS[options.sortBy ?? 'createdAt'];
    const direction = options.descending ? 'DESC' : 'ASC';
    const pageParams = [...params, options.count, options.startIndex - 1];
    const page = sql.rows(
      ctx,
      `SELECT g.* FROM groups g WHERE ${where}
        ORDER BY ${sort} ${direction}, g.id ${direction} LIMIT $${pageParams.length - 1} OFFSET $${pageParams.length}`,
      pageParams,
    );
    // A first page shorter than asked for tells the total by itself, as the employee list's does: Okta's
    // `displayName eq "…"` lookup is then one statement. A count beside it was planned, for a tenant without
    // statistics, as a walk of the tenant's groups filtered by the name.
    const rows = await page;
    const n = options.startIndex === 1 && rows.length < options.count ? rows.length : await count();
    const groups = rows.map((raw) => mapRow(ctx.manager, Group, raw));
    if (!options.members || groups.length === 0) return { views: groups.map((group) => ({ group })), totalResults: n };
    const members = await membersOf(
      ctx,
      groups.map((g) => g.id),
    );
    return { views: groups.map((group) => ({ group, members: members.get(group.id) ?? [] })), totalResults: n };
  },

  /**
   * Groups for admin clients: `search` is a substring of the display name; keyset pagination on (display name, id).
   */
  async search(
    ctx: RequestContext,
    options: { search?: string | null; first: number; after?: { displayName: string; id: string } | null },
  ): Promise<{ groups: Group[]; totalCount: number; hasNextPage: boolean }> {
    const params: unknown[] = [ctx.tenantId];
    let where = 'g.tenant_id = $1';
    const term = options.search?.trim();
    if (term) {
      params.push(likePattern(term, 'co'));
      where += ` AND g.display_name ILIKE $${params.length}`;
    }
    const counted = sql.rows<{ n: number }>(ctx, `SELECT count(*)::int AS n FROM groups g WHERE ${where}`, [...params], sql.COUNT_PLAN);
    if (options.after) {
      params.push(options.after.displayName, options.after.id);
      where += ` AND (g.display_name, g.id) > ($${params.length - 1}::citext, $${params.length}::uuid)`;
    }
    params.push(options.first + 1);
    const rows = sql.rows(
      ctx,
      `SELECT g.* FROM groups g WHERE ${where} ORDER BY g.display_name, g.id LIMIT $${params.length}`,
      params,
    );
    const [[{ n }], raw] = await Promise.all([counted, rows]);
    const groups = raw.map((r) => mapRow(ctx.manager, Group, r));
    return { groups: groups.slice(0, options.first), totalCount: n, hasNextPage: groups.length > options.first };
  },

  /**
   * One page of a group's members (employee ids in id order, keyset on the membership key), with the exact count:
   * reading the first 100 members of a 50,000-member group costs the same as of a 10-member one.
   */
  async memberPage(
    ctx: RequestContext,
    groupId: string,
    options: { first: number; afterEmployeeId?: string | null },
  ): Promise<{ employeeIds: string[]; totalCount: number; hasNextPage: boolean }> {
    const params: unknown[] = [ctx.tenantId, groupId];
    let where = 'm.tenant_id = $1 AND m.group_id = $2';
    const counted = sql.rows<{ n: number }>(ctx, `SELECT count(*)::int AS n FROM group_members m WHERE ${where}`, [...params]);
    if (options.afterEmployeeId) {
      params.push(options.afterEmployeeId);
      where += ` AND m.employee_id > $${params.length}::uuid`;
    }
    params.push(options.first + 1);
    const rows = sql.rows<{ employee_id: string }>(
      ctx,
      `SELECT m.employee_id FROM group_members m WHERE ${where} ORDER BY m.employee_id LIMIT $${params.length}`,
      params,
    );
    const [[{ n }], raw] = await Promise.all([counted, rows]);
    const ids = raw.map((r) => r.employee_id);
    return { employeeIds: ids.slice(0, options.first), totalCount: n, hasNextPage: ids.length > options.first };
  },

  /** Groups by id in the caller's tenant, in no particular order. */
  async getMany(ctx: RequestContext, ids: readonly string[]): Promise<Group[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    // Each id read on its own (sql.byKeys): as one list, a tenant without statistics was read from a tenant-only index.
    const rows = await sql.rows(ctx, `SELECT g.* FROM ${sql.byKeys('groups', 'g', 'id', '$1', '$2::uuid[]')}`, [ctx.tenantId, valid]);
    return rows.map((raw) => mapRow(ctx.manager, Group, raw));
  },

  /** The groups of each employee (by display name), in one statement whatever the number of employees. */
  async groupsOfEmployees(ctx: RequestContext, employeeIds: readonly string[]): Promise<Map<string, GroupRef[]>> {
    const ids = [...new Set(employeeIds.filter(isUuid).map((id) => id.toLowerCase()))];
    const byEmployee = new Map<string, GroupRef[]>();
    if (ids.length === 0) return byEmployee;
    const rows = await sql.rows<{ employee_id: string; id: string; display_name: string }>(
      ctx,
      // Each group's name read by its key (joined, PostgreSQL without statistics hashed the tenant's every group).
      `SELECT mg.employee_id, mg.id, mg.display_name::text AS display_name
         FROM (SELECT m.employee_id, m.group_id AS id,
                      (SELECT g.display_name FROM groups g WHERE g.tenant_id = m.tenant_id AND g.id = m.group_id) AS display_name
                 FROM group_members m WHERE m.tenant_id = $1 AND m.employee_id = ANY($2::uuid[])) mg
        WHERE mg.display_name IS NOT NULL
        ORDER BY mg.display_name, mg.id`,
      [ctx.tenantId, ids],
    );
    for (const row of rows) {
      const list = byEmployee.get(row.employee_id) ?? [];
      list.push({ id: row.id, displayName: row.display_name });
      byEmployee.set(row.employee_id, list);
    }
    return byEmployee;
  },

  /**
   * Creates a group with its members. Every member id must be an employee of the tenant (not deleted); otherwise
   * nothing is created and the error names the ids. A displayName already used in the tenant (in any case) is
   * UNIQUENESS, also when two creates race.
   */
  async create(ctx: RequestContext, input: NewGroup): Promise<Group> {
    return inTransaction(ctx, async (tx) => {
      const issues = new IssueCollector();
      const displayName = checkDisplayName(issues, input.displayName);
      const externalId = checkExternalId(issues, input.externalId);
      const memberIds = normalizeIds(input.memberIds ?? []);
      await checkMembers(tx, memberIds, issues);
      issues.throwIfAny();
      let raw: Record<string, unknown>[];
      try {
        raw = await sql.returning(tx, 'INSERT INTO groups (tenant_id, display_name, external_id) VALUES ($1, $2, $3) RETURNING *', [
          tx.tenantId,
          displayName,
          externalId ?? null,
        ]);
      } catch (error) {
        if (isUniqueViolation(error)) throw displayNameTaken(displayName!);
        throw error;
      }
      const group = mapRow(tx.manager, Group, raw[0]);
      await auditService.record(tx, {
        action: 'group.created',
        targetType: 'group',
        targetId: group.id,
        changes: diff(null, group, ['displayName', 'externalId']),
      });
      const added = await insertMembers(tx, group.id, memberIds);
      await recordMembership(tx, group.id, added, []);
      return group;
    });
  },

  /**
   * Changes a group: name, external id and members (PUT and PATCH). All checks run before any write; the member
   * operations are folded into one net change and applied set-based. The version goes up when anything changed.
   */
  async update(ctx: RequestContext, id: string, changes: GroupChanges, options: GroupWriteOptions = {}): Promise<Group> {
    return inTransaction(ctx, async (tx) => {
      const issues = new IssueCollector();
      const displayName = changes.displayName !== undefined ? checkDisplayName(issues, changes.displayName) : undefined;
      const externalId = changes.externalId !== undefined ? checkExternalId(issues, changes.externalId) : undefined;
      const delta = foldMemberOperations(changes.members ?? []);
      // Employees before the group (see the lock order above).
      await checkMembers(tx, [...delta.add], issues);
      const current = await lockGroup(tx, id, options.expectedVersion);
      issues.throwIfAny();

      const removed = delta.reset
        ? await removeMembersExcept(tx, current.id, [...delta.add])
        : await removeMembers(tx, current.id, [...delta.remove]);
      const added = await insertMembers(tx, current.id, [...delta.add]);

      const set: { displayName?: string; externalId?: string | null } = {};
      if (displayName !== undefined && displayName !== current.displayName) set.displayName = displayName;
      if (externalId !== undefined && externalId !== current.externalId) set.externalId = externalId;
      if (Object.keys(set).length === 0 && added.length === 0 && removed.length === 0) return current;

      let raw: Record<string, unknown>[];
      try {
        raw = await sql.returning(
          tx,
          `UPDATE groups SET display_name = COALESCE($3, display_name),
                  external_id = CASE WHEN $4 THEN $5 ELSE external_id END,
                  version = version + 1, updated_at = now()
            WHERE tenant_id = $1 AND id = $2 RETURNING *`,
          [tx.tenantId, current.id, set.displayName ?? null, 'externalId' in set, set.externalId ?? null],
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw displayNameTaken(set.displayName ?? current.displayName);
        throw error;
      }
      const group = mapRow(tx.manager, Group, raw[0]);
      if (Object.keys(set).length > 0) {
        await auditService.record(tx, {
          action: 'group.updated',
          targetType: 'group',
          targetId: group.id,
          changes: diff(current, group, ['displayName', 'externalId']),
        });
      }
      await recordMembership(tx, group.id, added, removed);
      return group;
    });
  },

  /** Deletes a group and its memberships; the employees stay as they are. */
  async remove(ctx: RequestContext, id: string, options: GroupWriteOptions = {}): Promise<void> {
    await inTransaction(ctx, async (tx) => {
      const current = await lockGroup(tx, id, options.expectedVersion);
      const [{ n }] = await sql.rows<{ n: number }>(
        tx,
        `WITH removed AS (DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 RETURNING 1)
         SELECT count(*)::int AS n FROM removed`,
        [tx.tenantId, current.id],
      );
      await sql.affected(tx, 'DELETE FROM groups WHERE tenant_id = $1 AND id = $2', [tx.tenantId, current.id]);
      await auditService.record(tx, {
        action: 'group.deleted',
        targetType: 'group',
        targetId: current.id,
        changes: {
          displayName: { from: current.displayName, to: null },
          externalId: { from: current.externalId, to: null },
          memberCount: { from: n, to: 0 },
        },
      });
    });
  },

  /**
   * Removes a (deleted) employee from every group, in the caller's transaction: deleted employees are members of
   * nothing. Each group it left gets a new version and a `group.members_removed` audit row.
   */
  async removeEmployeeFromAll(ctx: RequestContext, employeeId: string): Promise<void> {
    await inTransaction(ctx, async (tx) => {
      // The caller holds the employee's row lock; the groups come second, in id order, as on every path.
      await sql.rows(
        tx,
        `SELECT g.id FROM groups g
          WHERE g.tenant_id = $1 AND g.id IN (SELECT group_id FROM group_members WHERE tenant_id = $1 AND employee_id = $2)
          ORDER BY g.id FOR UPDATE`,
        [tx.tenantId, employeeId],
      );
      const groups = await sql.returning<{ id: string }>(
        tx,
        `WITH removed AS (DELETE FROM group_members WHERE tenant_id = $1 AND employee_id = $2 RETURNING group_id)
         UPDATE groups g SET version = version + 1, updated_at = now()
           FROM removed r WHERE g.tenant_id = $1 AND g.id = r.group_id RETURNING g.id`,
        [tx.tenantId, employeeId],
      );
      for (const group of groups) await recordMembership(tx, group.id, [], [employeeId]);
    });
  },
};

async function lockGroup(ctx: RequestContext, id: string, expectedVersion: number | undefined): Promise<Group> {
  const notFound = () => new DomainError(ErrorCode.NOT_FOUND, `No group with id "${id}" exists in this tenant.`, 'id');
  if (!isUuid(id)) throw notFound();
  // The row lock serialises changes of one group: concurrent membership PATCHes never lose each other's members.
  const row = await sql.one(ctx, 'SELECT * FROM groups WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [ctx.tenantId, id]);
  if (!row) throw notFound();
  const group = mapRow(ctx.manager, Group, row);
  checkVersion('group', expectedVersion, group.version);
  return group;
}

function checkDisplayName(issues: IssueCollector, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.add(ErrorCode.REQUIRED, 'displayName is required and must not be empty.', 'displayName');
    return undefined;
  }
  if (textProblem(value)) {
    issues.add(
      ErrorCode.INVALID_VALUE,
      `displayName must be at most ${MAX_TEXT_LENGTH} characters without control characters.`,
      'displayName',
    );
    return undefined;
  }
  return value.trim().normalize('NFC');
}

function checkExternalId(issues: IssueCollector, value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || textProblem(value)) {
    issues.add(ErrorCode.INVALID_VALUE, 'externalId must be a string of at most 256 characters without control characters.', 'externalId');
    return undefined;
  }
  return value;
}

function displayNameTaken(displayName: string): DomainError {
  return new DomainError(
    ErrorCode.UNIQUENESS,
    `A group with displayName "${displayName}" already exists in this tenant (names are compared case-insensitively).`,
    'displayName',
  );
}

/** Distinct ids, lower-cased (uuids compare case-insensitively; PostgreSQL prints them in lower case). */
function normalizeIds(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => id.trim().toLowerCase()))];
}

/**
 * Every id must be an employee of this tenant that is not deleted, checked in ONE statement. Another tenant's employee
 * is indistinguishable from an unknown id. FOR SHARE keeps the employees from being deleted until this transaction
 * ends (a delete already under way is waited for, and its result seen). `deleted_at` is read rather than filtered on,
 * so the primary key serves the lookup even when the table's statistics are stale (e.g. right after a bulk import).
 */
async function checkMembers(ctx: RequestContext, ids: readonly string[], issues: IssueCollector): Promise<void> {
  if (ids.length === 0) return;
  const wellFormed = ids.filter(isUuid);
  const found = new Set<string>();
  if (wellFormed.length > 0) {
    const rows = await sql.rows<{ id: string; alive: boolean }>(
      ctx,
      // One probe of the primary key per id (sql.byKeys): as `id = ANY($2)` it was planned, for a tenant without
      // statistics, as a walk of the tenant's rows filtered by the list. Each row is locked by its probe.
      `SELECT e.id, e.deleted_at IS NULL AS alive
         FROM unnest($2::uuid[]) AS _k(key)
         CROSS JOIN LATERAL (SELECT x.id, x.deleted_at FROM employees x WHERE x.tenant_id = $1 AND x.id = _k.key OFFSET 0 FOR SHARE) e`,
      [ctx.tenantId, wellFormed],
    );
    for (const row of rows) if (row.alive) found.add(row.id);
  }
  const unknown = ids.filter((id) => !found.has(id));
  if (unknown.length === 0) return;
  const listed = unknown.slice(0, MAX_IDS_IN_ERROR).map((id) => `"${id}"`).join(', ');
  const more = unknown.length > MAX_IDS_IN_ERROR ? ` and ${unknown.length - MAX_IDS_IN_ERROR} more` : '';
  issues.add(
    ErrorCode.INVALID_VALUE,
    `${unknown.length === 1 ? 'This member is not a user' : 'These members are not users'} of this tenant: ${listed}${more}. ` +
      'Nothing was changed; provision the users first or leave them out.',
    'members',
  );
}

/** The net effect of member operations applied in order: either a change of the current set, or a new set. */
interface MemberDelta {
  /** True when a `replace` came: the members become exactly `add`. */
  reset: boolean;
  add: Set<string>;
  remove: Set<string>;
}

function foldMemberOperations(operations: readonly MemberOperation[]): MemberDelta {
  const delta: MemberDelta = { reset: false, add: new Set(), remove: new Set() };
  for (const operation of operations) {
    const ids = normalizeIds(operation.ids);
    switch (operation.kind) {
      case 'replace':
        delta.reset = true;
        delta.add = new Set(ids);
        delta.remove.clear();
        break;
      case 'add':
        for (const id of ids) {
          delta.remove.delete(id);
          delta.add.add(id);
        }
        break;
      case 'remove':
        for (const id of ids) {
          delta.add.delete(id);
          if (!delta.reset) delta.remove.add(id);
        }
        break;
    }
  }
  return delta;
}

/** Inserts the memberships not there yet; returns the employee ids actually added. */
async function insertMembers(ctx: RequestContext, groupId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sql.returning<{ employee_id: string }>(
    ctx,
    `INSERT INTO group_members (tenant_id, group_id, employee_id)
     SELECT $1, $2, unnest($3::uuid[])
     ON CONFLICT DO NOTHING RETURNING employee_id`,
    [ctx.tenantId, groupId, ids],
  );
  return rows.map((r) => r.employee_id);
}

/** Removes these members (ids that are not members, or not even uuids, are no-ops); returns the ids removed. */
async function removeMembers(ctx: RequestContext, groupId: string, ids: readonly string[]): Promise<string[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const rows = await sql.returning<{ employee_id: string }>(
    ctx,
    'DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND employee_id = ANY($3::uuid[]) RETURNING employee_id',
    [ctx.tenantId, groupId, valid],
  );
  return rows.map((r) => r.employee_id);
}

/**
 * Removes every member not in `keep`. PostgreSQL evaluates `= ANY(<constant array>)` through a hash table, so 50,000
 * kept ids cost one hash build whatever the planner believes about the table's size (an anti-join planned on stale
 * statistics could become a nested loop of 50,000 x 50,000).
 */
async function removeMembersExcept(ctx: RequestContext, groupId: string, keep: readonly string[]): Promise<string[]> {
  const rows = await sql.returning<{ employee_id: string }>(
    ctx,
    `DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND NOT (employee_id = ANY($3::uuid[]))
      RETURNING employee_id`,
    [ctx.tenantId, groupId, keep],
  );
  return rows.map((r) => r.employee_id);
}

/** Audit rows of a membership change, in the change's transaction: one per direction, listing the employee ids. */
async function recordMembership(ctx: RequestContext, groupId: string, added: string[], removed: string[]): Promise<void> {
  const entries: [string, AuditChanges][] = [];
  if (added.length > 0) entries.push(['group.members_added', { memberIds: { from: null, to: added } }]);
  if (removed.length > 0) entries.push(['group.members_removed', { memberIds: { from: removed, to: null } }]);
  for (const [action, changes] of entries) {
    await auditService.record(ctx, { action, targetType: 'group', targetId: groupId, changes });
  }
}

/** The members of each group, ordered by employee id, in one statement. */
async function membersOf(ctx: RequestContext, groupIds: readonly string[]): Promise<Map<string, GroupMemberRef[]>> {
  const rows = await sql.rows<{ group_id: string; id: string; display: string }>(
    ctx,
    // Each member's name read by its key: joined, PostgreSQL planning for a new tenant hashed the tenant's every
    // employee (test/query-plans.test.ts).
    `SELECT m.group_id, m.employee_id AS id, m.display
       FROM (SELECT m.group_id, m.employee_id,
                    (SELECT ${MEMBER_DISPLAY} FROM employees e WHERE e.tenant_id = m.tenant_id AND e.id = m.employee_id) AS display
               FROM group_members m WHERE m.tenant_id = $1 AND m.group_id = ANY($2::uuid[])) m
      WHERE m.display IS NOT NULL
      ORDER BY m.group_id, m.employee_id`,
    [ctx.tenantId, groupIds],
  );
  const byGroup = new Map<string, GroupMemberRef[]>();
  for (const row of rows) {
    const list = byGroup.get(row.group_id) ?? [];
    list.push({ id: row.id, display: row.display });
    byGroup.set(row.group_id, list);
  }
  return byGroup;
}
