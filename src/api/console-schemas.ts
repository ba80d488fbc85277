/** Schemas of the console's API (alerts, decisions, outcomes, the live pipeline, the push channel). */
import { z } from '@hono/zod-openapi';
import { CATEGORIES } from '../governance/model.ts';
import { ALERT_STATUSES, DECISIONS, OUTCOMES } from './console-ports.ts';

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
    reason: z.string().nullable().openapi({ description: 'Why the subject is on the watchlist (null once the watchlist is destroyed)' }),
    status: z.enum(ALERT_STATUSES),
    operatorDecision: z.enum(DECISIONS).nullable(),
    operatorNote: z.string().nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
    outcomeNote: z.string().nullable(),
  })
  .openapi('Alert', { description: 'A possible match waiting for, or judged by, a person. Never an identification.' });

export const DecisionSchema = z
  .object({ decision: z.enum(DECISIONS), note: z.string().max(4000).optional() })
  .strict()
  .openapi('Decision', { description: 'DISMISS = not a match; ENGAGE = possible match, send for engagement' });

export const OutcomeSchema = z.object({ outcome: z.enum(OUTCOMES), note: z.string().min(1).max(4000) }).strict().openapi('Outcome');

export const CountersSchema = z
  .object({ deploymentId: z.string(), framesAnalysed: z.number(), facesDetected: z.number(), tracks: z.number(), alerts: z.number(), pending: z.number() })
  .openapi('LiveCounters');

export const LiveStatusSchema = z.record(z.string(), z.unknown()).nullable().openapi('LiveStatus', { description: 'Whether the pipeline runs, per camera, with counters' });

export const EventQuery = z.object({
  deploymentId: z.string().min(1).max(100).optional().openapi({ description: 'Only events of this deployment' }),
});
