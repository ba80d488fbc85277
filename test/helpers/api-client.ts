/** Drives the Hono app in-process (no socket) the way an HTTP client would. */
import type { App } from '../../src/api/app.ts';

export interface ApiResult {
  status: number;
  body: Record<string, unknown> & { code?: string; message?: string };
  raw: Response;
}

export function client(app: App) {
  return async function call(method: string, path: string, token?: string | null, body?: unknown, rawBody?: string): Promise<ApiResult> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, { method, headers, ...(rawBody !== undefined ? { body: rawBody } : body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.clone().text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, raw: res };
  };
}
