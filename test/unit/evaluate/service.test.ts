import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvaluation, type EvaluateDeps } from '../../../src/evaluate/service.ts';
import { MemoryTemplateCache } from '../../../src/evaluate/cache.ts';
import { MemoryCalibrationSink } from '../../../src/evaluate/calibration.ts';
import { renderReport } from '../../../src/evaluate/report.ts';
import { OpenLfrError } from '../../../src/errors.ts';
import { FakeEngine, fakeDecode, fakeImageFile } from '../../helpers/fake-engine.ts';

const face = (emb: number[]) => fakeImageFile([{ box: [20, 20, 60, 60], emb }]);
const s75 = Math.sqrt(0.75);
const s51 = Math.sqrt(0.51);
// A and B are on the watchlist; E's watchlist image has no face (enrolment failure); C, D, F are not on it (F unreadable).
const FILES: Record<string, string> = {
  'A/A_0001.jpg': face([0, 1, 0, 0]),
  'A/A_0002.jpg': face([0, 0.8, 0.6, 0]), // 0.8 with A, 0.6 with B: hit up to 0.8
  'A/A_0003.jpg': face([0, 0.5, 0, s75]), // 0.5 with A
  'B/B_0001.jpg': face([0, 0, 1, 0]),
  'B/B_0002.jpg': face([0, 0.6, 0.8, 0]), // 0.8 with B, 0.6 with A
  'C/C_0001.jpg': face([0, 0.7, 0, s51]), // non-mated, 0.7 with A
  'D/D_0001.jpg': face([1, 0, 0, 0]), // non-mated, 0 with everyone
  'E/E_0001.jpg': fakeImageFile([]),
  'E/E_0002.jpg': face([0, 0, 0, 1]),
  'F/F_0001.jpg': 'not an image',
};
const LABELS = 'identity,image,gender\nA,A/A_0001.jpg,F\nA,A/A_0002.jpg,F\nA,A/A_0003.jpg,F\nB,B/B_0001.jpg,M\nB,B/B_0002.jpg,M\nC,C/C_0001.jpg,F\nD,D/D_0001.jpg,M\nE,E/E_0001.jpg,F\nE,E/E_0002.jpg,F\nF,F/F_0001.jpg,\n';
const PAIRS = '5\nA 1 2\nA 1 3\nA 2 3\nB 1 2\nE 1 2\nA 1 B 1\nA 2 C 1\nB 2 D 1\nC 1 D 1\nA 3 D 1\n';

async function fixture(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'openlfr-eval-'));
  for (const [rel, body] of Object.entries(FILES)) {
    await mkdir(join(root, rel.split('/')[0]!), { recursive: true });
    await writeFile(join(root, rel), body);
  }
  await writeFile(join(root, 'labels.csv'), LABELS);
  await writeFile(join(root, 'pairs.txt'), PAIRS);
  return root;
}

function deps(engine: FakeEngine, cache: MemoryTemplateCache, sink: MemoryCalibrationSink): EvaluateDeps {
  return { engine, decode: fakeDecode, openCache: async () => cache, calibrationSink: sink, clock: () => new Date('2026-01-02T03:04:05Z'), concurrency: 4 };
}

test('evaluate (dataset mode): figures by hand, FTA and enrolment failures counted, calibration recorded, warm run re-embeds nothing', async () => {
  const root = await fixture();
  const engine = new FakeEngine(4);
  const cache = new MemoryTemplateCache();
  const sink = new MemoryCalibrationSink();
  const req = { dataset: root, labels: join(root, 'labels.csv'), pairs: join(root, 'pairs.txt'), options: { fpirTarget: 0.34 } };
  const out = await runEvaluation(req, deps(engine, cache, sink));
  const r = out.result;
  assert.equal(r.mode, 'dataset');
  assert.equal(r.identities, 6);
  assert.equal(r.watchlistSize, 2, 'E could not be enrolled');
  assert.equal(r.failures.enrolmentFailures, 1);
  assert.equal(r.matedSearches, 4);
  assert.equal(r.nonMatedSearches, 3);
  assert.equal(r.failures.unreadable, 1);
  assert.equal(r.failures.nonMatedFta, 1);
  assert.ok(Math.abs(r.fta - 1 / 7) < 1e-12);
  const op = r.operatingPoints.find((o) => o.fpir === 1e-2)!;
  assert.ok(Math.abs(op.threshold! - 0.7) < 1e-6, 'just above the highest non-mated score');
  assert.equal(op.tpir, 0.5, 'A_0002 and B_0002 hit; A_0003 is below, E_0002 has no entry');
  assert.equal(op.measuredFpir, 0);
  assert.equal(op.supported, false);
  const at070 = r.thresholds.find((t) => t.threshold === 0.69)!;
  assert.ok(Math.abs(at070.fpir! - 1 / 3) < 1e-12);
  assert.equal(r.verification.genuine, 4);
  assert.equal(r.verification.impostor, 9, 'every non-mate comparison of the 6 searches with a face: 3 mated x 1 + 3 x 2 (C, D, and E with no entry)');
  assert.equal(r.pairs!.samePairs, 5);
  assert.ok(r.pairsAccuracy! >= 0 && r.pairsAccuracy! <= 1);
  assert.deepEqual(Object.keys(r.groups), ['gender']);
  assert.deepEqual(r.groups.gender!.map((g) => [g.group, g.mated, g.nonMated]), [['F', 3, 1], ['M', 1, 1]]);
  assert.equal(r.topNonMated[0]!.probe, 'C/C_0001.jpg');
  assert.equal(r.topNonMated[0]!.candidate, 'A');
  const c1 = r.searches.find((x) => x.probe === 'C/C_0001.jpg')!;
  assert.deepEqual([c1.mated, c1.fta, c1.top1, c1.mateScore], [false, false, 'A', null]);
  const f1 = r.searches.find((x) => x.probe === 'F/F_0001.jpg')!;
  assert.deepEqual([f1.fta, f1.top1, f1.top1Score], [true, null, null]);
  for (const key of ['engine', 'mode', 'identities', 'watchlistSize', 'matedSearches', 'nonMatedSearches', 'fta', 'operatingPoints', 'pairsAccuracy', 'groups', 'equitableThreshold'])
    assert.ok(key in JSON.parse(JSON.stringify(r)), `JSON key ${key}`);
  // calibration record
  assert.equal(sink.records.length, 1);
  const cal = sink.records[0]!;
  assert.equal(cal.engineId, engine.id);
  assert.equal(cal.createdAt, '2026-01-02T03:04:05.000Z');
  assert.match(cal.datasetFingerprint, /^[0-9a-f]{64}$/);
  assert.equal(cal.dataset.images, 10);
  assert.equal(cal.equitableThreshold, r.equitableThreshold);
  // warm
  const calls = engine.calls;
  const again = await runEvaluation(req, deps(engine, cache, sink));
  assert.equal(engine.calls, calls);
  assert.equal(again.analysed, 0);
  assert.equal(again.fromCache, 10);
  assert.equal(sink.records[1]!.datasetFingerprint, cal.datasetFingerprint);
  assert.deepEqual(again.result.operatingPoints, r.operatingPoints);
  // the report is self-contained
  const html = renderReport(r, cal, { title: 'test', generatedAt: 'now' });
  assert.match(html, /<svg/);
  assert.equal(html.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '').match(/https?:|<script|@import|url\(/g), null, 'no network, no scripts');
  assert.match(html, /FPIR \(false positive identification rate\)/);
  // mated searches reused as non-mated searches against N-1 entries
  const loo = await runEvaluation({ ...req, options: { matedAsNonMated: true } }, deps(engine, cache, sink));
  assert.equal(loo.result.nonMatedSearches, 7);
  assert.equal(loo.result.nonMatedFromMated, 4);
  await rm(root, { recursive: true, force: true });
});

test('evaluate (enrol/probe mode) and bad requests', async () => {
  const root = await fixture();
  const engine = new FakeEngine(4);
  const d = deps(engine, new MemoryTemplateCache(), new MemoryCalibrationSink());
  const out = await runEvaluation({ enrol: root, probe: root }, d);
  assert.equal(out.result.mode, 'enrol-probe');
  assert.equal(out.result.watchlistSize, 8, 'every enrol image with a face is an entry');
  assert.equal(out.result.nonMatedSearches, 0, 'every probe identity is enrolled');
  assert.equal(out.result.operatingPoints[0]!.note, 'no non-mated searches: FPIR cannot be measured');
  const bad = (req: Parameters<typeof runEvaluation>[0], re: RegExp) => assert.rejects(runEvaluation(req, d), (e: unknown) => e instanceof OpenLfrError && e.code === 'BAD_REQUEST' && re.test(e.message));
  await bad({}, /either --dataset/);
  await bad({ dataset: root, enrol: root }, /either --dataset/);
  await bad({ enrol: root }, /either --dataset/);
  await bad({ enrol: root, probe: root, pairs: join(root, 'pairs.txt') }, /--pairs needs --dataset/);
  await bad({ dataset: join(root, 'nope') }, /Cannot read the dataset folder/);
  await bad({ dataset: root, labels: join(root, 'nope.csv') }, /Cannot read the labels file/);
  await bad({ dataset: root, options: { fpirTarget: 0 } }, /between 0 and 1/);
  await writeFile(join(root, 'bad-pairs.txt'), '1\nA 1 9\nA 1 B 1\n');
  await bad({ dataset: root, pairs: join(root, 'bad-pairs.txt') }, /not in the dataset: A\/A_0009.jpg/);
  await bad({ dataset: root, distractors: 99 }, /distractors/);
  const empty = await mkdtemp(join(tmpdir(), 'openlfr-empty-'));
  await bad({ dataset: empty }, /No images found/);
  await rm(root, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
});
