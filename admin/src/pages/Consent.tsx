import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { DECIDE_OAUTH_AUTHORIZATION, OAUTH_AUTHORIZATION_REQUEST, OAuthAuthorizationRequestData, UserError } from '../api';
import { ErrorNotice, FormErrors, formatDate } from '../ui';

/** Where the decision sends the browser: only the host is named, the query carries the code. */
function hostOf(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}

/**
 * The consent page of `GET /oauth/authorize` (Okta's authorization code grant): an admin of the tenant the client
 * belongs to (for a platform client, of any tenant: their own gets the access) approves or denies SCIM provisioning access, and the browser goes back to the registered redirect URI
 * with the code (or error=access_denied) and the state. A request of another tenant, an expired or used one, and any
 * token but an admin token of that tenant all read as unknown: the page never says which.
 */
export function Consent({ id, onSignOut }: { id: string; onSignOut: (why: string) => void }) {
  const [result] = useQuery<OAuthAuthorizationRequestData>({ query: OAUTH_AUTHORIZATION_REQUEST, variables: { id }, requestPolicy: 'network-only' });
  const [decideState, runDecide] = useMutation(DECIDE_OAUTH_AUTHORIZATION);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [leaving, setLeaving] = useState<string | null>(null);
  const request = result.data?.oauthAuthorizationRequest ?? null;
  // FORBIDDEN (a read token) is not an outage: it is "not a request you may decide", shown as unknown like the rest.
  const outage = result.error && !result.error.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN') ? result.error : undefined;

  const decide = async (approve: boolean) => {
    setErrors([]);
    const response = await runDecide({ input: { requestId: id, approve } });
    const payload = response.data?.decideOAuthAuthorization as { redirectTo: string | null; userErrors: UserError[] } | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.redirectTo) {
      setLeaving(payload.redirectTo);
      window.location.assign(payload.redirectTo);
    }
  };

  if (result.fetching && !result.data && !result.error) {
    return (
      <div className="card consent-card">
        <p className="muted">Loading…</p>
      </div>
    );
  }
  if (outage) {
    return (
      <div className="card consent-card">
        <h1>Authorize an app</h1>
        <ErrorNotice error={outage} />
      </div>
    );
  }
  if (!request) {
    return (
      <div className="card consent-card" data-testid="consent-unknown">
        <h1>Unknown authorization request</h1>
        <p>
          This request is unknown to your tenant: it has expired (requests last 10 minutes), was already answered, or belongs to
          another tenant.
        </p>
        <p>
          Start again from your identity provider (in Okta, authenticate the app’s provisioning again). If the connection belongs to
          another tenant, sign in with an admin token of that tenant.
        </p>
        <div className="form-buttons">
          <button type="button" onClick={() => onSignOut('Sign in with an admin token of the tenant the connection belongs to.')}>
            Sign in with another token
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="card consent-card" data-testid="consent">
      <p className="consent-brand">
        Rollcall <span className="muted">admin</span>
      </p>
      <h1>
        Allow <span className="consent-client">{request.clientName}</span> to provision {request.tenantName}?
      </h1>
      <p>
        <strong>{request.clientName}</strong> asks for <strong>SCIM provisioning access</strong> to the Rollcall tenant{' '}
        <strong>{request.tenantName}</strong>: it will create, update and deactivate employees and groups. It gets nothing else: no
        access to this console or the admin API.
      </p>
      {request.platform && (
        <p className="notice" data-testid="consent-platform">
          {request.clientName} is offered to every Rollcall tenant by the operator of this Rollcall. Approving connects it to{' '}
          <strong>{request.tenantName}</strong> only, the tenant you are signed in to; you can revoke it on the Connections page.
          Approve only a request you started yourself, just now, from your own identity provider’s admin console: whoever started
          it gets the access.
        </p>
      )}
      <dl className="details consent-details">
        <div>
          <dt>App</dt>
          <dd>{request.clientName}</dd>
        </div>
        <div>
          <dt>Tenant</dt>
          <dd>{request.tenantName}</dd>
        </div>
        <div>
          <dt>Access</dt>
          <dd>SCIM provisioning access</dd>
        </div>
        <div className="details-wide">
          <dt>Returns to</dt>
          <dd className="mono url">{request.redirectUri}</dd>
        </div>
        <div>
          <dt>Answer before</dt>
          <dd>{formatDate(request.expiresAt)}</dd>
        </div>
      </dl>
      <FormErrors errors={errors} shown={new Set()} />
      <ErrorNotice error={decideState.error} />
      {leaving ? (
        <p className="saved consent-leaving" role="status">
          Returning to {hostOf(leaving)}…
        </p>
      ) : (
        <div className="form-buttons consent-buttons">
          <button type="button" className="primary" disabled={decideState.fetching} onClick={() => decide(true)}>
            Approve
          </button>
          <button type="button" disabled={decideState.fetching} onClick={() => decide(false)}>
            Deny
          </button>
        </div>
      )}
      <p className="help consent-switch">
        Not the right tenant?{' '}
        <button type="button" className="link-button" onClick={() => onSignOut('Sign in with an admin token of the tenant the connection belongs to.')}>
          Sign in with another token
        </button>
      </p>
    </div>
  );
}
