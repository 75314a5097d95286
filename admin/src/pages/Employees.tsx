import { useEffect, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { CATALOG, CatalogData, EMPLOYEES, EmployeesData } from '../api';
import { useDebounced } from '../debounce';
import { Link } from '../router';
import { ErrorNotice, ManagedByBadge, StatusBadge } from '../ui';

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 300;

interface ListState {
  search: string;
  status: string;
  roleId: string;
  teamId: string;
  /** Cursors of the pages before the current one (the API pages forward only). */
  cursors: (string | null)[];
}

// Kept for the tab's lifetime so that "back to the list" after opening someone returns to the same search and page.
const INITIAL: ListState = { search: '', status: '', roleId: '', teamId: '', cursors: [null] };
let remembered: ListState = INITIAL;

/** On sign-out: the next person signing in in this tab does not see the last search. */
export function forgetListState(): void {
  remembered = INITIAL;
}

export function Employees() {
  const [state, setState] = useState<ListState>(remembered);
  useEffect(() => {
    remembered = state;
  }, [state]);
  const search = useDebounced(state.search.trim(), SEARCH_DELAY_MS);
  const after = state.cursors[state.cursors.length - 1];

  const filter: Record<string, unknown> = {};
  if (state.status) filter.status = state.status;
  if (state.roleId) filter.primaryRoleIds = [state.roleId];
  if (state.teamId) filter.teamIds = [state.teamId];

  const [catalog] = useQuery<CatalogData>({ query: CATALOG });
  const [result] = useQuery<EmployeesData>({
    query: EMPLOYEES,
    variables: { search: search || null, filter, first: PAGE_SIZE, after },
  });

  // The last page shown stays on screen while the next one loads, so the table does not collapse and jump.
  const shown = useRef<EmployeesData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const page = shown.current?.employees;
  const pageNumber = state.cursors.length;
  const loading = result.fetching || search !== state.search.trim();

  const change = (patch: Partial<ListState>) => setState((s) => ({ ...s, ...patch, cursors: [null] }));
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
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col">Email</th>
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
