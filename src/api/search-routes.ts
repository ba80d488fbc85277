/** HTTP routes of retrospective search: thin handlers over the gallery and search services. */
import { z } from '@hono/zod-openapi';
import type { Services } from '../governance/services.ts';
import { json, me, ok, r as route, type App } from './route-kit.ts';
import { IdParam, NoteSchema } from './schemas.ts';
import * as S from './search-schemas.ts';

const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true as const } });

/** The `{name}` of a gallery in a route's path. */
const GalleryNameParam = z.object({ name: z.string().min(1).max(100).openapi({ param: { name: 'name', in: 'path' } }) });

export function registerSearchRoutes(app: App, services: Services): void {
  app.openapi(route({ method: 'post', path: '/api/v1/galleries', summary: 'Create a gallery (ADMIN)', request: body(S.GalleryInputSchema), responses: { 201: json(S.GallerySchema, 'Created') } }), async (c) => {
    return ok(c, await services.galleries.create(me(c), c.req.valid('json')), 201);
  });
  app.openapi(route({ method: 'get', path: '/api/v1/galleries', summary: 'List galleries with item counts', responses: { 200: json(z.array(S.GallerySchema), 'Galleries') } }), async (c) => {
    return ok(c, await services.galleries.list(me(c)));
  });
  app.openapi(
    route({
      method: 'post',
      path: '/api/v1/galleries/{name}/removals',
      summary: "Remove a person's images (subjectKey) or one image (sourceRef) from a gallery, with the reason (ADMIN; templates destroyed, audited)",
      request: { params: GalleryNameParam, ...body(S.GalleryRemovalInputSchema) },
      responses: { 200: json(S.GalleryRemovalSchema, 'What was removed') },
    }),
    async (c) => {
      const { reason, ...by } = c.req.valid('json');
      return ok(c, await services.galleries.removeItems(me(c), c.req.valid('param').name, by, reason));
    },
  );
  app.openapi(
    route({
      method: 'post',
      path: '/api/v1/galleries/{name}/retire',
      summary: 'Retire a whole gallery with the reason (ADMIN): every template destroyed, searches and imports refused from then on; the record stays',
      request: { params: GalleryNameParam, ...body(S.GalleryRetireInputSchema) },
      responses: { 200: json(S.GalleryRetiredSchema, 'Retired') },
    }),
    async (c) => ok(c, await services.galleries.retire(me(c), c.req.valid('param').name, c.req.valid('json').reason)),
  );
  app.openapi(
    route({
      method: 'post',
      path: '/api/v1/searches',
      summary: 'Search a gallery with a probe image (INVESTIGATOR; behind the gate; candidates are leads, not identifications)',
      request: body(S.SearchInputSchema),
      responses: { 201: json(S.SearchOutcomeSchema, 'The search (RESTRICTED results are withheld until reviewed)') },
    }),
    async (c) => {
      const { probeBase64, ...b } = c.req.valid('json');
      return ok(c, await services.searches.search(me(c), { ...b, probe: new Uint8Array(Buffer.from(probeBase64, 'base64')) }), 201);
    },
  );
  app.openapi(route({ method: 'get', path: '/api/v1/search-offences', summary: 'The serious offences a search may be for (INVESTIGATOR, AUTHORISING_OFFICER)', responses: { 200: json(S.OffencesSchema, 'Offence codes') } }), (c) => {
    return ok(c, services.searches.offences(me(c)));
  });
  app.openapi(
    route({ method: 'get', path: '/api/v1/searches', summary: "The caller's searches and the withheld results awaiting their review (summaries, no candidates)", responses: { 200: json(S.SearchWorklistSchema, 'Worklist') } }),
    async (c) => ok(c, await services.searches.worklist(me(c))),
  );
  app.openapi(route({ method: 'get', path: '/api/v1/searches/{id}', summary: 'A search result (the searcher, or a reviewer)', request: { params: IdParam }, responses: { 200: json(S.SearchOutcomeSchema, 'The search') } }), async (c) => {
    return ok(c, await services.searches.result(me(c), c.req.valid('param').id));
  });
  app.openapi(
    route({ method: 'post', path: '/api/v1/searches/{id}/reviews', summary: 'Review a withheld RESTRICTED result (not the searcher; released after two reviewers)', request: { params: IdParam, ...body(NoteSchema) }, responses: { 200: json(S.SearchOutcomeSchema, 'The search with its candidates') } }),
    async (c) => ok(c, await services.searches.review(me(c), c.req.valid('param').id, c.req.valid('json').note)),
  );
  app.openapi(
    route({ method: 'post', path: '/api/v1/search-authorities', summary: 'Ask for authority to search a RESTRICTED gallery for a case', request: body(S.AuthorityRequestSchema), responses: { 201: json(S.AuthoritySchema, 'Requested') } }),
    async (c) => ok(c, await services.searches.requestAuthority(me(c), c.req.valid('json')), 201),
  );
  app.openapi(
    route({ method: 'get', path: '/api/v1/search-authorities', summary: "The authorities the caller asked for, and others' requests awaiting their authority", responses: { 200: json(S.AuthorityWorklistSchema, 'Worklist') } }),
    async (c) => ok(c, await services.searches.authorityWorklist(me(c))),
  );
  app.openapi(
    route({ method: 'post', path: '/api/v1/search-authorities/{id}/authorise', summary: 'Grant authority (AUTHORISING_OFFICER, Superintendent or above, not the requester)', request: { params: IdParam, ...body(NoteSchema) }, responses: { 200: json(S.AuthoritySchema, 'Granted') } }),
    async (c) => ok(c, await services.searches.authorise(me(c), c.req.valid('param').id, c.req.valid('json').note)),
  );
  app.openapi(route({ method: 'get', path: '/api/v1/reports/searches', summary: 'Searches and refusals per gallery and per month (ADMIN, AUDITOR)', responses: { 200: json(S.SearchReportSchema, 'Counts') } }), async (c) => {
    return ok(c, await services.searches.report(me(c)));
  });
}
