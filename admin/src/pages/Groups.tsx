import { useRef, useState } from 'react';
import { useQuery } from 'urql';
import { GROUP, GROUPS, GroupData, GroupsData } from '../api';
import { useDebounced } from '../debounce';
import { Link } from '../router';
import { CursorPager, Empty, ErrorNotice, formatDate } from '../ui';
import { EmployeeTable } from './Employees';

const PAGE_SIZE = 25;

/**
 * Who manages a group: groups only come from the identity provider (SCIM Push Groups / group provisioning); the
 * connection that created it (its SCIM token or OAuth connection, by name) says which one.
 */
function ManagedByIdp({ provisionedBy, externalId }: { provisionedBy: string | null; externalId: string | null }) {
  return (
    <span className="managed-by-idp">
      <span className="badge badge-idp">Identity provider</span>
      {provisionedBy && (
        <span className="small group-provisioner" title={`Created through the connection “${provisionedBy}”`}>
          {' '}
          {provisionedBy}
        </span>
      )}
      {externalId && (
        <span className="small muted mono group-external" title={`The identity provider's id: ${externalId}`}>
          {' '}
          {externalId}
        </span>
      )}
    </span>
  );
}

/** Groups pushed by the identity provider: read-only here, by name, with how many members each has. */
export function Groups() {
  const [search, setSearch] = useState('');
  const settled = useDebounced(search.trim(), 300);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [result] = useQuery<GroupsData>({ query: GROUPS, variables: { search: settled || null, first: PAGE_SIZE, after: cursors[cursors.length - 1] } });
  const shown = useRef<GroupsData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const page = shown.current?.groups;
  const loading = result.fetching || settled !== search.trim();
  return (
    <>
      <div className="page-header">
        <h1>Groups</h1>
      </div>
      <p className="lead">
        Groups come from your identity provider (Okta's Push Groups, Entra's group provisioning) and change only there. Open a group to see
        its members.
      </p>
      <form className="filters card filters-single" role="search" aria-label="Groups" onSubmit={(e) => e.preventDefault()}>
        <div className="filter filter-search">
          <label htmlFor="group-search">Search</label>
          <input
            id="group-search"
            type="search"
            placeholder="Group name"
            value={search}
            autoComplete="off"
            onChange={(e) => {
              setSearch(e.target.value);
              setCursors([null]);
            }}
          />
        </div>
      </form>
      <ErrorNotice error={result.error} />
      <div className={`card table-card ${loading && page ? 'stale' : ''}`} aria-busy={loading}>
        <div className="table-summary" aria-live="polite">
          <span>{page ? `${page.totalCount} ${page.totalCount === 1 ? 'group' : 'groups'}` : 'Loading…'}</span>
          <span className={`loading ${loading ? 'visible' : ''}`} aria-hidden={!loading}>
            Loading…
          </span>
        </div>
        {page && page.nodes.length === 0 ? (
          <div className="table-card-empty">
            <Empty>{settled ? 'No group matches.' : 'No groups yet. They appear when the identity provider pushes them.'}</Empty>
          </div>
        ) : (
          <div className="table-scroll">
            <table className="table groups-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Members</th>
                  <th scope="col">Managed by</th>
                  <th scope="col">Last changed</th>
                </tr>
              </thead>
              <tbody>
                {page?.nodes.map((g) => (
                  <tr key={g.id}>
                    <td className="cell-name">
                      <Link to={`/groups/${encodeURIComponent(g.id)}`} className="truncate" title={g.displayName}>
                        {g.displayName}
                      </Link>
                    </td>
                    <td>{g.members.totalCount}</td>
                    <td>
                      <ManagedByIdp provisionedBy={g.provisionedBy} externalId={g.externalId} />
                    </td>
                    <td className="nowrap">{formatDate(g.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <CursorPager cursors={cursors} setCursors={setCursors} pageInfo={page?.pageInfo} busy={loading} />
      </div>
    </>
  );
}

/** One group: what it is, and its members a page at a time. */
export function GroupPage({ id }: { id: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [result] = useQuery<GroupData>({ query: GROUP, variables: { id, first: PAGE_SIZE, after: cursors[cursors.length - 1] } });
  const shown = useRef<GroupData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const group = shown.current?.group;
  const badId = result.error?.graphQLErrors.some((e) => e.extensions?.code === 'BAD_USER_INPUT');
  const back = (
    <p className="breadcrumb">
      <Link to="/groups">← Groups</Link>
    </p>
  );
  if (badId || (shown.current && !group)) {
    return (
      <>
        {back}
        <h1>No such group</h1>
        <p>There is no group with this id in your tenant.</p>
      </>
    );
  }
  if (!group) {
    return (
      <>
        {back}
        <ErrorNotice error={result.error} />
        {!result.error && <p className="muted page-loading">Loading…</p>}
      </>
    );
  }
  const members = group.members;
  const first = members.totalCount ? (cursors.length - 1) * PAGE_SIZE + 1 : 0;
  return (
    <>
      {back}
      <div className="page-header">
        <h1 className="break">{group.displayName}</h1>
      </div>
      <dl className="details card">
        <div>
          <dt>Managed by</dt>
          <dd>
            <ManagedByIdp provisionedBy={null} externalId={null} />
          </dd>
        </div>
        <div>
          <dt>Created through</dt>
          <dd data-testid="provisioned-by">{group.provisionedBy ?? '—'}</dd>
        </div>
        <div>
          <dt>External id</dt>
          <dd className="mono">{group.externalId ?? '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDate(group.createdAt)}</dd>
        </div>
        <div>
          <dt>Last changed</dt>
          <dd>{formatDate(group.updatedAt)}</dd>
        </div>
      </dl>
      <ErrorNotice error={result.error} />
      <section className={`card table-card ${result.fetching ? 'stale' : ''}`} aria-labelledby="members-title" aria-busy={result.fetching}>
        <div className="table-summary">
          <h2 id="members-title">Members</h2>
          <span>{members.totalCount === 0 ? 'No members.' : `${first}–${first + members.nodes.length - 1} of ${members.totalCount}`}</span>
        </div>
        {members.nodes.length > 0 && <EmployeeTable rows={members.nodes} />}
        <CursorPager label="Member pages" cursors={cursors} setCursors={setCursors} pageInfo={members?.pageInfo} busy={result.fetching} />
      </section>
    </>
  );
}
