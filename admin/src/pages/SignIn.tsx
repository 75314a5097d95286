import { FormEvent, useState } from 'react';
import { TokenScope } from '../api';

interface Props {
  /** Why the admin is here again, e.g. the token was revoked. */
  reason: string | null;
  onSignedIn: (token: string) => void;
}

type Check = { ok: true; scope: TokenScope } | { ok: false; message: string };

/** Asks the server who the token is before keeping it, so a typo is reported here rather than on every page. */
async function checkToken(token: string): Promise<Check> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      credentials: 'omit',
      body: JSON.stringify({ query: '{ viewer { scope } }' }),
    });
  } catch {
    return { ok: false, message: 'Rollcall could not be reached. Is the server running?' };
  }
  const body = (await response.json().catch(() => null)) as {
    data?: { viewer?: { scope: TokenScope } };
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  const scope = body?.data?.viewer?.scope;
  if (scope) return { ok: true, scope };
  const error = body?.errors?.[0];
  if (error?.extensions?.code === 'UNAUTHENTICATED') return { ok: false, message: 'This token is not valid: it may be mistyped, revoked or expired.' };
  if (error?.extensions?.code === 'FORBIDDEN') return { ok: false, message: 'This is a SCIM token. Sign in with an admin token (rc_admin_…) or a read token.' };
  return { ok: false, message: error?.message ?? `Unexpected answer from the server (HTTP ${response.status}).` };
}

export function SignIn({ reason, onSignedIn }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Paste an admin token.');
      return;
    }
    setBusy(true);
    const check = await checkToken(value);
    setBusy(false);
    if (check.ok) onSignedIn(value);
    else setError(check.message);
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} noValidate>
        <h1>
          Rollcall <span className="muted">admin</span>
        </h1>
        <p>Paste an admin token of your tenant. It is kept in this browser tab only, until you sign out or close the tab.</p>
        {reason && (
          <p className="notice" role="status">
            {reason}
          </p>
        )}
        <label htmlFor="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="rc_admin_…"
          value={token}
          onChange={(e) => {
            setToken(e.target.value);
            setError(null);
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'token-error' : 'token-help'}
          autoFocus
        />
        <p className="field-error" id="token-error" role="alert">
          {error ?? ''}
        </p>
        <p className="help" id="token-help">
          Rollcall prints an admin token on its first start; <code>npx rollcall token create --tenant SLUG --scope admin</code> makes another.
        </p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
