import { useRef, useState } from 'react';
import { useQuery } from 'urql';
import { PROVISIONING_EVENTS, ProvisioningEvent, ProvisioningEventsData } from '../api';
import { useDebounced } from '../debounce';
import { Link } from '../router';
import { CursorPager, Empty, ErrorNotice, OutcomeBadge, WarningsTable, formatExactTime, personName, warningLabel } from '../ui';

const PAGE_SIZE = 25;

type Shown = 'FAILURE' | 'WARNING' | '';

/** The filter's choices: the outcome asked for ('' for every request), its label, how a count reads, and an empty log. */
const FILTERS: { outcome: Shown; label: string; counted: [string, string]; empty: string }[] = [
  { outcome: 'FAILURE', label: 'Failures', counted: ['failed request', 'failed requests'], empty: 'No failed SCIM requests. Provisioning is going through.' },
  {
    outcome: 'WARNING',
    label: 'Warnings',
    counted: ['request with skipped values', 'requests with skipped values'],
    empty: 'No SCIM request had values Rollcall could not use.',
  },
  { outcome: '', label: 'All requests', counted: ['request', 'requests'], empty: 'No SCIM requests in the log yet.' },
];

/** The attributes a tenant does not import, as the settings name them (`timeZone` is "time zone"). */
const IGNORED_LABELS: Record<string, string> = {
  displayName: 'display name',
  middleName: 'middle name',
  mobileNumber: 'mobile number',
  timeZone: 'time zone',
  type: 'employee type',
  primaryRole: 'primary role',
  team: 'team',
  loginAuthenticator: 'login authenticator',
};
function ignoredList(attributes: string[]): string {
  return attributes.map((a) => IGNORED_LABELS[a] ?? a).join(', ');
}

/** What the row says without opening it: a failure's detail, or which values a warning skipped and why. */
function summaryOf(p: ProvisioningEvent): string {
  if (p.outcome === 'WARNING') return `Skipped: ${p.warnings.map((w) => `${warningLabel(w.attribute)} “${w.value}”`).join(', ')}`;
  return p.detail ?? '';
}

/** The SCIM provisioning log, failures first: why the identity provider shows a person as not provisioned. */
export function Provisioning() {
  const [outcome, setOutcome] = useState<Shown>('FAILURE');
  const filter = FILTERS.find((f) => f.outcome === outcome)!;
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [search, setSearch] = useState('');
  // The person's name, username or email, or the userName the identity provider sent (a failed create has no person).
  const person = useDebounced(search.trim(), 300);
  const [result] = useQuery<ProvisioningEventsData>({
    query: PROVISIONING_EVENTS,
    variables: { outcome: outcome || null, person: person || null, first: PAGE_SIZE, after: cursors[cursors.length - 1] },
  });
  const shown = useRef<ProvisioningEventsData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const page = shown.current?.provisioningEvents;
  const loading = result.fetching || person !== search.trim();

  return (
    <>
      <div className="page-header">
        <h1>Provisioning</h1>
      </div>
      <p className="lead">
        Every SCIM request your identity provider made that wrote something or failed, newest first. A failure here is what the
        identity provider reports as a provisioning error, with Rollcall's reason beside it. A warning is a request that
        succeeded, but with optional values Rollcall could not use: they were skipped, and the rest was saved.
      </p>
      <div className="toolbar toolbar-fields">
        <div className="field">
          <label htmlFor="log-search">Person (name or user name)</label>
          <input
            id="log-search"
            type="search"
            placeholder="Name, user name or email"
            value={search}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setSearch(e.target.value);
              setCursors([null]);
            }}
          />
        </div>
        <fieldset className="outcome-filter">
          <legend>Which requests</legend>
        {FILTERS.map((f) => (
          <label className="radio" key={f.label}>
            <input
              type="radio"
              name="outcome"
              checked={outcome === f.outcome}
              onChange={() => {
                setOutcome(f.outcome);
                setCursors([null]);
              }}
            />
            {f.label}
          </label>
        ))}
        </fieldset>
        <span className={`loading ${loading ? 'visible' : ''}`} aria-hidden={!loading}>
          Loading…
        </span>
      </div>
      <ErrorNotice error={result.error} />
      <div className={`card ${loading && page ? 'stale' : ''}`} aria-busy={loading}>
        <div className="table-summary" aria-live="polite">
          <span>
            {page ? `${page.totalCount} ${filter.counted[page.totalCount === 1 ? 0 : 1]} in the log${person ? ` for “${person}”` : ''}` : 'Loading…'}
          </span>
        </div>
        {page && page.nodes.length === 0 ? (
          <Empty>{person ? `No ${filter.label === 'All requests' ? 'requests' : filter.label.toLowerCase()} for a person matching “${person}”.` : filter.empty}</Empty>
        ) : (
          <ul className="events">
            {page?.nodes.map((p) => (
              <li key={p.id} data-outcome={p.outcome}>
                <div className="event-row">
                  <OutcomeBadge outcome={p.outcome} status={p.status} />
                  <span className="event-time">{formatExactTime(p.occurredAt)}</span>
                  <span className="mono event-request">
                    {p.method} {p.path}
                  </span>
                  <span className="event-user">
                    {p.employee ? (
                      <Link to={`/employees/${encodeURIComponent(p.employee.id)}`}>{personName(p.employee)}</Link>
                    ) : (
                      p.userName && <span className="muted">No employee</span>
                    )}
                    {p.userName && <span className="small mono event-username">{p.userName}</span>}
                  </span>
                  <span className="event-detail">
                    {summaryOf(p)}
                    {p.outcome === 'WARNING' && p.warnings.length > 0 && (
                      <span className="event-reasons">{p.warnings.map((w) => w.reason).join(' ')}</span>
                    )}
                    {p.ignoredAttributes.length > 0 && <span className="small muted event-ignored" title={p.ignoredAttributes.join(', ')}>
                        Not imported: {ignoredList(p.ignoredAttributes)}
                      </span>}
                  </span>
                </div>
                <details>
                  <summary>
                    <span className="chevron" aria-hidden="true" /> Details
                  </summary>
                  {p.warnings.length > 0 && (
                    <div className="event-warnings">
                      <h3>
                        {p.warnings.length === 1 ? 'A value was' : `${p.warnings.length} values were`} skipped; the rest of the request was saved
                      </h3>
                      <WarningsTable warnings={p.warnings} />
                    </div>
                  )}
                  <dl className="details">
                    {(p.detail !== null || p.warnings.length === 0) && (
                      <div className="details-wide">
                        <dt>Detail</dt>
                        <dd>{p.detail ?? '—'}</dd>
                      </div>
                    )}
                    <div>
                      <dt>SCIM error type</dt>
                      <dd className="mono">{p.scimType ?? '—'}</dd>
                    </div>
                    <div>
                      <dt>User name sent</dt>
                      <dd>{p.userName ?? '—'}</dd>
                    </div>
                    <div>
                      <dt>Employee</dt>
                      <dd>{p.employee ? <Link to={`/employees/${encodeURIComponent(p.employee.id)}`}>{p.employee.username}</Link> : '—'}</dd>
                    </div>
                    <div>
                      <dt>Not imported</dt>
                      <dd>{p.ignoredAttributes.length ? ignoredList(p.ignoredAttributes) : '—'}</dd>
                    </div>
                    <div>
                      <dt>Request id</dt>
                      <dd className="mono small">{p.requestId}</dd>
                    </div>
                    <div>
                      <dt>Took</dt>
                      <dd>{p.durationMs} ms</dd>
                    </div>
                  </dl>
                </details>
              </li>
            ))}
          </ul>
        )}
        <CursorPager cursors={cursors} setCursors={setCursors} pageInfo={page?.pageInfo} busy={result.fetching} previous="← Newer" next="Older →" />
      </div>
    </>
  );
}
