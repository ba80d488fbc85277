/**
 * The console's API: alerts (a possible match waiting for a person), their two images (each view
 * audited by the alert service), the operator's decision, the engagement officer's outcome, and
 * starting/looking at the live pipeline of a deployment. Thin handlers: the rules are in the services.
 */
import { z } from '@hono/zod-openapi';
import { OpenLfrError } from '../errors.ts';
import { permissionsOf } from '../governance/access.ts';
import type { Services } from '../governance/services.ts';
import type { AlertsPort, LivePort } from './console-ports.ts';
import { json, me, ok, r, type App } from './route-kit.ts';
import * as S from './console-schemas.ts';
import { IdParam } from './schemas.ts';

export type ConsoleServices = Pick<Services, 'deployments'> & {
  alerts?: AlertsPort | undefined;
  live?: LivePort | undefined;
};

function need<T>(v: T | undefined, what: string): T {
  if (!v) throw new OpenLfrError('NOT_FOUND', `This server runs without the ${what} service`);
  return v;
}

export function registerConsoleRoutes(app: App, services: ConsoleServices): void {
  const alerts = () => need(services.alerts, 'alert');
  const live = () => need(services.live, 'live pipeline');
  const jpeg = (bytes: Uint8Array) =>
    new Response(bytes as never, { status: 200, headers: { 'content-type': 'image/jpeg', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
  const image = { 200: { description: 'JPEG bytes', content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } } } };

  app.openapi(r({ method: 'get', path: '/api/v1/me/permissions', summary: 'What the logged-in user may do (from the one permission table)', responses: { 200: json(z.object({ permissions: z.array(z.string()) }), 'Permission names') } }), (c) =>
    ok(c, { permissions: permissionsOf(me(c)) }),
  );
  app.openapi(
    r({ method: 'get', path: '/api/v1/deployments/{id}/alerts', summary: 'Alerts of a deployment, newest first', request: { params: IdParam, query: z.object({ status: z.enum(S.ALERT_STATUSES).optional() }) }, responses: { 200: json(z.array(S.AlertSchema), 'Alerts') } }),
    async (c) => {
      const { status } = c.req.valid('query');
      return ok(c, await alerts().list(me(c), c.req.valid('param').id, status ? { status } : {}));
    },
  );
  app.openapi(r({ method: 'get', path: '/api/v1/alerts/{id}', summary: 'One alert (a possible match)', request: { params: IdParam }, responses: { 200: json(S.AlertSchema, 'The alert') } }), async (c) => {
    return ok(c, await alerts().get(me(c), c.req.valid('param').id));
  });
  app.openapi(r({ method: 'get', path: '/api/v1/alerts/{id}/probe-image', summary: 'The captured face (audited view)', request: { params: IdParam }, responses: image }), async (c) =>
    jpeg(await alerts().probeImage(me(c), c.req.valid('param').id)),
  );
  app.openapi(r({ method: 'get', path: '/api/v1/alerts/{id}/watchlist-image', summary: 'The watchlist image it was matched to (audited view)', request: { params: IdParam }, responses: image }), async (c) =>
    jpeg(await alerts().watchlistImage(me(c), c.req.valid('param').id)),
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/alerts/{id}/decision', summary: "Operator's decision: not a match (DISMISS) or possible match, send for engagement (ENGAGE)", request: { params: IdParam, body: { content: { 'application/json': { schema: S.DecisionSchema } }, required: true } }, responses: { 200: json(S.AlertSchema, 'The alert after the decision') } }),
    async (c) => {
      const b = c.req.valid('json');
      return ok(c, await alerts().decide(me(c), c.req.valid('param').id, b.decision, b.note));
    },
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/alerts/{id}/outcome', summary: "Engagement officer's outcome, with a note", request: { params: IdParam, body: { content: { 'application/json': { schema: S.OutcomeSchema } }, required: true } }, responses: { 200: json(S.AlertSchema, 'The alert after the outcome') } }),
    async (c) => {
      const b = c.req.valid('json');
      return ok(c, await alerts().outcome(me(c), c.req.valid('param').id, b.outcome, b.note));
    },
  );
  app.openapi(r({ method: 'post', path: '/api/v1/deployments/{id}/live/start', summary: 'Start the live pipeline on the cameras of a LIVE deployment', request: { params: IdParam }, responses: { 200: json(S.LiveStatusSchema, 'Started') } }), async (c) => {
    const id = c.req.valid('param').id;
    await live().start(me(c), id);
    return ok(c, live().status(id) ?? null);
  });
  app.openapi(r({ method: 'get', path: '/api/v1/deployments/{id}/live', summary: 'Live pipeline status and counters', request: { params: IdParam }, responses: { 200: json(S.LiveStatusSchema, 'Status') } }), async (c) => {
    const id = c.req.valid('param').id;
    await services.deployments.get(me(c), id); // who may read the deployment may see its counters
    return ok(c, live().status(id) ?? null);
  });
}
