import { useRef, useState } from 'react';
import { useQuery } from 'urql';
import { ActorSurface, EVENTS, EVENT_TYPES, EventType, EventsData, FeedEvent, eventTypeName } from '../api';
import { Link } from '../router';
import { CursorPager, Empty, ErrorNotice, formatExactTime } from '../ui';

const PAGE_SIZE = 50;

const SURFACES: Record<ActorSurface, string> = { SCIM: 'SCIM', GRAPHQL: 'GraphQL', CLI: 'Command line', SYSTEM: 'Rollcall' };

/**
 * The console's route to an employee takes the employee's global id, and an event names the employee by its database
 * id (`resourceId`). A global id is base64url of `Employee:<uuid>` (src/graphql/global-id.ts); the API has no field
 * that returns it for an event yet, so the console makes it here, and only here.
 */
function employeeGlobalId(uuid: string): string {
  return btoa(`Employee:${uuid}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function stringField(value: unknown, key: string): string | null {
  if (!value || typeof value !== 'object') return null;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : null;
}

/** The employee's username or the group's name, as the event carries it; an employee still there links to their page. */
function Resource({ event }: { event: FeedEvent }) {
  if (event.resourceType === 'employee') {
    const username = stringField(event.data.employee, 'username') ?? event.resourceId;
    if (event.type === 'EMPLOYEE_DELETED') return <span title="Deleted employee">{username} (deleted)</span>;
    return (
      <Link to={`/employees/${encodeURIComponent(employeeGlobalId(event.resourceId))}`} title={`Employee ${username}`}>
        {username}
      </Link>
    );
  }
  const name = stringField(event.data.group, 'displayName') ?? event.resourceId;
  return <span title={`Group ${name}`}>Group “{name}”</span>;
}

function actorOf(event: FeedEvent): string {
  const surface = SURFACES[event.actor.surface] ?? event.actor.surface;
  return event.actor.tokenName ? `${surface} · ${event.actor.tokenName}` : surface;
}

/** The change feed (`events`), in sequence order as the API pages it: what webhooks send, one page at a time. */
export function Events() {
  const [type, setType] = useState<EventType | ''>('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [result, reexecute] = useQuery<EventsData>({
    query: EVENTS,
    variables: { types: type ? [type] : null, first: PAGE_SIZE, after: cursors[cursors.length - 1] },
  });
  const shown = useRef<EventsData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const page = shown.current?.events;

  return (
    <>
      <div className="page-header">
        <h1>Events</h1>
      </div>
      <p className="lead">
        Every change to employees and groups, in the order Rollcall numbered them (sequence order, oldest first): the feed the
        GraphQL <code>events</code> query and <Link to="/webhooks">webhooks</Link> deliver. Events are kept for the tenant's event
        retention. Open one for its data as sent.
      </p>
      <div className="toolbar toolbar-fields">
        <div className="field">
          <label htmlFor="event-type">Type</label>
          <select
            id="event-type"
            value={type}
            onChange={(e) => {
              setType(e.target.value as EventType | '');
              setCursors([null]);
            }}
          >
            <option value="">All types</option>
            {EVENT_TYPES.map(([value, name]) => (
              <option key={value} value={value}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="small-button" onClick={() => reexecute({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
        <span className={`loading ${result.fetching ? 'visible' : ''}`}>Loading…</span>
      </div>
      <ErrorNotice error={result.error} />
      <div className="card">
        <div className="table-summary">
          <span>{page ? `${page.totalCount} ${page.totalCount === 1 ? 'event' : 'events'} in the feed` : 'Loading…'}</span>
        </div>
        {page && page.nodes.length === 0 ? (
          <Empty>{cursors.length > 1 ? 'No later events.' : type ? 'No events of this type.' : 'No changes yet.'}</Empty>
        ) : (
          <ul className="events feed">
            {page?.nodes.map((event) => (
              <li key={event.id} data-sequence={event.sequence} data-type={event.type}>
                <div className="event-row feed-row">
                  <span className="mono">#{event.sequence}</span>
                  <code className="event-type" title={event.type}>
                    {eventTypeName(event.type)}
                  </code>
                  <span className="nowrap">{formatExactTime(event.occurredAt)}</span>
                  <span className="event-actor">{actorOf(event)}</span>
                  <span className="event-resource">
                    <Resource event={event} />
                  </span>
                </div>
                <details>
                  <summary>
                    <span className="chevron" aria-hidden="true" /> Data
                  </summary>
                  <pre className="event-data" aria-label={`Data of event ${event.sequence}`}>
                    {JSON.stringify(event.data, null, 2)}
                  </pre>
                </details>
              </li>
            ))}
          </ul>
        )}
        <CursorPager cursors={cursors} setCursors={setCursors} pageInfo={page?.pageInfo} busy={result.fetching} previous="← Earlier" next="Later →" />
      </div>
    </>
  );
}
