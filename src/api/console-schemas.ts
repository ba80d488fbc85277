/** Schemas of the console's API (alerts, decisions, outcomes, the live pipeline, the push channel). */
import { z } from '@hono/zod-openapi';
import { ALERT_STATUSES, CATEGORIES, OPERATOR_DECISIONS as DECISIONS, OUTCOMES } from '../governance/model.ts';

export { ALERT_STATUSES };

export const AlertSchema = z
  .object({
    id: z.string(),
    deploymentId: z.string(),
    camera: z.string(),
    createdAt: z.string(),
    priority: z.enum(['HIGH', 'NORMAL']),
    score: z.number().openapi({ description: 'Fused similarity of the track to the subject' }),
    threshold: z.number().openapi({ description: "The deployment's threshold when the alert was raised" }),
    subjectRef: z.string(),
    category: z.enum(CATEGORIES),
    trackId: z.number(),
    videoTimeSec: z.number().openapi({ description: 'Media time of the shot that crossed the threshold' }),
    shotsFused: z.number(),
    reason: z.string().nullable().optional().openapi({ description: 'Why the subject is on the watchlist (one alert only; null once the watchlist is destroyed)' }),
    legalBasis: z.string().nullable().optional(),
    wording: z.literal('possible match').optional(),
    status: z.enum(ALERT_STATUSES),
    operatorDecision: z.enum(DECISIONS).nullable(),
    operatorNote: z.string().nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
    outcomeNote: z.string().nullable(),
    operatorAt: z.string().nullable(),
    outcomeAt: z.string().nullable(),
    biometricsDeletedAt: z.string().nullable(),
  })
  .openapi('Alert', { description: 'A possible match waiting for, or judged by, a person. Never an identification.' });

export const DecisionSchema = z
  .object({ decision: z.enum(DECISIONS), note: z.string().max(4000).optional() })
  .strict()
  .openapi('Decision', { description: 'DISMISS = not a match; ENGAGE = possible match, send for engagement' });

export const OutcomeSchema = z.object({ outcome: z.enum(OUTCOMES), note: z.string().min(1).max(4000) }).strict().openapi('Outcome');

const CameraCounters = z
  .object({
    framesDecoded: z.number(),
    framesAnalysed: z.number(),
    framesDropped: z.number(),
    sourceFramesDropped: z.number(),
    facesDetected: z.number(),
    tracks: z.number(),
    alerts: z.number(),
    state: z.enum(['connecting', 'up', 'down', 'ended', 'failed', 'stopped']).openapi({ description: 'connecting; up (frames arriving); down (lost, refused or hung: retried with back-off); failed (the run stopped on an error: restarted after a pause, or a broken file); ended (a recording played to its end); stopped' }),
    reason: z.string().openapi({ description: 'Why the camera is (or last was) down or failed; credentials in URLs are never shown' }),
    since: z.string().openapi({ description: 'When the state last changed (ISO 8601)' }),
    reconnects: z.number(),
    restarts: z.number(),
  })
  .partial()
  .openapi('CameraCounters');

export const LiveStatusSchema = z
  .object({
    running: z.boolean(),
    startedAt: z.string().nullable(),
    cameras: z.record(z.string(), CameraCounters).openapi({ description: 'Per camera: the running counts, or once a run ended, the stored totals' }),
    pending: z.number().nullable().openapi({ description: 'Alerts waiting for an operator (null without alert.read)' }),
  })
  .openapi('LiveStatus');

export const EventQuery = z.object({
  deploymentId: z.string().min(1).max(100).optional().openapi({ description: 'Only events of this deployment' }),
});
