/** Small helpers shared by the API's route modules: the env type, JSON responses, error responses, routes with the error schema. */
import { createRoute, type OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isOpenLfrError, serialiseError } from '../errors.ts';
import type { Principal } from '../governance/model.ts';
import * as S from './schemas.ts';

export type AppEnv = { Variables: { principal: Principal; token: string } };
export type App = OpenAPIHono<AppEnv>;

/** Dates to ISO strings, recursively (responses are plain JSON). */
export function toJson(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

export function errorResponse(c: Context, e: unknown): Response {
  const body = serialiseError(e);
  const status = isOpenLfrError(e) ? e.status : 500;
  if (!isOpenLfrError(e)) console.error(`openlfr api: internal error: ${e instanceof Error ? e.message : String(e)}`);
  const retryAfter = isOpenLfrError(e) ? e.details?.['retryAfterSec'] : undefined;
  if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter));
  return c.json(isOpenLfrError(e) ? body : { code: 'INTERNAL', message: 'Internal error' }, status as 500);
}

export const json = (schema: z.ZodType, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = { default: json(S.ErrorSchema, 'An error from the catalogue') };

export const r = <R extends RouteConfig>(cfg: R) => createRoute({ ...cfg, responses: { ...cfg.responses, ...errors } });
export const me = (c: Context<AppEnv>) => c.get('principal');
export const ok = (c: Context, v: unknown, status: 200 | 201 = 200) => c.json(toJson(v) as never, status);

/**
 * The client's address, for the per-source login throttle: the socket's peer, or behind a reverse proxy that
 * OpenLFR is told to trust (OPENLFR_TRUST_PROXY), the last address the proxy appended to X-Forwarded-For.
 * `in-process` when the app is driven without a socket (tests).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const last = (c.req.header('x-forwarded-for') ?? '').split(',').map((x) => x.trim()).filter(Boolean).at(-1);
    if (last) return last.slice(0, 64);
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'in-process';
}
