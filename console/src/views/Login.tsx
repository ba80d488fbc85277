import { useState, type ReactNode } from 'react';
import { login } from '../api.ts';
import { ErrorBox } from '../ui.tsx';

export function Login(): ReactNode {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main className="login" id="main">
      <h1>OpenLFR console</h1>
      <p>Live facial recognition under authority. Every possible match is judged by a person.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          login(username, password).then(
            () => {
              window.location.hash = '#/';
            },
            (err: unknown) => {
              setBusy(false);
              setError(err);
            },
          );
        }}
      >
        <label>
          Username
          <input name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <ErrorBox error={error} />
      </form>
    </main>
  );
}
