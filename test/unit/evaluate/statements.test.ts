/** `evaluate`'s text summary says plainly what the figures cannot show and which groups differ, and which way (issue 15). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { equityAt, type LabelledSearch } from '../../../src/evaluate/equity.ts';
import { plainStatements } from '../../../src/evaluate/statements.ts';
import { runEvaluation, type EvaluateDeps } from '../../../src/evaluate/service.ts';
import { MemoryTemplateCache } from '../../../src/evaluate/cache.ts';
import { MemoryCalibrationSink } from '../../../src/evaluate/calibration.ts';
import { renderReport } from '../../../src/evaluate/report.ts';
import { summary } from '../../../src/cli/commands/evaluate.ts';
import { FakeEngine, fakeDecode, fakeImageFile } from '../../helpers/fake-engine.ts';

const rep = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const pm = (person: string, missed: boolean, labels: Record<string, string>): LabelledSearch => ({ mated: true, fta: false, mateScore: missed ? 0.1 : 0.9, nonMateScore: 0, labels, person });
const pn = (person: string, alarm: boolean, labels: Record<string, string>): LabelledSearch => ({ mated: false, fta: false, mateScore: -Infinity, nonMateScore: alarm ? 0.9 : 0.1, labels, person });

test('statements: every unsupported point and every significant differential, with its direction; small groups said to be small', () => {
  const s = [
    ...rep(20, (i) => [pm(`F${i}`, i < 12, { gender: 'F', age: 'under 30' }), pm(`F${i}`, i < 10, { gender: 'F', age: 'under 30' })]).flat(),
    ...rep(20, (i) => [pm(`M${i}`, i < 2, { gender: 'M', age: '30-44' }), pm(`M${i}`, false, { gender: 'M', age: '30-44' })]).flat(),
    ...rep(30, (i) => pn(`NF${i}`, false, { gender: 'F', age: 'under 30' })),
    ...rep(30, (i) => pn(`NM${i}`, i < 1, { gender: 'M', age: '60 and over' })),
  ];
  const groupDetail = [equityAt(s, 'gender', 0.6), equityAt(s, 'race', 0.6)];
  const lines = plainStatements({
    operatingPoints: [
      { fpir: 0.1, threshold: 0.5, supported: true, requiredNonMated: 30, falseAlarms: 1 },
      { fpir: 1e-3, threshold: 0.95, supported: false, requiredNonMated: 3000, falseAlarms: 0 },
    ],
    nonMatedSearches: 60,
    matedSearches: 80,
    labelColumns: ['gender', 'race'],
    groupDetail,
    groupsThreshold: 0.6,
    fpirTarget: 1e-3,
    matedAsNonMated: false,
  });
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0]!, /^UNSUPPORTED: FPIR 1e-3 needs at least 3,000 non-mated searches and there are 60; its threshold \(0\.9500\) and TPIR rest on 0 false alarm\(s\).*--mated-as-nonmated/);
  assert.doesNotMatch(lines.join('\n'), /FPIR 0\.1 needs/, 'a supported point is not named');
  assert.match(lines[1]!, /^SIGNIFICANT DIFFERENTIAL at the FPIR 1e-3 threshold 0\.6000 \(itself unsupported, above\) \(tested per person\): gender: F missed more often than M \(FNIR 55\.0% vs 5\.0%; per person p = /);
  assert.equal(lines[2], 'race: fewer than two groups with labels; nothing compared.');
});

const face = (emb: number[]) => fakeImageFile([{ box: [20, 20, 60, 60], emb }]);

test('statements: labels but no non-mated searches say to use --mated-as-nonmated instead of printing nothing, in the text summary and the report', async () => {
  const root = await mkdtemp(join(tmpdir(), 'openlfr-statements-'));
  const files: Record<string, string> = {
    'A/A_0001.jpg': face([0, 1, 0, 0]),
    'A/A_0002.jpg': face([0, 0.8, 0.6, 0]),
    'B/B_0001.jpg': face([0, 0, 1, 0]),
    'B/B_0002.jpg': face([0, 0.6, 0.8, 0]),
  };
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(join(root, rel.split('/')[0]!), { recursive: true });
    await writeFile(join(root, rel), body);
  }
  await writeFile(join(root, 'labels.csv'), 'identity,image,gender\nA,A/A_0001.jpg,F\nA,A/A_0002.jpg,F\nB,B/B_0001.jpg,M\nB,B/B_0002.jpg,M\n');
  const deps: EvaluateDeps = { engine: new FakeEngine(4), decode: fakeDecode, openCache: async () => new MemoryTemplateCache(), calibrationSink: new MemoryCalibrationSink(), clock: () => new Date('2026-01-02T03:04:05Z'), concurrency: 2 };
  const out = await runEvaluation({ dataset: root, labels: join(root, 'labels.csv') }, deps);
  assert.equal(out.result.nonMatedSearches, 0, 'both people are on the watchlist');
  assert.deepEqual(out.result.labelColumns, ['gender']);
  assert.equal(out.result.statements.length, 1, out.result.statements.join('\n'));
  assert.match(out.result.statements[0]!, /^NO NON-MATED SEARCHES: .*no group differential \(labels gender were given\)\. Run again with --mated-as-nonmated/);
  const text = summary(out);
  assert.match(text, /Plainly:\n- NO NON-MATED SEARCHES/);
  const html = renderReport(out.result, out.calibration, { title: 't', generatedAt: 'now' });
  assert.match(html, /<h2>Plainly<\/h2>\n<ul><li>NO NON-MATED SEARCHES/);
  // with the flag, the figures exist and the hint is gone
  const loo = await runEvaluation({ dataset: root, labels: join(root, 'labels.csv'), options: { matedAsNonMated: true } }, deps);
  assert.equal(loo.result.nonMatedSearches, 2);
  assert.doesNotMatch(loo.result.statements.join('\n'), /NO NON-MATED|Run again with --mated-as-nonmated/);
  assert.ok(loo.result.statements.some((l) => /^UNSUPPORTED: FPIR 1e-3 needs at least [\d,]+ non-mated searches and there are 2;/.test(l)), loo.result.statements.join('\n'));
  await rm(root, { recursive: true, force: true });
});
