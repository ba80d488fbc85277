import { useEffect, useState, type ReactNode } from 'react';
import { can, getSession, logout, onSession, type Session } from './api.ts';
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
  else page = <DeploymentList />;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <strong className="brand">OpenLFR</strong>
        <nav aria-label="Main">
          <a href="#/">Deployments</a>
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
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
