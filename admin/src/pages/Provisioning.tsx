import { useRef, useState } from 'react';
import { useQuery } from 'urql';
import { PROVISIONING_EVENTS, ProvisioningEventsData } from '../api';
import { Link } from '../router';
import { Empty, ErrorNotice, formatDate } from '../ui';

const PAGE_SIZE = 25;

function describeCount(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'} in the log`;
}

/** The SCIM provisioning log, failures first: why the identity provider shows a person as not provisioned. */
export function Provisioning() {
  const [outcome, setOutcome] = useState<'FAILURE' | ''>('FAILURE');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [result] = useQuery<ProvisioningEventsData>({
    query: PROVISIONING_EVENTS,
    variables: { outcome: outcome || null, first: PAGE_SIZE, after: cursors[cursors.length - 1] },
  });
  const shown = useRef<ProvisioningEventsData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const page = shown.current?.provisioningEvents;

  return (
    <>
      <div className="page-header">
        <h1>Provisioning</h1>
      </div>
      <p className="lead">
        Every SCIM request your identity provider made that wrote something or failed, newest first. A failure here is what the
        identity provider reports as a provisioning error; open it for Rollcall's reason.
      </p>
      <div className="toolbar" role="group" aria-label="Which requests">
        <label className="radio">
          <input
            type="radio"
            name="outcome"
            checked={outcome === 'FAILURE'}
            onChange={() => {
              setOutcome('FAILURE');
              setCursors([null]);
            }}
          />
          Failures
        </label>
        <label className="radio">
          <input
            type="radio"
            name="outcome"
            checked={outcome === ''}
            onChange={() => {
              setOutcome('');
              setCursors([null]);
            }}
          />
          All requests
        </label>
        <span className={`loading ${result.fetching ? 'visible' : ''}`}>Loading…</span>
      </div>
      <ErrorNotice error={result.error} />
      <div className="card">
        <div className="table-summary">
          <span>{page ? describeCount(page.totalCount, outcome === 'FAILURE' ? 'failed request' : 'request') : 'Loading…'}</span>
        </div>
        {page && page.nodes.length === 0 ? (
          <Empty>{outcome === 'FAILURE' ? 'No failed SCIM requests. Provisioning is going through.' : 'No SCIM requests in the log yet.'}</Empty>
        ) : (
          <ul className="events">
            {page?.nodes.map((p) => (
              <li key={p.id}>
                <details>
                  <summary>
                    <span className="chevron" aria-hidden="true" />
                    <span className={`badge ${p.outcome === 'SUCCESS' ? 'badge-ok' : 'badge-error'}`}>{p.status}</span>
                    <span className="nowrap">{formatDate(p.occurredAt)}</span>
                    <span className="mono">
                      {p.method} {p.path}
                    </span>
                    <span className="event-user">{p.userName ?? ''}</span>
                    <span className="event-detail">{p.detail ?? ''}</span>
                  </summary>
                  <dl className="details">
                    <div className="details-wide">
                      <dt>Detail</dt>
                      <dd>{p.detail ?? '—'}</dd>
                    </div>
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
                      <dd>{p.ignoredAttributes.length ? p.ignoredAttributes.join(', ') : '—'}</dd>
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
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            ← Newer
          </button>
          <span>Page {cursors.length}</span>
          <button
            type="button"
            disabled={!page?.pageInfo.hasNextPage || result.fetching}
            onClick={() => page?.pageInfo.endCursor && setCursors((c) => [...c, page.pageInfo.endCursor])}
          >
            Older →
          </button>
        </nav>
      </div>
    </>
  );
}
