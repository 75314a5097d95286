import { IsNull } from 'typeorm';
import { Employee } from '../entities';
import { EMPLOYEE_STATUSES, EmployeeStatus, ManagedBy, ScimImportField, UsernameFormat } from '../entities/enums';
import { AuditChanges } from '../entities/audit-event.entity';
import { auditService, diff } from './audit.service';
import { logger } from '../logging';
import { Batched, Coalesced, asError } from './coalesce';
import { ContinuationCache, ListCountCache, employeeListGenerations } from './continuation-cache';
import { CREATION_ORDER } from './list-order';
import type { GroupRef } from './group.service';
import { EmployeeQuery, EmployeeSortField, SORT_FIELDS, compileQuery, likePattern } from './employee-query';
import { CatalogKind, CATALOGS, catalogService } from './catalog.service';
import { RequestContext, inTransaction } from './context';
import { DomainError, ErrorCode, IssueCollector, isForeignKeyViolation, isUniqueViolation } from './errors';
import { groupService } from './group.service';
import { EMPLOYEE_FIELDS, EmployeeField, canWrite } from './ownership';
import { mapRow } from './rows';
import * as sql from './sql';
import { DEFAULT_ROLE_NAME, defaultRoleMissing } from './tenant.service';
import {
  MAX_TEXT_LENGTH,
  canonicalTimeZone,
  hasControlCharacters,
  isUuid,
  isValidEmail,
  phoneNumberProblem,
  strictPhoneNumberProblem,
  timeZoneProblem,
  usernameProblem,
} from './validation';

/** Values for the writable employee fields. `null` clears an optional field; `undefined` leaves it alone. */
export interface EmployeeChanges {
  username?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  status?: EmployeeStatus;
  displayName?: string | null;
  middleName?: string | null;
  mobileNumber?: string | null;
  timeZone?: string | null;
  type?: string | null;
  primaryRoleId?: string | null;
  teamId?: string | null;
  loginAuthenticatorId?: string | null;
}

/** The fields every employee must have (the IdP sends them; GraphQL cannot clear them). */
export const REQUIRED_EMPLOYEE_FIELDS = ['username', 'firstName', 'lastName', 'email'] as const;

export type NewEmployee = EmployeeChanges & { username: string; firstName: string; lastName: string; email: string };

/**
 * An employee as an identity provider describes it: related things by name, optional fields possibly present. The
 * tenant's settings decide which optional fields are imported (see `fromIdentityProvider`).
 */
export interface IdpEmployee {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  active?: boolean;
  externalId?: string | null;
  displayName?: string | null;
  middleName?: string | null;
  mobileNumber?: string | null;
  timeZone?: string | null;
  type?: string | null;
  primaryRole?: string | null;
  team?: string | null;
  loginAuthenticator?: string | null;
  employeeTemplate?: string | null;
  /** SCIM `name.formatted`, kept as sent (null: computed from the name's parts). */
  formattedName?: string | null;
}

/**
 * An optional value an IdP sent that could not be used: the write went ahead without it (a refused person is a red
 * flag in Okta, and enough refusals quarantine an Entra job), and the provisioning log says what was skipped and why.
 */
export interface IdpWarning {
  attribute: keyof IdpEmployee;
  /** The value as sent. */
  value: string;
  reason: string;
}

/** An optional IdP attribute, the tenant setting that lets it in, and the domain field it fills. */
const OPTIONAL_IDP_FIELDS = [
  { attribute: 'displayName', setting: 'DISPLAY_NAME' },
  { attribute: 'middleName', setting: 'MIDDLE_NAME' },
  { attribute: 'mobileNumber', setting: 'MOBILE_NUMBER' },
  { attribute: 'timeZone', setting: 'TIME_ZONE' },
  { attribute: 'type', setting: 'TYPE' },
  { attribute: 'loginAuthenticator', setting: 'LOGIN_AUTHENTICATOR' },
  { attribute: 'primaryRole', setting: 'PRIMARY_ROLE' },
  { attribute: 'team', setting: 'TEAM' },
] as const satisfies readonly { attribute: keyof IdpEmployee; setting: ScimImportField }[];

const NAMED_REFERENCES = [
  { attribute: 'primaryRole', field: 'primaryRoleId', kind: 'role' },
  { attribute: 'team', field: 'teamId', kind: 'team' },
  { attribute: 'loginAuthenticator', field: 'loginAuthenticatorId', kind: 'loginAuthenticator' },
] as const satisfies readonly { attribute: keyof IdpEmployee; field: EmployeeField; kind: CatalogKind }[];

const REFERENCE_FIELDS = [
  { field: 'primaryRoleId', kind: 'role' },
  { field: 'teamId', kind: 'team' },
  { field: 'loginAuthenticatorId', kind: 'loginAuthenticator' },
] as const satisfies readonly { field: EmployeeField; kind: CatalogKind }[];

const REQUIRED_TEXT = ['firstName', 'lastName'] as const;
const OPTIONAL_TEXT = ['displayName', 'middleName', 'type'] as const;

/** Audited fields: every writable field plus the ones only the system or the IdP's metadata change. */
const AUDITED_FIELDS = [...EMPLOYEE_FIELDS, 'externalId', 'formattedName', 'managedBy'] as const;
/** The columns a create writes. */
const CREATED_FIELDS = ['tenantId', ...AUDITED_FIELDS] as const;

export interface IdpWriteResult {
  employee: Employee;
  /** The employee as representations show it (names and groups), from the write itself. */
  view: EmployeeView;
  /** Attributes the IdP sent that the tenant does not import (the provisioning log says so). */
  ignoredAttributes: string[];
  /** Optional values that could not be used and were skipped (the provisioning log says why). */
  warnings: IdpWarning[];
}

export interface UpdateOptions {
  /** Refuse with VERSION_CONFLICT unless the stored version equals this (SCIM If-Match). */
  expectedVersion?: number;
  /** Write only if the row still has this version (optimistic writes); otherwise StaleVersion. */
  ifVersion?: number;
  /** Set by the SCIM mapping only. */
  externalId?: string | null;
  /** SCIM `name.formatted`; set by the SCIM mapping only. */
  formattedName?: string | null;
}

export interface EmployeeSearchFilter {
  status?: EmployeeStatus | null;
  managedBy?: ManagedBy | null;
  primaryRoleIds?: string[] | null;
  teamIds?: string[] | null;
  type?: string | null;
}

export interface SearchOptions {
  search?: string | null;
  filter?: EmployeeSearchFilter;
  orderBy?: { field: EmployeeSortField; descending: boolean };
  first: number;
  after?: { value: string; id: string } | null;
  /** Whether to count every match (GraphQL `totalCount`); default true. */
  withTotal?: boolean;
  /** Which of each employee's role, team and login authenticator to read in the same statement (`references`). */
  withReferences?: readonly EmployeeReference[];
  /** Only these properties of each employee (the others are undefined); default all. */
  properties?: readonly (keyof Employee)[];
}

/** What a page shows of the role, team and login authenticator an employee refers to (those it was asked for). */
export interface EmployeeReferences {
  primaryRole?: { id: string; name: string; description: string | null } | null;
  team?: { id: string; name: string; description: string | null } | null;
  loginAuthenticator?: { id: string; name: string; isDefault: boolean } | null;
}
export type EmployeeReference = keyof EmployeeReferences;

/**
 * The text `search` looks in: first and last name side by side (so "Ada Lovelace" matches), username, email, display
 * and middle name. The migration indexes exactly this expression with gin_trgm_ops; keep the two identical.
 */
export const SEARCH_DOCUMENT =
  "(e.first_name || ' ' || e.last_name || ' ' || e.username::text || ' ' || e.email::text || ' ' || " +
  "coalesce(e.display_name, '') || ' ' || coalesce(e.middle_name, ''))";

export interface EmployeePage {
  employees: Employee[];
  /** With `withReferences`: each employee's references, in the order of `employees`. */
  references?: EmployeeReferences[];
  totalCount: number;
  hasNextPage: boolean;
}

/**
 * How `search` reads each reference with the page (`withReferences`): the id property, the columns, the join. Only
 * the references a page shows are read: decoding the columns of the others cost a page of 100 measurable CPU.
 */
const REFERENCE_READS = {
  primaryRole: {
    property: 'primaryRoleId',
    columns: 'r.name::text AS _r_name, r.description AS _r_description',
    join: 'LEFT JOIN roles r ON r.tenant_id = e.tenant_id AND r.id = e.primary_role_id',
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._r_name), description: raw._r_description as string | null }),
    found: '_r_name',
  },
  team: {
    property: 'teamId',
    columns: 't.name::text AS _t_name, t.description AS _t_description',
    join: 'LEFT JOIN teams t ON t.tenant_id = e.tenant_id AND t.id = e.team_id',
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._t_name), description: raw._t_description as string | null }),
    found: '_t_name',
  },
  loginAuthenticator: {
    property: 'loginAuthenticatorId',
    columns: 'a.name::text AS _a_name, a.is_default AS _a_is_default',
    join: 'LEFT JOIN login_authenticators a ON a.tenant_id = e.tenant_id AND a.id = e.login_authenticator_id',
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._a_name), isDefault: raw._a_is_default === true }),
    found: '_a_name',
  },
} as const satisfies Record<EmployeeReference, { property: keyof Employee; columns: string; join: string; read: unknown; found: string }>;

/** The references `which` of a row read with their REFERENCE_READS columns (an id whose row is gone reads as null). */
function toReferences(ctx: RequestContext, raw: Record<string, unknown>, which: readonly EmployeeReference[]): EmployeeReferences {
  const references: EmployeeReferences = {};
  for (const name of which) {
    const { property, read, found } = REFERENCE_READS[name];
    const id = raw[column(ctx, property)];
    (references as Record<string, unknown>)[name] = id === null || id === undefined || raw[found] === null ? null : read(raw, String(id));
  }
  return references;
}

/** The value of a sort key in a raw row, as the keyset condition compares it. */
function sortValueOf(raw: Record<string, unknown>, field: EmployeeSortField): unknown {
  const column: Record<EmployeeSortField, string> = {
    id: 'id',
    username: 'username',
    email: 'email',
    firstName: 'first_name',
    lastName: 'last_name',
    displayName: 'display_name',
    externalId: 'external_id',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  };
  const value = raw[column[field]];
  if (value instanceof Date) return value.toISOString();
  return value ?? '';
}

function normalizeUsername(value: string): string {
  // Unicode-equivalent spellings must collide on the unique index, so store one canonical form.
  return value.trim().normalize('NFC');
}

/** An employee with the names of what it refers to, as list and representation endpoints need them. */
export interface EmployeeView {
  employee: Employee;
  names: EmployeeReferenceNames;
  /** The groups the employee belongs to (read in the same statement). */
  groups: GroupRef[];
}

export interface ListOptions {
  query?: EmployeeQuery;
  /** Without it, creation order (CREATION_ORDER). */
  sortBy?: EmployeeSortField;
  descending?: boolean;
  /** 1-based position of the first employee to return. */
  startIndex: number;
  /** How many to return; 0 returns only the total. */
  count: number;
}

/** Reference names of the row aliased `e` (with VIEW_JOINS). */
const VIEW_NAMES = `r.name::text AS _primary_role, t.name::text AS _team, a.name::text AS _login_authenticator`;
/** Reference names and groups of the row aliased `e`, for every statement that returns a view. */
const VIEW_COLUMNS = `${VIEW_NAMES},
  (SELECT COALESCE(json_agg(json_build_object('id', g.id, 'displayName', g.display_name::text) ORDER BY g.display_name, g.id), '[]'::json)
     FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
    WHERE m.tenant_id = e.tenant_id AND m.employee_id = e.id) AS _groups`;
const VIEW_JOINS = Object.values(REFERENCE_READS)
  .map((reference) => reference.join)
  .join('\n  ');
const VIEW_SELECT = `SELECT e.*, ${VIEW_COLUMNS} FROM employees e ${VIEW_JOINS}`;

function toView(ctx: RequestContext, raw: Record<string, unknown>): EmployeeView {
  return {
    employee: mapRow(ctx.manager, Employee, raw),
    names: {
      primaryRole: (raw._primary_role as string | null) ?? null,
      team: (raw._team as string | null) ?? null,
      loginAuthenticator: (raw._login_authenticator as string | null) ?? null,
    },
    groups: (raw._groups as GroupRef[] | null) ?? [],
  };
}

/** Employee views by id; concurrent GETs of one tenant share a statement (see Coalesced). */
const viewsById = new Coalesced<string, EmployeeView>(async (ctx, ids) => {
  const rows = await sql.query(ctx, `${VIEW_SELECT} WHERE e.tenant_id = $1 AND e.id = ANY($2::uuid[]) AND e.deleted_at IS NULL`, [
    ctx.tenantId,
    ids,
  ]);
  return new Map(rows.map((raw) => [String(raw.id), toView(ctx, raw)]));
}, (id) => id.toLowerCase());

/**
 * Employee views by exact userName (case-insensitive, as the unique index): an IdP's lookup before each create or
 * link. PostgreSQL pairs each requested name with its row, so the match is citext's, never a JavaScript re-spelling.
 */
const viewsByUsername = new Coalesced<string, EmployeeView>(async (ctx, usernames) => {
  const rows = await sql.query(
    ctx,
    `SELECT k.key AS _key, e.* FROM unnest($2::text[]) AS k(key)
       CROSS JOIN LATERAL (${VIEW_SELECT} WHERE e.tenant_id = $1 AND e.deleted_at IS NULL AND e.username = k.key::citext) e`,
    [ctx.tenantId, usernames],
  );
  return new Map(rows.map((raw) => [String(raw._key), toView(ctx, raw)]));
});

/** The userName a list asks for when it is a plain lookup (`userName eq "..."`, first page), else undefined. */
function usernameLookup(options: ListOptions): string | undefined {
  const q = options.query;
  if (!q || q.kind !== 'compare' || q.field !== 'username' || q.op !== 'eq' || typeof q.value !== 'string') return undefined;
  if (options.startIndex !== 1 || options.count < 1) return undefined;
  // Stored in NFC (normalizeUsername), so a decomposed spelling must find them (as compileQuery does).
  return q.value.normalize('NFC');
}

// One write generation for both: every employee write path calls counts.invalidate, and catalog renames move it too.
const continuations = new ContinuationCache(employeeListGenerations);
const counts = new ListCountCache(employeeListGenerations);
const countsInFlight = new Map<string, { generation: number; count: Promise<number> }>();

/**
 * inTransaction for employee writes, which invalidate the lists' caches where they write: that is before the commit,
 * and a page read in between (which cannot see the write yet) would be remembered as current. Invalidating again once
 * the transaction has ended makes such a page stale too. (Inside a caller's transaction this is still before its
 * commit; no caller does that today.)
 */
async function listedWriteTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  const result = await inTransaction(ctx, work);
  counts.invalidate(ctx.tenantId);
  return result;
}

export const employeeService = {
  /** One employee with its reference names and groups, in one statement. */
  async getView(ctx: RequestContext, id: string): Promise<EmployeeView | null> {
    if (!isUuid(id)) return null;
    return (await viewsById.get(ctx, id)) ?? null;
  },

  /**
   * A page of employees matching `query`, in a stable order (the sort key, then id; without one, creation order, see
   * CREATION_ORDER) whatever startIndex and count, with the exact total. Consecutive pages continue by keyset (see ContinuationCache). A page shorter than asked
   * for tells the total by itself (an Okta userName lookup is then one statement); otherwise the total is counted,
   * or reused on later pages of a walk (see ListCountCache).
   */
  async list(ctx: RequestContext, options: ListOptions): Promise<{ views: EmployeeView[]; totalResults: number }> {
    const username = usernameLookup(options);
    if (username !== undefined) {
      const view = await viewsByUsername.get(ctx, username);
      return view ? { views: [view], totalResults: 1 } : { views: [], totalResults: 0 };
    }
    const params: unknown[] = [ctx.tenantId];
    const where = `e.tenant_id = $1 AND e.deleted_at IS NULL${options.query ? ` AND ${compileQuery(options.query, params)}` : ''}`;
    const countKey = `${ctx.tenantId}|${where}|${JSON.stringify(params)}`;
    const count = async (): Promise<number> => {
      const cached = options.startIndex > 1 ? counts.get(ctx.tenantId, countKey) : undefined;
      if (cached !== undefined) return cached;
      // Requests that need the same count at the same moment share one count(*) (inside a transaction, only its own
      // connection may run it): at a million employees, sixteen concurrent counts took seconds each.
      // A count that started before a write of this process is not joined.
      const generation = counts.generation(ctx.tenantId);
      if (ctx.manager.queryRunner && !ctx.manager.queryRunner.isReleased) return countNow(generation);
      const inFlight = countsInFlight.get(countKey);
      if (inFlight && inFlight.generation === generation) return inFlight.count;
      const pending = countNow(generation).finally(() => {
        if (countsInFlight.get(countKey)?.count === pending) countsInFlight.delete(countKey);
      });
      countsInFlight.set(countKey, { generation, count: pending });
      return pending;
    };
    const countNow = async (generation: number): Promise<number> => {
      const rows = await sql.query<{ n: number }>(ctx, `SELECT count(*)::int AS n FROM employees e WHERE ${where}`, params);
      counts.set(ctx.tenantId, countKey, rows[0].n, generation);
      return rows[0].n;
    };
    if (options.count <= 0) return { views: [], totalResults: await count() };

    const sort = options.sortBy ? SORT_FIELDS[options.sortBy] : CREATION_ORDER;
    const direction = options.descending ? 'DESC' : 'ASC';
    const listKey = `${countKey}|${options.sortBy ?? 'created'}|${direction}`;
    const generation = counts.generation(ctx.tenantId);
    const continuation = options.startIndex > 1 ? continuations.get(ctx.tenantId, listKey, options.startIndex) : undefined;
    const pageParams = [...params];
    let keyset = '';
    let offset = '';
    if (continuation) {
      pageParams.push(continuation.sortValue, continuation.id);
      const n = pageParams.length;
      keyset = ` AND (${sort.sql}, e.id) ${options.descending ? '<' : '>'} ($${n - 1}${sort.cast}, $${n}::uuid)`;
    } else if (options.startIndex > 1) {
      pageParams.push(options.startIndex - 1);
      offset = ` OFFSET $${pageParams.length}`;
    }
    pageParams.push(options.count);
    // The page is chosen first and only its rows get names and groups: in one flat SELECT, PostgreSQL would compute
    // the groups of every row an OFFSET skips (40 ms instead of 9 for a page at offset 5,000).
    const order = `ORDER BY ${sort.sql} ${direction}, e.id ${direction}`;
    const rows = await sql.query(
      ctx,
      `SELECT e.*, ${VIEW_COLUMNS}${options.sortBy ? '' : `, ${CREATION_ORDER.key} AS _sort_key`}
         FROM (SELECT * FROM employees e WHERE ${where}${keyset} ${order} LIMIT $${pageParams.length}${offset}) e ${VIEW_JOINS}
        ${order}`,
      pageParams,
    );
    // A short page by offset (or the first page) ends the result: its position is the total, no count needed.
    const totalResults = rows.length < options.count && !continuation && (rows.length > 0 || options.startIndex === 1)
      ? options.startIndex - 1 + rows.length
      : await count();
    const views = rows.map((raw) => toView(ctx, raw));
    const last = rows[rows.length - 1];
    if (last) {
      const sortValue = options.sortBy ? sortValueOf(last, options.sortBy) : last._sort_key;
      continuations.set(listKey, options.startIndex + rows.length, { sortValue, id: String(last.id) }, generation);
    }
    return { views, totalResults };
  },

  async get(ctx: RequestContext, id: string): Promise<Employee | null> {
    if (!isUuid(id)) return null;
    return ctx.manager.findOneBy(Employee, { tenantId: ctx.tenantId, id, deletedAt: IsNull() });
  },

  /** Employees by id in the caller's tenant (deleted ones excluded), in no particular order. */
  async getMany(ctx: RequestContext, ids: readonly string[]): Promise<Employee[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return ctx.manager
      .createQueryBuilder(Employee, 'e')
      .where('e.tenant_id = :tenantId AND e.id = ANY(:ids) AND e.deleted_at IS NULL', {
        tenantId: ctx.tenantId,
        ids: valid,
      })
      .getMany();
  },

  /**
   * A page of employees ordered by username, then id (keyset pagination: `after` is the last row of the previous
   * page, so deep pages cost the same as the first). `search` matches names, username and email by substring.
   */
  /**
   * A page of employees for admin clients: substring `search` over names, username and email (served by the trigram
   * index on SEARCH_DOCUMENT), exact `filter`s, any sort key, keyset pagination (`after` holds the last row's sort
   * value and id, so deep pages cost the same as the first).
   */
  async search(ctx: RequestContext, options: SearchOptions): Promise<EmployeePage> {
    // Plain SQL rather than the query builder: an admin page of 100 is on the hot path, and building and hydrating
    // through the ORM cost more server CPU than the statement itself (docs/benchmarks.md).
    const params: unknown[] = [ctx.tenantId];
    const bind = (value: unknown, cast = ''): string => {
      params.push(value);
      return `$${params.length}${cast}`;
    };
    const conditions = ['e.tenant_id = $1', 'e.deleted_at IS NULL'];
    const term = options.search?.trim();
    if (term) conditions.push(`${SEARCH_DOCUMENT} ILIKE ${bind(likePattern(term, 'co'))}`);
    const filter = options.filter ?? {};
    if (filter.status) conditions.push(`e.status = ${bind(filter.status)}`);
    if (filter.managedBy) conditions.push(`e.managed_by = ${bind(filter.managedBy)}`);
    if (filter.type !== undefined && filter.type !== null) conditions.push(`e.type = ${bind(filter.type)}`);
    if (filter.primaryRoleIds) conditions.push(`e.primary_role_id = ANY(${bind(filter.primaryRoleIds.filter(isUuid), '::uuid[]')})`);
    if (filter.teamIds) conditions.push(`e.team_id = ANY(${bind(filter.teamIds.filter(isUuid), '::uuid[]')})`);
    const where = conditions.join(' AND ');
    // A search term's selectivity decides between the trigram index and a scan: plan with the actual term.
    const planned = { planEachTime: term !== undefined && term !== '' };
    // Counting a large tenant costs more than the page itself: only when the client asked for the total. A first page
    // of a search counts its matches in the same statement (few rows match a term; one trigram scan, not two).
    const wantTotal = options.withTotal !== false;
    const countInPage = wantTotal && planned.planEachTime && !options.after;
    const totalCount =
      !wantTotal || countInPage
        ? -1
        : Number((await sql.query<{ n: string }>(ctx, `SELECT count(*) AS n FROM employees e WHERE ${where}`, params, planned))[0].n);

    const sort = SORT_FIELDS[options.orderBy?.field ?? 'username'];
    const direction = options.orderBy?.descending ? 'DESC' : 'ASC';
    let keyset = '';
    if (options.after) {
      const value = bind(options.after.value, sort.cast);
      keyset = ` AND (${sort.sql}, e.id) ${direction === 'DESC' ? '<' : '>'} (${value}, ${bind(options.after.id, '::uuid')})`;
    }
    const limit = bind(options.first + 1, '::int');
    // With references, the page's roles, teams and authenticators come with it: no second and third round trip, and
    // GraphQL resolves them without a promise per employee (a page of 100 has 200 of them).
    const which = options.withReferences ?? [];
    const references = {
      columns: which.map((name) => `, ${REFERENCE_READS[name].columns}`).join(''),
      joins: which.map((name) => ` ${REFERENCE_READS[name].join}`).join(''),
    };
    const properties = options.properties && [...new Set([...options.properties, ...which.map((name) => REFERENCE_READS[name].property)])];
    const selected = properties ? properties.map((p) => `e.${column(ctx, p)}`).join(', ') : 'e.*';
    const rows = await sql.query(
      ctx,
      `SELECT ${selected}${references.columns}${countInPage ? ', count(*) OVER () AS _total' : ''} FROM employees e${references.joins}
        WHERE ${where}${keyset} ORDER BY ${sort.sql} ${direction}, e.id ${direction} LIMIT ${limit}`,
      params,
      planned,
    );
    const page = rows.slice(0, options.first);
    const employees = page.map((row) => mapRow(ctx.manager, Employee, row));
    const total = countInPage ? Number(rows[0]?._total ?? 0) : totalCount;
    return {
      employees,
      ...(which.length > 0 ? { references: page.map((raw) => toReferences(ctx, raw, which)) } : {}),
      totalCount: total,
      hasNextPage: rows.length > options.first,
    };
  },

  /** The value of `field` that `search` sorts by, as its keyset cursor stores it. */
  sortValue(employee: Employee, field: EmployeeSortField): string {
    const value = sortValueOf(
      {
        id: employee.id,
        username: employee.username,
        email: employee.email,
        first_name: employee.firstName,
        last_name: employee.lastName,
        display_name: employee.displayName,
        external_id: employee.externalId,
        created_at: employee.createdAt,
        updated_at: employee.updatedAt,
      },
      field,
    );
    return String(value);
  },

  /** Runs every check `update` would, without writing: lets a surface report all problems of a request at once. */
  async checkUpdate(ctx: RequestContext, id: string, changes: EmployeeChanges): Promise<void> {
    const current = await this.get(ctx, id);
    if (!current) throw employeeNotFound(id);
    await checkChanges(ctx, current, changes, await loadDefaults(ctx));
  },

  /**
   * Sets the status of a LOCAL employee (GraphQL `setEmployeeStatus`). For an IdP-managed employee the ownership
   * table refuses it with IDP_MANAGED_FIELD, like any other IdP-owned field.
   */
  async setStatus(ctx: RequestContext, id: string, status: EmployeeStatus): Promise<Employee> {
    return this.update(ctx, id, { status });
  },

  /** Creates an employee managed in Rollcall itself (GraphQL, CLI). Without a role, the tenant's default applies. */
  async createLocal(ctx: RequestContext, input: NewEmployee): Promise<Employee> {
    const metadata = { externalId: null, formattedName: null };
    return (await withTenantDefaults(ctx, (defaults) => insertEmployee(ctx, input, 'LOCAL', metadata, defaults))).employee;
  },

  /**
   * Creates an employee from an identity provider. Order of precedence: the named template's presets, then the
   * explicit optional fields the tenant imports, then the tenant's default role when no role is set yet.
   * One statement in all (see withTenantDefaults): an INSERT that also checks the tenant's defaults it was computed
   * with, writes the audit row and returns the representation (atomic on its own, so no explicit transaction).
   */
  async createFromIdentityProvider(ctx: RequestContext, input: IdpEmployee): Promise<IdpWriteResult> {
    return withTenantDefaults(ctx, async (defaults) => {
      const { changes, ignoredAttributes, warnings, formattedName } = await resolveIdpInput(ctx, input, true, defaults);
      const metadata = { externalId: input.externalId ?? null, formattedName: formattedName ?? null };
      const view = await insertEmployee(ctx, changes as NewEmployee, 'IDENTITY_PROVIDER', metadata, defaults);
      return { employee: view.employee, view, ignoredAttributes, warnings };
    });
  },

  /**
   * Applies an identity provider's view of an existing employee. A LOCAL employee becomes IdP-managed (claimed), and
   * the claim is audited.
   */
  async updateFromIdentityProvider(
    ctx: RequestContext,
    id: string,
    input: Partial<IdpEmployee>,
    options: { expectedVersion?: number } = {},
  ): Promise<IdpWriteResult> {
    const unread = await replaceWithoutReading(ctx, id, input, options);
    if (unread) return unread;
    let resolved: ResolvedIdpInput | undefined;
    const view = await optimistically(ctx, id, options.expectedVersion, async (ctx, current, defaults) => {
      resolved = await resolveIdpInput(ctx, input, false, defaults);
      const { externalId } = input;
      const { formattedName } = resolved;
      return updateEmployee(ctx, id, resolved.changes, { externalId, formattedName, ifVersion: current.employee.version }, defaults, current);
    });
    return { employee: view.employee, view, ignoredAttributes: resolved!.ignoredAttributes, warnings: resolved!.warnings };
  },

  /**
   * Read-modify-write for SCIM PATCH: `transform` receives the current employee and returns the IdP attributes that
   * changed. Optimistic (see `optimistically`), so concurrent PATCHes never lose each other's fields.
   */
  async patchFromIdentityProvider(
    ctx: RequestContext,
    id: string,
    transform: (current: EmployeeView) => Partial<IdpEmployee>,
    options: { expectedVersion?: number } = {},
  ): Promise<IdpWriteResult> {
    let resolved: ResolvedIdpInput | undefined;
    const view = await optimistically(ctx, id, options.expectedVersion, async (ctx, current, defaults) => {
      const input = transform(current);
      resolved = await resolveIdpInput(ctx, input, false, defaults);
      const { externalId } = input;
      const { formattedName } = resolved;
      return updateEmployee(ctx, id, resolved.changes, { externalId, formattedName, ifVersion: current.employee.version }, defaults, current);
    });
    return { employee: view.employee, view, ignoredAttributes: resolved!.ignoredAttributes, warnings: resolved!.warnings };
  },

  /**
   * Soft-deletes an IdP-managed employee (SCIM DELETE, e.g. Entra's hard delete after 30 days): the row and its
   * history stay, the employee is deactivated and disappears from every read, and the username becomes free again.
   */
  async remove(ctx: RequestContext, id: string, options: { expectedVersion?: number } = {}): Promise<Employee> {
    return listedWriteTransaction(ctx, async (tx) => {
      const notFound = () => employeeNotFound(id);
      if (!isUuid(id)) throw notFound();
      const rows: Record<string, unknown>[] = await tx.manager.query(
        `SELECT * FROM employees WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE`,
        [tx.tenantId, id],
      );
      if (!rows[0]) throw notFound();
      const current = mapRow(tx.manager, Employee, rows[0]);
      if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
        throw new DomainError(
          ErrorCode.VERSION_CONFLICT,
          `The employee changed since version ${options.expectedVersion} (now version ${current.version}); read it again and retry.`,
        );
      }
      const updated: Record<string, unknown>[] = await tx.manager.query(
        `UPDATE employees SET deleted_at = now(), status = 'INACTIVE',
                deactivated_at = COALESCE(deactivated_at, now()), version = version + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [tx.tenantId, id],
      );
      // TypeORM answers an UPDATE ... RETURNING as [rows, affected].
      const returned = (Array.isArray(updated[0]) ? updated[0] : updated) as Record<string, unknown>[];
      const employee = mapRow(tx.manager, Employee, returned[0]);
      counts.invalidate(tx.tenantId);
      // Deleted employees are members of nothing.
      await groupService.removeEmployeeFromAll(tx, id);
      await auditService.record(tx, {
        action: 'employee.deleted',
        targetType: 'employee',
        targetId: id,
        changes: diff(current, employee, ['status', 'deletedAt']),
      });
      return employee;
    });
  },

  /**
   * Changes an employee. The ownership table decides: for an IdP-managed employee, a non-SCIM actor changing an
   * IdP-owned field gets one IDP_MANAGED_FIELD issue per field and nothing is written.
   */
  async update(ctx: RequestContext, id: string, changes: EmployeeChanges, options: UpdateOptions = {}): Promise<Employee> {
    return (await listedWriteTransaction(ctx, (tx) => updateEmployee(tx, id, changes, options))).employee;
  },
};

/** What creating an employee needs from its tenant, read in one statement. */
interface TenantDefaults {
  scimImportFields: ScimImportField[];
  /** What a username must be (EMAIL or ANY). */
  usernameFormat: UsernameFormat;
  /** Region for national phone numbers (only GraphQL's stricter check uses it; E.164 is derived when read). */
  defaultPhoneRegion: string | null;
  /** The role new employees get when none is given; null when it does not exist. */
  defaultRoleId: string | null;
  /** The explicitly chosen default role (null: the role named "Agent"), for the error message. */
  chosenDefaultRoleId: string | null;
  defaultLoginAuthenticatorId: string | null;
}

/**
 * The tenant's defaults as columns of one row, for the tenant in parameter `tenant` (with `roleName` the default
 * role's name). Read on its own, joined to the employee read of a SCIM PUT or PATCH, and re-checked by every INSERT.
 */
function defaultsSelect(tenant: string, roleName: string): string {
  return `SELECT t.scim_import_fields AS _scim_import_fields, t.username_format::text AS _username_format,
    t.default_phone_region::text AS _phone_region, t.default_role_id AS _chosen_default_role,
    (SELECT r.id FROM roles r WHERE r.tenant_id = t.id
        AND (CASE WHEN t.default_role_id IS NULL THEN r.name = ${roleName}::citext ELSE r.id = t.default_role_id END)) AS _default_role,
    (SELECT a.id FROM login_authenticators a WHERE a.tenant_id = t.id AND a.is_default LIMIT 1) AS _default_authenticator
  FROM tenants t WHERE t.id = ${tenant}`;
}

function toDefaults(raw: Record<string, unknown>): TenantDefaults {
  return {
    scimImportFields: raw._scim_import_fields as ScimImportField[],
    usernameFormat: raw._username_format as UsernameFormat,
    defaultPhoneRegion: (raw._phone_region as string | null) ?? null,
    defaultRoleId: (raw._default_role as string | null) ?? null,
    chosenDefaultRoleId: (raw._chosen_default_role as string | null) ?? null,
    defaultLoginAuthenticatorId: (raw._default_authenticator as string | null) ?? null,
  };
}

async function loadDefaults(ctx: RequestContext): Promise<TenantDefaults> {
  const rows = await sql.query(ctx, defaultsSelect('$1', '$2'), [ctx.tenantId, DEFAULT_ROLE_NAME]);
  if (!rows[0]) throw new DomainError(ErrorCode.NOT_FOUND, 'The tenant no longer exists.');
  const defaults = toDefaults(rows[0]);
  rememberDefaults(ctx.tenantId, defaults);
  return defaults;
}

/**
 * The tenant defaults each tenant's last create saw. Never trusted blindly: the INSERT writes only if they are still
 * the tenant's current defaults, and otherwise answers with the current ones (StaleDefaults), so a create costs one
 * statement and a settings change made anywhere (another instance, SQL) is still honoured by the next create.
 */
const knownDefaults = new Map<string, TenantDefaults>();
const MAX_KNOWN_DEFAULTS = 10_000;

function rememberDefaults(tenantId: string, defaults: TenantDefaults): void {
  knownDefaults.delete(tenantId);
  knownDefaults.set(tenantId, defaults);
  if (knownDefaults.size > MAX_KNOWN_DEFAULTS) knownDefaults.delete(knownDefaults.keys().next().value!);
}

class StaleDefaults extends Error {
  constructor(readonly current: TenantDefaults) {
    super('The tenant defaults changed');
  }
}

/** Runs a create with the tenant's defaults, recomputing it when the INSERT found them changed. */
async function withTenantDefaults<T>(ctx: RequestContext, create: (defaults: TenantDefaults) => Promise<T>): Promise<T> {
  let defaults = knownDefaults.get(ctx.tenantId);
  let fresh = false;
  if (!defaults) {
    defaults = await loadDefaults(ctx);
    fresh = true;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await create(defaults);
    } catch (error) {
      // Remembered settings may be out of date (a default role created since, a username format changed): check
      // them before refusing the create.
      if (error instanceof DomainError && !fresh) {
        defaults = await loadDefaults(ctx);
      } else if (error instanceof StaleDefaults && attempt < OPTIMISTIC_ATTEMPTS) {
        defaults = error.current;
        rememberDefaults(ctx.tenantId, defaults);
      } else {
        throw error;
      }
      fresh = true;
    }
  }
}

interface ResolvedIdpInput {
  changes: EmployeeChanges;
  ignoredAttributes: string[];
  warnings: IdpWarning[];
  /** `name.formatted` to store (undefined: leave it as it is). */
  formattedName?: string | null;
}

/** Why an optional text value cannot be stored, or undefined (the same rule validate() applies). */
function textProblem(value: string, max = MAX_TEXT_LENGTH): string | undefined {
  if (hasControlCharacters(value)) return 'It contains control characters, which Rollcall does not store.';
  if (value.length > max) return `It is longer than ${max} characters.`;
  return undefined;
}

/** Why an optional value an IdP sent cannot be used, or undefined when it can (references are checked apart). */
function optionalValueProblem(attribute: keyof IdpEmployee, value: string): string | undefined {
  const text = textProblem(value, attribute === 'timeZone' ? 64 : MAX_TEXT_LENGTH);
  if (text) return text;
  if (value.trim() === '') return undefined; // empty clears
  if (attribute === 'timeZone' && canonicalTimeZone(value) === undefined) return timeZoneProblem(value);
  if (attribute === 'mobileNumber') return phoneNumberProblem(value);
  return undefined;
}

/**
 * The domain changes an IdP's view of an employee asks for, under the tenant's settings: the named template's presets
 * (creates only), the required fields, the optional fields the tenant imports, and role, team and authenticator names
 * turned into ids. An optional value that cannot be used (unparseable, unknown name, too long) never fails the
 * request: it is left out, so the stored value stays (or, on a create, the default applies), and a warning says why.
 * Required fields are left to validate(), which refuses the request.
 */
async function resolveIdpInput(
  ctx: RequestContext,
  input: Partial<IdpEmployee>,
  isCreate: boolean,
  defaults: TenantDefaults,
): Promise<ResolvedIdpInput> {
  const changes: EmployeeChanges = {};
  const ignoredAttributes: string[] = [];
  const warnings: IdpWarning[] = [];
  const imported = new Set(defaults.scimImportFields);
  const skip = (attribute: keyof IdpEmployee, value: string, reason: string, consequence: string) =>
    warnings.push({ attribute, value, reason: `${reason} ${consequence}` });
  const kept = isCreate ? 'It was not stored.' : 'The stored value was kept.';

  if (isCreate && typeof input.employeeTemplate === 'string' && input.employeeTemplate.trim() !== '') {
    const name = input.employeeTemplate;
    const templateId = textProblem(name) ? null : await catalogService.idByName(ctx, 'employeeTemplate', name.trim());
    const template = templateId ? await catalogService.template(ctx, templateId) : null;
    if (!template) {
      skip('employeeTemplate', name, `No employee template named "${name}" exists in Rollcall.`, "The template's presets were not applied.");
    } else {
      for (const field of ['primaryRoleId', 'teamId', 'timeZone', 'type', 'loginAuthenticatorId'] as const) {
        if (template[field] !== null) changes[field] = template[field];
      }
    }
  }

  for (const field of REQUIRED_EMPLOYEE_FIELDS) {
    if (input[field] !== undefined) changes[field] = input[field];
  }
  if (input.active !== undefined && input.active !== null) changes.status = input.active ? 'ACTIVE' : 'INACTIVE';

  let formattedName: string | null | undefined;
  if (typeof input.formattedName === 'string') {
    const problem = textProblem(input.formattedName);
    if (problem) skip('formattedName', input.formattedName, problem, kept);
    else formattedName = input.formattedName.trim() === '' ? null : input.formattedName;
  } else if (input.formattedName === null) {
    formattedName = null;
  }

  const referenceAttributes = new Set<string>(NAMED_REFERENCES.map((r) => r.attribute));
  for (const { attribute, setting } of OPTIONAL_IDP_FIELDS) {
    const value = input[attribute];
    if (value === undefined) continue;
    if (!imported.has(setting)) {
      // RFC 7643 null means "unassigned": only a real value is worth reporting as ignored.
      if (value !== null) ignoredAttributes.push(attribute);
      continue;
    }
    if (referenceAttributes.has(attribute)) continue;
    const problem = typeof value === 'string' ? optionalValueProblem(attribute, value) : undefined;
    if (problem) skip(attribute, String(value), problem, kept);
    else (changes as Record<string, unknown>)[attribute] = value;
  }

  // Looked up together: each kind's names share a statement with concurrent requests (catalogService.idByName).
  const named = NAMED_REFERENCES.filter(({ attribute }) => {
    const name = input[attribute];
    return name !== undefined && imported.has(OPTIONAL_IDP_FIELDS.find((f) => f.attribute === attribute)!.setting);
  });
  const ids = await Promise.all(
    named.map(({ attribute, kind }) => {
      const name = input[attribute];
      if (name === null || name === undefined || name.trim() === '' || textProblem(name)) return null;
      return catalogService.idByName(ctx, kind, name.trim());
    }),
  );
  named.forEach(({ attribute, field, kind }, i) => {
    const name = input[attribute];
    if (name === null || name === undefined || name.trim() === '') {
      changes[field] = null;
    } else if (!ids[i]) {
      // Skipping never grants more than the default: a create falls back to the tenant's default role and
      // authenticator, an update keeps what the employee has.
      const fallback = !isCreate
        ? 'The stored value was kept.'
        : changes[field] !== undefined
          ? "The employee template's value was used."
          : field === 'primaryRoleId'
            ? 'The default role was given.'
            : field === 'loginAuthenticatorId'
              ? 'The default login authenticator was given.'
              : 'It was not stored.';
      skip(attribute, name, `No ${CATALOGS[kind].label} named "${name}" exists in Rollcall.`, fallback);
    } else {
      changes[field] = ids[i];
    }
  });
  return { changes, ignoredAttributes, warnings, ...(formattedName !== undefined ? { formattedName } : {}) };
}

/** Checks every value; collects all problems so the caller can fix them at once. */
async function validate(
  ctx: RequestContext,
  changes: EmployeeChanges,
  issues: IssueCollector,
  defaults: TenantDefaults,
  current?: Employee,
): Promise<void> {
  const text = (field: EmployeeField, value: unknown, required: boolean): value is string => {
    if (value === null || value === undefined) {
      if (required) issues.add(ErrorCode.REQUIRED, `${field} is required.`, field);
      return false;
    }
    if (typeof value !== 'string') {
      issues.add(ErrorCode.INVALID_VALUE, `${field} must be a string.`, field);
      return false;
    }
    if (hasControlCharacters(value)) {
      issues.add(ErrorCode.INVALID_VALUE, `${field} contains control characters, which Rollcall does not store.`, field);
      return false;
    }
    if (value.length > MAX_TEXT_LENGTH) {
      issues.add(ErrorCode.INVALID_VALUE, `${field} is longer than ${MAX_TEXT_LENGTH} characters.`, field);
      return false;
    }
    if (required && value.trim() === '') {
      issues.add(ErrorCode.REQUIRED, `${field} must not be empty.`, field);
      return false;
    }
    return true;
  };

  // A username stored under an earlier username format stays valid: Okta's PUT sends it back on every update.
  const unchangedUsername = current !== undefined && changes.username !== undefined && normalizeUsername(changes.username) === current.username;
  if (changes.username !== undefined && text('username', changes.username, true) && !unchangedUsername) {
    const problem = usernameProblem(changes.username, defaults.usernameFormat);
    if (problem) issues.add(ErrorCode.INVALID_VALUE, problem, 'username');
  }
  if (changes.email !== undefined && text('email', changes.email, true) && !isValidEmail(changes.email.trim())) {
    issues.add(ErrorCode.INVALID_VALUE, `email must be a valid email address, got "${changes.email}".`, 'email');
  }
  for (const field of REQUIRED_TEXT) if (changes[field] !== undefined) text(field, changes[field], true);
  for (const field of OPTIONAL_TEXT) if (changes[field] !== undefined) text(field, changes[field], false);

  if (changes.status !== undefined && !EMPLOYEE_STATUSES.includes(changes.status)) {
    issues.add(ErrorCode.INVALID_VALUE, `status must be ACTIVE or INACTIVE, got "${String(changes.status)}".`, 'status');
  }
  if (changes.timeZone !== undefined && changes.timeZone !== null && text('timeZone', changes.timeZone, false)) {
    if (changes.timeZone.trim() !== '' && canonicalTimeZone(changes.timeZone) === undefined) {
      issues.add(ErrorCode.INVALID_VALUE, `timeZone: ${timeZoneProblem(changes.timeZone)}`, 'timeZone');
    }
  }
  const mobile = changes.mobileNumber;
  if (mobile !== undefined && mobile !== null && text('mobileNumber', mobile, false) && mobile.trim() !== '') {
    // An IdP's number is stored as sent when it is a phone number at all; a person typing in Rollcall sees at once
    // whether the phone-number library understands it, with the tenant's region for national numbers.
    const problem = ctx.actor.surface === 'scim' ? phoneNumberProblem(mobile) : strictPhoneNumberProblem(mobile.trim(), defaults.defaultPhoneRegion);
    if (problem) issues.add(ErrorCode.INVALID_VALUE, `mobileNumber: ${problem}`, 'mobileNumber');
  }
  const given = REFERENCE_FIELDS.filter(({ field }) => changes[field] !== undefined && changes[field] !== null);
  const found = await Promise.all(given.map(({ field, kind }) => catalogService.exists(ctx, kind, changes[field]!)));
  given.forEach(({ field, kind }, i) => {
    if (!found[i]) issues.add(ErrorCode.INVALID_VALUE, `No ${CATALOGS[kind].label} with id "${changes[field]}" exists in this tenant.`, field);
  });
}

/** The stored form of validated values: trimmed, canonical, empty optional text as null. */
function normalize(changes: EmployeeChanges): EmployeeChanges {
  const out: EmployeeChanges = { ...changes };
  if (out.username !== undefined) out.username = normalizeUsername(out.username);
  if (out.email !== undefined) out.email = out.email.trim().normalize('NFC');
  for (const field of REQUIRED_TEXT) if (out[field] !== undefined) out[field] = out[field]!.trim();
  for (const field of OPTIONAL_TEXT) {
    const value = out[field];
    if (typeof value === 'string') out[field] = value.trim() === '' ? null : value.trim();
  }
  if (typeof out.timeZone === 'string') out.timeZone = out.timeZone.trim() === '' ? null : canonicalTimeZone(out.timeZone)!;
  // Kept as sent (Microsoft asks that values come back exactly so); only surrounding blanks go.
  if (typeof out.mobileNumber === 'string') out.mobileNumber = out.mobileNumber.trim() === '' ? null : out.mobileNumber.trim();
  return out;
}

function usernameTaken(username: string): DomainError {
  return new DomainError(
    ErrorCode.UNIQUENESS,
    `An employee with username "${username}" already exists in this tenant (usernames are compared case-insensitively).`,
    'username',
  );
}

/** Thrown by updateEmployee when the row's version moved since it was read (an optimistic write lost a race). */
class StaleVersion extends Error {}

/** Built only when thrown: an Error captures a stack trace, which costs the write paths measurable CPU. */
function employeeNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `No employee with id "${id}" exists in this tenant.`, 'id');
}

const OPTIMISTIC_ATTEMPTS = 5;

/** What a SCIM write reads first: the employee (as a view) and the tenant's defaults, in one statement. */
const WRITE_READ = `SELECT e.*, ${VIEW_COLUMNS}, d.* FROM employees e ${VIEW_JOINS} CROSS JOIN (${defaultsSelect('$1', '$2')}) d
  WHERE e.tenant_id = $1 AND e.deleted_at IS NULL`;

/** Concurrent writes of one tenant read their employees in one statement (see Coalesced). */
const writeReads = new Coalesced<string, Record<string, unknown>>(async (ctx, ids) => {
  const rows = await sql.query(ctx, `${WRITE_READ} AND e.id = ANY($3::uuid[])`, [ctx.tenantId, DEFAULT_ROLE_NAME, ids]);
  return new Map(rows.map((raw) => [String(raw.id), raw]));
}, (id) => id.toLowerCase());

/**
 * The SCIM write path without BEGIN/COMMIT or row locks: read the employee, compute, and write only if its version is
 * still the one read (`UPDATE … WHERE version = $v`, row and audit in one statement). A write that lost a race reads
 * again and recomputes, so no acknowledged field is ever lost; with If-Match, the client's version must match.
 */
async function optimistically(
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
  write: (ctx: RequestContext, current: EmployeeView, defaults: TenantDefaults) => Promise<EmployeeView>,
): Promise<EmployeeView> {
  const notFound = () => employeeNotFound(id);
  if (!isUuid(id)) throw notFound();
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const row = await writeReads.get(ctx, id);
    if (!row) throw notFound();
    const current = toView(ctx, row);
    const defaults = toDefaults(row);
    rememberDefaults(ctx.tenantId, defaults);
    if (expectedVersion !== undefined && expectedVersion !== current.employee.version) {
      throw new DomainError(
        ErrorCode.VERSION_CONFLICT,
        `The employee changed since version ${expectedVersion} (now version ${current.employee.version}); read it again and retry.`,
      );
    }
    try {
      return await write(ctx, current, defaults);
    } catch (error) {
      if (!(error instanceof StaleVersion)) throw error;
      if (expectedVersion !== undefined) {
        throw new DomainError(ErrorCode.VERSION_CONFLICT, 'The employee is being changed concurrently; read it again and retry.');
      }
    }
  }
  // Still losing after several attempts (many writers on one employee): a write without If-Match must not fail with
  // 412 (an IdP may drop a deactivation it was refused), so take the row lock and write once.
  return listedWriteTransaction(ctx, async (tx) => {
    const rows: Record<string, unknown>[] = await tx.manager.query(`${WRITE_READ} AND e.id = $3 FOR UPDATE OF e`, [tx.tenantId, DEFAULT_ROLE_NAME, id]);
    if (!rows[0]) throw notFound();
    return write(tx, toView(tx, rows[0]), toDefaults(rows[0]));
  });
}

/** Column name of an Employee property (`firstName` -> `first_name`), from the entity metadata. */
function column(ctx: RequestContext, property: string): string {
  let name = columnNames.get(property);
  if (name === undefined) {
    const found = ctx.manager.connection.getMetadata(Employee).findColumnWithPropertyName(property);
    if (!found) throw new Error(`Employee has no column for ${property}`);
    columnNames.set(property, (name = found.databaseName));
  }
  return name;
}

/** Looked up once: pages and batches ask for the same few columns hundreds of times (the naming strategy is fixed). */
const columnNames = new Map<string, string>();

/** The audit row's parameters, appended to `params`; returns the SELECT list that writes it from CTE `w`. */
function auditInsert(ctx: RequestContext, params: unknown[], action: string, changes: AuditChanges): string {
  params.push(ctx.actor.surface, ctx.actor.tokenId, action, JSON.stringify(changes), ctx.requestId);
  const n = params.length;
  return `INSERT INTO audit_events (tenant_id, actor_surface, actor_token_id, action, target_type, target_id, changes, request_id)
          SELECT w.tenant_id, $${n - 4}, $${n - 3}::uuid, $${n - 2}, 'employee', w.id, $${n - 1}::jsonb, $${n} FROM w`;
}

/**
 * Runs a write CTE named `w` (plus its audit insert) and returns the written row as a view, in one statement.
 * `unchanged` is the view as read before the write, when the write changes none of its references: its names and
 * groups are reused rather than looked up again, which measured a quarter of PostgreSQL's time for an update.
 */
async function writeWithAudit(
  ctx: RequestContext,
  write: string,
  audit: string,
  params: unknown[],
  unchanged?: EmployeeView,
): Promise<EmployeeView | null> {
  if (unchanged) {
    const rows = await sql.query(ctx, `WITH w AS (${write}), audit AS (${audit}) SELECT * FROM w`, params);
    return rows[0] ? { employee: mapRow(ctx.manager, Employee, rows[0]), names: unchanged.names, groups: unchanged.groups } : null;
  }
  const rows = await sql.query(ctx, `WITH w AS (${write}), audit AS (${audit}) SELECT e.*, ${VIEW_COLUMNS} FROM w AS e ${VIEW_JOINS}`, params);
  return rows[0] ? toView(ctx, rows[0]) : null;
}

async function insertEmployee(
  ctx: RequestContext,
  input: NewEmployee,
  managedBy: ManagedBy,
  { externalId, formattedName }: { externalId: string | null; formattedName: string | null },
  defaults: TenantDefaults,
): Promise<EmployeeView> {
  const issues = new IssueCollector();
  for (const field of REQUIRED_EMPLOYEE_FIELDS) {
    if (input[field] === undefined || input[field] === null) issues.add(ErrorCode.REQUIRED, `${field} is required.`, field);
  }
  if (externalId !== null && (hasControlCharacters(externalId) || externalId.length > MAX_TEXT_LENGTH)) {
    issues.add(ErrorCode.INVALID_VALUE, 'externalId contains control characters or is too long.', 'externalId');
  }
  await validate(ctx, input, issues, defaults);
  issues.throwIfAny();
  const values = normalize(input) as NewEmployee;
  if (values.primaryRoleId === undefined || values.primaryRoleId === null) {
    if (!defaults.defaultRoleId) throw defaultRoleMissing(defaults.chosenDefaultRoleId);
    values.primaryRoleId = defaults.defaultRoleId;
  }
  if (values.loginAuthenticatorId === undefined) values.loginAuthenticatorId = defaults.defaultLoginAuthenticatorId;
  const row: Record<string, unknown> = {
    tenantId: ctx.tenantId,
    username: values.username,
    firstName: values.firstName,
    lastName: values.lastName,
    email: values.email,
    displayName: values.displayName ?? null,
    middleName: values.middleName ?? null,
    mobileNumber: values.mobileNumber ?? null,
    timeZone: values.timeZone ?? null,
    type: values.type ?? null,
    primaryRoleId: values.primaryRoleId,
    teamId: values.teamId ?? null,
    loginAuthenticatorId: values.loginAuthenticatorId ?? null,
    status: values.status ?? 'ACTIVE',
    managedBy,
    externalId,
    formattedName,
  };
  const params: unknown[] = [];
  const columns = Object.keys(row).map((property) => {
    params.push(row[property]);
    return column(ctx, property);
  });
  const placeholders = columns.map((_, i) => `$${i + 1}`);
  params.push(row.status === 'INACTIVE');
  const inactive = `$${params.length}::boolean`;
  // The defaults this create was computed with; the INSERT writes only while they are still the tenant's.
  params.push(
    DEFAULT_ROLE_NAME,
    defaults.usernameFormat,
    defaults.scimImportFields,
    defaults.defaultRoleId,
    defaults.chosenDefaultRoleId,
    defaults.defaultLoginAuthenticatorId,
  );
  const n = params.length;
  const unchanged = `d._username_format = $${n - 4} AND d._scim_import_fields = $${n - 3}::text[] AND d._default_role IS NOT DISTINCT FROM $${n - 2}::uuid
    AND d._chosen_default_role IS NOT DISTINCT FROM $${n - 1}::uuid AND d._default_authenticator IS NOT DISTINCT FROM $${n}::uuid`;
  const changes: AuditChanges = {};
  for (const field of AUDITED_FIELDS) if (row[field] !== null && row[field] !== undefined) changes[field] = { from: null, to: row[field] };
  const audit = auditInsert(ctx, params, 'employee.created', changes);
  // A new employee is in no group yet (no one can name its id before this commits): no groups lookup.
  const statement = `WITH d AS (${defaultsSelect('$1', `$${n - 5}`)}),
    w AS (INSERT INTO employees (${columns.join(', ')}, deactivated_at)
          SELECT ${placeholders.join(', ')}, CASE WHEN ${inactive} THEN now() END FROM d WHERE ${unchanged}
          RETURNING *),
    audit AS (${audit})
    SELECT e.*, ${VIEW_NAMES}, '[]'::json AS _groups, d.* FROM d LEFT JOIN w AS e ON true ${VIEW_JOINS}`;
  const alone = async (): Promise<EmployeeView> => {
    try {
      // The partial unique index decides races: of two concurrent creates of one username, the loser gets a unique
      // violation here and a UNIQUENESS error (SCIM 409), never a 500.
      const rows = await sql.query(ctx, statement, params);
      if (!rows[0]) throw new DomainError(ErrorCode.NOT_FOUND, 'The tenant no longer exists.');
      if (rows[0].id === null) throw new StaleDefaults(toDefaults(rows[0]));
      return toView(ctx, rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) throw usernameTaken(values.username);
      // A role, team or authenticator deleted since validation: the composite foreign key refuses it.
      if (isForeignKeyViolation(error)) {
        throw new DomainError(ErrorCode.INVALID_VALUE, 'A role, team or login authenticator given was deleted meanwhile; retry.');
      }
      throw error;
    }
  };
  const view = await createBatches.do(ctx, { row, changes, defaults, alone, requestId: ctx.requestId, actor: ctx.actor });
  counts.invalidate(ctx.tenantId);
  return view!;
}

/** The ownership rule and every value check for a change of `current`; throws all issues at once. */
async function checkChanges(ctx: RequestContext, current: Employee, requested: EmployeeChanges, defaults: TenantDefaults): Promise<void> {
  const issues = new IssueCollector();
  for (const field of EMPLOYEE_FIELDS) {
    if (requested[field] === undefined) continue;
    if (!canWrite(ctx.actor.surface, current.managedBy, field) && requested[field] !== current[field]) {
      issues.add(
        ErrorCode.IDP_MANAGED_FIELD,
        `${field} of this employee is managed by the identity provider; change it there and it will sync to Rollcall.`,
        field,
      );
    }
  }
  await validate(ctx, requested, issues, defaults, current);
  issues.throwIfAny();
}

/**
 * Every employee update (GraphQL, SCIM PATCH, SCIM PUT with If-Match): what changed, its audit row, the claim of a
 * LOCAL employee by SCIM, `deactivated_at`. A SCIM PUT without If-Match usually takes replaceWithoutReading instead,
 * whose statement (replaceStatement) says the same in SQL; test/scim-replace.test.ts keeps the two equal.
 */
async function updateEmployee(
  ctx: RequestContext,
  id: string,
  requested: EmployeeChanges,
  options: UpdateOptions,
  defaultsRead?: TenantDefaults,
  locked?: EmployeeView,
): Promise<EmployeeView> {
  const notFound = () => employeeNotFound(id);
  if (!isUuid(id)) throw notFound();
  let currentView = locked;
  let defaults = defaultsRead;
  if (!currentView || !defaults) {
    const rows = await sql.query(ctx, `${WRITE_READ} AND e.id = $3 FOR UPDATE OF e`, [ctx.tenantId, DEFAULT_ROLE_NAME, id]);
    if (!rows[0]) throw notFound();
    currentView = toView(ctx, rows[0]);
    defaults = toDefaults(rows[0]);
  }
  const current = currentView.employee;
  if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
    throw new DomainError(
      ErrorCode.VERSION_CONFLICT,
      `The employee changed since version ${options.expectedVersion} (now version ${current.version}); read it again and retry.`,
    );
  }

  await checkChanges(ctx, current, requested, defaults);

  const values = normalize(requested);
  const set: Record<string, unknown> = {};
  for (const field of EMPLOYEE_FIELDS) {
    const value = values[field];
    if (value !== undefined && value !== current[field]) set[field] = value;
  }
  if (options.externalId !== undefined && options.externalId !== current.externalId) set.externalId = options.externalId;
  if (options.formattedName !== undefined && options.formattedName !== current.formattedName) set.formattedName = options.formattedName;
  const claim = ctx.actor.surface === 'scim' && current.managedBy === 'LOCAL';
  if (claim) set.managedBy = 'IDENTITY_PROVIDER';
  if (Object.keys(set).length === 0) return currentView;

  const params: unknown[] = [ctx.tenantId, id];
  const assignments = Object.entries(set).map(([property, value]) => {
    params.push(value);
    return `${column(ctx, property)} = $${params.length}`;
  });
  if (set.status === 'INACTIVE') assignments.push('deactivated_at = now()');
  if (set.status === 'ACTIVE') assignments.push('deactivated_at = NULL');
  const changes: AuditChanges = {};
  for (const field of AUDITED_FIELDS) if (field in set) changes[field] = { from: current[field] ?? null, to: set[field] ?? null };
  let guard = '';
  if (options.ifVersion !== undefined) {
    params.push(options.ifVersion);
    guard = ` AND version = $${params.length} AND deleted_at IS NULL`;
  }
  const update = `UPDATE employees SET ${assignments.join(', ')}, version = version + 1, updated_at = now()
                   WHERE tenant_id = $1 AND id = $2${guard} RETURNING *`;
  const action = claim ? 'employee.claimed' : 'employee.updated';
  let view: EmployeeView | null;
  try {
    // An employee update never changes memberships; the groups are those read at the start of this write.
    const referencesUnchanged = !('primaryRoleId' in set || 'teamId' in set || 'loginAuthenticatorId' in set);
    const audit = auditInsert(ctx, params, action, changes);
    const alone = () => writeWithAudit(ctx, update, audit, params, referencesUnchanged ? currentView : undefined);
    if (options.ifVersion !== undefined && referencesUnchanged) {
      const after: Record<string, unknown> = {};
      for (const field of AUDITED_FIELDS) after[field] = field in set ? set[field] : current[field];
      const deactivation = set.status === 'INACTIVE' ? 'set' : set.status === 'ACTIVE' ? 'clear' : 'keep';
      const version = options.ifVersion;
      const { requestId, actor } = ctx;
      view = await updateBatches.do(ctx, { id, version, after, deactivation, action, changes, current: currentView, alone, requestId, actor });
    } else {
      view = await alone();
    }
  } catch (error) {
    if (isUniqueViolation(error)) throw usernameTaken(String(values.username));
    if (isForeignKeyViolation(error)) {
      throw new DomainError(ErrorCode.INVALID_VALUE, 'A role, team or login authenticator given was deleted meanwhile; retry.');
    }
    throw error;
  }
  if (!view) throw options.ifVersion !== undefined ? new StaleVersion() : notFound();
  counts.invalidate(ctx.tenantId);
  return view;
}

/** One optimistic employee update that changes no reference, as a batched UPDATE takes it. */
interface PendingUpdate {
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
const updateBatches = new Batched<PendingUpdate, EmployeeView | null>(async (ctx, items) => {
  if (items.length === 1) return [await items[0].alone()];
  try {
    const rows = await sql.query(ctx, batchedUpdateStatement(ctx), [
      ctx.tenantId,
      JSON.stringify(
        items.map((item, i) => {
          const row: Record<string, unknown> = { _i: i, _id: item.id, _version: item.version, _deactivation: item.deactivation };
          for (const field of AUDITED_FIELDS) row[column(ctx, field)] = item.after[field] ?? null;
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
async function replaceWithoutReading(
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
    if (input.externalId !== undefined) set.externalId = input.externalId;
    if (resolved.formattedName !== undefined) set.formattedName = resolved.formattedName;
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
interface PendingReplace {
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
 * changed), when another PUT of the batch has the same id, and when the statement fails.
 */
const replaceBatches = new Batched<PendingReplace, { view: EmployeeView; written: boolean } | null>(async (ctx, items) => {
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
    result = await sql.query(ctx, replaceStatement(ctx), [ctx.tenantId, JSON.stringify(rows)]);
  } catch (error) {
    logger.debug({ code: (error as { code?: unknown }).code, replaces: items.length }, 'batched replace failed; each takes the general path');
    return items.map(() => null);
  }
  const byIndex = new Map(result.map((raw) => [Number(raw._i), raw]));
  return items.map((_, i) => {
    const raw = byIndex.get(i);
    return raw ? { view: toView(ctx, raw), written: raw._written === true } : null;
  });
});

/** One create, as a batched INSERT takes it. */
interface PendingCreate {
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
 * rows, in one commit (see updateBatches for why). Rows are matched back by username (unique in the tenant). A create
 * the tenant's defaults no longer fit, and every create of a failing statement (a username taken, in the batch or
 * before it), runs alone, which answers as it would have.
 */
const createBatches = new Batched<PendingCreate, EmployeeView>(async (ctx, items) => {
  if (items.length === 1) return [await items[0].alone().catch(asError)];
  let rows: Record<string, unknown>[];
  try {
    rows = await sql.query(ctx, batchedCreateStatement(ctx), [
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
  const byUsername = new Map(rows.map((raw) => [String(raw.username), raw]));
  return Promise.all(
    items.map((item) => {
      const raw = byUsername.get(String(item.row.username));
      return raw ? toView(ctx, raw) : item.alone().catch(asError);
    }),
  );
});

/** Column names and SQL types of Employee properties, from the entity metadata (for `jsonb_to_recordset`). */
function typedColumns(ctx: RequestContext, fields: readonly string[]): { name: string; type: string }[] {
  const metadata = ctx.manager.connection.getMetadata(Employee);
  return fields.map((field) => {
    const found = metadata.findColumnWithPropertyName(field)!;
    return { name: found.databaseName, type: ctx.manager.connection.driver.normalizeType(found) };
  });
}

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
      INSERT INTO audit_events (tenant_id, actor_surface, actor_token_id, action, target_type, target_id, changes, request_id)
      SELECT w.tenant_id, v._surface, v._token_id, 'employee.created', 'employee', w.id, v._changes, v._request_id
        FROM w JOIN v ON v.username = w.username)
    SELECT e.*, ${VIEW_NAMES}, '[]'::json AS _groups FROM w AS e ${VIEW_JOINS}`;
  return batchedCreate;
}

let batchedUpdate: string | undefined;

/** The batched UPDATE (see updateBatches), built once from the entity metadata. */
function batchedUpdateStatement(ctx: RequestContext): string {
  if (batchedUpdate) return batchedUpdate;
  const columns = typedColumns(ctx, AUDITED_FIELDS);
  batchedUpdate = `WITH v AS (
      SELECT * FROM jsonb_to_recordset($2::jsonb) AS v(_i int, _id uuid, _version int, _deactivation text,
        ${columns.map((c) => `${c.name} ${c.type}`).join(', ')},
        _action text, _changes jsonb, _request_id text, _token_id uuid, _surface text)),
    w AS (
      UPDATE employees e SET ${columns.map((c) => `${c.name} = v.${c.name}`).join(', ')},
        version = e.version + 1, updated_at = now(),
        deactivated_at = CASE v._deactivation WHEN 'set' THEN now() WHEN 'clear' THEN NULL ELSE e.deactivated_at END
      FROM v WHERE e.tenant_id = $1 AND e.id = v._id AND e.version = v._version AND e.deleted_at IS NULL
      RETURNING e.*, v._i, v._action, v._changes, v._request_id, v._token_id, v._surface),
    audit AS (
      INSERT INTO audit_events (tenant_id, actor_surface, actor_token_id, action, target_type, target_id, changes, request_id)
      SELECT w.tenant_id, w._surface, w._token_id, w._action, 'employee', w.id, w._changes, w._request_id FROM w)
    SELECT * FROM w`;
  return batchedUpdate;
}

let replace: string | undefined;

/**
 * The statement of replaceBatches, built once from the entity metadata. `o` locks the rows (in id order, so that two
 * batches cannot deadlock); `c` takes each field the PUT sets and describes what changed as the general path's audit
 * does (compared as text, so that a username's change of case is a change, as it is in JavaScript); `w` writes the
 * rows that changed; unchanged rows are answered as they are, with no new version and no audit row.
 */
function replaceStatement(ctx: RequestContext): string {
  if (replace) return replace;
  const columns = typedColumns(ctx, AUDITED_FIELDS).map((c, i) => ({ ...c, property: AUDITED_FIELDS[i] }));
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
      SELECT e.* FROM employees e JOIN v ON e.id = v._id CROSS JOIN d
       WHERE e.tenant_id = $1 AND e.deleted_at IS NULL AND d._scim_import_fields = v._scim_import_fields
         AND d._username_format = v._username_format
       ORDER BY e.id FOR UPDATE OF e),
    c AS (
      SELECT o.id AS _id, v._i, v._request_id, v._token_id, v._surface, o.managed_by::text AS _old_managed_by,
        o.status::text AS _old_status, ${columns.map((c) => `${given(c.name)} AS ${c.name}`).join(', ')},
        ${columns.map(change).join(' || ')} AS _changes
      FROM o JOIN v ON v._id = o.id),
    w AS (
      UPDATE employees e SET ${columns.map((c) => `${c.name} = c.${c.name}`).join(', ')},
        version = e.version + 1, updated_at = now(),
        deactivated_at = CASE WHEN c.status::text = c._old_status THEN e.deactivated_at WHEN c.status::text = 'INACTIVE' THEN now() END
      FROM c WHERE e.tenant_id = $1 AND e.id = c._id AND c._changes <> '{}'::jsonb
      RETURNING e.*, c._i, c._changes, c._request_id, c._token_id, c._surface, c._old_managed_by),
    audit AS (
      INSERT INTO audit_events (tenant_id, actor_surface, actor_token_id, action, target_type, target_id, changes, request_id)
      SELECT w.tenant_id, w._surface, w._token_id, CASE WHEN w._old_managed_by = 'LOCAL' THEN 'employee.claimed' ELSE 'employee.updated' END,
             'employee', w.id, w._changes, w._request_id FROM w)
    SELECT e.*, ${VIEW_COLUMNS} FROM (
      SELECT ${all.map((name) => `w.${name}`).join(', ')}, w._i, true AS _written FROM w
      UNION ALL
      SELECT ${all.map((name) => `o.${name}`).join(', ')}, c._i, false FROM o JOIN c ON c._id = o.id WHERE c._changes = '{}'::jsonb
    ) AS e ${VIEW_JOINS}`;
  return replace;
}

/** Names of the role, team and login authenticator an employee refers to (for representations such as SCIM's). */
export interface EmployeeReferenceNames {
  primaryRole: string | null;
  team: string | null;
  loginAuthenticator: string | null;
}

