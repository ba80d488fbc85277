/**
 * API routes of the camera-source allow-list (issue 14, finding 6): list, allow, remove; ADMIN only, each change
 * with a reason and audited. Thin handlers over CameraSourceService; no rules and no SQL here.
 */
import { z } from '@hono/zod-openapi';
import type { Services } from '../governance/services.ts';
import { json, me, ok, r, type App } from './route-kit.ts';

export const AllowEntrySchema = z
  .object({ entry: z.string(), kind: z.enum(['host', 'prefix']), reason: z.string(), addedBy: z.string(), addedAt: z.string() })
  .openapi('CameraSourceAllowEntry');
export const AllowInputSchema = z
  .object({ entry: z.string().min(1).max(500), reason: z.string().min(1).max(1000) })
  .strict()
  .openapi('CameraSourceAllow', { description: 'A host (any port and path on it) or a URL prefix such as rtsp://10.20.0.15:554/Streaming/, and why' });
export const RemoveInputSchema = z.object({ entry: z.string().min(1).max(500), reason: z.string().min(1).max(1000) }).strict().openapi('CameraSourceRemove');

export function registerCameraSourceRoutes(app: App, services: Services): void {
  app.openapi(r({ method: 'get', path: '/api/v1/camera-sources', summary: 'The allow-list of camera stream hosts and URL prefixes (ADMIN)', responses: { 200: json(z.array(AllowEntrySchema), 'Entries') } }), async (c) =>
    ok(c, await services.cameraSources.list(me(c))),
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/camera-sources', summary: 'Allow a camera stream host or URL prefix (ADMIN; audited)', request: { body: { content: { 'application/json': { schema: AllowInputSchema } }, required: true } }, responses: { 201: json(AllowEntrySchema, 'The entry') } }),
    async (c) => ok(c, await services.cameraSources.add(me(c), c.req.valid('json')), 201),
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/camera-sources/remove', summary: 'Take a host or URL prefix off the allow-list (ADMIN; audited)', request: { body: { content: { 'application/json': { schema: RemoveInputSchema } }, required: true } }, responses: { 200: json(z.object({ removed: z.string() }), 'Removed') } }),
    async (c) => {
      const b = c.req.valid('json');
      await services.cameraSources.remove(me(c), b.entry, b.reason);
      return ok(c, { removed: b.entry });
    },
  );
}
