/** `openlfr evaluate` as a user runs it: real engine, real files, JSON on stdout, report folder written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { ds } from '../helpers/datasets.ts';

const bin = join(PROJECT_ROOT, 'bin', 'openlfr.mjs');
const bbt = ds('bbt', 'identities');

test('openlfr evaluate --json --out: one JSON object, report.html, evaluation.json, calibration.json; the cache is sealed', async () => {
  const home = await mkdtemp(join(tmpdir(), 'openlfr-cli-home-'));
  const out = join(home, 'report');
  const r = spawnSync(process.execPath, [bin, 'evaluate', '--dataset', bbt, '--mated-as-nonmated', '--json', '--out', out], {
    encoding: 'utf8',
    env: { ...process.env, OPENLFR_HOME: home },
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
  const cacheFiles = await readdir(join(home, 'cache'));
  assert.equal(cacheFiles.length, 1);
  const sealed = await readFile(join(home, 'cache', cacheFiles[0]!));
  assert.equal(sealed.indexOf(Buffer.from('OLFR-TC1')), -1, 'the template cache is encrypted');
  const warm = spawnSync(process.execPath, [bin, 'evaluate', '--dataset', bbt, '--json'], { encoding: 'utf8', env: { ...process.env, OPENLFR_HOME: home } });
  assert.equal(JSON.parse(warm.stdout).analysed, 0);
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
