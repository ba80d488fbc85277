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
import { SYSTEM_LIVE } from '../../src/governance/model.ts';
import { makeRig, pngBytes, type TestRig, confirmGrants } from '../helpers/governance.ts';
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
  for (const [username, roles, rank] of [
    ['op', ['OPERATOR'], null],
    ['eo', ['ENGAGEMENT_OFFICER'], null],
    ['aud', ['AUDITOR'], null],
    ['wm1', ['WATCHLIST_MANAGER'], null],
    ['wm2', ['WATCHLIST_MANAGER'], null],
    ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
  ] as const) {
    await call('POST', '/api/v1/users', tok.admin, { username, displayName: username, roles, rank, password: `${username}-password-1` });
    tok[username] = (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  }
  // AUTHORISING_OFFICER and a rank need a second ADMIN (issue 14, 3a)
  await confirmGrants(rig.services, await rig.services.users.authenticate(tok.admin));
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
  const decision = html.slice(html.indexOf('<code>/api/v1/alerts/{id}/decision</code></h3>'));
  assert.match(decision.slice(0, decision.indexOf('<h4>Responses')), /<code>decision<\/code> <span class="req">required<\/span>/, 'request body fields shown in place');
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

/** A LIVE deployment with one reviewed entry, and `n` possible matches raised on it by the live pipeline's principal. */
async function liveDeploymentWithAlerts(n: number): Promise<{ id: string; alerts: string[] }> {
  rig.clock.set('2026-06-01T08:00:00Z');
  const ok = (r: { status: number; body: unknown }, status = 200) => assert.equal(r.status, status, JSON.stringify(r.body));
  const dep = await call('POST', '/api/v1/deployments', tok.op, {
    name: 'Console test',
    purpose: 'Locate a person wanted on warrant expected in the crowd',
    useCase: 'Locate wanted persons',
    locations: [{ name: 'Queen Street', reason: 'Intelligence places the wanted subject at this street today' }],
    cameras: ['van-1'],
    startsAt: '2026-06-01T10:00:00Z',
    endsAt: '2026-06-01T16:00:00Z',
    threshold: 0.6,
    dpiaRef: 'DPIA-1',
    policyRefs: ['POLICY-1'],
  });
  ok(dep, 201);
  const id = dep.body.id as string;
  const entry = await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, {
    sourceRecordId: `PNC-${id}`,
    category: 'WANTED_BY_COURT',
    reason: 'Failed to appear: warrant issued by the Crown Court',
    legalBasis: 'Warrant of the Crown Court, not backed for bail',
    imageSource: 'custody imaging',
    captureDate: '2026-01-05',
    under18: false,
    imageBase64: Buffer.from(await pngBytes(7)).toString('base64'),
  });
  ok(entry, 201);
  ok(await call('POST', `/api/v1/watchlist/${entry.body.id}/review`, tok.wm2, { note: 'checked on PNC' }));
  ok(await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'please' }));
  ok(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: 'necessary and proportionate' }));
  ok(await call('POST', `/api/v1/deployments/${id}/public-notice`, tok.op, { note: 'signs up' }));
  rig.clock.set('2026-06-01T10:30:00Z');
  ok(await call('POST', `/api/v1/deployments/${id}/go-live`, tok.op));
  const alerts: string[] = [];
  for (let i = 0; i < n; i++) {
    rig.clock.advance(1000);
    const crop = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(90 + i) };
    const a = await rig.services.alerts.raise(SYSTEM_LIVE, { deploymentId: id, camera: `cam-${i}`, trackId: i, subjectRef: entry.body.subjectRef as string, score: 0.7 + i / 100, threshold: 0.6, videoTimeSec: i, shotsFused: 2, crop });
    alerts.push(a.id);
  }
  return { id, alerts };
}

test('alerts through the API: the queue newest first, one alert with its reason, both faces to the roles that judge, to no one else', async () => {
  const { id, alerts } = await liveDeploymentWithAlerts(2);
  const list = await call('GET', `/api/v1/deployments/${id}/alerts`, tok.op);
  assert.equal(list.status, 200);
  assert.deepEqual((list.body as unknown as Array<{ id: string }>).map((a) => a.id), [...alerts].reverse());
  const one = await call('GET', `/api/v1/alerts/${alerts[0]}`, tok.eo);
  assert.equal(one.body.status, 'PENDING');
  assert.equal(one.body.wording, 'possible match');
  assert.equal(one.body.reason, 'Failed to appear: warrant issued by the Crown Court');
  assert.equal(one.body.threshold, 0.6);
  for (const who of ['op', 'eo']) {
    const probe = await app.request(`/api/v1/alerts/${alerts[0]}/probe-image`, { headers: { authorization: `Bearer ${tok[who]}` } });
    assert.equal(probe.status, 200);
    assert.equal(probe.headers.get('content-type'), 'image/jpeg');
    assert.equal(probe.headers.get('cache-control'), 'no-store');
    assert.deepEqual([...new Uint8Array(await probe.arrayBuffer()).subarray(0, 2)], [0xff, 0xd8]);
    const wl = await app.request(`/api/v1/alerts/${alerts[0]}/watchlist-image`, { headers: { authorization: `Bearer ${tok[who]}` } });
    assert.equal(wl.headers.get('content-type'), 'image/png', 'the enrolled PNG is served as PNG');
  }
  assert.equal((await call('GET', `/api/v1/alerts/${alerts[0]}/probe-image`, tok.aud)).status, 403, 'the auditor sees facts, not faces');
  assert.equal((await call('GET', `/api/v1/deployments/${id}/alerts`, tok.wm1)).status, 403);
  assert.equal((await call('GET', `/api/v1/alerts/alr_nope`, tok.op)).status, 404);
  const reads = (await call('GET', '/api/v1/audit?action=biometric.image.read&limit=1000', tok.admin)).body as unknown as Array<{ actor: string; reason: string }>;
  for (const who of ['op', 'eo']) assert.equal(reads.filter((r) => r.actor === `user:${who}` && r.reason.includes(alerts[0]!)).length, 2, `both faces ${who} saw are audited`);
});

test('decisions through the API: only an operator decides, once; only an engagement officer records an outcome, with a note; an undecided alert stays pending', async () => {
  const { id, alerts } = await liveDeploymentWithAlerts(3);
  const [a, b, c] = alerts as [string, string, string];
  const events = await app.request(`/api/v1/events?deploymentId=${id}`, { headers: { authorization: `Bearer ${tok.op}` } });
  const got = readEvents(events, 4);
  await new Promise((r) => setTimeout(r, 50));
  const expectErr = (r: { status: number; body: { code?: string } }, status: number, code: string) => assert.deepEqual([r.status, r.body.code], [status, code], JSON.stringify(r.body));
  expectErr(await call('POST', `/api/v1/alerts/${a}/decision`, tok.eo, { decision: 'DISMISS' }), 403, 'FORBIDDEN');
  expectErr(await call('POST', `/api/v1/alerts/${a}/decision`, tok.op, { decision: 'IDENTIFIED' }), 400, 'BAD_REQUEST');
  expectErr(await call('POST', `/api/v1/alerts/${a}/decision`, tok.op, { decision: 'DISMISS', extra: true }), 400, 'BAD_REQUEST');
  const dismissed = await call('POST', `/api/v1/alerts/${a}/decision`, tok.op, { decision: 'DISMISS', note: 'different person' });
  assert.equal(dismissed.body.status, 'DISMISSED');
  expectErr(await call('POST', `/api/v1/alerts/${a}/decision`, tok.op, { decision: 'ENGAGE' }), 409, 'CONFLICT');
  expectErr(await call('POST', `/api/v1/alerts/${a}/outcome`, tok.eo, { outcome: 'ARRESTED', note: 'should not be possible' }), 409, 'CONFLICT');
  assert.equal((await call('POST', `/api/v1/alerts/${b}/decision`, tok.op, { decision: 'ENGAGE' })).body.status, 'ENGAGED');
  expectErr(await call('POST', `/api/v1/alerts/${b}/outcome`, tok.op, { outcome: 'IDENTITY_CONFIRMED', note: 'I did it' }), 403, 'FORBIDDEN');
  expectErr(await call('POST', `/api/v1/alerts/${b}/outcome`, tok.eo, { outcome: 'IDENTITY_CONFIRMED' }), 400, 'BAD_REQUEST');
  expectErr(await call('POST', `/api/v1/alerts/${b}/outcome`, tok.eo, { outcome: 'IDENTIFIED', note: 'x y z' }), 400, 'BAD_REQUEST');
  const closed = await call('POST', `/api/v1/alerts/${b}/outcome`, tok.eo, { outcome: 'IDENTITY_CONFIRMED', note: 'Name and date of birth confirmed' });
  assert.deepEqual([closed.body.status, closed.body.outcome], ['CLOSED', 'IDENTITY_CONFIRMED']);
  const pending = await call('GET', `/api/v1/deployments/${id}/alerts?status=PENDING`, tok.op);
  assert.deepEqual((pending.body as unknown as Array<{ id: string }>).map((x) => x.id), [c]);
  expectErr(await call('GET', `/api/v1/deployments/${id}/alerts?status=MAYBE`, tok.op), 400, 'BAD_REQUEST');
  const live = await call('GET', `/api/v1/deployments/${id}/live`, tok.op);
  assert.deepEqual([live.body.running, live.body.pending], [false, 1]);
  assert.equal((await call('GET', `/api/v1/deployments/${id}/live`, tok.wm1)).body.pending, null, 'no alert counts for a role that may not read alerts');
  const pushed = await got;
  assert.deepEqual(
    pushed.filter((e) => e.event === 'alert').map((e) => (e.data as { alertId: string }).alertId),
    [a, b, b],
    'each decision is pushed to open consoles',
  );
});
