import { useEffect, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { CATALOG, CatalogData, EMPLOYEES, EmployeesData } from '../api';
import { useDebounced } from '../debounce';
import { Link, replaceQueryString, useQueryString } from '../router';
import { ErrorNotice, ManagedByBadge, StatusBadge } from '../ui';

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 300;

/** The columns the list sorts by, as the URL names them, and the API's EmployeeOrderField for each. */
const SORTS = { username: 'USERNAME', name: 'LAST_NAME', email: 'EMAIL' } as const;
type SortKey = keyof typeof SORTS;
const STATUSES = ['ACTIVE', 'INACTIVE'];

interface ListState {
  search: string;
  status: string;
  roleId: string;
  teamId: string;
  sort: SortKey;
  descending: boolean;
  /** Cursors of the pages before the current one (the API pages forward only). */
  cursors: (string | null)[];
}

// Kept for the tab's lifetime so that "back to the list" after opening someone returns to the same search and page.
const INITIAL: ListState = { search: '', status: '', roleId: '', teamId: '', sort: 'username', descending: false, cursors: [null] };
let remembered: ListState = INITIAL;

/**
 * The list's search, filters and sort as the URL carries them (`?q=hopper&status=ACTIVE&sort=name&order=desc`), so
 * that a reload, a bookmark or a link sent to a colleague shows the same list. The page is not in the URL: cursors
 * are only valid for the list they came from, so a link opens on the first page.
 */
function toQuery(state: ListState): string {
  const params = new URLSearchParams();
  if (state.search.trim()) params.set('q', state.search.trim());
  if (state.status) params.set('status', state.status);
  if (state.roleId) params.set('role', state.roleId);
  if (state.teamId) params.set('team', state.teamId);
  if (state.sort !== INITIAL.sort) params.set('sort', state.sort);
  if (state.descending) params.set('order', 'desc');
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** The list a URL asks for; values it does not know are left out rather than sent to the API. */
function fromQuery(query: string): ListState {
  const params = new URLSearchParams(query);
  const sort = params.get('sort') ?? '';
  const status = params.get('status') ?? '';
  return {
    search: params.get('q') ?? '',
    status: STATUSES.includes(status) ? status : '',
    roleId: params.get('role') ?? '',
    teamId: params.get('team') ?? '',
    sort: Object.hasOwn(SORTS, sort) ? (sort as SortKey) : INITIAL.sort,
    descending: params.get('order') === 'desc',
    cursors: [null],
  };
}

/**
 * A URL with a list in it shows that list (on the page last seen, when it is the list remembered: Back from an
 * employee); a bare /employees (the menu, "← Employees") shows the list last seen in this tab.
 */
function initialState(query: string): ListState {
  if (!query) return remembered;
  const asked = fromQuery(query);
  return toQuery(asked) === toQuery(remembered) ? remembered : asked;
}

/** On sign-out: the next person signing in in this tab does not see the last search. */
export function forgetListState(): void {
  remembered = INITIAL;
}

export function Employees() {
  const query = useQueryString();
  const [state, setState] = useState<ListState>(() => initialState(query));
  useEffect(() => {
    remembered = state;
  }, [state]);
  const search = useDebounced(state.search.trim(), SEARCH_DELAY_MS);
  // The URL shows the list on screen (the search once it is sent, not each keystroke), also after the menu's
  // "Employees" link dropped its query.
  useEffect(() => replaceQueryString(toQuery({ ...state, search })), [state, search, query]);
  const after = state.cursors[state.cursors.length - 1];

  const filter: Record<string, unknown> = {};
  if (state.status) filter.status = state.status;
  if (state.roleId) filter.primaryRoleIds = [state.roleId];
  if (state.teamId) filter.teamIds = [state.teamId];

  const [catalog] = useQuery<CatalogData>({ query: CATALOG });
  // A role or team from the URL is one of the filters' options, or it is dropped (a stale or mistyped link); the
  // list waits for the options rather than sending the API an id it would refuse.
  const roles = catalog.data?.roles.nodes;
  const teams = catalog.data?.teams.nodes;
  const unknownRole = roles !== undefined && state.roleId !== '' && !roles.some((r) => r.id === state.roleId);
  const unknownTeam = teams !== undefined && state.teamId !== '' && !teams.some((t) => t.id === state.teamId);
  useEffect(() => {
    if (unknownRole || unknownTeam) {
      setState((s) => ({ ...s, ...(unknownRole ? { roleId: '' } : {}), ...(unknownTeam ? { teamId: '' } : {}), cursors: [null] }));
    }
  }, [unknownRole, unknownTeam]);
  const checking = (state.roleId !== '' || state.teamId !== '') && ((!catalog.data && !catalog.error) || unknownRole || unknownTeam);
  const [result] = useQuery<EmployeesData>({
    pause: checking,
    query: EMPLOYEES,
    variables: {
      search: search || null,
      filter,
      orderBy: { field: SORTS[state.sort], direction: state.descending ? 'DESC' : 'ASC' },
      first: PAGE_SIZE,
      after,
    },
  });

  // The last page shown stays on screen while the next one loads, so the table does not collapse and jump.
  const shown = useRef<EmployeesData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const page = shown.current?.employees;
  const pageNumber = state.cursors.length;
  const loading = result.fetching || checking || search !== state.search.trim();

  const change = (patch: Partial<ListState>) => setState((s) => ({ ...s, ...patch, cursors: [null] }));
  // A column's first click sorts A to Z; the next click reverses it.
  const sortBy = (sort: SortKey) => change({ sort, descending: state.sort === sort ? !state.descending : false });
  const sortHeader = (sort: SortKey, label: string, title?: string) => (
    <SortHeader label={label} title={title} active={state.sort === sort} descending={state.descending} onSort={() => sortBy(sort)} />
  );
  const first = page && page.totalCount > 0 ? (pageNumber - 1) * PAGE_SIZE + 1 : 0;
  const last = page ? (pageNumber - 1) * PAGE_SIZE + page.nodes.length : 0;

  return (
    <>
      <div className="page-header">
        <h1>Employees</h1>
      </div>
      <form className="filters card" role="search" onSubmit={(e) => e.preventDefault()}>
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
      </form>

      <ErrorNotice error={result.error} />
      <div className="card table-card">
        <div className="table-summary" aria-live="polite">
          <span data-testid="employee-count">
            {page ? (page.totalCount === 0 ? 'No employees match.' : `${first}–${last} of ${page.totalCount} employees`) : 'Loading…'}
          </span>
          <span className={`loading ${loading ? 'visible' : ''}`} aria-hidden={!loading}>
            Loading…
          </span>
        </div>
        <div className="table-scroll">
          <table className="table employees-table">
            <thead>
              <tr>
                {sortHeader('name', 'Name', 'Sort by last name')}
                {sortHeader('username', 'Username')}
                {sortHeader('email', 'Email')}
                <th scope="col">Status</th>
                <th scope="col">Primary role</th>
                <th scope="col">Team</th>
                <th scope="col">Managed by</th>
              </tr>
            </thead>
            <tbody>
              {page?.nodes.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Link to={`/employees/${encodeURIComponent(e.id)}`}>{e.displayName || `${e.firstName} ${e.lastName}`}</Link>
                  </td>
                  <td className="mono">{e.username}</td>
                  <td>{e.email}</td>
                  <td>
                    <StatusBadge status={e.status} />
                  </td>
                  <td>{e.primaryRole?.name ?? <span className="muted">—</span>}</td>
                  <td>{e.team?.name ?? <span className="muted">—</span>}</td>
                  <td>
                    <ManagedByBadge managedBy={e.managedBy} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={pageNumber === 1} onClick={() => setState((s) => ({ ...s, cursors: s.cursors.slice(0, -1) }))}>
            ← Previous
          </button>
          <span>Page {pageNumber}</span>
          <button
            type="button"
            disabled={!page?.pageInfo.hasNextPage || loading}
            onClick={() => page?.pageInfo.endCursor && setState((s) => ({ ...s, cursors: [...s.cursors, page.pageInfo.endCursor] }))}
          >
            Next →
          </button>
        </nav>
      </div>
    </>
  );
}

/** A column header that sorts the list; `aria-sort` tells screen readers which column orders it and which way. */
function SortHeader(props: { label: string; title?: string; active: boolean; descending: boolean; onSort: () => void }) {
  const { label, title, active, descending, onSort } = props;
  return (
    <th scope="col" aria-sort={active ? (descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="sort" title={title ?? `Sort by ${label.toLowerCase()}`} onClick={onSort}>
        {label}
        <span className={`sort-mark ${active ? 'active' : ''}`} aria-hidden="true">
          {active ? (descending ? '▼' : '▲') : '↕'}
        </span>
      </button>
    </th>
  );
}
