/**
 * Transparency records and oversight: the mapping from recorded decisions to the published columns, the
 * CSV and self-contained HTML files, the summary across deployments, subject access (by reference or by
 * source-system id, after destruction, audited), the oversight status and export to a case, through the API.
 */
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { createApp } from '../../src/api/app.ts';
import type { Alert } from '../../src/governance/model.ts';
import { alertFigures, type DeploymentRecord } from '../../src/governance/transparency.ts';
import { COLUMNS, deploymentHtml, toCsv } from '../../src/governance/transparency-format.ts';
import { client } from '../helpers/api-client.ts';
import { CALIBRATION_SAMPLE, makeRig, type TestRig } from '../helpers/governance.ts';
import { judge, liveDeployment, people, raise, SUBJECTS, type People } from '../helpers/live-deployment.ts';

const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;
type A = Pick<Alert, 'status' | 'operatorDecision' | 'outcome'>;
const al = (status: A['status'], operatorDecision: A['operatorDecision'] = null, outcome: A['outcome'] = null): A => ({ status, operatorDecision, outcome });

test('figures: each recorded decision lands in exactly the documented columns', () => {
  const cases: [A, Partial<ReturnType<typeof alertFigures>>][] = [
    [al('PENDING'), { unjudgedAlerts: 1 }],
    [al('DISMISSED', 'DISMISS'), { falseAlerts: 1, unconfirmedAlerts: 1, falseUnconfirmed: 1 }],
    [al('ENGAGED', 'ENGAGE'), { unconfirmedAlerts: 1, engagedUnconfirmed: 1, engagements: 1 }],
    [al('CLOSED', 'ENGAGE', 'NO_FURTHER_ACTION'), { unconfirmedAlerts: 1, engagedUnconfirmed: 1, engagements: 1 }],
    [al('CLOSED', 'ENGAGE', 'NOT_THE_PERSON'), { falseAlerts: 1, confirmedAlerts: 1, falseConfirmed: 1, engagements: 1 }],
    [al('CLOSED', 'ENGAGE', 'IDENTITY_CONFIRMED'), { trueAlerts: 1, confirmedAlerts: 1, trueConfirmed: 1, engagements: 1 }],
    [al('CLOSED', 'ENGAGE', 'ARRESTED'), { trueAlerts: 1, confirmedAlerts: 1, trueConfirmed: 1, engagements: 1, arrests: 1 }],
  ];
  const zero = { trueAlerts: 0, falseAlerts: 0, confirmedAlerts: 0, unconfirmedAlerts: 0, unjudgedAlerts: 0, trueConfirmed: 0, falseConfirmed: 0, falseUnconfirmed: 0, engagedUnconfirmed: 0, engagements: 0, arrests: 0 };
  for (const [a, expect] of cases) {
    const f = alertFigures([a], 10);
    const { alerts, falseAlertRatePerAlert, falseAlertRatePerFaceSeen, ...counts } = f;
    assert.deepEqual(counts, { ...zero, ...expect }, JSON.stringify(a));
    assert.equal(alerts, 1);
    assert.equal(falseAlertRatePerAlert, expect.falseAlerts ?? 0);
    assert.equal(falseAlertRatePerFaceSeen, (expect.falseAlerts ?? 0) / 10);
  }
  const none = alertFigures([], 0);
  assert.deepEqual([none.falseAlertRatePerAlert, none.falseAlertRatePerFaceSeen], [null, null]);
});

test('config: safe defaults, environment variables, and the 24-hour limit for negative decisions', () => {
  const d = loadConfig({}, {}).retention;
  assert.deepEqual(d, { negativeAlertHours: 0, positiveAlertDays: 31, pendingAlertHours: 23, evaluationCacheDays: 30, auditVerifyIntervalSec: 600 });
  const e = loadConfig({}, { OPENLFR_RETENTION_NEGATIVE_ALERT_HOURS: '3', OPENLFR_RETENTION_POSITIVE_ALERT_DAYS: '14', OPENLFR_RETENTION_PENDING_ALERT_HOURS: '2', OPENLFR_RETENTION_EVALUATION_CACHE_DAYS: '0', OPENLFR_AUDIT_VERIFY_INTERVAL_SEC: '60' }).retention;
  assert.deepEqual(e, { negativeAlertHours: 3, positiveAlertDays: 14, pendingAlertHours: 2, evaluationCacheDays: 0, auditVerifyIntervalSec: 60 });
  assert.throws(() => loadConfig({}, { OPENLFR_RETENTION_EVALUATION_CACHE_DAYS: '400' }), code('CONFIG_INVALID'));
  assert.throws(() => loadConfig({}, { OPENLFR_RETENTION_NEGATIVE_ALERT_HOURS: '23', OPENLFR_SWEEP_INTERVAL_SEC: '3601' }), code('CONFIG_INVALID'));
  assert.throws(() => loadConfig({}, { OPENLFR_RETENTION_NEGATIVE_ALERT_HOURS: '25' }), code('CONFIG_INVALID'));
  assert.throws(() => loadConfig({}, { OPENLFR_RETENTION_POSITIVE_ALERT_DAYS: 'forever' }), code('CONFIG_INVALID'));
});

describe('transparency and oversight on the embedded store, through the API', () => {
  let rig: TestRig;
  let p: People;
  let call: ReturnType<typeof client>;
  const tok: Record<string, string> = {};
  let dep1: { id: string; subjectRefs: string[] };
  let dep2: { id: string; subjectRefs: string[] };
  const alerts: Alert[] = [];

  before(async () => {
    rig = await makeRig();
    const s = rig.services;
    p = await people(s);
    await s.calibrations.record(p.admin, { engineId: rig.engine.id, datasetFingerprint: 'lfw-devtest:abc123', threshold: 0.55, figures: { fpir: 0.001 }, sample: CALIBRATION_SAMPLE });
    dep1 = await liveDeployment(s, p, rig.clock, '2026-06-01', 'Queen Street <match day>, "north"');
    for (let i = 0; i < 4; i++) alerts.push(await raise(s, dep1.id, dep1.subjectRefs[0]!));
    await s.store.repos.counters.add({ deploymentId: dep1.id, camera: 'van-1-north', framesDecoded: 100, framesAnalysed: 50, framesDropped: 0, facesDetected: 900, tracks: 400, alerts: 4 }, rig.clock.now());
    await judge(s, p, alerts[0]!.id, 'DISMISS');
    await judge(s, p, alerts[1]!.id, 'ENGAGE', 'ARRESTED');
    await judge(s, p, alerts[2]!.id, 'ENGAGE', 'NOT_THE_PERSON');
    rig.clock.set('2026-06-01T12:05:00Z');
    await s.deployments.close(p.op, dep1.id, 'ended');
    dep2 = await liveDeployment(s, p, rig.clock, '2026-06-08', 'Central Station');
    await s.store.repos.counters.add({ deploymentId: dep2.id, camera: 'van-1-south', framesDecoded: 100, framesAnalysed: 50, framesDropped: 0, facesDetected: 300, tracks: 100, alerts: 0 }, rig.clock.now());
    rig.clock.set('2026-06-08T11:05:00Z');
    await s.deployments.close(p.op, dep2.id, 'ended');
    await s.retention.run();
    const app = createApp(s);
    call = client(app);
    for (const u of ['op', 'aud', 'eo']) tok[u] = String((await s.users.login(u, `${u}-password-1`)).token);
  });
  after(() => rig.close());

  it('the deployment record carries the published columns, the calibration behind the floor, and figures from what remains', async () => {
    const r = await call('GET', `/api/v1/deployments/${dep1.id}/report`, tok.op);
    assert.equal(r.status, 200);
    const b = r.body as unknown as DeploymentRecord & { calibration: { id: string; datasetFingerprint: string } };
    assert.equal(b.date, '2026-06-01');
    assert.deepEqual(b.locations, ['Queen Street, Cardiff']);
    assert.equal(b.durationMinutes, 120);
    assert.equal(b.watchlistSize, 2);
    assert.deepEqual(b.watchlistByCategory, { WANTED_BY_COURT: 1, WANTED_BY_POLICE_SUSPECT: 0, BAIL_OR_COURT_ORDER: 0, MISSING_AT_RISK: 1, RISK_OF_HARM: 0 });
    assert.deepEqual([b.threshold, b.floor], [0.6, 0.55]);
    assert.equal(b.calibration.datasetFingerprint, 'lfw-devtest:abc123');
    assert.match(String(b.floorSource), new RegExp(b.calibration.id));
    assert.deepEqual([b.facesSeen, b.alerts, b.trueAlerts, b.falseAlerts, b.unjudgedAlerts, b.engagements, b.arrests], [400, 4, 1, 2, 1, 2, 1]);
    assert.equal(b.falseAlertRatePerFaceSeen, 2 / 400);
    // the run is a week after the deployment: the undecided alert's crop went too (R5: 23 h after the end)
    assert.deepEqual([b.cropsDeleted, b.cropsHeld], [3, 1], 'dismissed, not-the-person and undecided crops deleted by the run');
  });

  it('CSV and HTML: the same columns; HTML is self-contained and escapes what people typed', async () => {
    const csv = await call('GET', `/api/v1/deployments/${dep1.id}/report?format=csv`, tok.op);
    assert.match(csv.raw.headers.get('content-type') ?? '', /^text\/csv/);
    const text = String(csv.body.text);
    const [head, row, last] = text.split('\r\n');
    assert.equal(head, COLUMNS.map(([h]) => h).join(','));
    assert.equal(last, '');
    assert.ok(row!.includes('"Queen Street <match day>, ""north"""'), row);
    const html = String((await call('GET', `/api/v1/deployments/${dep1.id}/report?format=html`, tok.op)).body.text);
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes('Queen Street &lt;match day&gt;, &quot;north&quot;'));
    assert.doesNotMatch(html, /<script|<link|<img|src=|url\(|https?:\/\//i);
    for (const [h] of COLUMNS) assert.ok(html.includes(`>${h.replaceAll('_', ' ')}<`), h);
    // the published report carries the audit head; an auditor can check it later against the trail
    const anchor = /audit verify --anchor (\d+:[0-9a-f]{64})/.exec(html)?.[1];
    assert.ok(anchor, 'the HTML names the audit anchor');
    const v = await call('GET', `/api/v1/audit/verify?anchor=${anchor}`, tok.aud);
    assert.equal(v.status, 200);
    assert.equal(v.body.ok, true);
    const wrong = await call('GET', `/api/v1/audit/verify?anchor=${anchor.split(':')[0]}:${'0'.repeat(64)}`, tok.aud);
    assert.equal(wrong.body.ok, false);
    assert.equal((await call('GET', '/api/v1/audit/verify?anchor=nonsense', tok.aud)).status, 400);
  });

  it('CSV neutralises spreadsheet formulas in typed text', () => {
    const rec = { deploymentId: 'd', name: '=HYPERLINK("x")', locations: [], policyRefs: [], watchlistByCategory: {}, generatedAt: new Date(), auditAnchor: { seq: 1, hash: 'a'.repeat(64) } } as unknown as DeploymentRecord;
    assert.ok(toCsv([rec]).split('\r\n')[1]!.includes(`"'=HYPERLINK(""x"")"`));
    assert.ok(deploymentHtml(rec).includes('=HYPERLINK(&quot;x&quot;)'));
  });

  it('summary across deployments in [from, to): one row each, totals, bad dates refused', async () => {
    const r = await call('GET', '/api/v1/reports/summary?from=2026-06-01&to=2026-06-30', tok.aud);
    assert.equal(r.status, 200);
    const t = r.body.totals as Record<string, number>;
    assert.deepEqual([t.deployments, t.wentLive, t.facesSeen, t.alerts, t.falseAlerts, t.durationMinutes], [2, 2, 500, 4, 2, 180]);
    assert.equal(t.falseAlertRatePerFaceSeen, 2 / 500);
    const one = await call('GET', '/api/v1/reports/summary?from=2026-06-05&to=2026-06-30', tok.aud);
    assert.deepEqual((one.body.deployments as { deploymentId: string }[]).map((d) => d.deploymentId), [dep2.id]);
    const csv = String((await call('GET', '/api/v1/reports/summary?from=2026-06-01&to=2026-06-30&format=csv', tok.aud)).body.text);
    assert.equal(csv.split('\r\n').length, 4);
    assert.equal((await call('GET', '/api/v1/reports/summary?from=2026-06-30&to=2026-06-01', tok.aud)).body.code, 'BAD_REQUEST');
    assert.equal((await call('GET', '/api/v1/reports/summary?from=nonsense&to=2026-06-01', tok.aud)).body.code, 'BAD_REQUEST');
    assert.equal((await call('GET', '/api/v1/reports/summary?from=2026-06-01&to=2026-06-30')).status, 401);
  });

  it('subject access: by reference or by source-system id, after destruction, audited, AUDITOR/ADMIN only', async () => {
    const ref = dep1.subjectRefs[0]!;
    const byRef = await call('POST', '/api/v1/subjects/lookup', tok.aud, { subjectRef: ref, reason: 'SAR-2026-0042' });
    assert.equal(byRef.status, 200);
    const bySource = await call('POST', '/api/v1/subjects/lookup', tok.aud, { sourceRecordId: SUBJECTS[0]!.sourceRecordId, reason: 'SAR-2026-0042' });
    assert.deepEqual({ ...bySource.body, checkedAt: 0 }, { ...byRef.body, checkedAt: 0 });
    const b = byRef.body as { onAnyWatchlist: boolean; watchlists: { deploymentId: string; category: string; destroyedAt: string | null }[]; alerts: { status: string; outcome: string | null; cropDeletedAt: string | null }[] };
    assert.equal(b.onAnyWatchlist, true);
    assert.deepEqual(b.watchlists.map((w) => [w.deploymentId, w.category, w.destroyedAt !== null]), [[dep1.id, 'WANTED_BY_COURT', true], [dep2.id, 'WANTED_BY_COURT', true]]);
    const facts = b.alerts.map((a) => [a.status, a.outcome, a.cropDeletedAt !== null]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    assert.deepEqual(facts, [['CLOSED', 'ARRESTED', false], ['CLOSED', 'NOT_THE_PERSON', true], ['DISMISSED', null, true], ['PENDING', null, true]]);
    const nobody = await call('POST', '/api/v1/subjects/lookup', tok.aud, { sourceRecordId: 'PNC-99/000000Z', reason: 'SAR-2026-0043' });
    assert.deepEqual([nobody.body.onAnyWatchlist, (nobody.body.alerts as unknown[]).length], [false, 0]);
    assert.equal((await call('POST', '/api/v1/subjects/lookup', tok.op, { subjectRef: ref, reason: 'curious' })).body.code, 'FORBIDDEN');
    assert.equal((await call('POST', '/api/v1/subjects/lookup', tok.aud, { subjectRef: 'PNC-11', reason: 'SAR' })).body.code, 'BAD_REQUEST');
    assert.equal((await call('POST', '/api/v1/subjects/lookup', tok.aud, { reason: 'SAR' })).body.code, 'BAD_REQUEST');
    const log = await rig.db.query<{ target: string; reason: string; details: string }>(`select target, reason, details from audit_log where action = 'subject.access' order by seq`);
    assert.deepEqual(log.map((l) => l.reason), ['SAR-2026-0042', 'SAR-2026-0042', 'SAR-2026-0043']);
    assert.equal(log[0]!.target, `subject:${ref}`);
    assert.ok(!JSON.stringify(log).includes('PNC-'), 'the source-system id is never stored');
  });

  it('oversight status for the console; export to case through the API', async () => {
    const st = await call('GET', '/api/v1/oversight/status', tok.op);
    assert.equal(st.status, 200);
    assert.equal(st.body.auditAlarm, false);
    assert.equal((st.body.audit as { ok: boolean }).ok, true);
    const ex = await call('POST', `/api/v1/alerts/${alerts[1]!.id}/export-to-case`, tok.eo, { caseRef: '62/777/26', note: 'Arrest file' });
    assert.equal(ex.status, 201);
    assert.equal((await call('POST', `/api/v1/alerts/${alerts[0]!.id}/export-to-case`, tok.eo, { caseRef: '62/777/26', note: 'x' })).status, 400);
    assert.equal((await call('POST', `/api/v1/alerts/${alerts[0]!.id}/export-to-case`, tok.eo, { caseRef: '62/777/26', note: 'Arrest file' })).body.code, 'CONFLICT');
    const rel = await call('POST', `/api/v1/alerts/${alerts[1]!.id}/release-from-case`, tok.eo, { reason: 'Case finalised' });
    assert.equal(rel.status, 200);
    assert.ok(rel.body.biometricsDeletedAt);
  });
});
