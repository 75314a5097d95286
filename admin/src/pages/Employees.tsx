import { useEffect, useRef, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { CATALOG, CatalogData, EMPLOYEES, EmployeeRow, EmployeesData } from '../api';
import { useDebounced } from '../debounce';
import { Link, replaceQueryString, useQueryString } from '../router';
import { ErrorNotice, ManagedByBadge, StatusBadge, sortName } from '../ui';
import { useCanEdit } from '../viewer';
import { ExportButton } from './Export';
import { Onboarding } from './Connect';

const PAGE_SIZES = [25, 50, 100] as const;
const SEARCH_DELAY_MS = 300;
/** How many cursors one request may collect when a URL asks for a later page (the API's largest page). */
const SEEK_STEP = 100;

/**
 * The columns the list sorts by, as the URL names them, and the API's EmployeeOrderField for each. NAME is last name,
 * then first name, in the tenant locale's collation: the Name column shows exactly that, "Last, First".
 */
const SORTS = { username: 'USERNAME', name: 'NAME', email: 'EMAIL' } as const;
type SortKey = keyof typeof SORTS;
const SORT_LABELS: Record<SortKey, string> = { name: 'Name (last, first)', username: 'Username', email: 'Email' };
const STATUSES = ['ACTIVE', 'INACTIVE'];
const MANAGERS = ['IDENTITY_PROVIDER', 'LOCAL'];

export interface ListState {
  search: string;
  status: string;
  roleId: string;
  teamId: string;
  managedBy: string;
  sort: SortKey;
  descending: boolean;
  size: number;
  /** The page asked for, from 1. */
  page: number;
  /** `after` of each page known so far (pages 1..n): a URL can ask for a page whose cursor is still to be found. */
  cursors: (string | null)[];
}

// Kept for the tab's lifetime so that "back to the list" after opening someone returns to the same search and page.
const INITIAL: ListState = {
  search: '',
  status: '',
  roleId: '',
  teamId: '',
  managedBy: '',
  sort: 'username',
  descending: false,
  size: 25,
  page: 1,
  cursors: [null],
};
let remembered: ListState = INITIAL;

/**
 * The list's search, filters, sort, page size and page as the URL carries them
 * (`?q=hopper&status=ACTIVE&sort=name&order=desc&size=50&page=3`), so that a reload, a bookmark or a link sent to a
 * colleague shows the same list. Cursors are not in the URL: a later page is found again by walking to it.
 */
function toQuery(state: ListState, withPage = true): string {
  const params = new URLSearchParams();
  if (state.search.trim()) params.set('q', state.search.trim());
  if (state.status) params.set('status', state.status);
  if (state.roleId) params.set('role', state.roleId);
  if (state.teamId) params.set('team', state.teamId);
  if (state.managedBy) params.set('managedBy', state.managedBy);
  if (state.sort !== INITIAL.sort) params.set('sort', state.sort);
  if (state.descending) params.set('order', 'desc');
  if (state.size !== INITIAL.size) params.set('size', String(state.size));
  if (withPage && state.page > 1) params.set('page', String(state.page));
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** The list a URL asks for; values it does not know are left out rather than sent to the API. */
function fromQuery(query: string): ListState {
  const params = new URLSearchParams(query);
  const sort = params.get('sort') ?? '';
  const status = params.get('status') ?? '';
  const managedBy = params.get('managedBy') ?? '';
  const size = Number(params.get('size'));
  const page = Number(params.get('page'));
  return {
    search: params.get('q') ?? '',
    status: STATUSES.includes(status) ? status : '',
    roleId: params.get('role') ?? '',
    teamId: params.get('team') ?? '',
    managedBy: MANAGERS.includes(managedBy) ? managedBy : '',
    sort: Object.hasOwn(SORTS, sort) ? (sort as SortKey) : INITIAL.sort,
    descending: params.get('order') === 'desc',
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : INITIAL.size,
    page: Number.isInteger(page) && page > 1 && page <= 100_000 ? page : 1,
    cursors: [null],
  };
}

/**
 * A URL with a list in it shows that list (with the cursors already found, when it is the list remembered: Back
 * from an employee); a bare /employees (the menu, "← Employees") shows the list last seen in this tab.
 */
function initialState(query: string): ListState {
  if (!query) return remembered;
  const asked = fromQuery(query);
  return toQuery(asked, false) === toQuery(remembered, false) ? { ...remembered, page: asked.page } : asked;
}

/** On sign-out: the next person signing in in this tab does not see the last search. */
export function forgetListState(): void {
  remembered = INITIAL;
}

/** The API's filter for the list's choices. */
export function filterOf(state: Pick<ListState, 'status' | 'roleId' | 'teamId' | 'managedBy'>): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (state.status) filter.status = state.status;
  if (state.roleId) filter.primaryRoleIds = [state.roleId];
  if (state.teamId) filter.teamIds = [state.teamId];
  if (state.managedBy) filter.managedBy = state.managedBy;
  return filter;
}

const SEEK = `
  query EmployeeCursors($search: String, $filter: EmployeeFilter, $orderBy: EmployeeOrder, $first: Int!, $after: String) {
    employees(search: $search, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      edges { cursor }
      pageInfo { hasNextPage }
    }
  }
`;

export function Employees() {
  const query = useQueryString();
  const client = useClient();
  const canEdit = useCanEdit();
  const [state, setState] = useState<ListState>(() => initialState(query));
  const [showFilters, setShowFilters] = useState(false);
  useEffect(() => {
    remembered = state;
  }, [state]);
  const search = useDebounced(state.search.trim(), SEARCH_DELAY_MS);
  // The URL shows the list on screen (the search once it is sent, not each keystroke), also after the menu's
  // "Employees" link dropped its query.
  useEffect(() => replaceQueryString(toQuery({ ...state, search })), [state, search, query]);

  const filter = filterOf(state);
  const orderBy = { field: SORTS[state.sort], direction: state.descending ? 'DESC' : 'ASC' };

  const [catalog] = useQuery<CatalogData>({ query: CATALOG });
  // A role or team from the URL is one of the filters' options, or it is dropped (a stale or mistyped link); the
  // list waits for the options rather than sending the API an id it would refuse.
  const roles = catalog.data?.roles.nodes;
  const teams = catalog.data?.teams.nodes;
  const unknownRole = roles !== undefined && state.roleId !== '' && !roles.some((r) => r.id === state.roleId);
  const unknownTeam = teams !== undefined && state.teamId !== '' && !teams.some((t) => t.id === state.teamId);
  useEffect(() => {
    if (unknownRole || unknownTeam) {
      setState((s) => ({ ...s, ...(unknownRole ? { roleId: '' } : {}), ...(unknownTeam ? { teamId: '' } : {}), page: 1, cursors: [null] }));
    }
  }, [unknownRole, unknownTeam]);
  const checking = (state.roleId !== '' || state.teamId !== '') && ((!catalog.data && !catalog.error) || unknownRole || unknownTeam);

  // A page asked for by the URL whose cursor is not known yet: walk the list (cursors only, up to 100 rows a
  // request) until it is found, or stop at the last page there is.
  const seeking = !checking && state.cursors.length < state.page;
  const seekKey = seeking ? JSON.stringify([search, filter, orderBy, state.size, state.page, state.cursors.length]) : '';
  useEffect(() => {
    if (!seekKey) return;
    let cancelled = false;
    (async () => {
      const cursors = [...state.cursors];
      let after = cursors[cursors.length - 1];
      let more = true;
      while (more && cursors.length < state.page) {
        const wanted = Math.min(SEEK_STEP, state.size * (state.page - cursors.length));
        const answer = await client.query(SEEK, { search: search || null, filter, orderBy, first: wanted, after }, { requestPolicy: 'network-only' }).toPromise();
        if (cancelled || !answer.data) break;
        const edges = answer.data.employees.edges as { cursor: string }[];
        edges.forEach((edge, i) => {
          if ((i + 1) % state.size === 0 && cursors.length < state.page) cursors.push(edge.cursor);
        });
        after = edges.length ? edges[edges.length - 1].cursor : after;
        more = answer.data.employees.pageInfo.hasNextPage && edges.length === wanted;
      }
      // The list ends exactly at a page boundary: the cursor after its last row opens an empty page.
      if (!more && cursors.length < state.page && cursors.length > 1 && cursors[cursors.length - 1] === after) cursors.pop();
      // Past the end: the last page there is.
      if (!cancelled) setState((s) => ({ ...s, cursors, page: Math.min(s.page, cursors.length) }));
    })();
    return () => {
      cancelled = true;
    };
    // seekKey holds every input of the walk.
  }, [seekKey]);

  const after = state.cursors[state.page - 1] ?? null;
  const [result] = useQuery<EmployeesData>({
    pause: checking || seeking,
    query: EMPLOYEES,
    variables: { search: search || null, filter, orderBy, first: state.size, after },
  });

  // The last page shown stays on screen (greyed) while the next one loads, so the table does not collapse and jump.
  const shown = useRef<EmployeesData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const page = shown.current?.employees;
  const loading = result.fetching || checking || seeking || search !== state.search.trim();

  const change = (patch: Partial<ListState>) => setState((s) => ({ ...s, ...patch, page: 1, cursors: [null] }));
  // A column's first click sorts A to Z; the next click reverses it.
  const sortBy = (sort: SortKey) => change({ sort, descending: state.sort === sort ? !state.descending : false });
  const first = page && page.totalCount > 0 ? (state.page - 1) * state.size + 1 : 0;
  const last = page ? (state.page - 1) * state.size + page.nodes.length : 0;
  const filtered = Boolean(search || state.status || state.roleId || state.teamId || state.managedBy);
  const emptyTenant = page !== undefined && page.totalCount === 0 && !filtered && !loading;
  const pages = page ? Math.max(1, Math.ceil(page.totalCount / state.size)) : 1;
  const activeFilters = [state.status, state.roleId, state.teamId, state.managedBy].filter(Boolean).length;

  return (
    <>
      <div className="page-header">
        <h1>Employees</h1>
        <div className="page-actions">
          {canEdit && (
            <Link to="/employees/new" className="button-link">
              Add employee
            </Link>
          )}
          <ExportButton search={search} filter={filter} orderBy={orderBy} disabled={!page || page.totalCount === 0} />
        </div>
      </div>
      {emptyTenant && <Onboarding />}
      <form className={`filters card ${showFilters ? 'open' : ''}`} role="search" aria-label="Employees" onSubmit={(e) => e.preventDefault()}>
        <div className="filter filter-search">
          <label htmlFor="search">Search</label>
          <input
            id="search"
            type="search"
            placeholder="Name, username or email"
            value={state.search}
            onChange={(e) => change({ search: e.target.value })}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        {/* On a phone the other filters fold away under this button, so the list starts on the first screen. */}
        <button type="button" className="narrow-only filters-toggle" aria-expanded={showFilters} aria-controls="more-filters" onClick={() => setShowFilters((v) => !v)}>
          {showFilters ? 'Hide filters and sort' : `Filters and sort${activeFilters ? ` (${activeFilters} on)` : ''}`}
        </button>
        <div className="more-filters" id="more-filters">
        <div className="filter">
          <label htmlFor="status">Status</label>
          <select id="status" value={state.status} onChange={(e) => change({ status: e.target.value })}>
            <option value="">Any status</option>
            <option value="ACTIVE">Active</option>
            <option value="INACTIVE">Inactive</option>
          </select>
        </div>
        <div className="filter">
          <label htmlFor="role">Role</label>
          <select id="role" value={state.roleId} onChange={(e) => change({ roleId: e.target.value })}>
            <option value="">Any role</option>
            {catalog.data?.roles.nodes.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="team">Team</label>
          <select id="team" value={state.teamId} onChange={(e) => change({ teamId: e.target.value })}>
            <option value="">Any team</option>
            {catalog.data?.teams.nodes.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="managed-by">Managed by</label>
          <select id="managed-by" value={state.managedBy} onChange={(e) => change({ managedBy: e.target.value })}>
            <option value="">Anyone</option>
            <option value="IDENTITY_PROVIDER">Identity provider</option>
            <option value="LOCAL">Rollcall</option>
          </select>
        </div>
        {/* The column headers sort on a wide screen; on a phone the list is cards without headers. */}
        <div className="filter narrow-only">
          <label htmlFor="sort">Sort by</label>
          <select
            id="sort"
            value={`${state.sort}:${state.descending ? 'desc' : 'asc'}`}
            onChange={(e) => {
              const [sort, order] = e.target.value.split(':');
              change({ sort: sort as SortKey, descending: order === 'desc' });
            }}
          >
            {(Object.keys(SORTS) as SortKey[]).flatMap((key) => [
              <option key={`${key}:asc`} value={`${key}:asc`}>
                {SORT_LABELS[key]}, A to Z
              </option>,
              <option key={`${key}:desc`} value={`${key}:desc`}>
                {SORT_LABELS[key]}, Z to A
              </option>,
            ])}
          </select>
        </div>
        </div>
      </form>

      <ErrorNotice error={result.error} />
      <div className={`card table-card ${loading && page ? 'stale' : ''}`} aria-busy={loading}>
        <div className="table-summary" aria-live="polite">
          <span data-testid="employee-count">
            {page ? (page.totalCount === 0 ? (filtered ? 'No employees match.' : 'No employees yet.') : `${first}–${last} of ${page.totalCount} employees`) : 'Loading…'}
          </span>
          <span className={`loading ${loading ? 'visible' : ''}`} aria-hidden={!loading}>
            Loading…
          </span>
        </div>
        {page && page.totalCount === 0 ? null : (
          <EmployeeTable
            rows={page?.nodes ?? []}
            sort={state.sort}
            descending={state.descending}
            onSort={sortBy}
          />
        )}
        <nav className="pager" aria-label="Pages">
          <label className="page-size">
            Per page
            <select value={state.size} onChange={(e) => change({ size: Number(e.target.value) })}>
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button type="button" disabled={state.page === 1} onClick={() => setState((s) => ({ ...s, page: s.page - 1 }))}>
            ← Previous
          </button>
          <span data-testid="page-number">
            Page {state.page}
            {page ? ` of ${pages}` : ''}
          </span>
          <button
            type="button"
            disabled={!page?.pageInfo.hasNextPage || loading}
            onClick={() =>
              page?.pageInfo.endCursor &&
              setState((s) => ({ ...s, page: s.page + 1, cursors: [...s.cursors.slice(0, s.page), page.pageInfo.endCursor] }))
            }
          >
            Next →
          </button>
        </nav>
      </div>
    </>
  );
}

/** Username and email are one column when they are the same, as they are for most people an IdP provisions. */
function sameIdentity(e: Pick<EmployeeRow, 'username' | 'email'>): boolean {
  return e.username.toLowerCase() === e.email.toLowerCase();
}

/**
 * The list, also used for a group's members. Fixed columns that fit 1,280 px: a long value is cut with an ellipsis,
 * its whole text in the cell's title (and on the person's page). At a phone's width each row is a card.
 */
export function EmployeeTable(props: { rows: EmployeeRow[]; sort?: SortKey; descending?: boolean; onSort?: (sort: SortKey) => void }) {
  const { rows, sort, descending = false, onSort } = props;
  const header = (key: SortKey, label: string, title?: string) =>
    onSort ? (
      <SortButton label={label} title={title} active={sort === key} descending={descending} onSort={() => onSort(key)} />
    ) : (
      label
    );
  const ariaSort = (...keys: SortKey[]) => (onSort ? (sort && keys.includes(sort) ? (descending ? 'descending' : 'ascending') : 'none') : undefined);
  return (
    <div className="table-scroll">
      <table className="table employees-table">
        <colgroup>
          <col className="col-name" />
          <col className="col-identity" />
          <col className="col-status" />
          <col className="col-role" />
          <col className="col-team" />
          <col className="col-managed" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col" aria-sort={ariaSort('name')}>
              {header('name', 'Name', 'Sort by last name, then first name')}
            </th>
            <th scope="col" aria-sort={ariaSort('username', 'email')}>
              {header('username', 'Username')}
              <span aria-hidden="true" className="muted"> / </span>
              {header('email', 'Email')}
            </th>
            <th scope="col">Status</th>
            <th scope="col">Primary role</th>
            <th scope="col">Team</th>
            <th scope="col">Managed by</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => {
            const name = sortName(e);
            const display = e.displayName && e.displayName !== `${e.firstName} ${e.lastName}` ? e.displayName : null;
            return (
              <tr key={e.id} data-id={e.id}>
                <td className="cell-name" title={display ? `${name} (${display})` : name}>
                  <Link to={`/employees/${encodeURIComponent(e.id)}`} className="truncate">
                    {name}
                  </Link>
                  {display && <span className="truncate small muted">{display}</span>}
                </td>
                <td className="cell-identity">
                  <span className="truncate mono" title={e.username}>
                    {e.username}
                  </span>
                  {!sameIdentity(e) && (
                    <span className="truncate small" title={e.email}>
                      {e.email}
                    </span>
                  )}
                </td>
                <td>
                  <StatusBadge status={e.status} />
                </td>
                <td className="cell-role" data-label="Role">
                  <span className="truncate" title={e.primaryRole?.name}>
                    {e.primaryRole?.name ?? <span className="muted">—</span>}
                  </span>
                </td>
                <td className="cell-team" data-label="Team">
                  <span className="truncate" title={e.team?.name}>
                    {e.team?.name ?? <span className="muted">—</span>}
                  </span>
                </td>
                <td>
                  <ManagedByBadge managedBy={e.managedBy} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A column header's sort button; the header's `aria-sort` tells screen readers which column orders it and which way. */
function SortButton(props: { label: string; title?: string; active: boolean; descending: boolean; onSort: () => void }) {
  const { label, title, active, descending, onSort } = props;
  return (
    <button type="button" className="sort" title={title ?? `Sort by ${label.toLowerCase()}`} onClick={onSort}>
      {label}
      <span className={`sort-mark ${active ? 'active' : ''}`} aria-hidden="true">
        {active ? (descending ? '▼' : '▲') : '↕'}
      </span>
    </button>
  );
}
