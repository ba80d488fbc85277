/**
 * The retention, transparency and oversight commands through the real CLI on a real on-disk store
 * (embedded PostgreSQL under OPENLFR_HOME, sealed files, argon2id passwords): records made by the services
 * with a driven clock, then `report deployment --html`, `subject`, and `retention run` (real clock:
 * everything due is deleted; a tampered audit chain exits 3 and names the entry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../src/config.ts';
import { createServices } from '../../src/governance/services.ts';
import { createDataKey } from '../../src/store/crypto.ts';
import { openStore } from '../../src/store/open-store.ts';
import { ManualClock } from '../helpers/governance.ts';
import { FakeEngine } from '../helpers/scripted-engine.ts';
import { judge, liveDeployment, people, raise, SUBJECTS } from '../helpers/live-deployment.ts';

test('report, subject and retention run through the CLI on the on-disk store', async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-transparency-'));
  const keyB64 = randomBytes(32).toString('base64');
  const env: NodeJS.ProcessEnv = { ...process.env, OPENLFR_HOME: home, OPENLFR_KEY: keyB64, OPENLFR_DEMO: '0' };
  delete env.DATABASE_URL;
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), ...args], { env, encoding: 'utf8', cwd: home });
  try {
    const config = loadConfig({ home }, {});
    const clock = new ManualClock();
    const store = await openStore({ home });
    const engine = new FakeEngine();
    const s = createServices({ config, store, key: createDataKey(Buffer.from(keyB64, 'base64'), 'env'), engine: async () => engine, clock });
    const p = await people(s);
    const dep = await liveDeployment(s, p, clock, '2025-06-01');
    const a1 = await raise(s, dep.id, dep.subjectRefs[0]!);
    const a2 = await raise(s, dep.id, dep.subjectRefs[0]!);
    await s.store.repos.counters.add({ deploymentId: dep.id, camera: 'van-1-north', framesDecoded: 10, framesAnalysed: 10, framesDropped: 0, facesDetected: 300, tracks: 250, alerts: 2 }, clock.now());
    await judge(s, p, a1.id, 'ENGAGE', 'ARRESTED');
    clock.set('2025-06-01T11:00:00Z');
    await s.deployments.close(p.op, dep.id, 'ended');
    await s.close();
    const blobFiles = () => readdirSync(join(home, 'blobs'), { recursive: true }).map(String).filter((f) => f.endsWith('.sealed'));
    assert.equal(blobFiles().length, 2, 'two crops held after close');

    const html = cli('report', 'deployment', dep.id, '--html', '--out', join(home, 'report.html'));
    assert.equal(html.status, 0, html.stderr);
    const page = readFileSync(join(home, 'report.html'), 'utf8');
    assert.match(page, /<td class="n">250<\/td>/);
    assert.doesNotMatch(page, /<script|https?:\/\//);

    const sub = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), 'subject', SUBJECTS[0]!.sourceRecordId, '--as', 'aud', '--reason', 'SAR-2025-7'], { env: { ...env, OPENLFR_PASSWORD: 'aud-password-1' }, encoding: 'utf8', cwd: home });
    assert.equal(sub.status, 0, sub.stderr);
    const answer = JSON.parse(sub.stdout) as { subjectRef: string; onAnyWatchlist: boolean; alerts: unknown[] };
    assert.deepEqual([answer.subjectRef, answer.onAnyWatchlist, answer.alerts.length], [dep.subjectRefs[0], true, 2]);

    // tamper with the chain as a superuser could; then the job, on the real clock long after the deployment:
    // the arrest's 31 days and the pending alert's 7 days are over, so both crops go; the chain check fails
    // and the command exits 3 naming the entry
    const st = await openStore({ home });
    await st.db.exec(`alter table audit_log disable trigger audit_log_no_update; update audit_log set reason = 'x' where seq = 5; alter table audit_log enable trigger audit_log_no_update;`);
    await st.close();
    const run = cli('retention', 'run');
    assert.equal(run.status, 3, run.stderr);
    const r = JSON.parse(run.stdout) as { cropsDeleted: Record<string, string[]>; audit: { ok: boolean; firstBad: { seq: number } } };
    assert.deepEqual(r.cropsDeleted, { 'negative-decision': [], 'positive-period': [a1.id], 'undecided-period': [a2.id] });
    assert.deepEqual([r.audit.ok, r.audit.firstBad.seq], [false, 5]);
    assert.deepEqual(blobFiles(), []);
    assert.equal(existsSync(join(home, 'db.lock')), false);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
