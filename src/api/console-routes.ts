/**
 * The console's API: alerts (a possible match waiting for a person), their two images (each view
 * audited by the alert service), the operator's decision, the engagement officer's outcome, and
 * starting/looking at the live pipeline of a deployment. Thin handlers: the rules are in the services.
 */
import { z } from '@hono/zod-openapi';
import { can, permissionsOf } from '../governance/access.ts';
import type { Principal } from '../governance/model.ts';
import type { Services } from '../governance/services.ts';
import { json, me, ok, r, type App } from './route-kit.ts';
import * as S from './console-schemas.ts';
import { IdParam } from './schemas.ts';

/** The media type of stored image bytes (enrolment accepts JPEG, PNG and WebP). */
export function imageType(b: Uint8Array): string {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  return 'image/jpeg';
}

export function registerConsoleRoutes(app: App, services: Pick<Services, 'deployments' | 'alerts' | 'live'>): void {
  /** The running counts of each camera, or the stored totals once a run has ended; and what waits for a person. */
  const liveStatus = async (p: Principal, id: string) => {
    await services.deployments.get(p, id); // who may read the deployment may see its counters
    const st = services.live.status(id);
    const stored = can(p, 'alert.read') ? await services.alerts.counters(p, id) : null;
    const cameras: Record<string, unknown> = { ...Object.fromEntries((stored?.cameras ?? []).map(({ camera, deploymentId: _d, updatedAt: _u, ...c }) => [camera, c])), ...st.cameras };
    return { running: st.running, startedAt: st.startedAt, cameras, pending: stored?.pending ?? null };
  };
  const jpeg = (bytes: Uint8Array) =>
    new Response(bytes as never, { status: 200, headers: { 'content-type': imageType(bytes), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
  const binary = { schema: z.string().openapi({ format: 'binary' }) };
  const image = { 200: { description: 'The image as stored (captured faces are JPEG; watchlist images as enrolled)', content: { 'image/jpeg': binary, 'image/png': binary, 'image/webp': binary } } };

  app.openapi(r({ method: 'get', path: '/api/v1/me/permissions', summary: 'What the logged-in user may do (from the one permission table)', responses: { 200: json(z.object({ permissions: z.array(z.string()) }), 'Permission names') } }), (c) =>
    ok(c, { permissions: permissionsOf(me(c)) }),
  );
  app.openapi(
    r({ method: 'get', path: '/api/v1/deployments/{id}/alerts', summary: 'Alerts of a deployment, newest first', request: { params: IdParam, query: z.object({ status: z.enum(S.ALERT_STATUSES).optional() }) }, responses: { 200: json(z.array(S.AlertSchema), 'Alerts') } }),
    async (c) => {
      const { status } = c.req.valid('query');
      return ok(c, await services.alerts.list(me(c), c.req.valid('param').id, status ? { status } : {}));
    },
  );
  app.openapi(r({ method: 'get', path: '/api/v1/alerts/{id}', summary: 'One alert (a possible match)', request: { params: IdParam }, responses: { 200: json(S.AlertSchema, 'The alert') } }), async (c) => {
    return ok(c, await services.alerts.get(me(c), c.req.valid('param').id));
  });
  app.openapi(r({ method: 'get', path: '/api/v1/alerts/{id}/probe-image', summary: 'The captured face (audited view)', request: { params: IdParam }, responses: image }), async (c) =>
    jpeg(await services.alerts.probeImage(me(c), c.req.valid('param').id)),
  );
  app.openapi(r({ method: 'get', path: '/api/v1/alerts/{id}/watchlist-image', summary: 'The watchlist image it was matched to (audited view)', request: { params: IdParam }, responses: image }), async (c) =>
    jpeg(await services.alerts.watchlistImage(me(c), c.req.valid('param').id)),
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/alerts/{id}/decision', summary: "Operator's decision: not a match (DISMISS) or possible match, send for engagement (ENGAGE)", request: { params: IdParam, body: { content: { 'application/json': { schema: S.DecisionSchema } }, required: true } }, responses: { 200: json(S.AlertSchema, 'The alert after the decision') } }),
    async (c) => {
      const b = c.req.valid('json');
      return ok(c, await services.alerts.decide(me(c), c.req.valid('param').id, b.decision, b.note));
    },
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/alerts/{id}/outcome', summary: "Engagement officer's outcome, with a note", request: { params: IdParam, body: { content: { 'application/json': { schema: S.OutcomeSchema } }, required: true } }, responses: { 200: json(S.AlertSchema, 'The alert after the outcome') } }),
    async (c) => {
      const b = c.req.valid('json');
      return ok(c, await services.alerts.outcome(me(c), c.req.valid('param').id, b.outcome, b.note));
    },
  );
  app.openapi(r({ method: 'post', path: '/api/v1/deployments/{id}/live/start', summary: 'Start the live pipeline on the cameras of a LIVE deployment (the server starts it at go-live; this restarts it after its sources ended)', request: { params: IdParam }, responses: { 200: json(S.LiveStatusSchema, 'Started') } }), async (c) => {
    const id = c.req.valid('param').id;
    await services.live.start(me(c), id, { restart: true });
    return ok(c, await liveStatus(me(c), id));
  });
  app.openapi(r({ method: 'get', path: '/api/v1/deployments/{id}/live', summary: 'Live pipeline status and counters', request: { params: IdParam }, responses: { 200: json(S.LiveStatusSchema, 'Status') } }), async (c) => {
    return ok(c, await liveStatus(me(c), c.req.valid('param').id));
  });
}
