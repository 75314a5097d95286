import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { VIEWER, ViewerData } from './api';
import { createClient } from './client';
import { Connect } from './pages/Connect';
import { Connections } from './pages/Connections';
import { Consent } from './pages/Consent';
import { Docs } from './pages/Docs';
import { EmployeePage, NewEmployeePage } from './pages/EmployeePage';
import { Employees, forgetListState } from './pages/Employees';
import { Events } from './pages/Events';
import { GroupPage, Groups } from './pages/Groups';
import { Provisioning } from './pages/Provisioning';
import { Settings } from './pages/Settings';
import { SignIn } from './pages/SignIn';
import { WebhookPage, Webhooks } from './pages/Webhooks';
import { Link, usePath } from './router';
import { forgetToken, storeToken, storedToken } from './session';
import { ErrorNotice } from './ui';
import { ViewerContext } from './viewer';

/** Shown on the sign-in page when an identity provider sent the browser here to ask for consent. */
const CONSENT_REASON = 'An app asks for SCIM provisioning access to your Rollcall tenant. Sign in with an admin token of that tenant to approve or deny it.';

export function App() {
  const path = usePath();
  const consent = /^\/consent\/([^/]+)$/.exec(path);
  const [token, setToken] = useState<string | null>(storedToken);
  const [reason, setReason] = useState<string | null>(null);

  const signOut = useCallback((why: string | null) => {
    forgetToken();
    forgetListState();
    setReason(why);
    setToken(null);
  }, []);
  const client = useMemo(() => (token ? createClient(token, signOut) : null), [token, signOut]);

  if (!token || !client) {
    return (
      <SignIn
        reason={reason ?? (consent ? CONSENT_REASON : null)}
        onSignedIn={(value) => {
          storeToken(value);
          setReason(null);
          setToken(value);
        }}
      />
    );
  }
  // The consent page stands alone (no menu): the person came from their identity provider and goes back to it. Signing
  // in above keeps the URL, so they land here again.
  if (consent) {
    return (
      <Provider value={client}>
        <main className="signin consent">
          <Consent key={consent[1]} id={decodeURIComponent(consent[1])} onSignOut={signOut} />
        </main>
      </Provider>
    );
  }
  return (
    <Provider value={client}>
      <Shell onSignOut={() => signOut('Signed out.')} />
    </Provider>
  );
}

const NAV = [
  { to: '/employees', label: 'Employees' },
  { to: '/groups', label: 'Groups' },
  { to: '/provisioning', label: 'Provisioning' },
  { to: '/connect', label: 'Connect' },
  { to: '/connections', label: 'Connections' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/events', label: 'Events' },
  { to: '/settings', label: 'Settings' },
];

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const path = usePath();
  const [viewer] = useQuery<ViewerData>({ query: VIEWER });
  const v = viewer.data?.viewer;
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(path);

  // After moving to another page, keyboard and screen-reader users start at its content, not at the old link.
  useEffect(() => {
    if (path !== firstPath.current) {
      firstPath.current = '';
      main.current?.focus({ preventScroll: true });
    }
  }, [path]);
  // On a phone the menu scrolls sideways: the current page's item is brought into view.
  useEffect(() => {
    document.querySelector('.topbar nav [aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [path]);
  const who = useMemo(() => ({ scope: v?.scope ?? ('READ' as const), tokenId: v?.token.id ?? null }), [v]);

  return (
    <ViewerContext.Provider value={who}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/employees" className="brand">
            Rollcall <span>admin</span>
          </Link>
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => {
                const current = path === item.to || path.startsWith(`${item.to}/`) || (item.to === '/employees' && path === '/');
                return (
                  <li key={item.to}>
                    <Link to={item.to} aria-current={current ? 'page' : undefined}>
                      {item.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <div className="whoami">
            <span className="tenant" title={v ? `${v.tenant.name}: token “${v.token.name}” (${v.token.prefix}…)` : undefined}>
              <span className="tenant-name">{v ? `${v.tenant.name}` : '\u00a0'}</span>
              {v?.scope === 'READ' && <span className="badge">read-only</span>}
            </span>
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1} ref={main}>
        <ErrorNotice error={viewer.error} />
        <Page path={path} />
      </main>
    </ViewerContext.Provider>
  );
}

function Page({ path }: { path: string }) {
  if (path === '/' || path === '/employees') return <Employees />;
  if (path === '/employees/new') return <NewEmployeePage />;
  const employee = /^\/employees\/([^/]+)$/.exec(path);
  if (employee) return <EmployeePage key={employee[1]} id={decodeURIComponent(employee[1])} />;
  if (path === '/settings') return <Settings />;
  if (path === '/provisioning') return <Provisioning />;
  if (path === '/connections') return <Connections />;
  if (path === '/connect') return <Connect />;
  if (path === '/groups') return <Groups />;
  const group = /^\/groups\/([^/]+)$/.exec(path);
  if (group) return <GroupPage key={group[1]} id={decodeURIComponent(group[1])} />;
  const doc = /^\/docs\/([a-z-]+)$/.exec(path);
  if (doc) return <Docs key={doc[1]} name={doc[1]} />;
  if (path === '/webhooks') return <Webhooks />;
  const webhook = /^\/webhooks\/([^/]+)$/.exec(path);
  if (webhook) return <WebhookPage key={webhook[1]} id={decodeURIComponent(webhook[1])} />;
  if (path === '/events') return <Events />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to="/employees">Go to Employees</Link>.
      </p>
    </>
  );
}
