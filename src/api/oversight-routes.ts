/**
 * API routes of retention, transparency and oversight: transparency records (JSON, CSV, self-contained
 * HTML), subject access, the retention job's status with the audit alarm, and export of an alert's crop
 * to a case. Thin handlers over the services; no rules and no SQL here.
 */
import { z } from '@hono/zod-openapi';
import { deploymentHtml, summaryHtml, toCsv } from '../governance/transparency-format.ts';
import type { Services } from '../governance/services.ts';
import type { Context } from 'hono';
import { json, me, r, toJson, type App } from './route-kit.ts';
import * as S from './schemas.ts';

const Format = z.enum(['json', 'csv', 'html']).default('json');
const Any = z.record(z.string(), z.unknown());
const report = { description: 'The record: JSON, or CSV / HTML by ?format=', content: { 'application/json': { schema: Any }, 'text/csv': { schema: z.string() }, 'text/html': { schema: z.string() } } };

export const SubjectLookupSchema = z
  .object({
    subjectRef: z.string().max(100).optional(),
    sourceRecordId: z.string().max(200).optional(),
    reason: z.string().min(3).max(500),
  })
  .openapi('SubjectLookup');
export const CaseExportSchema = z.object({ caseRef: z.string().min(1).max(100), note: z.string().min(3).max(1000) }).openapi('CaseExport');

export function registerOversightRoutes(app: App, services: Services): void {
  const ok = (c: Context, v: unknown, status: 200 | 201 = 200) => c.json(toJson(v) as never, status);
  const file = (c: Context, body: string, type: string, name: string) =>
    c.body(body, 200, { 'content-type': `${type}; charset=utf-8`, 'content-disposition': `inline; filename="${name}"`, 'cache-control': 'no-store' });

  app.openapi(
    r({ method: 'get', path: '/api/v1/deployments/{id}/report', summary: 'Transparency record of a deployment', request: { params: S.IdParam, query: z.object({ format: Format }) }, responses: { 200: report } }),
    async (c) => {
      const rec = await services.transparency.deployment(me(c), c.req.valid('param').id);
      const f = c.req.valid('query').format;
      if (f === 'csv') return file(c, toCsv([rec]), 'text/csv', `${rec.deploymentId}.csv`);
      if (f === 'html') return file(c, deploymentHtml(rec), 'text/html', `${rec.deploymentId}.html`);
      return ok(c, rec);
    },
  );
  app.openapi(
    r({
      method: 'get',
      path: '/api/v1/reports/summary',
      summary: 'Transparency summary across deployments starting in [from, to)',
      request: { query: z.object({ from: z.string().min(4).max(40), to: z.string().min(4).max(40), format: Format }) },
      responses: { 200: report },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const s = await services.transparency.summary(me(c), new Date(q.from), new Date(q.to));
      if (q.format === 'csv') return file(c, toCsv(s.deployments), 'text/csv', 'summary.csv');
      if (q.format === 'html') return file(c, summaryHtml(s), 'text/html', 'summary.html');
      return ok(c, s);
    },
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/subjects/lookup', summary: 'Subject access: watchlists and alerts of a subject (ADMIN, AUDITOR; audited)', request: { body: { content: { 'application/json': { schema: SubjectLookupSchema } }, required: true } }, responses: { 200: json(Any, 'What remains about the subject') } }),
    async (c) => ok(c, await services.oversight.subject(me(c), c.req.valid('json'))),
  );
  app.openapi(
    r({ method: 'get', path: '/api/v1/oversight/status', summary: 'The retention job and the audit alarm', responses: { 200: json(Any, 'Last run, last audit check, alarm') } }),
    async (c) => ok(c, services.retention.status(me(c))),
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/alerts/{id}/export-to-case', summary: "Export a confirmed alert's crop to a case (ENGAGEMENT_OFFICER; leaves the retention clock)", request: { params: S.IdParam, body: { content: { 'application/json': { schema: CaseExportSchema } }, required: true } }, responses: { 201: json(Any, 'Exported') } }),
    async (c) => {
      const b = c.req.valid('json');
      return ok(c, await services.retention.exportToCase(me(c), c.req.valid('param').id, b.caseRef, b.note), 201);
    },
  );
  app.openapi(
    r({ method: 'post', path: '/api/v1/alerts/{id}/release-from-case', summary: "The case no longer needs the crop: deleted now (ENGAGEMENT_OFFICER)", request: { params: S.IdParam, body: { content: { 'application/json': { schema: S.ReasonSchema } }, required: true } }, responses: { 200: json(Any, 'The alert after deletion') } }),
    async (c) => ok(c, await services.retention.releaseFromCase(me(c), c.req.valid('param').id, c.req.valid('json').reason ?? '')),
  );
}
