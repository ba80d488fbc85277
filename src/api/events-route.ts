/**
 * The push channel: Server-Sent Events for new alerts, live counters and deployment state changes.
 * Authenticated like every /api/v1 route (Authorization: Bearer; the console reads the stream with
 * fetch, so the token never goes into a URL). Events carry ids and counts only, never biometric data;
 * the client fetches the alert itself through the audited routes. The session is re-checked on every
 * heartbeat, so logging out or expiry ends the stream.
 */
import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requirePermission } from '../governance/access.ts';
import type { Services } from '../governance/services.ts';
import { EventQuery } from './console-schemas.ts';
import { me, r, type App } from './route-kit.ts';

export const EVENT_NAMES = ['deployment', 'alert', 'counters', 'camera'] as const;

/** The deployment an event belongs to (`deployment` events carry it as `id`). */
function deploymentOf(name: string, payload: unknown): string | undefined {
  const o = (payload ?? {}) as { id?: unknown; deploymentId?: unknown };
  const v = name === 'deployment' ? (o.id ?? o.deploymentId) : o.deploymentId;
  return typeof v === 'string' ? v : undefined;
}

export function registerEventsRoute(app: App, services: Pick<Services, 'events' | 'users'>, heartbeatMs = 15_000): void {
  app.openapi(
    r({
      method: 'get',
      path: '/api/v1/events',
      summary: 'Server-Sent Events: `alert` {deploymentId, alertId}, `counters` {deploymentId, camera, framesAnalysed, facesDetected, tracks, alerts, state, …; finished at the end}, `camera` {deploymentId, camera, state (connecting, up, down, ended, failed, stopped), reason, since}, `deployment` {id, state}',
      request: { query: EventQuery },
      responses: { 200: { description: 'An event stream (text/event-stream); a comment line every heartbeat', content: { 'text/event-stream': { schema: z.string() } } } },
    }),
    (c) => {
      const p = me(c);
      requirePermission(p, 'deployment.read');
      const token = c.get('token');
      const only = c.req.valid('query').deploymentId;
      c.header('cache-control', 'no-store');
      c.header('x-accel-buffering', 'no');
      return streamSSE(c, async (stream) => {
        const listeners = EVENT_NAMES.map((name) => {
          const fn = (payload: unknown) => {
            if (only && deploymentOf(name, payload) !== only) return;
            void stream.writeSSE({ event: name, data: JSON.stringify(payload) }).catch(() => undefined);
          };
          services.events.on(name, fn);
          return [name, fn] as const;
        });
        let closed = false;
        let wake: () => void = () => undefined;
        const cleanup = () => {
          closed = true;
          for (const [name, fn] of listeners) services.events.off(name, fn);
          services.events.off('shutdown', cleanup);
          wake();
        };
        stream.onAbort(cleanup);
        services.events.once('shutdown', cleanup); // the server is stopping: end the stream
        try {
          await stream.writeSSE({ event: 'hello', data: JSON.stringify({ deploymentId: only ?? null, heartbeatMs }) });
          while (!closed && !stream.aborted) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, heartbeatMs);
              wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
            if (closed || stream.aborted) break;
            const still = await services.users.authenticate(token).then(
              () => true,
              () => false,
            );
            if (!still) {
              await stream.writeSSE({ event: 'session-ended', data: '{}' });
              break;
            }
            await stream.write(': heartbeat\n\n');
          }
        } finally {
          cleanup();
        }
      }) as never;
    },
  );
}
