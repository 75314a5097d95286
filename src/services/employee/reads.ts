// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { Employee } from '../../entities';
import { Coalesced } from '../coalesce';
import { RequestContext } from '../context';
import { tenantCollation } from '../collation';
import { NAME_ORDERS, SORT_FIELDS, SearchOrderField, compileQuery, isNameOrder, likePattern } from '../employee-query';
import { CREATION_ORDER } from '../list-order';
import { mapRow } from '../rows';
import * as sql from '../sql';
import { usernameKey } from '../username-key';
import { isUuid } from '../validation';
import { EmployeePage, EmployeeReferences, EmployeeView, ListOptions, SEARCH_DOCUMENT, SEARCH_FOLD, SEARCH_LIVE, SEARCH_TENANT, SearchOptions } from './types';
import { REFERENCE_READS, VIEW_COLUMNS, VIEW_JOINS, column, sortValueOf, toReferences, toView } from './view';
import { continuations, counts, countsInFlight } from './list-caches';

/** Employee views by id; concurrent GETs of one tenant share a statement (see Coalesced), each id read on its own (sql.byKeys). */
const viewsById = new Coalesced<string, EmployeeView>(async (ctx, ids) => {
  const rows = await sql.rows(ctx, `SELECT e.*, ${VIEW_COLUMNS} FROM ${sql.byKeys('employees', 'e', 'id', '$1', '$2::uuid[]')} WHERE e.deleted_at IS NULL`, [
    ctx.tenantId,
    ids,
  ]);
  return new Map(rows.map((raw) => [String(raw.id), toView(ctx, raw)]));
}, (id) => id.toLowerCase());

/**
 * Employee views by userName: an IdP's lookup before each create or link. Compared by canonical key (username-key.ts),
 * as the unique index is, each key read on its own (sql.byKeys) from that index. No deleted_at condition: only live
 * employees hold a key. Each requested name gets the row of its key.
 */
const viewsByUsername = new Coalesced<string, EmployeeView>(async (ctx, usernames) => {
  const keys = [...new Set(usernames.map(usernameKey))];
  const rows = await sql.rows(ctx, `SELECT e.*, ${VIEW_COLUMNS} FROM ${sql.byKeys('employees', 'e', 'username_key', '$1', '$2::text[]')}`, [
    ctx.tenantId,
    keys,
  ]);
  return new Map(rows.map((raw) => [String(raw.username_key), toView(ctx, raw)]));
}, usernameKey);

/** Page sizes whose statement text is prepared (another count runs unnamed: its LIMIT is written in). */
const COMMON_COUNTS = new Set([1, 2, 10, 20, 25, 50, 100, 200, 500, 1000]);

/**
 * The columns an identity provider matches people on besides userName, with an index each: `externalId eq "..."`
 * (ix_employees_tenant_external_id) and the work email, `emails[type eq "work"].value eq "..."`, which Entra sends when
 * its matching attribute is the email (ix_employees_tenant_email, partial on live rows: the condition names them).
 */
const KEYED_LOOKUPS = {
  externalId: (bind: string) => `e.external_id = ${bind}::text`,
  email: (bind: string) => `e.email = ${bind}::citext AND e.deleted_at IS NULL`,
} as const;

/**
 * When every match of the list's query has one value of a KEYED_LOOKUPS column (an `eq` of it joined to the rest by
 * `and` only), that column and value, else undefined.
 */
function keyedLookup(query: ListOptions['query']): { field: keyof typeof KEYED_LOOKUPS; value: string } | undefined {
  if (!query) return undefined;
  if (query.kind === 'compare') {
    const { field, op, value } = query;
    return (field === 'externalId' || field === 'email') && op === 'eq' && typeof value === 'string' ? { field, value } : undefined;
  }
  if (query.kind === 'and') return keyedLookup(query.left) ?? keyedLookup(query.right);
  return undefined;
}

/** The userName a list asks for when it is a plain lookup (`userName eq "..."`, first page), else undefined. */
function usernameLookup(options: ListOptions): string | undefined {
  const q = options.query;
  if (!q || q.kind !== 'compare' || q.field !== 'username' || q.op !== 'eq' || typeof q.value !== 'string') return undefined;
  if (options.startIndex !== 1 || options.count < 1) return undefined;
  return q.value;
}

// One write generation for both: every employee write path calls counts.invalidate, and catalog renames move it too.

/** Reading employees: one, many, SCIM pages and GraphQL pages. */
export const employeeReads = {
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
      const rows = await sql.rows<{ n: number }>(ctx, `SELECT count(*)::int AS n FROM employees e WHERE ${where}`, params, sql.COUNT_PLAN);
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
      offset = ` OFFSET ${Math.trunc(options.startIndex - 1)}`;
    }
    // LIMIT and OFFSET written in (integers, validated by the surfaces): a generic plan takes `LIMIT $n` for a tenth of
    // the rows, and beside a large analyzed tenant it sorted a new tenant's rows after reading the whole table
    // instead of walking the creation-order index for 100 (test/query-plans.test.ts). A few texts: the counts IdPs use.
    const limit = Math.trunc(options.count);
    // The page is chosen first and only its rows get names and groups: in one flat SELECT, PostgreSQL would compute
    // the groups of every row an OFFSET skips (40 ms instead of 9 for a page at offset 5,000).
    const order = `ORDER BY ${sort.sql} ${direction}, e.id ${direction}`;
    // A lookup by a column IdPs match on reads its matches by that column's index first, planned on its own (OFFSET 0
    // keeps PostgreSQL from merging it with the page): merged, for a tenant without statistics, it walked the tenant's
    // rows in creation order testing each one (test/query-plans.test.ts). The outer WHERE still applies the whole query.
    const lookup = keyedLookup(options.query);
    let source = 'employees';
    if (lookup) {
      // Stored in NFC, as the query compiler compares them (FIELDS.email.nfc).
      pageParams.push(lookup.field === 'email' ? lookup.value.normalize('NFC') : lookup.value);
      source = `(SELECT * FROM employees e WHERE e.tenant_id = $1 AND ${KEYED_LOOKUPS[lookup.field](`$${pageParams.length}`)} OFFSET 0)`;
    }
    const rows = await sql.rows(
      ctx,
      `SELECT e.*, ${VIEW_COLUMNS}${options.sortBy ? '' : `, ${CREATION_ORDER.key} AS _sort_key`}
         FROM (SELECT * FROM ${source} e WHERE ${where}${keyset} ${order} LIMIT ${limit}${offset}) e ${VIEW_JOINS}
        ${order}`,
      pageParams,
      { prepare: offset === '' && COMMON_COUNTS.has(limit) },
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
    return (await this.getMany(ctx, [id]))[0] ?? null;
  },

  /** Employees by id in the caller's tenant (deleted ones excluded), in no particular order. */
  async getMany(ctx: RequestContext, ids: readonly string[]): Promise<Employee[]> {
    const valid = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (valid.length === 0) return [];
    // Each id read on its own by its key (sql.byKeys): as `id = ANY(...) AND deleted_at IS NULL`, PostgreSQL without
    // statistics for the tenant read all its entries of a partial index on live rows (test/query-plans.test.ts).
    const rows = await sql.rows(ctx, `SELECT e.* FROM ${sql.byKeys('employees', 'e', 'id', '$1', '$2::uuid[]')} WHERE e.deleted_at IS NULL`, [
      ctx.tenantId,
      valid,
    ]);
    return rows.map((row) => mapRow(ctx.manager, Employee, row));
  },

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
    const conditions: string[] = [];
    const term = options.search?.trim();
    if (term) {
      // The term as typed finds names and emails; keyed as usernames are (`ＪＯＳＥ`, `Straße`), it finds usernames.
      // Both folded as the document is: "Jose Alvarez" finds "José Álvarez-Núñez".
      const keyed = usernameKey(term);
      const matches = (pattern: string): string => `${SEARCH_DOCUMENT} ILIKE ${SEARCH_FOLD(bind(likePattern(pattern, 'co')))}`;
      conditions.push(keyed === term.toLowerCase() ? matches(term) : `(${matches(term)} OR ${matches(keyed)})`);
    }
    const filter = options.filter ?? {};
    if (filter.status) conditions.push(`e.status = ${bind(filter.status)}`);
    if (filter.managedBy) conditions.push(`e.managed_by = ${bind(filter.managedBy)}`);
    if (filter.type !== undefined && filter.type !== null) conditions.push(`e.type = ${bind(filter.type)}`);
    if (filter.primaryRoleIds) conditions.push(`e.primary_role_id = ANY(${bind(filter.primaryRoleIds.filter(isUuid), '::uuid[]')})`);
    if (filter.teamIds) conditions.push(`e.team_id = ANY(${bind(filter.teamIds.filter(isUuid), '::uuid[]')})`);
    // A search term's selectivity decides between the trigram index and a scan: plan with the actual term.
    const planned = { planEachTime: term !== undefined && term !== '' };
    // Counting a large tenant costs more than the page itself: only when the client asked for the total. A first page
    // of a search counts its matches in the same statement (few rows match a term; one trigram scan, not two).
    const wantTotal = options.withTotal !== false;
    const countInPage = wantTotal && planned.planEachTime && !options.after;
    // What reads every match of a term (a count) finds them in the search index (SEARCH_TENANT); a page that may stop
    // early keeps the plain tenant condition, so that PostgreSQL may walk an order's index until the page is full.
    // `live` is the live condition of a plain-tenant statement: SEARCH_LIVE where no partial index may be chosen for it.
    const where = (allMatches: boolean, live = 'e.deleted_at IS NULL'): string =>
      [...(allMatches ? [SEARCH_TENANT('$1::text'), SEARCH_LIVE] : ['e.tenant_id = $1', live]), ...conditions].join(' AND ');
    const totalCount =
      !wantTotal || countInPage
        ? -1
        : Number(
            (await sql.rows<{ n: string }>(ctx, `SELECT count(*) AS n FROM employees e WHERE ${where(planned.planEachTime)}`, params, sql.COUNT_PLAN))[0].n,
          );

    const field = options.orderBy?.field ?? 'username';
    const order = await searchOrder(ctx, field);
    const direction = options.orderBy?.descending ? 'DESC' : 'ASC';
    // The console's default list, every employee by username, walks the username index through a function planned
    // so that it cannot read and sort the tenant instead (migration EmployeesByUsername).
    const byUsername = field === 'username' && conditions.length === 0;
    const after = byUsername ? `${bind(options.after?.values[0] ?? null, '::text')}, ${bind(options.after?.id ?? null, '::uuid')}` : '';
    let keyset = '';
    if (options.after && !byUsername) {
      const values = order.columns.map((c, i) => bind(options.after!.values[i], c.cast));
      keyset = ` AND (${order.columns.map((c) => c.sql).join(', ')}, e.id) ${direction === 'DESC' ? '<' : '>'} (${values.join(', ')}, ${bind(options.after.id, '::uuid')})`;
    }
    const limit = bind(options.first + 1, '::int');
    // With references, the page's roles, teams and authenticators come with it: no second and third round trip, and
    // GraphQL resolves them without a promise per employee (a page of 100 has 200 of them).
    const which = options.withReferences ?? [];
    const references = {
      columns: which.map((name) => `, ${REFERENCE_READS[name].columns}`).join(''),
    };
    const properties = options.properties && [...new Set([...options.properties, ...which.map((name) => REFERENCE_READS[name].property)])];
    const selected = properties ? properties.map((p) => `e.${column(ctx, p)}`).join(', ') : 'e.*';
    // A first page of a search counts its matches with a window over all of them, in a subquery of its own: in one
    // query level PostgreSQL 15 costs `count(*) OVER ()` under a LIMIT as if the walk could stop early, and for a term
    // matching a tenth of 100,000 people walked the tenant in the order's index (266 ms) instead of reading the
    // trigram index's matches and sorting them (40 ms; docs/graphql.md). The page's references are still read for
    // its rows only (expensive output expressions are computed after the LIMIT).
    // A filtered page by username walks uq_employees_tenant_username_key, which holds deleted employees too. Its live
    // condition is written so that no partial index's predicate matches it: with `deleted_at IS NULL`, PostgreSQL
    // without statistics for the tenant took the partial name index (no filter needed), read the whole tenant and
    // sorted it for every page (test/query-plans.test.ts).
    const pageWhere = field === 'username' ? where(false, SEARCH_LIVE) : where(false);
    const source = countInPage
      ? `(SELECT e.*, count(*) OVER () AS _total FROM employees e WHERE ${where(true)}) e`
      : byUsername
        ? `rollcall_employees_by_username($1, ${direction === 'DESC'}, ${after}, ${limit}) e`
        : `employees e WHERE ${pageWhere}${keyset}`;
    const rows = await sql.rows(
      ctx,
      `SELECT ${selected}${references.columns}${countInPage ? ', e._total' : ''} FROM ${source}
        ORDER BY ${order.columns.map((c) => `${c.sql} ${direction}`).join(', ')}, e.id ${direction} LIMIT ${limit}`,
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

  /**
   * Every employee `search` would page through with these options, in its order, as pages of `pageSize` with the
   * references `withReferences` names (the CSV export). Which people, and in which order, is decided by one snapshot
   * taken at the first page: their ids are walked by keyset inside one REPEATABLE READ transaction, held only for that
   * walk. Each page then reads its people as they are now, by id. So a person changed during a long export appears
   * exactly once, with the values of before or after the change, even when the change moves them in the order; a
   * person created meanwhile is not in it, one deleted meanwhile is left out. Paging by keyset over live rows instead
   * listed a person twice, or not at all, when a rename moved them across the export's position (test/lists.test.ts).
   * The ids take 16 bytes a person (1.6 MB for 100,000); the pages are read one at a time, as the caller asks.
   */
  async *snapshotPages(
    ctx: RequestContext,
    options: Omit<SearchOptions, 'first' | 'after' | 'withTotal' | 'properties'>,
    pageSize: number,
  ): AsyncGenerator<{ employee: Employee; references: EmployeeReferences }[], void, undefined> {
    const ids = await snapshotIds(ctx, options);
    const which = options.withReferences ?? [];
    for (let start = 0; start < ids.length; start += 16 * pageSize) {
      const chunk: string[] = [];
      for (let at = start; at < Math.min(ids.length, start + 16 * pageSize); at += 16) chunk.push(uuidOf(ids, at));
      const found = new Map(
        (
          await sql.rows(
            ctx,
            `SELECT e.*${which.map((name) => `, ${REFERENCE_READS[name].columns}`).join('')}
               FROM ${sql.byKeys('employees', 'e', 'id', '$1', '$2::uuid[]')} WHERE e.deleted_at IS NULL`,
            [ctx.tenantId, chunk],
          )
        ).map((raw) => [String(raw.id), { employee: mapRow(ctx.manager, Employee, raw), references: toReferences(ctx, raw, which) }]),
      );
      const page = chunk.flatMap((id) => found.get(id) ?? []);
      if (page.length > 0) yield page;
    }
  },

  /** The values of `field` that `search` sorts by (one, or a name order's columns), as its keyset cursor stores them. */
  searchSortValues(employee: Employee, field: SearchOrderField): string[] {
    if (isNameOrder(field)) return NAME_ORDERS[field].map((c) => (c === 'last_name' ? employee.lastName : employee.firstName));
    const value = sortValueOf(
      {
        id: employee.id,
        username_key: employee.usernameKey,
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
    return [String(value)];
  },
};

/** Rows of ids read per statement of an export's snapshot walk. */
const SNAPSHOT_WALK = 10_000;

/** The properties `searchSortValues` reads for an order, and the id: all that a walk of ids needs of each row. */
function sortProperties(field: SearchOrderField): (keyof Employee)[] {
  if (isNameOrder(field)) return ['id', 'firstName', 'lastName'];
  const property = { id: 'id', username: 'usernameKey', email: 'email', displayName: 'displayName', externalId: 'externalId', createdAt: 'createdAt', updatedAt: 'updatedAt' } as const;
  return ['id', property[field]];
}

/**
 * The ids of every employee `search` matches, in its order, 16 bytes each: one REPEATABLE READ transaction, so all
 * the walk's statements see one snapshot and its keyset continues exactly where the last statement stopped.
 */
async function snapshotIds(ctx: RequestContext, options: Omit<SearchOptions, 'first' | 'after' | 'withTotal' | 'properties'>): Promise<Buffer> {
  const field = options.orderBy?.field ?? 'username';
  const properties = sortProperties(field);
  const parts: Buffer[] = [];
  await ctx.manager.transaction('REPEATABLE READ', async (manager) => {
    const tx = { ...ctx, manager };
    let after: SearchOptions['after'] = null;
    for (;;) {
      const page: EmployeePage = await employeeReads.search(tx, {
        ...options,
        withReferences: [],
        first: SNAPSHOT_WALK,
        after,
        withTotal: false,
        properties,
      });
      parts.push(Buffer.from(page.employees.map((e) => e.id.replace(/-/g, '')).join(''), 'hex'));
      const last = page.employees[page.employees.length - 1];
      if (!page.hasNextPage || !last) break;
      after = { values: employeeReads.searchSortValues(last, field), id: last.id };
    }
  });
  return Buffer.concat(parts);
}

/** The uuid whose 16 bytes start at `at`. */
function uuidOf(ids: Buffer, at: number): string {
  const hex = ids.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The columns `search` orders by (then id). A name order compares its columns in the tenant's collation: the root one
 * for most locales, which ix_employees_tenant_name holds (collation.ts); read only for such an order.
 */
async function searchOrder(ctx: RequestContext, field: SearchOrderField): Promise<{ columns: { sql: string; cast: string }[] }> {
  if (!isNameOrder(field)) return { columns: [SORT_FIELDS[field]] };
  const collation = await tenantCollation(ctx);
  return { columns: NAME_ORDERS[field].map((c) => ({ sql: `e.${c} COLLATE ${collation}`, cast: '::text' })) };
}
