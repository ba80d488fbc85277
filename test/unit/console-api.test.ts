/**
 * The console's server side through the HTTP API: the push channel (authenticated, filtered per
 * deployment, carries no biometric data), the permission list the console shows, the API reference
 * page, and the static console with its content security policy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/api/app.ts';
import { makeRig, type TestRig } from '../helpers/governance.ts';
import { client } from '../helpers/api-client.ts';

let rig: TestRig;
let app: App;
let call: ReturnType<typeof client>;
let dist: string;
const tok: Record<string, string> = {};

before(async () => {
  rig = await makeRig();
  dist = mkdtempSync(join(tmpdir(), 'openlfr-console-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(rig.home, 'secret.txt'), 'outside the console folder');
  app = createApp(rig.services, { consoleDir: dist });
  call = client(app);
  await rig.services.users.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: 'admin-password-1' });
  tok.admin = (await call('POST', '/api/v1/sessions', null, { username: 'admin', password: 'admin-password-1' })).body.token as string;
  for (const [username, roles] of [
    ['op', ['OPERATOR']],
    ['eo', ['ENGAGEMENT_OFFICER']],
  ] as const) {
    await call('POST', '/api/v1/users', tok.admin, { username, displayName: username, roles, password: `${username}-password-1` });
    tok[username] = (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  }
});
after(async () => {
  await rig.close();
  rmSync(dist, { recursive: true, force: true });
});

/** Reads SSE blocks from a response body until `want` events have arrived (or the time runs out). */
async function readEvents(res: Response, want: number, ms = 3000): Promise<Array<{ event: string; data: unknown }>> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: Array<{ event: string; data: unknown }> = [];
  let buf = '';
  const deadline = Date.now() + ms;
  try {
    while (out.length < want && Date.now() < deadline) {
      const r = await Promise.race([reader.read(), new Promise<null>((res) => setTimeout(() => res(null), deadline - Date.now()))]);
      if (!r || r.done) break;
      buf += r.value;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        if (event && data) out.push({ event, data: JSON.parse(data) });
      }
    }
  } finally {
    await reader.cancel();
  }
  return out;
}

test('the push channel needs a valid session: no token, a wrong token, a revoked token all get 401', async () => {
  for (const auth of [null, 'not-a-token']) {
    const r = await app.request('/api/v1/events', { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { code: string }).code, 'UNAUTHENTICATED');
  }
  const t = (await call('POST', '/api/v1/sessions', null, { username: 'op', password: 'op-password-1' })).body.token as string;
  await call('DELETE', '/api/v1/sessions', t);
  assert.equal((await app.request('/api/v1/events', { headers: { authorization: `Bearer ${t}` } })).status, 401);
});

test('the push channel delivers alert, counters and deployment events, only for the deployment asked for', async () => {
  const res = await app.request('/api/v1/events?deploymentId=dep_a', { headers: { authorization: `Bearer ${tok.eo}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const got = readEvents(res, 4);
  await new Promise((r) => setTimeout(r, 50));
  rig.services.events.emit('alert', { deploymentId: 'dep_b', alertId: 'al_other' });
  rig.services.events.emit('alert', { deploymentId: 'dep_a', alertId: 'al_1' });
  rig.services.events.emit('counters', { deploymentId: 'dep_a', framesAnalysed: 10, facesDetected: 3, tracks: 1, alerts: 1, pending: 1 });
  rig.services.events.emit('deployment', { id: 'dep_b', state: 'LIVE' });
  rig.services.events.emit('deployment', { id: 'dep_a', state: 'CLOSED' });
  const events = await got;
  assert.deepEqual(
    events.map((e) => e.event),
    ['hello', 'alert', 'counters', 'deployment'],
  );
  assert.deepEqual(events[1]!.data, { deploymentId: 'dep_a', alertId: 'al_1' });
  assert.deepEqual(events[3]!.data, { id: 'dep_a', state: 'CLOSED' });
  assert.equal(rig.services.events.listenerCount('alert'), 0, 'listeners removed when the client goes');
});

test('the console learns what the user may do from the one permission table', async () => {
  const op = (await call('GET', '/api/v1/me/permissions', tok.op)).body.permissions as string[];
  const eo = (await call('GET', '/api/v1/me/permissions', tok.eo)).body.permissions as string[];
  assert.ok(op.includes('deployment.operate') && !op.includes('deployment.authorise'));
  assert.ok(!eo.includes('watchlist.read') && !eo.includes('watchlist.enrol'));
  assert.equal((await call('GET', '/api/v1/me/permissions', null)).status, 401);
});

test('the console routes are in /openapi.json and the API page renders it without scripts or other origins', async () => {
  const doc = (await call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  for (const p of ['/api/v1/events', '/api/v1/deployments/{id}/alerts', '/api/v1/alerts/{id}', '/api/v1/alerts/{id}/decision', '/api/v1/alerts/{id}/outcome', '/api/v1/alerts/{id}/probe-image', '/api/v1/alerts/{id}/watchlist-image', '/api/v1/deployments/{id}/live/start', '/api/v1/deployments/{id}/live']) {
    assert.ok(doc.paths[p], `${p} documented`);
  }
  const page = await app.request('/api/docs');
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<code>\/api\/v1\/alerts\/\{id\}\/decision<\/code>/);
  assert.match(html, /id="schema-Alert"/);
  assert.match(html, /&quot;DISMISS&quot;/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!127)/i);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
});

test('the console is served from its folder under a same-origin policy, with the app for any page and nothing outside', async () => {
  const root = await app.request('/');
  assert.equal(root.status, 200);
  assert.match(await root.text(), /<div id="root">/);
  const csp = root.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /https?:|\*/);
  const js = await app.request('/assets/app.js');
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.match(await (await app.request('/deployments/x')).text(), /<div id="root">/, 'any other page gets the app');
  for (const evil of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/%E0%A4%A']) {
    const r = await app.request(evil);
    assert.doesNotMatch(await r.text(), /outside the console folder/, evil);
  }
  const api404 = await app.request('/api/v1/nothing-here', { headers: { authorization: `Bearer ${tok.op}` } });
  assert.equal(api404.status, 404);
  assert.equal(((await api404.json()) as { code: string }).code, 'NOT_FOUND');
});
