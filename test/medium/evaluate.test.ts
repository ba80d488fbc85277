/**
 * The evaluation runner on real faces with the real engine: a slice of lfw-devtrain (identities whose name
 * starts with "B": 221 people, 426 images) cold then warm through the sealed file cache, and a police-style
 * enrol/probe run with a file that is not an image.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createEngine } from '../../src/engine/index.ts';
import { decodeImage } from '../../src/ingest/image.ts';
import { FileTemplateCache, templateCachePath } from '../../src/evaluate/cache.ts';
import { MemoryCalibrationSink } from '../../src/evaluate/calibration.ts';
import { aesGcmSealer } from '../../src/evaluate/interim-sealer.ts';
import { runEvaluation, type EvaluateDeps } from '../../src/evaluate/service.ts';
import { randomBytes } from 'node:crypto';
import { ds } from '../helpers/datasets.ts';

const config = loadConfig();
const lfw = ds('lfw-devtrain');
const home = await mkdtemp(join(tmpdir(), 'openlfr-eval-home-'));
const engine = await createEngine(config.engine);
const sealer = aesGcmSealer(randomBytes(32));
after(async () => {
  await engine.close();
  await rm(home, { recursive: true, force: true });
});

function deps(sink = new MemoryCalibrationSink()): EvaluateDeps {
  return {
    engine,
    decode: (b) => decodeImage(b, { maxPixels: config.engine.maxImagePixels, maxBytes: config.engine.maxImageBytes }),
    openCache: (id, dims, variant, roots) => FileTemplateCache.open(templateCachePath(home, id, variant, roots), id, dims, sealer),
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
  assert.deepEqual(warm.result.operatingPoints, r.operatingPoints);
  assert.equal(warm.calibration.datasetFingerprint, cold.calibration.datasetFingerprint);
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
