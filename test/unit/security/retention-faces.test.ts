/**
 * Issue 14, finding 9 (docs/security.md): retention and who sees which faces. Pending alerts' crops lived 7 days
 * after the deployment (R5 says 24 h); watchlist images were served until the next sweep after the window ended;
 * engagement officers saw the faces of every alert, pending or dismissed. Through the services and the HTTP API
 * on the real schema (PGlite), with a driven clock.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../../src/api/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { OpenLfrError } from '../../../src/errors.ts';
import { makeRig, type TestRig } from '../../helpers/governance.ts';
import { judge, liveDeployment, people, raise, type People } from '../../helpers/live-deployment.ts';

const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;
const HOUR = 3600_000;

let rig: TestRig;
let p: People;
before(async () => {
  rig = await makeRig();
  p = await people(rig.services);
});
after(() => rig.close());

async function refusals(action: string, target: string): Promise<string[]> {
  return (await rig.db.query<{ code: string }>(`select details::jsonb->>'code' as code from audit_log where action = $1 and target = $2 order by seq`, [action, target])).map((r) => r.code);
}

test('retention: the 24-hour rule for undecided alerts is the default and cannot be configured away; the former 7-day setting is refused', () => {
  assert.equal(loadConfig({}, {}).retention.pendingAlertHours, 23);
  assert.throws(() => loadConfig({}, { OPENLFR_RETENTION_PENDING_ALERT_HOURS: '48' }), code('CONFIG_INVALID'));
  assert.throws(() => loadConfig({}, { OPENLFR_RETENTION_PENDING_ALERT_HOURS: '24', OPENLFR_SWEEP_INTERVAL_SEC: '60' }), code('CONFIG_INVALID'), 'hold plus one run must fit in 24 h');
  assert.throws(() => loadConfig({}, { OPENLFR_RETENTION_PENDING_ALERT_DAYS: '7' }), (e: unknown) => code('CONFIG_INVALID')(e) && /PENDING_ALERT_HOURS/.test((e as Error).message));
});

test('retention: an undecided alert is not shown 23 h after its deployment ended, even before the job runs; the job deletes it then, not after 7 days', async () => {
  const s = rig.services;
  const { id, subjectRefs } = await liveDeployment(s, p, rig.clock, '2026-07-01', 'Pending rule');
  const pending = await raise(s, id, subjectRefs[0]!);
  assert.ok((await s.alerts.probeImage(p.op, pending.id)).length > 0, 'shown while the deployment runs');
  // the window ends at 16:00; the sweep closes it late (the server was off), at 18:00: the hold counts from 16:00
  rig.clock.set('2026-07-01T18:00:00Z');
  await s.retention.run();
  assert.equal((await s.store.repos.deployments.byId(id))!.state, 'CLOSED');
  rig.clock.set(new Date(Date.parse('2026-07-01T16:00:00Z') + 23 * HOUR - 60_000).toISOString());
  assert.ok((await s.alerts.probeImage(p.op, pending.id)).length > 0, 'an operator may still judge it within the hold');
  assert.deepEqual((await s.retention.run()).cropsDeleted['undecided-period'], []);

  rig.clock.set(new Date(Date.parse('2026-07-01T16:00:00Z') + 23 * HOUR + 1000).toISOString());
  await assert.rejects(s.alerts.probeImage(p.op, pending.id), code('RETENTION_ENDED'), 'refused before the job has run');
  assert.deepEqual(await refusals('alert.image.refused', `alert:${pending.id}`), ['RETENTION_ENDED']);
  assert.deepEqual((await s.retention.run()).cropsDeleted['undecided-period'], [pending.id]);
  await assert.rejects(s.alerts.probeImage(p.op, pending.id), code('NOT_FOUND'));
});

test('retention: watchlist images are refused from the end of the window, before the sweep destroys them, on both routes (audited)', async () => {
  const s = rig.services;
  const { id, subjectRefs } = await liveDeployment(s, p, rig.clock, '2026-08-01', 'Window rule');
  const a = await raise(s, id, subjectRefs[0]!);
  const entryId = a.entryId;
  assert.ok((await s.watchlists.image(p.wm1, entryId, 'checking the photo during the deployment')).length > 0);
  assert.ok((await s.alerts.watchlistImage(p.op, a.id)).length > 0);
  const app = createApp(s);
  const token = async (u: string) => ((await (await app.request('/api/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: `${u}-password-1` }) })).json()) as { token: string }).token;
  const wm = await token('wm1');
  const op = await token('op');
  const get = (path: string, tok: string) => app.request(path, { headers: { authorization: `Bearer ${tok}` } });
  assert.equal((await get(`/api/v1/watchlist/${entryId}/image?reason=${encodeURIComponent('checking the photo again')}`, wm)).status, 200);

  // 16:00:01: the window is over, the deployment is still LIVE (no sweep yet) and the image still on disk
  rig.clock.set('2026-08-01T16:00:01Z');
  assert.equal((await s.store.repos.deployments.byId(id))!.state, 'LIVE');
  await assert.rejects(s.watchlists.image(p.wm1, entryId, 'checking the photo after the end'), code('RETENTION_ENDED'));
  await assert.rejects(s.alerts.watchlistImage(p.op, a.id), code('RETENTION_ENDED'));
  const viaApi = await get(`/api/v1/watchlist/${entryId}/image?reason=${encodeURIComponent('checking the photo after the end')}`, wm);
  assert.deepEqual([viaApi.status, ((await viaApi.json()) as { code: string }).code], [410, 'RETENTION_ENDED']);
  assert.equal((await get(`/api/v1/alerts/${a.id}/watchlist-image`, op)).status, 410);
  assert.deepEqual(await refusals('watchlist.image.refused', `watchlist-entry:${entryId}`), ['RETENTION_ENDED', 'RETENTION_ENDED']);
  assert.deepEqual(await refusals('alert.image.refused', `alert:${a.id}`), ['RETENTION_ENDED', 'RETENTION_ENDED']);
});

test('faces: an engagement officer sees the faces only of alerts sent for engagement, and of a closed one only if they recorded its outcome', async () => {
  const s = rig.services;
  const { id, subjectRefs } = await liveDeployment(s, p, rig.clock, '2026-09-01', 'Who sees faces');
  const admin = p.admin;
  await s.users.create(admin, { username: 'eo2', displayName: 'eo2', roles: ['ENGAGEMENT_OFFICER'], password: 'eo2-password-1' });
  const eo2 = await s.users.checkPassword('eo2', 'eo2-password-1', 'test');
  const pending = await raise(s, id, subjectRefs[0]!);
  const dismissed = await raise(s, id, subjectRefs[0]!);
  const engaged = await raise(s, id, subjectRefs[0]!);
  const closed = await raise(s, id, subjectRefs[0]!);
  await judge(s, p, dismissed.id, 'DISMISS');
  await judge(s, p, engaged.id, 'ENGAGE');
  await judge(s, p, closed.id, 'ENGAGE', 'ARRESTED');

  for (const a of [pending, dismissed]) {
    await assert.rejects(s.alerts.probeImage(p.eo, a.id), code('FORBIDDEN'));
    await assert.rejects(s.alerts.watchlistImage(p.eo, a.id), code('FORBIDDEN'));
    assert.deepEqual(await refusals('alert.image.refused', `alert:${a.id}`), ['FORBIDDEN', 'FORBIDDEN']);
    assert.ok((await s.alerts.probeImage(p.op, a.id)).length > 0, 'the operator judges every alert of the queue');
  }
  for (const who of [p.eo, eo2]) {
    assert.ok((await s.alerts.probeImage(who, engaged.id)).length > 0, 'sent for engagement: every engagement officer may see it');
    assert.ok((await s.alerts.watchlistImage(who, engaged.id)).length > 0);
  }
  assert.ok((await s.alerts.probeImage(p.eo, closed.id)).length > 0, 'the officer who recorded the outcome');
  await assert.rejects(s.alerts.probeImage(eo2, closed.id), code('FORBIDDEN'));
  // the facts (not the faces) stay readable to the engagement team
  assert.equal((await s.alerts.get(eo2, pending.id)).status, 'PENDING');
});
