import { useState, type ReactNode } from 'react';
import { api, can, getSession } from '../api.ts';
import { ErrorBox, Field, FormEnd, NoteAction, useLoad } from '../ui.tsx';
import type { Rank, User } from './types.ts';

export const ROLE_LABEL: Record<string, string> = {
  ADMIN: 'Administrator',
  AUTHORISING_OFFICER: 'Authorising officer',
  WATCHLIST_MANAGER: 'Watchlist manager',
  OPERATOR: 'Operator',
  ENGAGEMENT_OFFICER: 'Engagement officer',
  AUDITOR: 'Auditor',
  INVESTIGATOR: 'Investigator',
};
// every rank the server knows, in its order (the Record type makes the compiler check the list is complete)
const RANK_ORDER: Record<Rank, number> = {
  CONSTABLE: 1, SERGEANT: 2, INSPECTOR: 3, CHIEF_INSPECTOR: 4, SUPERINTENDENT: 5, CHIEF_SUPERINTENDENT: 6, COMMANDER: 7, ASSISTANT_CHIEF_CONSTABLE: 8,
  DEPUTY_ASSISTANT_COMMISSIONER: 9, DEPUTY_CHIEF_CONSTABLE: 10, ASSISTANT_COMMISSIONER: 11, CHIEF_CONSTABLE: 12, DEPUTY_COMMISSIONER: 13, COMMISSIONER: 14,
};
const RANKS = Object.keys(RANK_ORDER) as Rank[];
const rankLabel = (r: string | null) => (r ? r.replace(/_/g, ' ').toLowerCase() : '');

/**
 * People and roles: ADMINs add accounts, disable and re-enable them, change roles and reset passwords,
 * each with a reason for the audit trail; never on their own account. AUDITORs see the list.
 */
export function UsersView(): ReactNode {
  const list = useLoad(() => api<User[]>('GET', '/api/v1/users'), []);
  const manage = can('user.manage');
  const me = getSession()?.user.id;
  return (
    <>
      <h1>People and roles</h1>
      <ErrorBox error={list.error} />
      {list.data && (
        <table className="list" data-testid="users">
          <thead>
            <tr>
              <th>User</th>
              <th>Roles</th>
              <th>Status</th>
              {manage && <th>Change (with a reason)</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.map((u) => (
              <tr key={u.id} data-username={u.username}>
                <td>
                  <strong>{u.displayName}</strong>
                  <div className="muted">
                    <code>{u.username}</code>
                  </div>
                </td>
                <td>
                  {u.roles.map((r) => ROLE_LABEL[r] ?? r).join(', ')}
                  {u.rank && <div className="muted">{rankLabel(u.rank)}</div>}
                </td>
                <td>{u.disabled ? <span className="tag">disabled</span> : 'active'}</td>
                {manage && <td>{u.id === me ? <em>your own account: another ADMIN changes it</em> : <AccountActions user={u} onDone={list.reload} />}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manage && <NewUserForm onDone={list.reload} />}
    </>
  );
}

function AccountActions({ user: u, onDone }: { user: User; onDone: () => void }): ReactNode {
  const [open, setOpen] = useState<'' | 'roles' | 'password'>('');
  const base = `/api/v1/users/${encodeURIComponent(u.username)}`;
  return (
    <div className="account-actions">
      {u.disabled ? (
        <NoteAction label="Enable" field={`enable-${u.username}`} placeholder="Why it may log in again" run={(reason) => api('POST', `${base}/enable`, { reason })} onDone={onDone} />
      ) : (
        <NoteAction label="Disable" className="danger" field={`disable-${u.username}`} placeholder="Why (a leaver, a suspension)" run={(reason) => api('POST', `${base}/disable`, { reason })} onDone={onDone} />
      )}
      <div className="row">
        <button type="button" onClick={() => setOpen(open === 'roles' ? '' : 'roles')}>
          Change roles
        </button>
        <button type="button" onClick={() => setOpen(open === 'password' ? '' : 'password')}>
          Reset password
        </button>
      </div>
      {open === 'roles' && <RolesForm user={u} onDone={onDone} />}
      {open === 'password' && <ResetForm username={u.username} onDone={() => setOpen('')} />}
    </div>
  );
}

function RoleChoice({ roles, rank, onRoles, onRank }: { roles: string[]; rank: string; onRoles: (r: string[]) => void; onRank: (r: string) => void }): ReactNode {
  return (
    <>
      <fieldset>
        <legend>Roles</legend>
        {Object.entries(ROLE_LABEL).map(([k, v]) => (
          <label key={k} className="check">
            <input type="checkbox" name={`role-${k}`} checked={roles.includes(k)} onChange={(e) => onRoles(e.target.checked ? [...roles, k] : roles.filter((r) => r !== k))} /> {v}
          </label>
        ))}
      </fieldset>
      <label>
        Rank (required for an authorising officer)
        <select name="rank" value={rank} onChange={(e) => onRank(e.target.value)}>
          <option value="">none</option>
          {RANKS.map((r) => (
            <option key={r} value={r}>
              {rankLabel(r)}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

function RolesForm({ user: u, onDone }: { user: User; onDone: () => void }): ReactNode {
  const [roles, setRoles] = useState<string[]>(u.roles);
  const [rank, setRank] = useState(u.rank ?? '');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      className="form"
      aria-label={`Roles of ${u.username}`}
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        api('PUT', `/api/v1/users/${encodeURIComponent(u.username)}/roles`, { roles, rank: rank || null, reason }).then(onDone, setError);
      }}
    >
      <RoleChoice roles={roles} rank={rank} onRoles={setRoles} onRank={setRank} />
      <Field label="Why (a posting, a promotion)" name="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="submit" className="primary">
        Save roles
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

function ResetForm({ username, onDone }: { username: string; onDone: () => void }): ReactNode {
  const [f, setF] = useState({ newPassword: '', reason: '' });
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  return (
    <form
      className="form"
      aria-label={`Reset the password of ${username}`}
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        api('POST', `/api/v1/users/${encodeURIComponent(username)}/password`, f).then(() => {
          setDone(true);
          setTimeout(onDone, 1500);
        }, setError);
      }}
    >
      <Field label="New password (at least 12 characters, not a common password or pattern; give it to the person in person)" name="newPassword" type="password" value={f.newPassword} onChange={(e) => setF({ ...f, newPassword: e.target.value })} />
      <Field label="Why (e.g. locked out, identity checked)" name="reason" value={f.reason} onChange={(e) => setF({ ...f, reason: e.target.value })} />
      <FormEnd label="Reset password" done={done && "Password reset; the account's sessions have ended."} error={error} />
    </form>
  );
}

function NewUserForm({ onDone }: { onDone: () => void }): ReactNode {
  const blank = { username: '', displayName: '', password: '' };
  const [f, setF] = useState(blank);
  const [roles, setRoles] = useState<string[]>([]);
  const [rank, setRank] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <form
      className="form"
      aria-label="Add a person"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        setDone('');
        api<User>('POST', '/api/v1/users', { ...f, roles, rank: rank || null }).then((u) => {
          setDone(`Added ${u.username}.`);
          setF(blank);
          setRoles([]);
          setRank('');
          onDone();
        }, setError);
      }}
    >
      <h2>Add a person</h2>
      <div className="pair">
        <Field label="Username" name="username" value={f.username} onChange={set('username')} />
        <Field label="Name" name="displayName" value={f.displayName} onChange={set('displayName')} />
      </div>
      <RoleChoice roles={roles} rank={rank} onRoles={setRoles} onRank={setRank} />
      <Field label="First password (at least 12 characters, not a common password or pattern)" name="password" type="password" value={f.password} onChange={set('password')} />
      <FormEnd label="Add" done={done} error={error} />
    </form>
  );
}
