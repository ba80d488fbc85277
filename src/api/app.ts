/**
 * The HTTP API: thin handlers over the governance services (no rules here, no SQL here). Requests are
 * validated by the zod schemas in ./schemas.ts, which also produce /openapi.json. Every error is the
 * catalogue's JSON: { code, message, details? } with the catalogue's HTTP status.
 *
 * `createApp(services)` returns the Hono app so later parts (console pages, the push channel) add routes.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { OpenLfrError } from '../errors.ts';
import type { Principal } from '../governance/model.ts';
import type { Services } from '../governance/services.ts';
import { parseAnchor } from '../governance/audit-trail.ts';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config.ts';
import * as S from './schemas.ts';
import { registerOversightRoutes } from './oversight-routes.ts';
import { registerConsoleRoutes } from './console-routes.ts';
import { registerConsoleStatic } from './console-static.ts';
import { registerEventsRoute } from './events-route.ts';
import { registerSearchRoutes } from './search-routes.ts';
import { errorResponse, json, me, ok, r, type App, type AppEnv } from './route-kit.ts';

export { toJson, type App, type AppEnv } from './route-kit.ts';

/** Where `npm run build:console` puts the web console. */
export const CONSOLE_DIST = join(PROJECT_ROOT, 'console', 'dist');

export function createApp(services: Services, opts: { consoleDir?: string } = {}): App {
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        return c.json(
          { code: 'BAD_REQUEST', message: `Invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, details: { issues } },
          400,
        );
      }
      return undefined;
    },
  });
  const maxBody = Math.ceil(services.config.engine.maxImageBytes * 1.4) + 256 * 1024;

  app.onError((e, c) => {
    if (e instanceof HTTPException) {
      const code = e.status === 413 ? 'IMAGE_TOO_LARGE' : e.status === 401 ? 'UNAUTHENTICATED' : 'BAD_REQUEST';
      return errorResponse(c, new OpenLfrError(code, e.message || undefined));
    }
    return errorResponse(c, e);
  });
  app.notFound((c) => errorResponse(c, new OpenLfrError('NOT_FOUND', `No route ${c.req.method} ${new URL(c.req.url).pathname}`)));

  app.use('/api/*', bodyLimit({ maxSize: maxBody, onError: (c) => errorResponse(c, new OpenLfrError('IMAGE_TOO_LARGE', `The request body is larger than ${maxBody} bytes`)) }));
  // Everything under /api/v1 needs a session, except logging in.
  app.use('/api/v1/*', async (c, next) => {
    if (c.req.method === 'POST' && c.req.path === '/api/v1/sessions') return next();
    const h = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(h)?.[1];
    c.set('principal', await services.users.authenticate(token));
    c.set('token', token!);
    return next();
  });


  app.get('/health', (c) => c.json({ ok: true }));

  // --- sessions and users ---
  app.openapi(r({ method: 'post', path: '/api/v1/sessions', summary: 'Log in', request: { body: { content: { 'application/json': { schema: S.LoginSchema } }, required: true } }, responses: { 201: json(S.SessionSchema, 'A bearer token') } }), async (c) => {
    const b = c.req.valid('json');
    return ok(c, await services.users.login(b.username, b.password), 201);
  });
  app.openapi(r({ method: 'delete', path: '/api/v1/sessions', summary: 'Log out (revoke this token)', responses: { 200: json(z.object({ ok: z.boolean() }), 'Revoked') } }), async (c) => {
    await services.users.logout(me(c), c.get('token'));
    return ok(c, { ok: true });
  });
  app.openapi(r({ method: 'get', path: '/api/v1/me', summary: 'Who am I', responses: { 200: json(S.UserSchema, 'The logged-in user') } }), async (c) => {
    const p = me(c);
    return ok(c, p.kind === 'user' ? p.user : null);
  });
  app.openapi(r({ method: 'post', path: '/api/v1/users', summary: 'Create a user (ADMIN)', request: { body: { content: { 'application/json': { schema: S.NewUserSchema } }, required: true } }, responses: { 201: json(S.UserSchema, 'Created') } }), async (c) => {
    return ok(c, await services.users.create(me(c), c.req.valid('json')), 201);
  });
  app.openapi(r({ method: 'get', path: '/api/v1/users', summary: 'List users (ADMIN, AUDITOR)', responses: { 200: json(z.array(S.UserSchema), 'Users') } }), async (c) => {
    return ok(c, await services.users.list(me(c)));
  });
  const accountBody = <T extends z.ZodTypeAny>(schema: T) => ({ params: S.UsernameParam, body: { content: { 'application/json': { schema } }, required: true } });
  app.openapi(
    r({ method: 'post', path: '/api/v1/users/{username}/disable', summary: 'Disable an account (ADMIN; not your own, not the last ADMIN); its sessions end at once', request: accountBody(S.AccountReasonSchema), responses: { 200: json(S.UserSchema, 'Disabled') } }),
    async (c) => ok(c, await services.users.setDisabled(me(c), c.req.valid('param').username, true, c.req.valid('json').reason)),
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/users/{username}/enable', summary: 'Enable an account again (ADMIN; not your own)', request: accountBody(S.AccountReasonSchema), responses: { 200: json(S.UserSchema, 'Enabled') } }),
    async (c) => ok(c, await services.users.setDisabled(me(c), c.req.valid('param').username, false, c.req.valid('json').reason)),
  );
  app.openapi(
    r({ method: 'put', path: '/api/v1/users/{username}/roles', summary: "Change someone's roles and rank (ADMIN; never your own)", request: accountBody(S.RolesChangeSchema), responses: { 200: json(S.UserSchema, 'Changed') } }),
    async (c) => {
      const { reason, ...input } = c.req.valid('json');
      return ok(c, await services.users.setRoles(me(c), c.req.valid('param').username, input, reason));
    },
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/users/{username}/password', summary: "Change your own password (with the current one), or reset someone's (ADMIN, with a reason); every session of the account ends", request: accountBody(S.PasswordChangeSchema), responses: { 200: json(z.object({ ok: z.boolean() }), 'Changed') } }),
    async (c) => {
      await services.users.setPassword(me(c), c.req.valid('param').username, c.req.valid('json'));
      return ok(c, { ok: true });
    },
  );

  // --- deployments ---
  app.openapi(r({ method: 'post', path: '/api/v1/deployments', summary: 'Draft a deployment', request: { body: { content: { 'application/json': { schema: S.DeploymentInputSchema } }, required: true } }, responses: { 201: json(S.DeploymentSchema, 'Drafted') } }), async (c) => {
    const b = S.toDeploymentInput(c.req.valid('json'));
    return ok(c, await services.deployments.create(me(c), b as typeof b & { startsAt: Date; endsAt: Date }), 201);
  });
  app.openapi(r({ method: 'get', path: '/api/v1/deployments', summary: 'List deployments', responses: { 200: json(z.array(S.DeploymentSchema), 'Deployments') } }), async (c) => {
    return ok(c, await services.deployments.list(me(c)));
  });
  app.openapi(r({ method: 'get', path: '/api/v1/deployments/{id}', summary: 'One deployment', request: { params: S.IdParam }, responses: { 200: json(S.DeploymentSchema, 'The deployment') } }), async (c) => {
    return ok(c, await services.deployments.get(me(c), c.req.valid('param').id));
  });
  app.openapi(r({ method: 'patch', path: '/api/v1/deployments/{id}', summary: 'Edit a draft (withdraws a pending request)', request: { params: S.IdParam, body: { content: { 'application/json': { schema: S.DeploymentPatchSchema } }, required: true } }, responses: { 200: json(S.DeploymentSchema, 'Edited') } }), async (c) => {
    return ok(c, await services.deployments.update(me(c), c.req.valid('param').id, S.toDeploymentInput(c.req.valid('json'))));
  });
  const action = (path: string, summary: string, body: typeof S.NoteSchema | typeof S.ReasonSchema | null, run: (p: Principal, id: string, text: string) => Promise<unknown>) =>
    app.openapi(
      r({ method: 'post', path: `/api/v1/deployments/{id}/${path}`, summary, request: { params: S.IdParam, ...(body ? { body: { content: { 'application/json': { schema: body } }, required: false } } : {}) }, responses: { 200: json(S.DeploymentSchema, 'The deployment after the change') } }),
      async (c) => {
        const raw = body ? ((await c.req.json().catch(() => ({}))) as unknown) : {};
        const parsed = body ? body.safeParse(raw ?? {}) : null;
        if (parsed && !parsed.success) throw new OpenLfrError('BAD_REQUEST', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const v = (parsed?.data ?? {}) as { note?: string; reason?: string };
        return ok(c, await run(me(c), c.req.valid('param').id, v.note ?? v.reason ?? ''));
      },
    );
  action('request', 'Request authority', S.NoteSchema, (p, id, t) => services.deployments.requestAuthorisation(p, id, t));
  action('authorise', 'Authorise (AUTHORISING_OFFICER, Superintendent or above, not the requester)', S.NoteSchema, (p, id, t) => services.deployments.authorise(p, id, t));
  action('public-notice', 'Confirm public notice (signage) is in place', S.NoteSchema, (p, id, t) => services.deployments.confirmPublicNotice(p, id, t));
  action('go-live', 'Go live (all safeguards checked; watchlist frozen)', null, (p, id) => services.deployments.goLive(p, id));
  action('close', 'Close a live deployment (watchlist biometrics destroyed)', S.ReasonSchema, (p, id, t) => services.deployments.close(p, id, t));
  action('cancel', 'Cancel a deployment that is not live (watchlist biometrics destroyed)', S.ReasonSchema, (p, id, t) => services.deployments.cancel(p, id, t));

  // --- watchlists ---
  app.openapi(r({ method: 'get', path: '/api/v1/deployments/{id}/watchlist', summary: 'The watchlist of a deployment (no images)', request: { params: S.IdParam }, responses: { 200: json(z.array(S.EntrySchema), 'Entries') } }), async (c) => {
    return ok(c, await services.watchlists.list(me(c), c.req.valid('param').id));
  });
  app.openapi(r({ method: 'post', path: '/api/v1/deployments/{id}/watchlist', summary: 'Enrol a subject (WATCHLIST_MANAGER; quality gate)', request: { params: S.IdParam, body: { content: { 'application/json': { schema: S.EnrolSchema } }, required: true } }, responses: { 201: json(S.EntrySchema, 'Enrolled') } }), async (c) => {
    const { imageBase64, ...b } = c.req.valid('json');
    const image = new Uint8Array(Buffer.from(imageBase64, 'base64'));
    return ok(c, await services.watchlists.enrol(me(c), c.req.valid('param').id, { ...b, image }), 201);
  });
  app.openapi(r({ method: 'post', path: '/api/v1/watchlist/{id}/review', summary: 'Review an entry (not by who enrolled it)', request: { params: S.IdParam, body: { content: { 'application/json': { schema: S.NoteSchema } }, required: true } }, responses: { 200: json(S.EntrySchema, 'Reviewed') } }), async (c) => {
    return ok(c, await services.watchlists.review(me(c), c.req.valid('param').id, c.req.valid('json').note));
  });
  app.openapi(
    r({ method: 'get', path: '/api/v1/watchlist/{id}/image', summary: 'The enrolment image (audited read)', request: { params: S.IdParam, query: z.object({ reason: z.string().min(1).max(500) }) }, responses: { 200: { description: 'The image bytes', content: { 'application/octet-stream': { schema: z.string() } } } } }),
    async (c) => {
      const bytes = await services.watchlists.image(me(c), c.req.valid('param').id, c.req.valid('query').reason);
      return c.body(bytes as never, 200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
    },
  );

  // --- audit ---
  app.openapi(
    r({ method: 'get', path: '/api/v1/audit', summary: 'Audit entries (ADMIN, AUDITOR)', request: { query: z.object({ action: z.string().optional(), actor: z.string().optional(), target: z.string().optional(), afterSeq: z.coerce.number().int().min(0).optional(), beforeSeq: z.coerce.number().int().min(1).optional(), order: z.enum(['asc', 'desc']).optional().openapi({ description: 'desc: newest first (page back with beforeSeq)' }), limit: z.coerce.number().int().min(1).max(1000).optional() }) }, responses: { 200: json(z.array(S.AuditEntrySchema), 'Entries') } }),
    async (c) => {
      const { order, ...f } = c.req.valid('query');
      return ok(c, await services.audit.list(me(c), { ...f, newestFirst: order === 'desc' }));
    },
  );
  app.openapi(
    r({
      method: 'get',
      path: '/api/v1/audit/verify',
      summary: 'Verify the hash chain, and published anchors <seq>:<hash> from transparency reports (ADMIN, AUDITOR)',
      request: { query: z.object({ anchor: z.union([z.string(), z.array(z.string())]).optional() }) },
      responses: { 200: json(S.VerifySchema, 'The verdict') },
    }),
    async (c) => {
      const a = c.req.queries('anchor') ?? [];
      return ok(c, await services.audit.verify(me(c), a.map(parseAnchor)));
    },
  );

  registerOversightRoutes(app, services);
  // --- the console: alerts, decisions, the live pipeline, the push channel ---
  registerConsoleRoutes(app, services);
  registerEventsRoute(app, services);
  // --- retrospective search: galleries, the gate, reviews, counts ---
  registerSearchRoutes(app, services);

  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'OpenLFR API', version: '1' } });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  // Last: the API reference page and the single-page console (everything not under /api).
  registerConsoleStatic(app, opts.consoleDir ?? CONSOLE_DIST);
  return app;
}
