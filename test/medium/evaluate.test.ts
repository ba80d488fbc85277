/**
 * The evaluation runner on real faces with the real engine: a slice of lfw-devtrain (identities whose name
 * starts with "B": 221 people, 426 images) cold then warm through the template cache in the biometric store
 * (real schema on PGlite, sealed, audited), and a police-style
 * enrol/probe run with a file that is not an image.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createEngine } from '../../src/engine/index.ts';
import { decodeImage } from '../../src/ingest/image.ts';
import { StoredTemplateCache, templateCacheKey } from '../../src/evaluate/cache.ts';
import { MemoryCalibrationSink } from '../../src/evaluate/calibration.ts';
import { acquireDataset, runEvaluation, type EvaluateDeps } from '../../src/evaluate/service.ts';
import { ds } from '../helpers/datasets.ts';
import { identitySplit } from '../../src/evaluate/split.ts';
import { degradeTransform } from '../../src/evaluate/degrade.ts';
import { makeRig } from '../helpers/governance.ts';

const config = loadConfig();
const lfw = ds('lfw-devtrain');
const engine = await createEngine(config.engine);
const rig = await makeRig();
const EVALUATION = { kind: 'system', name: 'evaluation' } as const;
const openCache = (id: string, dims: number, variant: string, roots: string[]) =>
  StoredTemplateCache.open(rig.services.evaluationCache.port(EVALUATION, id, templateCacheKey(id, variant, roots)), id, dims);
after(async () => {
  await engine.close();
  await rig.close();
});

function deps(sink = new MemoryCalibrationSink()): EvaluateDeps {
  return {
    engine,
    decode: (b) => decodeImage(b, { maxPixels: config.engine.maxImagePixels, maxBytes: config.engine.maxImageBytes }),
    openCache,
    calibrationSink: sink,
    clock: () => new Date('2026-01-01T00:00:00Z'),
    concurrency: config.engine.workers * 2,
  };
}

test('evaluate on an LFW slice: real figures in sane ranges, groups with CIs, warm run embeds nothing and agrees', async () => {
  const req = { dataset: lfw, labels: join(lfw, 'labels.csv'), includeIdentity: (id: string) => id.startsWith('B'), options: { matedAsNonMated: true } };
  const cold = await runEvaluation(req, deps());
  const r = cold.result;
  assert.equal(cold.images, 426);
  assert.equal(cold.analysed, 426);
  assert.ok(r.watchlistSize > 50 && r.watchlistSize < 221, `watchlist ${r.watchlistSize}`);
  assert.ok(r.fta < 0.02, `FTA ${r.fta}`);
  const op = r.operatingPoints.find((o) => o.fpir === 1e-2)!;
  assert.ok(op.supported, `${r.nonMatedSearches} non-mated searches support FPIR 1e-2`);
  assert.ok(op.tpir! > 0.8, `TPIR at FPIR 1e-2 = ${op.tpir}`);
  assert.ok(op.measuredFpir! <= 1e-2);
  const tar = r.verification.tarAtFmr.find((t) => t.targetFmr === 1e-3)!;
  assert.ok(tar.tar! > 0.9, `TAR at FMR 1e-3 = ${tar.tar}`);
  const gender = r.groups.gender!;
  assert.deepEqual(gender.map((g) => g.group).sort(), ['F', 'M']);
  for (const g of gender) {
    const [fpirCi, fnirCi] = g.ci;
    assert.ok(fpirCi && fpirCi[0] <= g.fpir! && g.fpir! <= fpirCi[1]);
    assert.ok(fnirCi && fnirCi[0] <= g.fnir! && g.fnir! <= fnirCi[1]);
  }
  assert.ok(r.equity.length > 0 && r.equity.every((row) => row.columns.every((c) => ['significant', 'none', 'too-small'].includes(c.verdict))));

  const warm = await runEvaluation(req, deps());
  assert.equal(warm.analysed, 0, 'every template came from the sealed cache');
  assert.equal(warm.fromCache, 426);
  const key = templateCacheKey(engine.id, '', [lfw]);
  const accesses = await rig.db.query<{ action: string; details: string }>("select action, details from audit_log where action like 'biometric.evaluation-cache.%' and details like $1 order by seq", [`%${key}%`]);
  assert.deepEqual(accesses.map((a) => a.action), ['biometric.evaluation-cache.write', 'biometric.evaluation-cache.read'], 'cold run wrote the cache once (426 < flushEvery), warm run read it');
  assert.equal(JSON.parse(accesses[1]!.details).entries, 426);
  assert.deepEqual(await readdir(rig.home), ['blobs'], 'the store wrote only sealed blobs');
  assert.deepEqual(warm.result.operatingPoints, r.operatingPoints);
  assert.equal(warm.calibration.datasetFingerprint, cold.calibration.datasetFingerprint);
});

test('--reference-choice norm enrols each person with the image whose template the engine rates strongest; the searches are the rest', async () => {
  const base = { dataset: lfw, includeIdentity: (id: string) => id.startsWith('B') };
  const first = await acquireDataset(base, deps());
  const norm = await acquireDataset({ ...base, referenceChoice: 'norm' }, deps());
  const normOf = (key: string) => norm.acquired.get(key)?.template.quality?.embeddingNorm ?? -Infinity;
  assert.equal(norm.protocol.watchlist.length, first.protocol.watchlist.length);
  assert.equal(norm.protocol.searches.length, first.protocol.searches.length);
  let moved = 0;
  for (const w of norm.protocol.watchlist) {
    const same = norm.images.filter((im) => im.identity === w.image.identity);
    assert.equal(normOf(w.image.key), Math.max(...same.map((im) => normOf(im.key))), `${w.image.rel} is the strongest of ${same.length}`);
    if (same.length > 1 && same[0]!.key !== w.image.key) moved++;
  }
  assert.ok(moved > 10, `the choice differs from file order for ${moved} people`);
  await assert.rejects(acquireDataset({ enrol: lfw, probe: lfw, referenceChoice: 'norm' }, deps()), /--reference-choice needs --dataset mode/);
});

test('evaluate enrol/probe on real faces: an unreadable probe is a failure to acquire, never dropped', async () => {
  const root = await mkdtemp(join(tmpdir(), 'openlfr-ep-'));
  const people = ['Bill_Clinton', 'Bill_Gates', 'Bob_Hope'];
  for (const p of people) {
    await mkdir(join(root, 'enrol', p), { recursive: true });
    await mkdir(join(root, 'probe', p), { recursive: true });
    await symlink(join(lfw, p, `${p}_0001.jpg`), join(root, 'enrol', p, '1.jpg'));
    await symlink(join(lfw, p, `${p}_0002.jpg`), join(root, 'probe', p, '2.jpg'));
  }
  await mkdir(join(root, 'probe', 'Barbara_Walters'));
  await symlink(join(lfw, 'Barbara_Walters', 'Barbara_Walters_0001.jpg'), join(root, 'probe', 'Barbara_Walters', '1.jpg'));
  await writeFile(join(root, 'probe', 'Bill_Gates', 'broken.jpg'), 'this is not a jpeg');
  const out = await runEvaluation({ enrol: join(root, 'enrol'), probe: join(root, 'probe') }, deps());
  const r = out.result;
  assert.equal(r.mode, 'enrol-probe');
  assert.equal(r.watchlistSize, 3);
  assert.equal(r.matedSearches, 4);
  assert.equal(r.nonMatedSearches, 1);
  assert.equal(r.failures.unreadable, 1);
  assert.equal(r.failures.matedFta, 1, 'the broken file counts as a mated search that missed');
  const point = r.thresholds.find((t) => t.threshold === 0.3)!;
  assert.equal(point.hits, 3, 'the three real probes find their person; the broken one cannot');
  await rm(root, { recursive: true, force: true });
});

test('issue 9 levers on the LFW slice (warm from the first test): split, cohort S-norm, degraded searches, walk-past', async () => {
  const inB = (id: string) => id.startsWith('B');
  const testPart = identitySplit({ part: 'test', seed: '1', testFraction: 0.5 });
  const trainPart = identitySplit({ part: 'train', seed: '1', testFraction: 0.5 });
  const base = { dataset: lfw, includeIdentity: (id: string) => inB(id) && testPart(id) };
  const plain = await runEvaluation({ ...base, walkPast: 3 }, deps());
  assert.equal(plain.analysed, 0, 'the split reuses the cache of the whole slice');
  assert.ok(plain.images > 100 && plain.images < 330, `${plain.images} images in the test part`);
  const wp = plain.walkPast!;
  assert.ok(wp.matedTracks > 0 && wp.nonMatedTracks > 0 && wp.watchlistSize > 50, JSON.stringify({ ...wp, rules: undefined }));
  assert.deepEqual(wp.rules.map((r) => r.rule), ['single', 'max', 'average', 'norm-weighted']);

  const normed = await runEvaluation({ ...base, scoreNorm: { topK: 10, cohortIdentity: (id) => inB(id) && trainPart(id) } }, deps());
  assert.equal(normed.result.scoreNorm?.method, 's-norm');
  assert.ok(normed.result.scoreNorm!.cohortSize > 50);
  assert.ok(normed.result.operatingPoints[0]!.threshold! > 1, 'S-normalised thresholds are in cohort standard deviations');

  // searches degraded to 20 px between the eyes; watchlist entries untouched (served from the plain cache)
  const cache = await openCache(engine.id, engine.info.dims, '', [lfw]);
  const degraded = await runEvaluation({ ...base, transform: degradeTransform({ interEyePx: 20 }, async ({ sha256 }) => cache.get(sha256)?.interEyePx ?? null) }, deps());
  assert.equal(degraded.fromCache, degraded.result.watchlistSize, 'only the watchlist came from the plain cache');
  assert.ok(degraded.result.fta < 0.1, `FTA at 20 px ${degraded.result.fta}`);
  const tpir = (o: typeof plain) => o.result.thresholds.find((t) => t.threshold === 0.4)!.tpir!;
  assert.ok(tpir(degraded) <= tpir(plain) + 0.02 && tpir(degraded) > 0.6, `TPIR at 0.4: ${tpir(plain)} -> ${tpir(degraded)}`);
});
