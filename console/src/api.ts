/**
 * The console's only way to the server: JSON calls with the session's bearer token, images fetched
 * with the token into blob URLs (so no token goes into a URL), and the Server-Sent Events stream
 * read with fetch for the same reason.
 */

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  rank: string | null;
}

export interface Session {
  token: string;
  expiresAt: string;
  user: User;
  permissions: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const KEY = 'openlfr.session';
let session: Session | null = (() => {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
  } catch {
    return null;
  }
})();
const listeners = new Set<(s: Session | null) => void>();

export const getSession = () => session;
export function onSession(fn: (s: Session | null) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function setSession(s: Session | null) {
  session = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  for (const fn of listeners) fn(s);
}

async function request(method: string, path: string, body?: unknown, token = session?.token): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) {
    const e = (await res.json().catch(() => ({ code: 'HTTP', message: res.statusText }))) as { code: string; message: string; details?: Record<string, unknown> };
    if (res.status === 401 && session && path !== '/api/v1/sessions') setSession(null);
    throw new ApiError(res.status, e.code, e.message, e.details);
  }
  return res;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await request(method, path, body)).json()) as T;
}

export async function login(username: string, password: string): Promise<Session> {
  const s = (await (await request('POST', '/api/v1/sessions', { username, password }, undefined)).json()) as Omit<Session, 'permissions'>;
  const perms = (await (await request('GET', '/api/v1/me/permissions', undefined, s.token)).json()) as { permissions: string[] };
  const full = { ...s, permissions: perms.permissions };
  setSession(full);
  return full;
}

export async function logout(): Promise<void> {
  try {
    if (session) await request('DELETE', '/api/v1/sessions');
  } finally {
    setSession(null);
  }
}

export const can = (perm: string) => !!session?.permissions.includes(perm);

/** A file's bytes as base64 (how the API takes images), converted in chunks to stay within the call stack. */
export async function fileBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Fetch an image with the token; the caller revokes the URL when done. */
export async function imageUrl(path: string): Promise<string> {
  const res = await request('GET', path);
  return URL.createObjectURL(await res.blob());
}

export type EventHandler = (event: string, data: Record<string, unknown>) => void;

/**
 * Subscribe to the server's events (SSE over fetch). Reconnects with back-off until stopped;
 * `onState` says whether the stream is connected.
 */
export function subscribe(deploymentId: string | null, onEvent: EventHandler, onState: (connected: boolean) => void): () => void {
  const ctl = new AbortController();
  let delay = 500;
  const run = async () => {
    while (!ctl.signal.aborted && session) {
      try {
        const res = await fetch(`/api/v1/events${deploymentId ? `?deploymentId=${encodeURIComponent(deploymentId)}` : ''}`, {
          headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' },
          signal: ctl.signal,
        });
        if (res.status === 401) {
          setSession(null);
          return;
        }
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        onState(true);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let name = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (!data.length) continue;
            if (name === 'session-ended') {
              setSession(null);
              return;
            }
            try {
              onEvent(name, JSON.parse(data.join('\n')) as Record<string, unknown>);
            } catch {
              /* a malformed event is ignored */
            }
          }
        }
      } catch {
        if (ctl.signal.aborted) return;
      }
      onState(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => ctl.abort();
}

/** Words for codes the server sends. */
export const CATEGORY_LABEL: Record<string, string> = {
  WANTED_BY_COURT: 'Wanted by a court',
  WANTED_BY_POLICE_SUSPECT: 'Wanted by police / suspected of an offence',
  BAIL_OR_COURT_ORDER: 'Bail conditions or court order',
  MISSING_AT_RISK: 'Missing person at risk',
  RISK_OF_HARM: 'Risk of harm to self or others',
};
export const OUTCOME_LABEL: Record<string, string> = {
  IDENTITY_CONFIRMED: 'Identity confirmed',
  NOT_THE_PERSON: 'Not the person',
  ARRESTED: 'Arrested',
  NO_FURTHER_ACTION: 'No further action',
};
export const STATUS_LABEL: Record<string, string> = {
  PENDING: 'Awaiting operator decision',
  DISMISSED: 'Dismissed: not a match',
  ENGAGED: 'Sent for engagement',
  CLOSED: 'Outcome recorded',
};

export const fmtTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' }) : '—');
