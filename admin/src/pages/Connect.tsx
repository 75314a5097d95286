import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CONNECT, CREATE_TOKEN, ConnectData, EXTENSION, EXTENSION_ATTRIBUTES, SCIM_IMPORT_FIELDS, UserError } from '../api';
import { Link } from '../router';
import { CopyButton, ErrorNotice, FieldError, OutcomeBadge, SecretBox, formatExactTime } from '../ui';
import { useCanEdit } from '../viewer';

/** How often the page asks whether the identity provider has called yet. */
const POLL_MS = 3000;

type Provider = 'okta' | 'entra';
const PROVIDERS: Record<Provider, { name: string; doc: string; urlField: string; tokenField: string; oauth: string }> = {
  okta: {
    name: 'Okta',
    doc: 'okta',
    urlField: 'SCIM connector base URL',
    tokenField: 'Authentication Mode “HTTP Header”, Authorization: Bearer',
    oauth: 'create an Okta connection (authorization code grant)',
  },
  entra: {
    name: 'Microsoft Entra ID',
    doc: 'entra',
    urlField: 'Tenant URL',
    tokenField: 'Secret Token',
    oauth: 'create an Entra connection (client credentials or workload identity federation)',
  },
};

/** Shown on an empty tenant's Employees page: where people come from, and the way to the Connect page. */
export function Onboarding() {
  const canEdit = useCanEdit();
  return (
    <section className="card onboarding" aria-labelledby="onboarding-title" data-testid="onboarding">
      <h2 id="onboarding-title">No employees yet: connect your identity provider</h2>
      <p>
        Employees arrive from Okta or Microsoft Entra ID over SCIM: assign people to the Rollcall app there and they appear
        here within seconds. The Connect page walks you through it, and shows when the first request arrives.
      </p>
      <p className="onboarding-actions">
        <Link to="/connect" className="button-link primary">
          Connect Okta or Entra
        </Link>
        {canEdit && <span className="muted">or add an employee by hand with “Add employee”.</span>}
      </p>
    </section>
  );
}

/**
 * Connecting an identity provider, step by step: where it sends SCIM (with a copy button), how it authenticates (a SCIM
 * token made here, or an OAuth connection), what Rollcall imports, the provider's guide, and whether anything has
 * arrived yet (polled every few seconds until the provisioning log has its first entry).
 */
export function Connect() {
  const canEdit = useCanEdit();
  const [provider, setProvider] = useState<Provider>('okta');
  const [result, refetch] = useQuery<ConnectData>({ query: CONNECT, pause: !canEdit, requestPolicy: 'cache-and-network' });
  const data = result.data;
  const p = PROVIDERS[provider];

  const usedToken = data?.accessTokens.nodes.find((t) => t.scope === 'SCIM' && t.lastUsedAt);
  const usedClient = data?.oauthClients.find((c) => c.lastUsedAt);
  const firstEvent = data?.provisioningEvents.nodes[0];
  const arrived = Boolean(usedToken || usedClient || firstEvent);

  // Until the first request is in the provisioning log, ask again every few seconds. A credential can show as used
  // before its request's log entry is written (the log is flushed shortly after the answer), and a provider's
  // connection test may only read: the page then says the credential was used, and goes on asking for the entry.
  useEffect(() => {
    if (!canEdit || firstEvent) return;
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), POLL_MS);
    return () => clearInterval(timer);
  }, [canEdit, firstEvent, refetch]);

  if (!canEdit) {
    return (
      <>
        <div className="page-header">
          <h1>Connect an identity provider</h1>
        </div>
        <p className="notice">Connecting an identity provider needs an admin token: sign in with one to see the SCIM address and create credentials.</p>
      </>
    );
  }

  return (
    <>
      <div className="page-header">
        <h1>Connect an identity provider</h1>
      </div>
      <p className="lead">
        Your identity provider creates, updates and deactivates employees in Rollcall over SCIM 2.0. Five steps, about ten
        minutes in the identity provider's admin console.
      </p>
      <ErrorNotice error={result.error} />
      <fieldset className="provider-choice card">
        <legend>Your identity provider</legend>
        {(Object.keys(PROVIDERS) as Provider[]).map((key) => (
          <label key={key} className="radio">
            <input type="radio" name="provider" value={key} checked={provider === key} onChange={() => setProvider(key)} />
            {PROVIDERS[key].name}
          </label>
        ))}
      </fieldset>

      <ol className="steps">
        <li className="card step">
          <h2>Create the app in {p.name}</h2>
          <p>
            Follow the <Link to={`/docs/${p.doc}`}>{p.name} guide</Link> (also in the repository as <code>docs/{p.doc}.md</code>): it
            says which app to create and which options to choose.
          </p>
        </li>
        <li className="card step">
          <h2>Paste the SCIM base URL</h2>
          <dl className="paste">
            <div className="paste-row">
              <dt>{p.urlField}</dt>
              <dd>
                <code className="paste-value" data-testid="scim-base-url">
                  {data?.oauthEndpoints.scimBaseUrl ?? '…'}
                </code>
                {data && <CopyButton value={data.oauthEndpoints.scimBaseUrl} label="SCIM base URL" />}
              </dd>
            </div>
          </dl>
        </li>
        <li className="card step">
          <h2>Give {p.name} a credential</h2>
          <TokenStep provider={p.name} field={p.tokenField} onCreated={() => refetch({ requestPolicy: 'network-only' })} />
          <p className="help">
            Or use OAuth 2.0 instead of a token: {p.oauth} on the <Link to="/connections">Connections</Link> page.
          </p>
        </li>
        <li className="card step">
          <h2>Check what Rollcall imports</h2>
          {data && (
            <>
              <p>
                Username, names, email and status are always imported.{' '}
                {data.tenantSettings.scimImportFields.length === 0
                  ? 'No optional attribute is imported yet.'
                  : `Also imported: ${SCIM_IMPORT_FIELDS.filter(([f]) => data.tenantSettings.scimImportFields.includes(f))
                      .map(([, label]) => label.toLowerCase())
                      .join(', ')}.`}{' '}
                People created without a role get <strong>{data.tenantSettings.defaultRole?.name ?? 'Agent'}</strong>. Usernames must be{' '}
                {data.tenantSettings.usernameFormat === 'EMAIL' ? 'email addresses' : 'any text'}.
              </p>
              <p>
                <Link to="/settings">Change the import settings and the default role</Link>
              </p>
            </>
          )}
          <p>Rollcall's own attributes are in a SCIM schema extension; map them in {p.name} with these names:</p>
          <dl className="paste">
            <div className="paste-row">
              <dt>Extension URN (namespace)</dt>
              <dd>
                <code className="paste-value" data-testid="extension-urn">
                  {EXTENSION}
                </code>
                <CopyButton value={EXTENSION} label="extension URN" />
              </dd>
            </div>
            {EXTENSION_ATTRIBUTES.map(([name, label]) => (
              <div className="paste-row" key={name}>
                <dt>{label}</dt>
                <dd>
                  <code className="paste-value">{name}</code>
                </dd>
              </div>
            ))}
          </dl>
        </li>
        <li className="card step">
          <h2>Assign people, and watch the first request arrive</h2>
          <p>Assign a test person to the app in {p.name} (or run its connection test). Rollcall shows the first request here.</p>
          <div className={`waiting ${arrived ? 'arrived' : ''}`} role="status" data-testid="first-request" data-arrived={arrived}>
            {!data ? (
              'Checking…'
            ) : arrived ? (
              <>
                <strong>✓ {p.name} has connected.</strong>{' '}
                {firstEvent ? (
                  <>
                    Latest request: <OutcomeBadge outcome={firstEvent.outcome} status={firstEvent.status} />{' '}
                    <span className="mono">
                      {firstEvent.method} {firstEvent.path}
                    </span>{' '}
                    {firstEvent.userName && <>for {firstEvent.userName} </>}at {formatExactTime(firstEvent.occurredAt)}.{' '}
                    <Link to="/provisioning">Provisioning log</Link> · <Link to="/employees">Employees</Link>
                  </>
                ) : (
                  <>
                    {usedToken ? `The token “${usedToken.name}” was used` : `The connection “${usedClient!.name}” was used`} at{' '}
                    {formatExactTime((usedToken?.lastUsedAt ?? usedClient?.lastUsedAt)!)}. Writes will show in the <Link to="/provisioning">provisioning log</Link>.
                  </>
                )}
              </>
            ) : (
              <>
                <span className="spinner" aria-hidden="true" /> Waiting for the first SCIM request…
              </>
            )}
          </div>
        </li>
      </ol>
    </>
  );
}

/** Creates a SCIM token named after the provider and shows its secret once, to paste into the provider. */
function TokenStep({ provider, field, onCreated }: { provider: string; field: string; onCreated: () => void }) {
  const [name, setName] = useState(`${provider} provisioning`);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [state, run] = useMutation(CREATE_TOKEN);
  useEffect(() => setName(`${provider} provisioning`), [provider]);
  const create = async () => {
    const response = await run({ input: { name: name.trim(), scope: 'SCIM' } });
    const payload = response.data?.createAccessToken as { secret: string | null; userErrors: UserError[] } | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.secret) {
      setSecret(payload.secret);
      onCreated();
    }
  };
  if (secret) {
    return (
      <SecretBox label="New SCIM token" value={secret} onDone={() => setSecret(null)}>
        Paste this SCIM token into {provider} ({field}). It is shown only now.
      </SecretBox>
    );
  }
  return (
    <form
      className="inline-form"
      aria-label="Create a SCIM token"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <div className="field">
        <label htmlFor="connect-token-name">Name of a new SCIM token</label>
        <input
          id="connect-token-name"
          type="text"
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={errors.length > 0 || undefined}
          aria-describedby={errors.length ? 'connect-token-name-error' : undefined}
        />
        <FieldError errors={errors} field="name" id="connect-token-name-error" />
      </div>
      <button type="submit" className="primary" disabled={state.fetching}>
        Create SCIM token
      </button>
      <ErrorNotice error={state.error} />
    </form>
  );
}
