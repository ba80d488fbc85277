/**
 * Serves the built web console (console/dist, made by `npm run build:console`) and the API reference
 * page. Everything comes from this server: the content security policy allows no other origin, so a
 * console that tried to load a font, a script or an image from elsewhere would fail in the browser.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { App } from './route-kit.ts';
import { renderApiPage } from './docs-page.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export const CONSOLE_CSP = "default-src 'self'; img-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

async function fileIn(root: string, urlPath: string): Promise<string | null> {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const p = normalize(join(root, rel));
  if (p !== root && !p.startsWith(root + sep)) return null; // no way out of the folder
  const s = await stat(p).catch(() => null);
  return s?.isFile() ? p : null;
}

export function registerConsoleStatic(app: App, dir: string): void {
  const root = normalize(dir);
  app.get('/api', (c) => c.redirect('/api/docs'));
  app.get('/api/docs', (c) => {
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'OpenLFR API', version: '1' } }) as unknown as Record<string, unknown>;
    c.header('content-security-policy', DOCS_CSP);
    return c.html(renderApiPage(doc));
  });
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || path === '/openapi.json' || path === '/health') return next();
    const headers = { 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    const file = (path !== '/' && (await fileIn(root, path))) || (await fileIn(root, '/index.html'));
    if (!file) {
      return c.html('<!doctype html><title>OpenLFR</title><h1>The console is not built</h1><p>Run <code>npm run build:console</code> (it runs on <code>npm ci</code>). The API is at <a href="/api/docs">/api/docs</a>.</p>', 503);
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const cache = file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
    return c.body(new Uint8Array(await readFile(file)), 200, { ...headers, 'content-type': type, 'cache-control': cache });
  });
}
