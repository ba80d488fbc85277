/**
 * API routes of calibrations (issue 14, item 2): the list (pending ones first to decide), and a second
 * person's approval or rejection of a calibration that lowers the threshold floor or the reference bar.
 * Recording is `openlfr evaluate --record --as` on the machine holding the dataset. Thin handlers.
 */
import { z } from '@hono/zod-openapi';
import type { Services } from '../governance/services.ts';
import { CALIBRATION_STATES } from '../governance/model.ts';
import { json, me, ok, r, type App } from './route-kit.ts';
import * as S from './schemas.ts';

const Calibration = z
  .object({
    id: z.string(),
    engineId: z.string(),
    datasetFingerprint: z.string(),
    createdAt: z.string(),
    threshold: z.number(),
    status: z.enum(CALIBRATION_STATES),
    recordedBy: z.string().nullable(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    figures: z.record(z.string(), z.unknown()),
  })
  .openapi('Calibration');
export const CalibrationDecisionSchema = z.object({ reason: z.string().max(2000).openapi({ description: 'Why (at least 10 characters and 2 words; recorded in the audit trail)' }) }).strict().openapi('CalibrationDecision');

export function registerCalibrationRoutes(app: App, services: Services): void {
  app.openapi(
    r({
      method: 'get',
      path: '/api/v1/calibrations',
      summary: 'Calibrations, newest first; ?status=PENDING for those awaiting a second person (ADMIN, AUTHORISING_OFFICER, AUDITOR)',
      request: { query: z.object({ status: z.enum(CALIBRATION_STATES).optional() }) },
      responses: { 200: json(z.array(Calibration), 'The calibrations') },
    }),
    async (c) => ok(c, await services.calibrations.list(me(c), c.req.valid('query').status ?? null)),
  );
  for (const [verb, decision] of [
    ['approve', 'APPROVE'],
    ['reject', 'REJECT'],
  ] as const) {
    app.openapi(
      r({
        method: 'post',
        path: `/api/v1/calibrations/{id}/${verb}`,
        summary: `${verb === 'approve' ? 'Approve' : 'Reject'} a pending calibration that lowers the floor or the reference bar (AUTHORISING_OFFICER, not who recorded it; audited)`,
        request: { params: S.IdParam, body: { content: { 'application/json': { schema: CalibrationDecisionSchema } }, required: true } },
        responses: { 200: json(Calibration, 'The calibration as decided') },
      }),
      async (c) => ok(c, await services.calibrations.decide(me(c), c.req.valid('param').id, decision, c.req.valid('json').reason)),
    );
  }
}
