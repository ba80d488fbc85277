/**
 * The retention rules with a driven clock, on the real schema (PGlite in memory; also on a PostgreSQL
 * server when OPENLFR_TEST_DATABASE_URL is set): every rule deletes exactly what it should, when it should,
 * for real (blob rows, template rows, sealed files), audited; an interrupted deletion is finished by the
 * next run; a broken audit chain raises the alarm.
 */
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OpenLfrError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config.ts';
import { startServerOn } from '../../src/api/server.ts';
import type { Alert } from '../../src/governance/model.ts';
import type { AuditAlarm } from '../../src/governance/retention.ts';
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import { BiometricStore } from '../../src/store/biometric-store.ts';
import { makeRig, openTestPostgres, type TestRig } from '../helpers/governance.ts';
import { judge, liveDeployment, people, raise, type People } from '../helpers/live-deployment.ts';

const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

function sealedFiles(home: string): string[] {
  const dir = join(home, 'blobs');
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.sealed')) : [];
}

async function cropHeld(rig: TestRig, id: string): Promise<{ rows: number; file: boolean; deletedAt: Date | null }> {
  const rows = await rig.db.query<{ id: string }>('select id from biometric_blobs where owner_id = $1', [id]);
  const file = rows.some((r) => existsSync(join(rig.home, 'blobs', r.id.slice(0, 2), `${r.id}.sealed`)));
  const a = (await rig.services.store.repos.alerts.byId(id)) as Alert;
  return { rows: rows.length, file, deletedAt: a.biometricsDeletedAt };
}

async function auditActions(rig: TestRig, target: string): Promise<string[]> {
  return (await rig.db.query<{ action: string }>('select action from audit_log where target = $1 order by seq', [target])).map((r) => r.action);
}

async function everyRule(rig: TestRig, p: People): Promise<void> {
  const s = rig.services;
  const { id, subjectRefs: [s1, s2] } = await liveDeployment(s, p, rig.clock);
  const a: Record<string, Alert> = {};
  for (const k of ['dismissed', 'notThePerson', 'nfa', 'arrested', 'confirmedExported', 'engagedNoOutcome', 'pending']) a[k] = await raise(s, id, k === 'pending' ? s2! : s1!);
  // a template held for an alert is deleted with its crop (the store keeps none today; the rule covers it)
  const bio = new BiometricStore({ key: s.key, home: rig.home, clock: rig.clock, audit: new AuditTrail(rig.clock) });
  await s.store.tx((_r, tx) => bio.putTemplate(tx, 'alert', a.dismissed!.id, 'fake', new Float32Array([1, 0, 0, 0]), { actor: 'test', reason: 'template of an alert' }));
  await s.store.repos.counters.add({ deploymentId: id, camera: 'van-1-north', framesDecoded: 9000, framesAnalysed: 3000, framesDropped: 12, facesDetected: 4200, tracks: 1000, alerts: 7 }, rig.clock.now());
  assert.equal(sealedFiles(rig.home).length, 2 + 7, 'two watchlist images and seven crops');

  rig.clock.set('2026-06-01T10:30:00Z');
  await judge(s, p, a.dismissed!.id, 'DISMISS');
  await judge(s, p, a.notThePerson!.id, 'ENGAGE', 'NOT_THE_PERSON');
  await judge(s, p, a.nfa!.id, 'ENGAGE', 'NO_FURTHER_ACTION');
  await judge(s, p, a.engagedNoOutcome!.id, 'ENGAGE');
  rig.clock.set('2026-06-01T10:40:00Z');
  await judge(s, p, a.arrested!.id, 'ENGAGE', 'ARRESTED');
  await judge(s, p, a.confirmedExported!.id, 'ENGAGE', 'IDENTITY_CONFIRMED');
  await assert.rejects(s.retention.exportToCase(p.eo, a.dismissed!.id, 'CASE/1', 'needed'), code('CONFLICT'));
  await assert.rejects(s.retention.exportToCase(p.op, a.confirmedExported!.id, 'CASE/1', 'needed'), code('FORBIDDEN'));
  await assert.rejects(s.retention.exportToCase(p.eo, a.confirmedExported!.id, '<script>', 'needed'), code('BAD_REQUEST'));
  const ex = await s.retention.exportToCase(p.eo, a.confirmedExported!.id, '62/12345/26', 'Evidence of identification for the warrant');
  assert.equal(ex.caseRef, '62/12345/26');
  await assert.rejects(s.retention.exportToCase(p.eo, a.confirmedExported!.id, '62/12345/26', 'again'), code('CONFLICT'));
  assert.deepEqual(await auditActions(rig, `alert:${a.confirmedExported!.id}`), ['alert.raise', 'alert.decide.engage', 'alert.outcome', 'alert.export-to-case']);

  // Rule 2, default hold 0 hours: the next run deletes the crops of negative decisions, and nothing else.
  rig.clock.set('2026-06-01T10:41:00Z');
  const r1 = await s.retention.run();
  assert.deepEqual(new Set(r1.cropsDeleted['negative-decision']), new Set([a.dismissed!.id, a.notThePerson!.id, a.nfa!.id]));
  assert.deepEqual([r1.cropsDeleted['positive-period'], r1.cropsDeleted['undecided-period']], [[], []]);
  for (const k of ['dismissed', 'notThePerson', 'nfa']) {
    assert.deepEqual(await cropHeld(rig, a[k]!.id), { rows: 0, file: false, deletedAt: new Date('2026-06-01T10:41:00Z') }, k);
    assert.deepEqual((await auditActions(rig, `alert:${a[k]!.id}`)).at(-1), 'alert.retention.delete');
  }
  assert.equal((await rig.db.query('select * from templates where owner_id = $1', [a.dismissed!.id])).length, 0, 'the alert template went with the crop');
  for (const k of ['arrested', 'confirmedExported', 'engagedNoOutcome', 'pending']) assert.equal((await cropHeld(rig, a[k]!.id)).file, true, k);
  // the facts stay for the figures
  assert.equal((await s.store.repos.alerts.byId(a.nfa!.id))!.outcome, 'NO_FURTHER_ACTION');

  // Close: the watchlist goes at once; the pending alert waits for a decision.
  rig.clock.set('2026-06-01T11:00:00Z');
  await s.deployments.close(p.op, id, 'Operation ended');
  assert.equal(sealedFiles(rig.home).length, 4, 'four crops remain: arrested, exported, engaged, pending');

  // Rule 4: PENDING alerts of an ended deployment are kept 23 hours (R5: within 24 h), then deleted and counted as unjudged.
  rig.clock.set(new Date(Date.parse('2026-06-01T11:00:00Z') + 23 * 3600_000 - 60_000).toISOString());
  assert.deepEqual((await s.retention.run()).cropsDeleted['undecided-period'], []);
  rig.clock.advance(120_000);
  assert.deepEqual((await s.retention.run()).cropsDeleted['undecided-period'], [a.pending!.id]);
  assert.equal((await cropHeld(rig, a.pending!.id)).file, false);
  await assert.rejects(s.alerts.decide(p.op, a.pending!.id, 'DISMISS'), code('CONFLICT'));
  assert.equal((await s.store.repos.alerts.byId(a.pending!.id))!.status, 'PENDING');

  // Rule 3: engagements are kept 31 days from the outcome (or the decision to engage), unless exported.
  rig.clock.set(new Date(Date.parse('2026-06-01T10:30:00Z') + 31 * DAY + 60_000).toISOString());
  assert.deepEqual((await s.retention.run()).cropsDeleted['positive-period'], [a.engagedNoOutcome!.id]);
  rig.clock.set(new Date(Date.parse('2026-06-01T10:40:00Z') + 31 * DAY - 60_000).toISOString());
  assert.deepEqual((await s.retention.run()).cropsDeleted['positive-period'], []);
  rig.clock.advance(120_000);
  assert.deepEqual((await s.retention.run()).cropsDeleted['positive-period'], [a.arrested!.id]);
  rig.clock.advance(365 * DAY);
  await s.retention.run();
  assert.equal((await cropHeld(rig, a.confirmedExported!.id)).file, true, 'an exported crop is off the retention clock');
  await s.retention.releaseFromCase(p.eo, a.confirmedExported!.id, 'Case closed at court');
  assert.deepEqual(await cropHeld(rig, a.confirmedExported!.id), { rows: 0, file: false, deletedAt: rig.clock.now() });

  assert.deepEqual(sealedFiles(rig.home), []);
  assert.equal((await rig.db.query('select * from biometric_blobs')).length, 0);
  assert.equal((await rig.db.query('select * from biometric_tombstones')).length, 0);
  const v = await s.audit.verify(p.aud);
  assert.equal(v.ok, true);

  // The figures survive deletion.
  const rec = await s.transparency.deployment(p.aud, id);
  assert.equal(rec.alerts, 7);
  assert.deepEqual(
    [rec.trueAlerts, rec.falseAlerts, rec.confirmedAlerts, rec.unconfirmedAlerts, rec.unjudgedAlerts, rec.engagements, rec.arrests],
    [2, 2, 3, 3, 1, 5, 1],
  );
  assert.equal(rec.facesSeen, 1000);
  assert.equal(rec.falseAlertRatePerFaceSeen, 2 / 1000);
  assert.equal(rec.falseAlertRatePerAlert, 2 / 7);
  assert.deepEqual([rec.cropsHeld, rec.cropsDeleted, rec.exportedToCase], [0, 7, 1]);
  assert.deepEqual([rec.watchlistSize, rec.watchlistByCategory.WANTED_BY_COURT, rec.watchlistByCategory.MISSING_AT_RISK], [2, 1, 1]);
  assert.equal(rec.durationMinutes, 55);
}

/** One store for the scenarios below (starting an embedded PostgreSQL costs seconds); each uses its own days. */
describe('retention on the embedded store', () => {
  let crash = false;
  const removed: string[] = [];
  let rig: TestRig;
  let p: People;
  before(async () => {
    rig = await makeRig({
      removeFile: (path) => {
        if (crash) throw new Error('simulated crash after the rows were deleted');
        removed.push(path);
        rmSync(path, { force: true });
      },
    });
    p = await people(rig.services);
  });
  let closedByServer = false;
  after(async () => {
    if (closedByServer) rmSync(rig.home, { recursive: true, force: true });
    else await rig.close();
  });

  it('every rule, driven by the clock, with the default configuration', () => everyRule(rig, p));

  it('a configured hold keeps a dismissed crop until it ends (the job reads the configuration at each run)', async () => {
    const s = rig.services;
    s.config.retention.negativeAlertHours = 2;
    try {
      const { id, subjectRefs } = await liveDeployment(s, p, rig.clock, '2027-09-01');
      const al = await raise(s, id, subjectRefs[0]!);
      await judge(s, p, al.id, 'DISMISS');
      rig.clock.advance(2 * HOUR - 1000);
      assert.deepEqual((await s.retention.run()).cropsDeleted['negative-decision'], []);
      rig.clock.advance(1000);
      assert.deepEqual((await s.retention.run()).cropsDeleted['negative-decision'], [al.id]);
    } finally {
      s.config.retention.negativeAlertHours = 0;
    }
  });

  it('a deletion interrupted between the row and the file is finished by the next run', async () => {
    const s = rig.services;
    const { id, subjectRefs } = await liveDeployment(s, p, rig.clock, '2027-10-01');
    await s.retention.run(); // the earlier scenario's deployment ended: closed and destroyed now
    const al = await raise(s, id, subjectRefs[0]!);
    await judge(s, p, al.id, 'DISMISS');
    crash = true;
    await assert.rejects(s.retention.run(), /simulated crash/);
    // committed: row gone, alert marked, tombstone written, deletion audited; the file is still there
    const held = await cropHeld(rig, al.id);
    assert.deepEqual([held.rows, held.deletedAt !== null], [0, true]);
    const [tomb] = await rig.db.query<{ blob_id: string }>('select blob_id from biometric_tombstones');
    assert.ok(tomb);
    const path = join(rig.home, 'blobs', tomb.blob_id.slice(0, 2), `${tomb.blob_id}.sealed`);
    assert.equal(existsSync(path), true);
    assert.match(s.retention.status(p.op).lastRunError ?? '', /simulated crash/);
    // the next run (after a restart) finishes it
    crash = false;
    removed.length = 0;
    const r = await s.retention.run();
    assert.equal(r.interruptedDeletesFinished, 1);
    assert.deepEqual(removed, [path]);
    assert.equal(existsSync(path), false);
    assert.equal((await rig.db.query('select * from biometric_tombstones')).length, 0);
    assert.equal(s.retention.status(p.op).lastRunError, null);
  });

  it('the job verifies the audit chain; a broken chain raises the alarm (event, status)', async () => {
    const s = rig.services;
    const alarms: AuditAlarm[] = [];
    s.events.on('audit-alarm', (a: AuditAlarm) => alarms.push(a));
    rig.clock.advance(3600_000);
    const r1 = await s.retention.run();
    assert.equal(r1.audit?.ok, true);
    assert.equal((await s.retention.run()).audit, null, 'not re-verified inside the interval (600 s)');
    await rig.db.exec(`alter table audit_log disable trigger audit_log_no_update;
      update audit_log set reason = 'rewritten' where seq = 3;
      alter table audit_log enable trigger audit_log_no_update;`);
    rig.clock.advance(600_000);
    const r2 = await s.retention.run();
    assert.equal(r2.audit?.ok, false);
    assert.equal(alarms.length, 1);
    assert.equal(alarms[0]!.firstBad?.seq, 3);
    assert.match(alarms[0]!.message, /BROKEN at entry 3/);
    const st = s.retention.status(p.op);
    assert.equal(st.auditAlarm, true);
    assert.equal(st.audit?.firstBad?.seq, 3);
  });

  it('the server runs the job at start and logs the alarm', async (t) => {
    const logged: string[] = [];
    t.mock.method(console, 'error', (m: string) => logged.push(m));
    rig.clock.advance(600_000);
    const server = await startServerOn(rig.services, loadConfig({ home: rig.home, server: { port: 0 } }, {}));
    closedByServer = true;
    await server.close();
    const alarms = logged.filter((l) => l.includes('AUDIT ALARM'));
    assert.equal(alarms.length, 1, logged.join('\n'));
    assert.match(alarms[0]!, /^openlfr AUDIT ALARM: audit trail BROKEN at entry 3/);
  });
});

const pgUrl = process.env.OPENLFR_TEST_DATABASE_URL;
test('retention: every rule on a PostgreSQL server', { skip: pgUrl ? false : 'OPENLFR_TEST_DATABASE_URL not set' }, async () => {
  const rig = await makeRig({ db: await openTestPostgres(pgUrl!) });
  try {
    await everyRule(rig, await people(rig.services));
  } finally {
    await rig.close();
  }
});
