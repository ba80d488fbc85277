/** `openlfr evaluate` as a user runs it: real engine, real files, JSON on stdout, report folder written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PROJECT_ROOT, loadConfig } from '../../src/config.ts';
import { defaultEngine } from '../../src/governance/engine-provider.ts';
import { openServices } from '../../src/governance/services.ts';
import { ds } from '../helpers/datasets.ts';

const bin = join(PROJECT_ROOT, 'bin', 'openlfr.mjs');
const bbt = ds('bbt', 'identities');
const KEY = randomBytes(32).toString('base64');

test('openlfr evaluate --json --out: one JSON object, report.html, evaluation.json, calibration.json; the cache is sealed', async () => {
  const home = await mkdtemp(join(tmpdir(), 'openlfr-cli-home-'));
  const out = join(home, 'report');
  const r = spawnSync(process.execPath, [bin, 'evaluate', '--dataset', bbt, '--mated-as-nonmated', '--json', '--out', out], {
    encoding: 'utf8',
    env: { ...process.env, OPENLFR_HOME: home, OPENLFR_KEY: KEY },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.includes('['), false, 'no progress bar when stderr is not a terminal');
  const json = JSON.parse(r.stdout);
  for (const key of ['engine', 'mode', 'identities', 'watchlistSize', 'matedSearches', 'nonMatedSearches', 'fta', 'operatingPoints', 'pairsAccuracy', 'groups', 'equitableThreshold'])
    assert.ok(key in json, key);
  assert.equal(json.identities, 8);
  assert.equal(json.watchlistSize, 8);
  assert.equal(json.nonMatedSearches, 32);
  assert.deepEqual((await readdir(out)).sort(), ['calibration.json', 'evaluation.json', 'report.html']);
  const cal = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8'));
  assert.equal(cal.engineId, json.engine);
  assert.match(cal.datasetFingerprint, /^[0-9a-f]{64}$/);
  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<h2>Accuracy by reference-photo strength<\/h2>/);
  assert.ok(json.referenceStrength.bins.length >= 2, 'TPIR by the reference photo\'s strength is in the JSON');
  assert.equal(json.references.choice, 'first');
  // the template cache is a sealed blob of the biometric store: no cache folder, one sealed file under blobs
  assert.deepEqual((await readdir(home)).filter((f) => !['report', 'db', 'blobs'].includes(f)), []);
  const blobs = (await readdir(join(home, 'blobs'), { recursive: true })).map(String).filter((f) => f.endsWith('.sealed'));
  assert.equal(blobs.length, 1);
  const sealed = await readFile(join(home, 'blobs', blobs[0]!));
  assert.equal(sealed.indexOf(Buffer.from('OLFR-TC3')), -1, 'the template cache is encrypted');
  const env = { ...process.env, OPENLFR_HOME: home, OPENLFR_KEY: KEY };
  const warm = spawnSync(process.execPath, [bin, 'evaluate', '--dataset', bbt, '--json'], { encoding: 'utf8', env });
  assert.equal(JSON.parse(warm.stdout).analysed, 0);
  // every access is in the audit trail as system:evaluation; --clear-cache destroys the cache, audited
  const clear = spawnSync(process.execPath, [bin, 'evaluate', '--clear-cache', '--json'], { encoding: 'utf8', env });
  assert.equal(clear.status, 0, clear.stderr);
  assert.deepEqual(JSON.parse(clear.stdout), { clearedCaches: 1 });
  assert.deepEqual((await readdir(join(home, 'blobs'), { recursive: true })).map(String).filter((f) => f.endsWith('.sealed')), []);
  const services = await openServices(loadConfig({ home, key: KEY }), defaultEngine);
  try {
    const rows = await services.store.db.query<{ actor: string; action: string; reason: string }>("select actor, action, reason from audit_log where action like 'biometric.%' order by seq");
    assert.deepEqual(
      rows.map((r) => r.action),
      ['biometric.evaluation-cache.write', 'biometric.evaluation-cache.read', 'biometric.destroy'],
    );
    assert.ok(rows.every((r) => r.actor === 'system:evaluation' && r.reason.startsWith('evaluation template cache')));
  } finally {
    await services.close();
  }
  await rm(home, { recursive: true, force: true });
});

test('openlfr evaluate without a data key keeps templates in memory only: nothing written under OPENLFR_HOME', async () => {
  const home = await mkdtemp(join(tmpdir(), 'openlfr-cli-nokey-'));
  const env: NodeJS.ProcessEnv = { ...process.env, OPENLFR_HOME: home };
  for (const k of ['OPENLFR_KEY', 'OPENLFR_KEY_FILE', 'OPENLFR_DEMO']) delete env[k];
  const r = spawnSync(process.execPath, [bin, 'evaluate', '--dataset', bbt, '--json'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no data key .*templates are kept in memory only, not cached/);
  assert.equal(JSON.parse(r.stdout).fromCache, 0);
  assert.deepEqual(await readdir(home), [], 'no store, no blobs, no cache file');
  await rm(home, { recursive: true, force: true });
});

test('openlfr evaluate refuses bad input with a clear message and exit code 2', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'evaluate', ...args], { encoding: 'utf8', env: { ...process.env, OPENLFR_HOME: tmpdir() } });
  const none = run();
  assert.equal(none.status, 2);
  assert.match(none.stderr, /BAD_REQUEST: Give either --dataset/);
  const missing = run('--dataset', join(tmpdir(), 'no-such-dataset-here'), '--no-cache');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /Cannot read the dataset folder/);
  const nan = run('--dataset', bbt, '--fpir-target', 'lots', '--no-cache');
  assert.equal(nan.status, 2);
  assert.match(nan.stderr, /--fpir-target must be a number/);
});

/**
 * A store with an ADMIN (admin), an AUTHORISING_OFFICER (supt) and an OPERATOR (op), made through the CLI; supt's
 * role and rank are confirmed by a second ADMIN (admin2), as issue 14 item 3a requires. Returns the env to act as one.
 */
function people(home: string): (who?: string) => NodeJS.ProcessEnv {
  const base = { ...process.env, OPENLFR_HOME: home, OPENLFR_KEY: KEY };
  const as = (who?: string): NodeJS.ProcessEnv => (who ? { ...base, OPENLFR_PASSWORD: `${who}-Calibration-pass-9` } : base);
  for (const [who, args] of [
    ['admin', ['--role', 'ADMIN']],
    ['admin2', ['--role', 'ADMIN', '--as', 'admin']],
    ['supt', ['--role', 'AUTHORISING_OFFICER', '--rank', 'SUPERINTENDENT', '--as', 'admin']],
    ['op', ['--role', 'OPERATOR', '--as', 'admin']],
  ] as const) {
    const r = spawnSync(process.execPath, [bin, 'user', 'add', '--username', who, ...args, '--password-env', 'NEW_PASSWORD'], {
      encoding: 'utf8',
      env: { ...as('admin'), NEW_PASSWORD: `${who}-Calibration-pass-9` },
    });
    assert.equal(r.status, 0, r.stderr);
  }
  const confirm = spawnSync(process.execPath, [bin, 'user', 'confirm-grant', 'supt', '--note', 'rank checked against the HR record', '--as', 'admin2'], { encoding: 'utf8', env: as('admin2') });
  assert.equal(confirm.status, 0, confirm.stderr);
  return as;
}

test('openlfr evaluate --record (issue 14, item 2): no login, another role, FPIR target 0.9, 40 images: each refused with exit 2 and audited; nothing recorded', async () => {
  const home = await mkdtemp(join(tmpdir(), 'openlfr-cli-record-attack-'));
  const as = people(home);
  const run = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync(process.execPath, [bin, 'evaluate', '--dataset', bbt, '--no-cache', '--record', '--json', ...args], { encoding: 'utf8', env });
  const anon = run(as());
  assert.equal(anon.status, 2);
  assert.match(anon.stderr, /UNAUTHENTICATED: Say who is acting: --as <username>/);
  const op = run(as('op'), '--as', 'op');
  assert.equal(op.status, 2);
  assert.match(op.stderr, /FORBIDDEN: op \(OPERATOR\) may not calibration\.write/);
  const loose = run(as('admin'), '--as', 'admin', '--fpir-target', '0.9');
  assert.equal(loose.status, 2);
  assert.match(loose.stderr, /CALIBRATION_TARGET_TOO_LOOSE: .*at most 0\.01 \(got 0\.9\)/);
  assert.equal(loose.stdout, '', 'refused before any image is analysed');
  const small = run(as('admin'), '--as', 'admin', '--fpir-target', '0.01');
  assert.equal(small.status, 2);
  assert.match(small.stderr, /CALIBRATION_SAMPLE_TOO_SMALL: .*at least 50 watchlist subjects and 300 non-mated searches .*this evaluation had 8 subjects and 0 non-mated searches/);
  // the calibration commands: nothing recorded, nothing to approve
  const cal = (who: string, ...args: string[]) => spawnSync(process.execPath, [bin, 'calibration', ...args, '--as', who], { encoding: 'utf8', env: as(who) });
  const list = cal('supt', 'list');
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), []);
  assert.match(cal('supt', 'list', '--status', 'LIVE').stderr, /BAD_REQUEST: --status must be one of ACTIVE, PENDING, REJECTED/);
  assert.match(cal('op', 'list').stderr, /FORBIDDEN: op \(OPERATOR\) may not calibration\.read/);
  const none = cal('supt', 'reject', 'cal_nothing', '--reason', 'nothing to reject here');
  assert.equal(none.status, 2);
  assert.match(none.stderr, /NOT_FOUND: No calibration cal_nothing/);
  const services = await openServices(loadConfig({ home, key: KEY }), defaultEngine);
  try {
    const rows = await services.store.db.query<{ actor: string; action: string; details: string }>("select actor, action, details from audit_log where action like 'calibration.%' order by seq");
    assert.deepEqual(
      rows.map((r) => `${r.actor} ${r.action} ${(JSON.parse(r.details) as { code: string }).code}`),
      [
        'user:op calibration.record.refused FORBIDDEN',
        'user:admin calibration.record.refused CALIBRATION_TARGET_TOO_LOOSE',
        'user:admin calibration.record.refused CALIBRATION_SAMPLE_TOO_SMALL',
        'user:supt calibration.reject.refused NOT_FOUND',
      ],
    );
    assert.equal((await services.store.db.query('select id from calibrations')).length, 0);
    assert.equal((await services.store.db.query("select seq from audit_log where actor = 'system:evaluation'")).length, 0, '--no-cache: the template cache was not used');
  } finally {
    await services.close();
  }
  await rm(home, { recursive: true, force: true });
});

test('openlfr evaluate --record --as admin stores the calibration; lowering the floor waits for a second person (openlfr calibration approve); then the floor is the measured one', async () => {
  // a labelled slice of lfw-devtrain (220 identities, linked, with their labels): equity needs groups, and
  // the minimum sample at FPIR 1e-2 is 50 watchlist subjects and 300 non-mated searches
  const home = await mkdtemp(join(tmpdir(), 'openlfr-cli-record-'));
  const lfw = ds('lfw-devtrain');
  const slice = join(home, 'slice');
  await mkdir(slice);
  const names = (await readdir(lfw, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort().slice(0, 220);
  for (const n of names) await symlink(join(lfw, n), join(slice, n));
  const labels = (await readFile(join(lfw, 'labels.csv'), 'utf8')).split('\n');
  const keep = new Set(names);
  await writeFile(join(home, 'labels.csv'), [labels[0], ...labels.slice(1).filter((l) => keep.has(l.split(',')[0]!))].join('\n'));
  const as = people(home);
  // a default floor of 0.99: whatever is measured lowers it, so the record waits for approval
  const r = spawnSync(process.execPath, [bin, 'evaluate', '--dataset', slice, '--labels', join(home, 'labels.csv'), '--mated-as-nonmated', '--fpir-target', '0.01', '--record', '--as', 'admin', '--json'], {
    encoding: 'utf8',
    env: { ...as('admin'), OPENLFR_THRESHOLD_FLOOR: '0.99' },
  });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.ok(json.recordedCalibration, r.stderr);
  assert.equal(json.recordedCalibration.status, 'PENDING');
  assert.match(r.stderr, /calibration cal_[0-9a-f-]+ recorded: floor .*PENDING: it lowers the floor/);
  const id = json.recordedCalibration.id as string;
  const approve = (who: string) =>
    spawnSync(process.execPath, [bin, 'calibration', 'approve', id, '--as', who, '--reason', 'figures checked against the evaluation report'], { encoding: 'utf8', env: { ...as(who), OPENLFR_THRESHOLD_FLOOR: '0.99' } });
  const before = await openServices(loadConfig({ home, key: KEY, governance: { thresholdFloorDefault: 0.99 } }), defaultEngine);
  try {
    assert.equal((await before.calibrations.floorFor(json.engine)).calibrationId, null, 'pending: the floor is still the default');
  } finally {
    await before.close();
  }
  const self = approve('admin');
  assert.equal(self.status, 2);
  assert.match(self.stderr, /FORBIDDEN|CALIBRATION_SELF_APPROVAL/);
  const ok = approve('supt');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).status, 'ACTIVE');
  const services = await openServices(loadConfig({ home, key: KEY }), defaultEngine);
  try {
    const floor = await services.calibrations.floorFor(json.engine);
    assert.equal(floor.floor, json.recordedCalibration.threshold);
    assert.equal(floor.calibrationId, json.recordedCalibration.id);
    assert.match(floor.source, new RegExp(json.recordedCalibration.id));
    // the reference check at enrolment takes its bar from the same record: the pair threshold at FMR 1e-3
    const pair = json.verification.tarAtFmr.find((t: { targetFmr: number }) => t.targetFmr === 1e-3);
    const bar = await services.calibrations.referenceBarFor(json.engine);
    assert.equal(bar.bar, pair.threshold);
    assert.match(bar.source, new RegExp(`FMR 1e-3 of calibration ${json.recordedCalibration.id}`));
    // and the reference-strength bins the enrolment step quotes, at the floor threshold
    const strength = await services.calibrations.referenceStrengthFor(json.engine);
    assert.ok(strength, 'the ONNX engine gives the norm, so the record has reference-strength bins');
    assert.equal(strength.calibrationId, json.recordedCalibration.id);
    assert.equal(strength.bins.length, strength.cuts.length + 1);
    assert.ok(strength.cuts.every((c, i) => i === 0 || c > strength.cuts[i - 1]!));
    assert.equal(strength.threshold, json.recordedCalibration.threshold);
    const trail = await services.store.db.query<{ actor: string; action: string }>("select actor, action from audit_log where action like 'calibration.%' order by seq");
    assert.deepEqual(trail.map((t) => `${t.actor} ${t.action}`), ['user:admin calibration.record', 'user:admin calibration.approve.refused', 'user:supt calibration.approve']);
  } finally {
    await services.close();
  }
  await rm(home, { recursive: true, force: true });
});
