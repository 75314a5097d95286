import { FormEvent, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  CREATE_WEBHOOK_ENDPOINT,
  DELETE_WEBHOOK_ENDPOINT,
  EVENT_TYPES,
  EventType,
  REDELIVER_WEBHOOK_DELIVERY,
  ROTATE_WEBHOOK_SECRET,
  UPDATE_WEBHOOK_ENDPOINT,
  UserError,
  WEBHOOK_ENDPOINT,
  WEBHOOK_ENDPOINTS,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookEndpoint,
  WebhookEndpointData,
  WebhookEndpointsData,
  eventTypeName,
} from '../api';
import { Link, navigate } from '../router';
import { ConfirmButton, CursorPager, Empty, ErrorNotice, FieldError, FormErrors, SecretBox, Section, formatDate } from '../ui';
import { useCanEdit } from '../viewer';

const DELIVERIES_PAGE_SIZE = 25;
/** The delivery log refreshes itself this often while it is on screen (deliveries are made in the background). */
const REFRESH_MS = 5_000;
const FORM_FIELDS = new Set(['url', 'eventTypes', 'description']);

type Payload = { userErrors: UserError[] } & Record<string, unknown>;

/** The endpoint's state: enabled, disabled by an admin, or disabled by Rollcall after 3 days of failures. */
function StateBadge({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.enabled) {
    return endpoint.failingSince ? <span className="badge badge-warn">Enabled, failing</span> : <span className="badge badge-ok">Enabled</span>;
  }
  return <span className={`badge ${endpoint.disabledReason ? 'badge-error' : 'badge-muted'}`}>{endpoint.disabledReason ? 'Disabled by Rollcall' : 'Disabled'}</span>;
}

/** Why Rollcall stopped sending: shown at the top of the endpoint, not tucked into a column. */
function DisabledNotice({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.enabled || !endpoint.disabledReason) return null;
  return (
    <div className="notice notice-disabled" role="alert" data-testid="disabled-reason">
      <p>
        <strong>Rollcall disabled this endpoint:</strong> {endpoint.disabledReason}
      </p>
      <p>Enable it once the receiver works again: it resumes with the first event not yet delivered.</p>
    </div>
  );
}

function Url({ url }: { url: string }) {
  return (
    <span className="url mono" title={url}>
      {url}
    </span>
  );
}

function TypeList({ types }: { types: EventType[] }) {
  return (
    <ul className="type-list" aria-label="Event types">
      {types.map((type) => (
        <li key={type}>
          <code title={type}>{eventTypeName(type)}</code>
        </li>
      ))}
    </ul>
  );
}

function EndpointFacts({ endpoint }: { endpoint: WebhookEndpoint }) {
  return (
    <dl className="details">
      <div className="details-wide">
        <dt>Event types</dt>
        <dd>
          <TypeList types={endpoint.eventTypes} />
        </dd>
      </div>
      <div>
        <dt>Failing since</dt>
        <dd>{endpoint.failingSince ? <span className="badge badge-error">{formatDate(endpoint.failingSince)}</span> : '—'}</dd>
      </div>
      <div>
        <dt>Last delivery</dt>
        <dd>{formatDate(endpoint.lastDeliveryAt)}</dd>
      </div>
      <div>
        <dt>Secret</dt>
        <dd className="mono">{endpoint.secretPrefix}…</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDate(endpoint.createdAt)}</dd>
      </div>
    </dl>
  );
}

interface FormValues {
  url: string;
  description: string;
  eventTypes: EventType[];
}

/** URL, description and event types: the create form and the edit form. userErrors show under the field they name. */
function EndpointForm(props: {
  idPrefix: string;
  initial: FormValues;
  submitLabel: string;
  busy: boolean;
  errors: UserError[];
  onSubmit: (values: FormValues) => void;
  onCancel?: () => void;
}) {
  const { idPrefix: p, errors } = props;
  const [values, setValues] = useState<FormValues>(props.initial);
  const invalid = (field: string) => errors.some((e) => e.field?.[e.field.length - 1] === field);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    props.onSubmit(values);
  };
  const toggle = (type: EventType, on: boolean) =>
    setValues((v) => ({ ...v, eventTypes: on ? EVENT_TYPES.map(([t]) => t).filter((t) => t === type || v.eventTypes.includes(t)) : v.eventTypes.filter((t) => t !== type) }));

  return (
    <form className="webhook-form" onSubmit={submit} noValidate aria-label={props.submitLabel}>
      <div className="field">
        <label htmlFor={`${p}-url`}>URL</label>
        <input
          id={`${p}-url`}
          type="text"
          inputMode="url"
          value={values.url}
          onChange={(e) => setValues((v) => ({ ...v, url: e.target.value }))}
          placeholder="https://hooks.example.com/rollcall"
          autoComplete="off"
          aria-invalid={invalid('url') || undefined}
          aria-describedby={invalid('url') ? `${p}-url-error` : undefined}
        />
        <FieldError errors={errors} field="url" id={`${p}-url-error`} />
      </div>
      <div className="field">
        <label htmlFor={`${p}-description`}>Description</label>
        <input
          id={`${p}-description`}
          type="text"
          value={values.description}
          onChange={(e) => setValues((v) => ({ ...v, description: e.target.value }))}
          placeholder="Routing (ACD) directory sync"
          autoComplete="off"
          aria-invalid={invalid('description') || undefined}
        />
        <FieldError errors={errors} field="description" id={`${p}-description-error`} />
      </div>
      <fieldset className="checkboxes" aria-describedby={invalid('eventTypes') ? `${p}-types-error` : undefined}>
        <legend>Event types</legend>
        {EVENT_TYPES.map(([type, name, meaning]) => (
          <label className="checkbox" key={type}>
            <input type="checkbox" checked={values.eventTypes.includes(type)} onChange={(e) => toggle(type, e.target.checked)} />
            <span>
              <span className="mono">{name}</span>
              <span className="hint">{meaning}</span>
            </span>
          </label>
        ))}
        <div className="checkbox-errors">
          <FieldError errors={errors} field="eventTypes" id={`${p}-types-error`} />
        </div>
      </fieldset>
      <FormErrors errors={errors} shown={FORM_FIELDS} />
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={props.busy}>
          {props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** The Webhooks page: every endpoint of the tenant, and (for admins) a form to add one. */
export function Webhooks() {
  const canEdit = useCanEdit();
  const [result, reexecute] = useQuery<WebhookEndpointsData>({ query: WEBHOOK_ENDPOINTS });
  const [createState, runCreate] = useMutation(CREATE_WEBHOOK_ENDPOINT);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [created, setCreated] = useState<{ id: string; url: string; secret: string } | null>(null);
  const [formKey, setFormKey] = useState(0);
  const endpoints = result.data?.webhookEndpoints;

  const create = async (values: FormValues) => {
    const response = await runCreate({ input: { url: values.url.trim(), eventTypes: values.eventTypes, description: values.description.trim() || null } });
    const payload = response.data?.createWebhookEndpoint as (Payload & { secret: string | null; webhookEndpoint: WebhookEndpoint | null }) | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.secret && payload.webhookEndpoint) {
      setCreated({ id: payload.webhookEndpoint.id, url: payload.webhookEndpoint.url, secret: payload.secret });
      setFormKey((k) => k + 1);
      reexecute({ requestPolicy: 'network-only' });
    }
  };

  return (
    <>
      <div className="page-header">
        <h1>Webhooks</h1>
      </div>
      <p className="lead">
        Rollcall POSTs each change of the types you choose to your endpoints, in order, signed per the Standard Webhooks
        specification with the endpoint's secret. A failed delivery is retried with backoff, and later events wait for it;
        an endpoint that fails for 3 days is disabled. The same changes are listed under <Link to="/events">Events</Link>.
      </p>
      {created && (
        <SecretBox label="Signing secret" value={created.secret} onDone={() => setCreated(null)}>
          <strong>
            Endpoint created: <Link to={`/webhooks/${encodeURIComponent(created.id)}`}>{created.url}</Link>.
          </strong>{' '}
          Copy its signing secret now and give it to the receiver to verify the <code>webhook-signature</code> header.{' '}
          <strong>You will not see this secret again:</strong> Rollcall shows it only once.
        </SecretBox>
      )}
      <ErrorNotice error={result.error} />
      <Section title="Endpoints" id="endpoints">
        {!endpoints ? (
          !result.error && <p className="muted">Loading…</p>
        ) : endpoints.length === 0 ? (
          <Empty>No webhook endpoints yet.{canEdit ? ' Add one below.' : ''}</Empty>
        ) : (
          <ul className="endpoints">
            {endpoints.map((endpoint) => (
              <li className="endpoint" key={endpoint.id} data-url={endpoint.url}>
                <div className="endpoint-head">
                  <Link to={`/webhooks/${encodeURIComponent(endpoint.id)}`} className="url mono" title={endpoint.url}>
                    {endpoint.url}
                  </Link>
                  <StateBadge endpoint={endpoint} />
                </div>
                {endpoint.description && <p className="muted endpoint-description">{endpoint.description}</p>}
                <DisabledNotice endpoint={endpoint} />
                <EndpointFacts endpoint={endpoint} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      {canEdit && (
        <Section title="Add an endpoint" id="add-endpoint">
          <p className="help">
            The URL must use <code>https://</code> and reach a public address. The endpoint receives the changes made from now on.
          </p>
          <EndpointForm
            key={formKey}
            idPrefix="new-endpoint"
            initial={{ url: '', description: '', eventTypes: EVENT_TYPES.map(([t]) => t) }}
            submitLabel="Create endpoint"
            busy={createState.fetching}
            errors={errors}
            onSubmit={create}
          />
          <ErrorNotice error={createState.error} />
        </Section>
      )}
    </>
  );
}

const STATUS_BADGES: Record<WebhookDeliveryStatus, [string, string]> = {
  DELIVERED: ['badge-ok', 'Delivered'],
  RETRYING: ['badge-warn', 'Retrying'],
  FAILED: ['badge-error', 'Failed'],
};

/** One endpoint: its facts, its actions (admins), and its delivery log with Redeliver. */
export function WebhookPage({ id }: { id: string }) {
  const canEdit = useCanEdit();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [result, reexecute] = useQuery<WebhookEndpointData>({
    query: WEBHOOK_ENDPOINT,
    variables: { id, first: DELIVERIES_PAGE_SIZE, after: cursors[cursors.length - 1] },
  });
  const [updateState, runUpdate] = useMutation(UPDATE_WEBHOOK_ENDPOINT);
  const [rotateState, runRotate] = useMutation(ROTATE_WEBHOOK_SECRET);
  const [deleteState, runDelete] = useMutation(DELETE_WEBHOOK_ENDPOINT);
  const [redeliverState, runRedeliver] = useMutation(REDELIVER_WEBHOOK_DELIVERY);
  const [editing, setEditing] = useState(false);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [actionErrors, setActionErrors] = useState<UserError[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [redelivered, setRedelivered] = useState<string | null>(null);
  // A redelivered delivery as the mutation returned it: shown at once, until the re-read log has caught up with it.
  const [fresh, setFresh] = useState<Record<string, WebhookDelivery>>({});
  const refresh = useRef(() => reexecute({ requestPolicy: 'network-only' }));
  refresh.current = () => reexecute({ requestPolicy: 'network-only' });

  // Deliveries happen in the background: the log is re-read while it is on screen.
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') refresh.current();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, []);

  const shown = useRef<WebhookEndpointData | undefined>(undefined);
  if (result.data) shown.current = result.data;
  const endpoint = shown.current?.node && 'url' in shown.current.node ? shown.current.node : null;

  const update = async (input: Record<string, unknown>): Promise<boolean> => {
    const response = await runUpdate({ input: { id, ...input } });
    const payload = response.data?.updateWebhookEndpoint as Payload | undefined;
    if (!payload) return false;
    setErrors(payload.userErrors);
    if (payload.userErrors.length > 0) return false;
    refresh.current();
    return true;
  };
  const setEnabled = async (enabled: boolean) => {
    const response = await runUpdate({ input: { id, enabled } });
    const payload = response.data?.updateWebhookEndpoint as Payload | undefined;
    if (!payload) return;
    setActionErrors(payload.userErrors);
    refresh.current();
  };
  const rotate = async () => {
    const response = await runRotate({ input: { id } });
    const payload = response.data?.rotateWebhookSecret as (Payload & { secret: string | null }) | undefined;
    if (!payload) return;
    setActionErrors(payload.userErrors);
    if (payload.secret) setSecret(payload.secret);
    refresh.current();
  };
  const remove = async () => {
    const response = await runDelete({ input: { id } });
    const payload = response.data?.deleteWebhookEndpoint as Payload | undefined;
    if (!payload) return;
    setActionErrors(payload.userErrors);
    if (payload.userErrors.length === 0) navigate('/webhooks');
  };
  const redeliver = async (delivery: WebhookDelivery) => {
    setRedelivered(null);
    const response = await runRedeliver({ input: { id: delivery.id } });
    const payload = response.data?.redeliverWebhookDelivery as (Payload & { webhookDelivery: WebhookDelivery | null }) | undefined;
    if (!payload) return;
    setActionErrors(payload.userErrors);
    const sent = payload.webhookDelivery;
    if (sent) setFresh((f) => ({ ...f, [sent.id]: sent }));
    if (sent) setRedelivered(`Sent event #${delivery.sequence} again: ${STATUS_BADGES[sent.status][1].toLowerCase()}.`);
    refresh.current();
  };

  if (!endpoint) {
    return (
      <>
        <p className="breadcrumb">
          <Link to="/webhooks">← Webhooks</Link>
        </p>
        <ErrorNotice error={result.error} />
        {result.fetching || !result.data ? <p className="muted page-loading">Loading…</p> : <h1>No such webhook endpoint</h1>}
      </>
    );
  }

  const deliveries = endpoint.deliveries;
  const busy = updateState.fetching || rotateState.fetching || deleteState.fetching;
  return (
    <>
      <p className="breadcrumb">
        <Link to="/webhooks">← Webhooks</Link>
      </p>
      <div className="page-header endpoint-head">
        <h1 className="url endpoint-title" title={endpoint.url}>
          {endpoint.url}
        </h1>
        <StateBadge endpoint={endpoint} />
      </div>
      {endpoint.description && <p className="lead">{endpoint.description}</p>}
      <DisabledNotice endpoint={endpoint} />
      {secret && (
        <SecretBox label="Signing secret" value={secret} onDone={() => setSecret(null)}>
          <strong>New signing secret.</strong> Copy it now: <strong>you will not see it again.</strong> For the next 24 hours each
          delivery is signed with the old secret too, so the receiver can switch over without missing one.
        </SecretBox>
      )}
      <Section title="Endpoint" id="endpoint">
        {editing ? (
          <EndpointForm
            idPrefix="edit-endpoint"
            initial={{ url: endpoint.url, description: endpoint.description ?? '', eventTypes: endpoint.eventTypes }}
            submitLabel="Save changes"
            busy={updateState.fetching}
            errors={errors}
            onSubmit={async (values) => {
              const saved = await update({ url: values.url.trim(), eventTypes: values.eventTypes, description: values.description.trim() });
              if (saved) setEditing(false);
            }}
            onCancel={() => {
              setErrors([]);
              setEditing(false);
            }}
          />
        ) : (
          <>
            <dl className="details endpoint-url">
              <div className="details-wide">
                <dt>URL</dt>
                <dd>
                  <Url url={endpoint.url} />
                </dd>
              </div>
            </dl>
            <EndpointFacts endpoint={endpoint} />
            {canEdit && (
              <div className="endpoint-actions">
                <button type="button" className="small-button" onClick={() => setEditing(true)} disabled={busy}>
                  Edit
                </button>
                {endpoint.enabled ? (
                  <button type="button" className="small-button" onClick={() => setEnabled(false)} disabled={busy}>
                    Disable
                  </button>
                ) : (
                  <button type="button" className="small-button" onClick={() => setEnabled(true)} disabled={busy}>
                    Enable
                  </button>
                )}
                <ConfirmButton label="Rotate secret" confirmLabel="Rotate secret now" disabled={busy} onConfirm={rotate} />
                <ConfirmButton label="Delete" confirmLabel="Delete endpoint and its log" disabled={busy} onConfirm={remove} />
              </div>
            )}
          </>
        )}
        <FormErrors errors={actionErrors} shown={new Set()} />
        <ErrorNotice error={updateState.error ?? rotateState.error ?? deleteState.error} />
      </Section>
      <Section
        title="Delivery log"
        id="deliveries"
        actions={
          <button type="button" className="small-button" onClick={() => refresh.current()}>
            Refresh
          </button>
        }
      >
        <div className="table-summary">
          <span>
            {deliveries.totalCount} {deliveries.totalCount === 1 ? 'delivery' : 'deliveries'}, latest event first
          </span>
          <span className={`loading ${result.fetching ? 'visible' : ''}`}>Loading…</span>
        </div>
        {redelivered && (
          <p className="saved" role="status">
            {redelivered}
          </p>
        )}
        <ErrorNotice error={redeliverState.error} />
        {deliveries.nodes.length === 0 ? (
          <Empty>Nothing has been sent to this endpoint yet.</Empty>
        ) : (
          <div className="table-scroll">
            <table className="table deliveries">
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Answer</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Last attempt</th>
                  <th scope="col">Next attempt</th>
                  <th scope="col">Last error</th>
                  <th scope="col" className="actions-col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {deliveries.nodes.map((row) => {
                  const d = fresh[row.id] && fresh[row.id].attempts > row.attempts ? fresh[row.id] : row;
                  return (
                    <tr key={d.id} data-sequence={d.sequence}>
                      <td>
                        <span className="nowrap">#{d.sequence}</span> <code className="nowrap">{eventTypeName(d.eventType)}</code>
                      </td>
                      <td>
                        <span className={`badge ${STATUS_BADGES[d.status][0]}`} data-status={d.status}>
                          {d.status}
                        </span>
                      </td>
                      <td data-column="attempts">{d.attempts}</td>
                      <td>{d.lastStatusCode ?? '—'}</td>
                      <td className="nowrap">{d.latencyMs === null ? '—' : `${d.latencyMs} ms`}</td>
                      <td className="nowrap">{formatDate(d.lastAttemptAt)}</td>
                      <td className="nowrap">{formatDate(d.nextAttemptAt)}</td>
                      <td className="error-cell">{d.lastError ?? '—'}</td>
                      <td className="actions-col">
                        {canEdit && (
                          <button
                            type="button"
                            className="small-button"
                            disabled={redeliverState.fetching}
                            onClick={() => redeliver(d)}
                            aria-label={`Redeliver event ${d.sequence}`}
                          >
                            Redeliver
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <CursorPager cursors={cursors} setCursors={setCursors} pageInfo={deliveries?.pageInfo} busy={result.fetching} previous="← Newer" next="Older →" />
      </Section>
    </>
  );
}
