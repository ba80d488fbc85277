import { useEffect, useState, type ReactNode } from 'react';
import { api, can, getSession, logout, onSession, type Session } from './api.ts';
import { alarmMessage, landingPage, type OversightStatus } from './messages.ts';
import { useRoute } from './ui.tsx';
import { Login } from './views/Login.tsx';
import { DeploymentList, NewDeployment } from './views/Deployments.tsx';
import { DeploymentPage } from './views/Deployment.tsx';
import { LiveView } from './views/Live.tsx';
import { AuditView } from './views/Audit.tsx';
import { ROLE_LABEL, UsersView } from './views/Users.tsx';
import { SearchView } from './views/Search.tsx';

const canSearch = () => can('search.run') || can('search.review') || can('search.authorise');

export function App(): ReactNode {
  const [session, setSession] = useState<Session | null>(getSession());
  useEffect(() => onSession(setSession), []);
  const route = useRoute();
  if (!session) return <Login />;
  let page: ReactNode;
  const [a, b, c] = route;
  if (a === 'deployments' && b === 'new') page = <NewDeployment />;
  else if (a === 'deployments' && b && c === 'live') page = <LiveView id={b} />;
  else if (a === 'deployments' && b) page = <DeploymentPage id={b} />;
  else if (a === 'audit' && can('audit.read')) page = <AuditView />;
  else if (a === 'users' && can('user.list')) page = <UsersView />;
  else if (a === 'search' && canSearch()) page = <SearchView />;
  else {
    // the landing page is one the role may see (an investigator has no deployments: the search page)
    const landing = landingPage(session.permissions);
    page = landing === 'deployments' ? <DeploymentList /> : landing === 'search' ? <SearchView /> : <Home />;
  }
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <strong className="brand">OpenLFR</strong>
        <nav aria-label="Main">
          {can('deployment.read') && <a href="#/">Deployments</a>}
          {can('audit.read') && <a href="#/audit">Audit trail</a>}
          {can('user.list') && <a href="#/users">People</a>}
          {canSearch() && <a href="#/search">Retrospective search</a>}
          <a href="/api/docs">API reference</a>
        </nav>
        <span className="who" data-testid="who">
          {session.user.displayName} — {session.user.roles.map((r) => ROLE_LABEL[r] ?? r).join(', ')}
          {session.user.rank ? ` (${session.user.rank.replace(/_/g, ' ').toLowerCase()})` : ''}
        </span>
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <AuditAlarm />
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

/** A role with no page of its own yet (e.g. an account whose role waits for a second ADMIN). */
function Home(): ReactNode {
  return (
    <>
      <h1>Welcome</h1>
      <p>Your role has no pages in the console yet. If you were just given a role, it may be waiting for a second administrator to confirm it.</p>
    </>
  );
}

/**
 * The audit alarm, for every role (issue 14, item 13): while the last check of the hash chain found it
 * broken, a banner on every page says so. Checked at once and every 30 seconds.
 */
function AuditAlarm(): ReactNode {
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (!can('oversight.status')) return undefined;
    let live = true;
    const check = () =>
      api<OversightStatus>('GET', '/api/v1/oversight/status').then(
        (s) => live && setMessage(alarmMessage(s)),
        () => undefined,
      );
    void check();
    const t = setInterval(() => void check(), 30_000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, []);
  if (!message) return null;
  return (
    <div className="alarm" role="alert" data-testid="audit-alarm">
      <strong>Audit alarm. </strong>
      {message}
    </div>
  );
}
