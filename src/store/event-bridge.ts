/**
 * Several API servers on one PostgreSQL store: what one server's services announce (a new alert, a
 * camera's state, counters, a deployment's change of state) reaches every server's push channel, so
 * every console sees every alert whichever server runs the cameras. Carried by PostgreSQL
 * LISTEN/NOTIFY on a channel named after the store's schema. Events hold ids and counts, never
 * biometric data (the same rule as the push channel itself).
 */
import type { EventEmitter } from 'node:events';
import pg from 'pg';

export const BRIDGED_EVENTS = ['alert', 'deployment', 'camera', 'counters'] as const;
/** NOTIFY payloads are limited to 8000 bytes; larger events (none expected) stay local. */
const MAX_PAYLOAD = 7500;

export interface EventBridge {
  close(): Promise<void>;
}

export async function startEventBridge(url: string, events: EventEmitter, origin: string): Promise<EventBridge> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  const [{ s }] = (await pool.query<{ s: string }>('select current_schema() as s')).rows as [{ s: string }];
  const channel = `openlfr_events_${s.replace(/[^a-z0-9_]/gi, '_')}`.slice(0, 63).toLowerCase();
  let relaying = false;
  let closed = false;
  let listener: pg.Client | null = null;

  const listen = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (m) => {
      if (m.channel !== channel || !m.payload) return;
      try {
        const { o, n, p } = JSON.parse(m.payload) as { o: string; n: string; p: unknown };
        if (o === origin || !(BRIDGED_EVENTS as readonly string[]).includes(n)) return;
        relaying = true;
        try {
          events.emit(n, p);
        } finally {
          relaying = false;
        }
      } catch {
        /* not ours */
      }
    });
    c.on('error', () => {
      // the connection to the database was lost: listen again after a pause (events in between are
      // missed; consoles re-read the alert queue when their own stream reconnects)
      if (closed) return;
      listener = null;
      void c.end().catch(() => undefined);
      setTimeout(() => void listen().catch(() => undefined), 2000).unref();
    });
    await c.connect();
    await c.query(`listen ${channel}`);
    listener = c;
  };
  await listen();

  const senders = BRIDGED_EVENTS.map((n) => {
    const fn = (p: unknown) => {
      if (relaying || closed) return; // an event that came from another server is not sent back
      const payload = JSON.stringify({ o: origin, n, p });
      if (payload.length > MAX_PAYLOAD) return;
      pool.query('select pg_notify($1, $2)', [channel, payload]).catch(() => undefined);
    };
    events.on(n, fn);
    return [n, fn] as const;
  });

  return {
    async close() {
      closed = true;
      for (const [n, fn] of senders) events.off(n, fn);
      await listener?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
