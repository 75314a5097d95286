import { FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  ADD_OAUTH_CLIENT_SECRET,
  CREATE_OAUTH_CLIENT,
  DELETE_OAUTH_CLIENT,
  OAUTH_CLIENTS,
  OAuthClient,
  OAuthClientsData,
  OAuthEndpoints,
  OAuthGrantType,
  REVOKE_OAUTH_CLIENT_SECRET,
  REVOKE_OAUTH_GRANT,
  UPDATE_OAUTH_TOKEN_LIFETIME,
  UserError,
} from '../api';
import { Link } from '../router';
import { ConfirmButton, CopyButton, Empty, ErrorNotice, FieldError, FormErrors, SecretBox, Section, formatDate } from '../ui';
import { useCanEdit } from '../viewer';

/** The three ways an identity provider connects: what the admin picks, and the grant types the API is given. */
type Kind = 'OKTA' | 'ENTRA_SECRET' | 'ENTRA_FEDERATION';
const KINDS = [
  ['OKTA', 'Okta', 'Authorization code. Okta signs in once through Rollcall’s consent page, where an admin of this tenant approves it.', ['AUTHORIZATION_CODE']],
  ['ENTRA_SECRET', 'Microsoft Entra ID, client secret', 'Client credentials with a client secret, valid 1 to 3 years. Add a second secret to rotate.', ['CLIENT_CREDENTIALS']],
  [
    'ENTRA_FEDERATION',
    'Microsoft Entra ID, workload identity federation',
    'No secret: Entra signs a short-lived JWT, which Rollcall checks against the issuer’s keys.',
    ['JWT_BEARER'],
  ],
] as const satisfies readonly (readonly [Kind, string, string, readonly OAuthGrantType[]])[];

const DEFAULT_NAMES: Record<Kind, string> = { OKTA: 'Okta', ENTRA_SECRET: 'Microsoft Entra ID', ENTRA_FEDERATION: 'Microsoft Entra ID' };

/** Okta's callback for an app of its catalogue or a custom SCIM app: the admin replaces {appName} with the app's name in Okta. */
export const OKTA_REDIRECT_HINT = 'https://system-admin.okta.com/admin/app/cpc/{appName}/oauth/callback';

/** Secret lifetimes offered; whole days, so that "3 years" never exceeds the server's limit of 3 years by a leap day. */
const SECRET_LIFETIMES = [
  [365, '1 year'],
  [730, '2 years'],
  [1095, '3 years'],
] as const;

/** Access-token lifetimes offered (the server accepts 5 minutes to 6 hours; Microsoft's gallery rules ask for 1 to 6 hours). */
const TOKEN_LIFETIMES = [
  [300, '5 minutes'],
  [900, '15 minutes'],
  [1800, '30 minutes'],
  [3600, '1 hour (default)'],
  [7200, '2 hours'],
  [14400, '4 hours'],
  [21600, '6 hours'],
] as const;

const FORM_FIELDS = new Set(['name', 'redirectUris', 'issuer', 'subject', 'audience', 'jwksUrl', 'grantTypes']);

type Payload = { userErrors: UserError[] } & Record<string, unknown>;

export function kindOf(client: Pick<OAuthClient, 'grantTypes'>): Kind {
  if (client.grantTypes.includes('AUTHORIZATION_CODE')) return 'OKTA';
  if (client.grantTypes.includes('JWT_BEARER')) return 'ENTRA_FEDERATION';
  return 'ENTRA_SECRET';
}

function kindLabel(kind: Kind): string {
  return KINDS.find(([k]) => k === kind)![1];
}

/** A userError's field path names an input's field, perhaps nested (`federation.issuer`): it is shown under that field. */
function normalised(errors: UserError[]): UserError[] {
  return errors.map((e) => {
    const known = e.field
      ?.flatMap((f) => f.split('.'))
      .reverse()
      .find((f) => FORM_FIELDS.has(f));
    return known ? { ...e, field: [known] } : e;
  });
}

/**
 * Exactly what the identity provider's admin pastes, under the names that provider's screens give the fields (Okta's
 * SCIM connection with OAuth 2, Entra's provisioning credentials). The secret is only in `secret` when it was just made.
 */
function pasteRows(client: OAuthClient, endpoints: OAuthEndpoints): [string, string][] {
  switch (kindOf(client)) {
    case 'OKTA':
      return [
        ['SCIM connector base URL', endpoints.scimBaseUrl],
        ['Authorization endpoint URI', endpoints.authorizeUrl],
        ['Access token endpoint URI', endpoints.tokenUrl],
        ['Client ID', client.clientId],
      ];
    case 'ENTRA_SECRET':
      return [
        ['Tenant URL', entraTenantUrl(endpoints)],
        ['Token endpoint', endpoints.tokenUrl],
        ['Client identifier', client.clientId],
      ];
    case 'ENTRA_FEDERATION':
      return [
        ['SCIM URL', entraTenantUrl(endpoints)],
        ['Token URL', endpoints.tokenUrl],
        ['Client ID', client.clientId],
      ];
  }
}

/** Entra's SCIM base URL carries the flag that makes its requests RFC 7644-compliant (docs/entra.md, "The aadOptscim062020 flag"). */
function entraTenantUrl(endpoints: OAuthEndpoints): string {
  return `${endpoints.scimBaseUrl}?aadOptscim062020`;
}

function PasteList({ client, endpoints }: { client: OAuthClient; endpoints: OAuthEndpoints }) {
  return (
    <dl className="paste" aria-label={`What to paste into ${kindOf(client) === 'OKTA' ? 'Okta' : 'Microsoft Entra ID'}`}>
      {pasteRows(client, endpoints).map(([label, value]) => (
        <div className="paste-row" key={label} data-field={label}>
          <dt>{label}</dt>
          <dd>
            <span className="mono url paste-value">{value}</span>
            <CopyButton value={value} label={label} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function ClientFacts({ client }: { client: OAuthClient }) {
  const kind = kindOf(client);
  return (
    <dl className="details">
      {kind === 'OKTA' && (
        <div className="details-wide">
          <dt>Redirect URIs</dt>
          <dd>
            <ul className="plain-list">
              {client.redirectUris.map((uri) => (
                <li key={uri} className="mono url">
                  {uri}
                </li>
              ))}
            </ul>
          </dd>
        </div>
      )}
      {client.federation && (
        <>
          <div className="details-wide">
            <dt>Issuer</dt>
            <dd className="mono url">{client.federation.issuer}</dd>
          </div>
          <div className="details-wide">
            <dt>Subject</dt>
            <dd className="mono url">{client.federation.subject}</dd>
          </div>
          <div className="details-wide">
            <dt>Audience</dt>
            <dd className="mono url">{client.federation.audience}</dd>
          </div>
          <div className="details-wide">
            <dt>JWKS URL</dt>
            <dd className="mono url">{client.federation.jwksUrl ?? 'Keys given inline'}</dd>
          </div>
        </>
      )}
      <div>
        <dt>Created</dt>
        <dd>{formatDate(client.createdAt)}</dd>
      </div>
      <div>
        <dt>Last used</dt>
        <dd data-testid="client-last-used">{client.lastUsedAt ? formatDate(client.lastUsedAt) : 'Never'}</dd>
      </div>
    </dl>
  );
}

/**
 * The tenant's grant of a platform client (docs/oauth.md "Platform clients"): an app the operator offers to every
 * tenant (Okta's integration network), which an admin of this tenant approved. Nothing to paste and no secrets here
 * (they are the operator's); revoking ends this tenant's access only.
 */
function GrantItem({ client, onChanged }: { client: OAuthClient; onChanged: () => void }) {
  const canEdit = useCanEdit();
  const [revokeState, runRevoke] = useMutation(REVOKE_OAUTH_GRANT);
  const [errors, setErrors] = useState<UserError[]>([]);
  const revoke = async () => {
    const response = await runRevoke({ input: { oauthClientId: client.id } });
    const payload = response.data?.revokeOAuthGrant as Payload | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.userErrors.length === 0) onChanged();
  };
  return (
    <li className="connection" data-client-id={client.clientId} data-name={client.name} data-platform="true">
      <div className="endpoint-head">
        <h3 className="connection-name">{client.name}</h3>
        <span className="badge badge-idp">Platform app</span>
      </div>
      <p data-testid="grant-summary">
        {client.name} — authorized on {client.authorizedAt ? formatDate(client.authorizedAt) : formatDate(client.createdAt)}, last used{' '}
        {client.lastUsedAt ? formatDate(client.lastUsedAt) : 'never'}
      </p>
      <p className="help">
        Offered to every Rollcall tenant by the operator of this Rollcall (one client id for all, as in Okta’s integration
        network); an admin of this tenant approved it for this tenant. Revoking ends its access to this tenant at once; Okta then
        needs an admin to authorize it again.
      </p>
      <dl className="details">
        <div>
          <dt>Client id</dt>
          <dd className="mono">{client.clientId}</dd>
        </div>
        <div>
          <dt>Access</dt>
          <dd>SCIM provisioning</dd>
        </div>
      </dl>
      {canEdit && (
        <div className="endpoint-actions connection-actions">
          <ConfirmButton label="Revoke access" confirmLabel="Revoke this tenant's access" disabled={revokeState.fetching} onConfirm={revoke} />
        </div>
      )}
      <FormErrors errors={errors} shown={new Set()} />
      <ErrorNotice error={revokeState.error} />
    </li>
  );
}

/** One connection: what to paste, its facts, its secrets (add, revoke) and Delete. */
function ClientItem({ client, endpoints, onChanged }: { client: OAuthClient; endpoints: OAuthEndpoints; onChanged: () => void }) {
  const canEdit = useCanEdit();
  const [addState, runAdd] = useMutation(ADD_OAUTH_CLIENT_SECRET);
  const [revokeState, runRevoke] = useMutation(REVOKE_OAUTH_CLIENT_SECRET);
  const [deleteState, runDelete] = useMutation(DELETE_OAUTH_CLIENT);
  const [days, setDays] = useState<number>(730);
  const [secret, setSecret] = useState<string | null>(null);
  const [errors, setErrors] = useState<UserError[]>([]);
  const kind = kindOf(client);
  const usesSecrets = kind !== 'ENTRA_FEDERATION' || client.secrets.length > 0;
  const busy = addState.fetching || revokeState.fetching || deleteState.fetching;
  const now = Date.now();

  const add = async () => {
    const expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
    const response = await runAdd({ input: { oauthClientId: client.id, expiresAt } });
    const payload = response.data?.addOAuthClientSecret as (Payload & { clientSecret: string | null }) | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.clientSecret) setSecret(payload.clientSecret);
    onChanged();
  };
  const revoke = async (secretId: string) => {
    const response = await runRevoke({ input: { oauthClientId: client.id, secretId } });
    const payload = response.data?.revokeOAuthClientSecret as Payload | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    onChanged();
  };
  const remove = async () => {
    const response = await runDelete({ input: { id: client.id } });
    const payload = response.data?.deleteOAuthClient as Payload | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.userErrors.length === 0) onChanged();
  };

  return (
    <li className="connection" data-client-id={client.clientId} data-name={client.name}>
      <div className="endpoint-head">
        <h3 className="connection-name">{client.name}</h3>
        <span className={`badge ${kind === 'OKTA' ? 'badge-idp' : ''}`}>{kindLabel(kind)}</span>
      </div>
      {secret && (
        <SecretBox label="Client secret" value={secret} onDone={() => setSecret(null)}>
          <strong>New client secret.</strong> Paste it into the identity provider now: <strong>you will not see it again.</strong> The
          older secrets keep working until they expire or you revoke them, so revoke the old one once the identity provider uses
          the new one.
        </SecretBox>
      )}
      <PasteList client={client} endpoints={endpoints} />
      <ClientFacts client={client} />
      {usesSecrets && (
        <div className="connection-secrets">
          <h4>Client secrets</h4>
          {client.secrets.length === 0 ? (
            <Empty>No active secret: the identity provider cannot get a token until you add one.</Empty>
          ) : (
            <ul className="secrets">
              {client.secrets.map((s) => {
                const expired = new Date(s.expiresAt).getTime() <= now;
                return (
                  <li key={s.id} data-prefix={s.prefix}>
                    <span className="mono secret-prefix">{s.prefix}…</span>
                    <span>Created {formatDate(s.createdAt)}</span>
                    <span>
                      {expired ? <span className="badge badge-error">Expired</span> : 'Expires'} {formatDate(s.expiresAt)}
                    </span>
                    <span data-testid="secret-last-used">Last used {s.lastUsedAt ? formatDate(s.lastUsedAt) : 'never'}</span>
                    {canEdit && <ConfirmButton label="Revoke" confirmLabel="Revoke secret" disabled={busy} onConfirm={() => revoke(s.id)} />}
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
      {canEdit && (
        <div className="endpoint-actions connection-actions">
          {usesSecrets && (
            <span className="add-secret">
              <label htmlFor={`lifetime-${client.id}`}>New secret valid for</label>
              <select id={`lifetime-${client.id}`} value={days} onChange={(e) => setDays(Number(e.target.value))}>
                {SECRET_LIFETIMES.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
              <button type="button" className="small-button" disabled={busy} onClick={add}>
                Add secret
              </button>
            </span>
          )}
          <ConfirmButton label="Delete" confirmLabel="Delete connection" disabled={busy} onConfirm={remove} />
        </div>
      )}
      <FormErrors errors={errors} shown={new Set()} />
      <ErrorNotice error={addState.error ?? revokeState.error ?? deleteState.error} />
    </li>
  );
}

interface FormValues {
  kind: Kind;
  name: string;
  redirectUris: string;
  issuer: string;
  subject: string;
  audience: string;
  jwksUrl: string;
}

function TextField(props: {
  id: string;
  field: keyof FormValues;
  label: string;
  values: FormValues;
  set: (field: keyof FormValues, value: string) => void;
  errors: UserError[];
  placeholder?: string;
  help?: string;
  multiline?: boolean;
}) {
  const { id, field, errors } = props;
  const invalid = errors.some((e) => e.field?.[e.field.length - 1] === field);
  const describedBy = [invalid ? `${id}-error` : null, props.help ? `${id}-help` : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    value: props.values[field],
    placeholder: props.placeholder,
    autoComplete: 'off',
    spellCheck: false,
    'aria-invalid': invalid || undefined,
    'aria-describedby': describedBy,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={2} className="mono" onChange={(e) => props.set(field, e.target.value)} />
      ) : (
        <input {...common} type="text" onChange={(e) => props.set(field, e.target.value)} />
      )}
      {props.help && (
        <p className="help" id={`${id}-help`}>
          {props.help}
        </p>
      )}
      <FieldError errors={errors} field={field} id={`${id}-error`} />
    </div>
  );
}

function ConnectionForm({ busy, errors, onSubmit }: { busy: boolean; errors: UserError[]; onSubmit: (values: FormValues) => void }) {
  const [values, setValues] = useState<FormValues>({
    kind: 'OKTA',
    name: DEFAULT_NAMES.OKTA,
    redirectUris: OKTA_REDIRECT_HINT,
    issuer: '',
    subject: '',
    audience: '',
    jwksUrl: '',
  });
  const set = (field: keyof FormValues, value: string) => setValues((v) => ({ ...v, [field]: value }));
  const choose = (kind: Kind) =>
    // The name follows the provider until the admin types one of their own.
    setValues((v) => ({ ...v, kind, name: v.name === DEFAULT_NAMES[v.kind] ? DEFAULT_NAMES[kind] : v.name }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  const p = 'new-connection';
  return (
    <form className="webhook-form connection-form" onSubmit={submit} noValidate aria-label="Create connection">
      <fieldset className="radios kinds">
        <legend>Identity provider</legend>
        {KINDS.map(([kind, label, meaning]) => (
          <label className="radio" key={kind}>
            <input type="radio" name="kind" value={kind} checked={values.kind === kind} onChange={() => choose(kind)} />
            <span>
              {label}
              <span className="hint">{meaning}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <TextField id={`${p}-name`} field="name" label="Name" values={values} set={set} errors={errors} help="Shown in the provisioning log as the actor of each change." />
      {values.kind === 'OKTA' && (
        <TextField
          id={`${p}-redirect`}
          field="redirectUris"
          label="Redirect URIs"
          values={values}
          set={set}
          errors={errors}
          multiline
          help="One per line. Okta returns to its admin site: replace {appName} with your app’s name in Okta (from its URL), and system-admin with your org’s admin host if it differs."
        />
      )}
      {values.kind === 'ENTRA_FEDERATION' && (
        <>
          <p className="help">Copy these four values from the connectivity page of the app’s provisioning in the Microsoft Entra admin center.</p>
          <TextField id={`${p}-issuer`} field="issuer" label="Issuer" values={values} set={set} errors={errors} placeholder="https://login.microsoftonline.com/<tenant id>/v2.0" />
          <TextField id={`${p}-subject`} field="subject" label="Subject" values={values} set={set} errors={errors} placeholder="Object id Entra shows as the subject" />
          <TextField
            id={`${p}-audience`}
            field="audience"
            label="Audience"
            values={values}
            set={set}
            errors={errors}
            placeholder="api://<application id>"
            help="Empty: Rollcall’s token URL."
          />
          <TextField
            id={`${p}-jwks`}
            field="jwksUrl"
            label="JWKS URL"
            values={values}
            set={set}
            errors={errors}
            placeholder="https://login.microsoftonline.com/<tenant id>/discovery/v2.0/keys"
          />
        </>
      )}
      <FormErrors errors={errors} shown={FORM_FIELDS} />
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={busy}>
          Create connection
        </button>
      </div>
    </form>
  );
}

/** How long the access tokens of every connection of the tenant last: a tenant setting, saved on its own. */
function TokenLifetime({ seconds, onSaved }: { seconds: number; onSaved: () => void }) {
  const canEdit = useCanEdit();
  const [state, run] = useMutation(UPDATE_OAUTH_TOKEN_LIFETIME);
  const [value, setValue] = useState<number>(seconds);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [saved, setSaved] = useState(false);
  const options: [number, string][] = TOKEN_LIFETIMES.map(([s, label]) => [s, label]);
  if (!options.some(([s]) => s === seconds)) options.push([seconds, `${Math.round(seconds / 60)} minutes`]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const response = await run({ input: { oauthAccessTokenLifetimeSeconds: value } });
    const payload = response.data?.updateTenantSettings as Payload | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.userErrors.length === 0) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <form className="add-secret token-lifetime" onSubmit={save} aria-label="Access token lifetime">
      <label htmlFor="token-lifetime">Access tokens last</label>
      <select id="token-lifetime" value={value} disabled={!canEdit} onChange={(e) => {
          setValue(Number(e.target.value));
          setSaved(false);
        }}>
        {options
          .sort((a, b) => a[0] - b[0])
          .map(([s, label]) => (
            <option key={s} value={s}>
              {label}
            </option>
          ))}
      </select>
      {canEdit && (
        <button type="submit" className="small-button" disabled={state.fetching || value === seconds}>
          Save
        </button>
      )}
      {saved && (
        <span className="saved" role="status">
          Saved.
        </span>
      )}
      <FormErrors errors={errors} shown={new Set()} />
      <ErrorNotice error={state.error} />
    </form>
  );
}

/** The Connections page: the tenant's OAuth clients for identity providers, and (for admins) a form to add one. */
export function Connections() {
  const canEdit = useCanEdit();
  const [result, reexecute] = useQuery<OAuthClientsData>({ query: OAUTH_CLIENTS });
  const [createState, runCreate] = useMutation(CREATE_OAUTH_CLIENT);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [created, setCreated] = useState<{ client: OAuthClient; secret: string | null } | null>(null);
  const [formKey, setFormKey] = useState(0);
  const clients = result.data?.oauthClients;
  const endpoints = result.data?.oauthEndpoints;
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  // Connections hold credentials: the API shows them to admin tokens only, and a read token is told so, not shown an error.
  const adminOnly = !canEdit && result.error?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN');

  if (adminOnly) {
    return (
      <>
        <div className="page-header">
          <h1>Connections</h1>
        </div>
        <p className="notice" role="status" data-testid="admin-only">
          Connections are shown to admin tokens only: they hold the credentials of your identity providers. Sign in with an
          admin token to see and manage them.
        </p>
      </>
    );
  }

  const create = async (values: FormValues) => {
    const grantTypes = KINDS.find(([k]) => k === values.kind)![3];
    const input: Record<string, unknown> = { name: values.name.trim(), grantTypes };
    if (values.kind === 'OKTA') {
      input.redirectUris = values.redirectUris
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
    }
    if (values.kind === 'ENTRA_FEDERATION') {
      input.federation = {
        issuer: values.issuer.trim(),
        subject: values.subject.trim(),
        audience: values.audience.trim() || endpoints?.tokenUrl || '',
        jwksUrl: values.jwksUrl.trim() || null,
      };
    }
    const response = await runCreate({ input });
    const payload = response.data?.createOAuthClient as (Payload & { clientSecret: string | null; oauthClient: OAuthClient | null }) | undefined;
    if (!payload) return;
    setErrors(normalised(payload.userErrors));
    if (payload.oauthClient && payload.userErrors.length === 0) {
      setCreated({ client: payload.oauthClient, secret: payload.clientSecret });
      setFormKey((k) => k + 1);
      refresh();
      window.scrollTo(0, 0);
    }
  };

  return (
    <>
      <div className="page-header">
        <h1>Connections</h1>
      </div>
      <p className="lead">
        Identity providers that provision over SCIM with OAuth 2.0: Okta with the authorization code grant, Microsoft Entra ID
        with client credentials or workload identity federation. Each gets short-lived access tokens for SCIM only. SCIM tokens
        made under <Link to="/settings">Settings</Link> keep working beside them.
      </p>
      {created && endpoints && (
        <Section title={`Connection created: ${created.client.name}`} id="created">
          <p>
            Paste these values into {kindOf(created.client) === 'OKTA' ? 'Okta' : 'Microsoft Entra ID'} (the{' '}
            <code>docs/{kindOf(created.client) === 'OKTA' ? 'okta' : 'entra'}.md</code> guide says where).
          </p>
          <PasteList client={created.client} endpoints={endpoints} />
          {created.secret ? (
            <SecretBox label="Client secret" value={created.secret} onDone={() => setCreated(null)}>
              <strong>Client secret.</strong> Copy it now: <strong>you will not see this secret again.</strong> Rollcall stores only
              its hash.
            </SecretBox>
          ) : (
            <div className="form-buttons">
              <button type="button" onClick={() => setCreated(null)}>
                Done
              </button>
            </div>
          )}
        </Section>
      )}
      <ErrorNotice error={result.error} />
      <Section title="Connected identity providers" id="connections">
        {!clients || !endpoints ? (
          !result.error && <p className="muted">Loading…</p>
        ) : clients.length === 0 ? (
          <Empty>No connections yet.{canEdit ? ' Add one below.' : ''}</Empty>
        ) : (
          <ul className="endpoints connections">
            {clients.map((client) =>
              client.platform ? (
                <GrantItem key={client.id} client={client} onChanged={refresh} />
              ) : (
                <ClientItem key={client.id} client={client} endpoints={endpoints} onChanged={refresh} />
              ),
            )}
          </ul>
        )}
      </Section>
      {result.data && (
        <Section title="Access tokens" id="access-tokens">
          <p className="help">
            For every connection of this tenant. A new lifetime applies to the tokens issued from now on; the identity provider
            asks for a new token when its token expires.
          </p>
          <TokenLifetime seconds={result.data.tenantSettings.oauthAccessTokenLifetimeSeconds} onSaved={refresh} />
        </Section>
      )}
      {canEdit && (
        <Section title="Add a connection" id="add-connection">
          <ConnectionForm key={formKey} busy={createState.fetching} errors={errors} onSubmit={create} />
          <ErrorNotice error={createState.error} />
        </Section>
      )}
    </>
  );
}
