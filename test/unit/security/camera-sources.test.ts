/**
 * Issue 14, finding 6 (docs/security.md): camera sources. Any URL was accepted (ffmpeg fetched it: SSRF), or any
 * server folder; credentials in camera URLs were stored and shown as typed. Through the services and the HTTP API
 * on the real schema (PGlite).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../../src/api/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { OpenLfrError } from '../../../src/errors.ts';
import { redactSource } from '../../../src/governance/camera-sources.ts';
import type { DeploymentInput } from '../../../src/governance/deployments.ts';
import { makeRig, pngBytes, type TestRig } from '../../helpers/governance.ts';
import { people, type People } from '../../helpers/live-deployment.ts';

const code = (c: string, msg?: RegExp) => (e: unknown) => e instanceof OpenLfrError && e.code === c && (!msg || msg.test(e.message));

let rig: TestRig;
let p: People;
before(async () => {
  rig = await makeRig();
  p = await people(rig.services);
});
after(() => rig.close());

const draft = (cameras: string[]): DeploymentInput => ({
  name: 'Camera test', purpose: 'Locate people wanted on warrant expected in the crowd', useCase: 'Locate wanted persons',
  locations: [{ name: 'Queen Street, Cardiff', reason: 'Intelligence places the wanted subjects here' }], cameras,
  startsAt: new Date('2026-06-01T10:00:00Z'), endsAt: new Date('2026-06-01T16:00:00Z'), threshold: 0.6, dpiaRef: 'DPIA-2026-014', policyRefs: ['LFR-POLICY-v3'],
});

async function refusedCodes(action: string): Promise<string[]> {
  return (await rig.db.query<{ code: string }>(`select details::jsonb->>'code' as code from audit_log where action = $1 order by seq`, [action])).map((r) => r.code);
}

test('camera sources: a stream is refused unless an ADMIN allowed its host or URL prefix; parser tricks are refused; audited', async () => {
  const s = rig.services;
  rig.clock.set('2026-06-01T08:00:00Z');
  await assert.rejects(s.deployments.create(p.op, draft(['meta=http://169.254.169.254/latest/meta-data/'])), code('CAMERA_SOURCE_REFUSED', /not on the ADMIN's allow-list/));
  await assert.rejects(s.cameraSources.add(p.op, { entry: 'cam-7.force.local', reason: 'North entrance camera of Queen Street' }), code('FORBIDDEN'));
  await s.cameraSources.add(p.admin, { entry: 'cam-7.force.local', reason: 'North entrance camera of Queen Street' });
  await s.cameraSources.add(p.admin, { entry: 'rtsp://10.20.0.15:554/Streaming/', reason: 'The van camera streams of the unit' });
  await assert.rejects(s.cameraSources.add(p.admin, { entry: 'rtsp://u:p@10.20.0.16/', reason: 'The van camera streams of the unit' }), code('BAD_REQUEST'));
  assert.deepEqual((await s.cameraSources.list(p.admin)).map((e) => [e.entry, e.kind]), [['cam-7.force.local', 'host'], ['rtsp://10.20.0.15:554/Streaming/', 'prefix']]);

  for (const ok of ['north=rtsp://cam-7.force.local:554/stream1', 'https://CAM-7.force.local/live.m3u8', 'van=rtsp://10.20.0.15:554/Streaming/Channels/101']) {
    await s.deployments.create(p.op, draft([ok]));
  }
  const attempts = [
    'rtsp://cam-7.force.local@169.254.169.254/', // the allowed name as a user name
    'http://cam-7.force.local\\@169.254.169.254/', // read as a path by one parser, as a user name by ffmpeg
    'rtsp://cam-7.force.local.evil.example/stream', // a longer host
    'ftp://cam-7.force.local/file', // not a streaming scheme
    'rtsp://10.20.0.15:8554/Streaming/Channels/101', // another port than the prefix
    'rtsp://10.20.0.15:554/Other/1', // outside the prefix's path
    'rtsp://10.20.0.15:554/StreamingX/1', // a path that only starts like it
    'concat:/etc/passwd|/etc/shadow', // ffmpeg protocols
    'file:///etc/passwd',
    'subfile,,start,0,end,100,,:/etc/passwd',
  ];
  for (const bad of attempts) await assert.rejects(s.deployments.create(p.op, draft([`x=${bad}`])), code('CAMERA_SOURCE_REFUSED'), bad);
  assert.equal((await refusedCodes('deployment.create.refused')).filter((c) => c === 'CAMERA_SOURCE_REFUSED').length, attempts.length + 1, 'every refusal audited');

  // a draft edited to another source is checked too
  const d = await s.deployments.create(p.op, draft(['north=rtsp://cam-7.force.local/stream1']));
  await assert.rejects(s.deployments.update(p.op, d.id, { cameras: ['north=rtsp://169.254.169.254/'] }), code('CAMERA_SOURCE_REFUSED'));
  assert.deepEqual(await refusedCodes('deployment.update.refused'), ['CAMERA_SOURCE_REFUSED']);
});

test('camera sources: a source taken off the allow-list after authority cannot go live', async () => {
  const s = rig.services;
  await s.cameraSources.add(p.admin, { entry: 'cam-9.force.local', reason: 'South entrance camera of Queen Street' });
  rig.clock.set('2026-06-01T08:00:00Z');
  const d = await s.deployments.create(p.op, draft(['south=rtsp://cam-9.force.local/stream1']));
  const e = await s.watchlists.enrol(p.wm1, d.id, {
    sourceRecordId: 'PNC-31/000777C', category: 'WANTED_BY_COURT', reason: 'Failed to appear: warrant issued', legalBasis: 'Warrant of the Crown Court',
    imageSource: 'custody imaging', captureDate: '2026-01-05', under18: false, image: await pngBytes(3),
  });
  await s.watchlists.review(p.wm2, e.id, 'Checked on PNC today');
  await s.deployments.requestAuthorisation(p.op, d.id, 'one wanted subject expected');
  await s.deployments.authorise(p.supt, d.id, 'Necessary and proportionate: specific intelligence');
  await s.deployments.confirmPublicNotice(p.op, d.id, 'A-boards at both ends');
  await s.cameraSources.remove(p.admin, 'cam-9.force.local', 'The camera was moved to another site');
  rig.clock.set('2026-06-01T10:05:00Z');
  await assert.rejects(s.deployments.goLive(p.op, d.id), code('CAMERA_SOURCE_REFUSED'));
  assert.ok((await refusedCodes('deployment.go-live.refused')).includes('CAMERA_SOURCE_REFUSED'));
  assert.equal((await s.store.repos.deployments.byId(d.id))!.state, 'AUTHORISED');
});

test('camera sources: files and folders only under the media root; escapes and links out are refused; the root is checked at start', async () => {
  const s = rig.services;
  const root = join(rig.home, 'media');
  assert.deepEqual(s.config.governance.mediaRoots, [root], 'the default root is <home>/media');
  mkdirSync(join(root, 'door'), { recursive: true });
  symlinkSync('/etc', join(root, 'escape'));
  for (const ok of ['door', `door=${join(root, 'door')}`, 'clip=recordings/2026-06-01.mp4']) await s.deployments.create(p.op, draft([ok]));
  for (const bad of ['/etc/passwd', 'x=../../etc/passwd', `x=${root}/../db`, 'x=escape/passwd', 'x=escape', 'x=-i /etc/passwd']) {
    await assert.rejects(s.deployments.create(p.op, draft([bad])), code('CAMERA_SOURCE_REFUSED'), bad);
  }
  assert.throws(() => loadConfig({}, { OPENLFR_MEDIA_ROOT: 'relative/media' }), code('CONFIG_INVALID', /absolute/));
  assert.throws(() => loadConfig({}, { OPENLFR_MEDIA_ROOT: join(rig.home, 'no-such-folder') }), code('CONFIG_INVALID', /not an existing folder/));
  assert.deepEqual(loadConfig({}, { OPENLFR_MEDIA_ROOT: `${root}:/tmp` }).governance.mediaRoots, [root, '/tmp']);
});

test('camera sources: credentials in a URL are sealed at rest, shown redacted by the API and the audit trail, and given back only to the live pipeline', async () => {
  const s = rig.services;
  await s.cameraSources.add(p.admin, { entry: 'cam-8.force.local', reason: 'Stage door camera of the venue' });
  rig.clock.set('2026-06-01T08:00:00Z');
  const secret = 'S3cret-Pa55';
  const token = 'tok9f8e7d';
  const full = `door=rtsp://svc-openlfr:${secret}@cam-8.force.local:554/stream?channel=1&token=${token}`;
  const d = await s.deployments.create(p.op, draft([full, 'door2']));
  const shown = 'door=rtsp://svc-openlfr:***@cam-8.force.local:554/stream?channel=1&token=***';
  assert.deepEqual(d.cameras, [shown, 'door2']);

  const everything = async () => {
    const rows = await rig.db.query<{ t: string }>(`select (select string_agg(cameras::text, ' ') from deployments) || (select string_agg(coalesce(reason, '') || coalesce(details::text, ''), ' ') from audit_log) as t`);
    const sealed = await rig.db.query<{ sealed: Uint8Array }>('select sealed from deployment_camera_secrets where deployment_id = $1', [d.id]);
    return { text: rows[0]!.t, sealed: sealed[0] ? Buffer.from(sealed[0].sealed).toString('latin1') : '' };
  };
  let at = await everything();
  for (const x of [secret, token]) {
    assert.ok(!at.text.includes(x), 'not in the deployments table or the audit trail');
    assert.ok(!at.sealed.includes(x), 'sealed, not stored in clear');
  }
  assert.ok(at.sealed.length > 0);

  const app = createApp(s);
  const login = async (u: string) => ((await (await app.request('/api/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: `${u}-password-1` }) })).json()) as { token: string }).token;
  const op = await login('op');
  const apiText = await (await app.request(`/api/v1/deployments/${d.id}`, { headers: { authorization: `Bearer ${op}` } })).text();
  assert.ok(apiText.includes('svc-openlfr:***@cam-8.force.local') && !apiText.includes(secret) && !apiText.includes(token));
  const admin = await login('admin');
  const audit = await (await app.request('/api/v1/audit?limit=1000', { headers: { authorization: `Bearer ${admin}` } })).text();
  assert.ok(!audit.includes(secret) && !audit.includes(token));

  // the live pipeline (and only it) gets the real source back; logs use the redacted form
  const live = await s.cameraSources.sources(p.op, d.id);
  assert.deepEqual(live.map((c) => [c.name, c.source, c.shown]), [
    ['door', full.slice('door='.length), shown.slice('door='.length)],
    ['door2', join(rig.home, 'media', 'door2'), 'door2'],
  ]);
  await assert.rejects(s.cameraSources.sources(p.wm1, d.id), code('FORBIDDEN'));

  // the console sends the draft back as it was shown: the held credential is kept
  await s.deployments.update(p.op, d.id, { cameras: [shown, 'door3'] });
  assert.equal((await s.cameraSources.sources(p.op, d.id))[0]!.source, full.slice('door='.length));
  // a camera without credentials: nothing sealed any more
  await s.deployments.update(p.op, d.id, { cameras: ['door=rtsp://cam-8.force.local/stream'] });
  at = await everything();
  assert.equal(at.sealed, '');
  assert.ok(!at.text.includes(secret));

  assert.equal(redactSource('rtsp://admin:hunter2@10.0.0.5/Streaming'), 'rtsp://admin:***@10.0.0.5/Streaming');
  assert.equal(redactSource('rtsp://sometoken@10.0.0.5/x?user=a&password=b'), 'rtsp://***@10.0.0.5/x?user=a&password=***');
  assert.equal(redactSource('/srv/media/clip.mp4'), '/srv/media/clip.mp4');
});
