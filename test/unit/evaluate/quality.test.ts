import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qualityAnalysis, type QualitySearch } from '../../../src/evaluate/quality.ts';
import { DEFAULT_GATE } from '../../../src/live/4-select.ts';

const good = { interEyePx: 40, yawDeg: 5, pitchDeg: 2, sharpness: 120, brightness: 110, detectorScore: 0.99, embeddingNorm: 4 };
const turned = { ...good, yawDeg: 60, embeddingNorm: 2.5 };

/** 100 mated and 100 non-mated searches; the 20 turned-away faces of each kind behave badly. */
function searches(): QualitySearch[] {
  const out: QualitySearch[] = [];
  for (let i = 0; i < 100; i++) {
    const bad = i < 20;
    // mated: good faces score 0.7 against their own entry; turned ones 0.3 (misses)
    out.push({ mated: true, fta: false, mateScore: bad ? 0.3 : 0.7, nonMateScore: 0.2, quality: bad ? turned : good });
    // non-mated: good faces reach 0.2 at most; turned ones 0.5 (false alarms at 0.45)
    out.push({ mated: false, fta: false, mateScore: -Infinity, nonMateScore: bad ? 0.5 + i * 0.001 : 0.2, quality: bad ? turned : good });
  }
  return out;
}

test('quality: TPIR and FPIR per quintile of each measure, with the counts behind them', () => {
  const q = qualityAnalysis(searches(), [0.45], [0.01], DEFAULT_GATE)!;
  const yaw = q.measures.find((m) => m.measure === 'absYawDeg')!;
  // only two distinct yaw values: the quintiles that tie are merged
  assert.equal(yaw.bins.reduce((n, b) => n + b.mated, 0), 100);
  assert.equal(yaw.bins.reduce((n, b) => n + b.nonMated, 0), 100);
  const worst = yaw.bins[yaw.bins.length - 1]!;
  assert.equal(worst.from, 60);
  assert.equal(worst.points[0]!.tpir, 0, 'turned-away faces miss');
  assert.equal(worst.points[0]!.fpir, 1, 'and raise the false alarms');
  assert.equal(yaw.bins[0]!.points[0]!.tpir, 1);
  assert.equal(yaw.bins[0]!.points[0]!.fpir, 0);
  assert.ok(q.measures.some((m) => m.measure === 'qualityScore'));
  const norm = q.measures.find((m) => m.measure === 'embeddingNorm')!;
  assert.equal(norm.bins[0]!.points[0]!.tpir, 0, 'short embeddings (unclear faces) miss');
  const without = qualityAnalysis(searches().map((s) => ({ ...s, quality: s.quality && { ...s.quality, embeddingNorm: null } })), [0.45], [0.01], DEFAULT_GATE)!;
  assert.ok(!without.measures.some((m) => m.measure === 'embeddingNorm'), 'an engine without the norm gives no such row');
});

test('quality: the live gate drops turned-away probes, and TPIR at the same FPIR goes up', () => {
  const q = qualityAnalysis(searches(), [0.45], [0.01], DEFAULT_GATE)!;
  assert.equal(q.gate.gatedMated, 20);
  assert.equal(q.gate.gatedNonMated, 20);
  assert.equal(q.gate.matedSearches, 100, 'gated searches stay in the denominators (as failures to acquire)');
  const [at] = q.gate.atFpir;
  // without the gate, 1 alarm allowed among 100: the threshold must sit above 19 of the turned faces' 0.5x scores,
  // which is above every turned mated score but below the good ones (0.7): TPIR 0.8 either way here;
  // with the gate, no alarm can come from a turned face, so the threshold falls to just above 0.2
  assert.ok(at!.after.threshold! < at!.before.threshold!);
  assert.equal(at!.after.tpir, 0.8);
  // gates on the embedding norm at the 5th / 10th / 20th percentile: only the 20th reaches the short (turned) ones
  assert.deepEqual(q.normGates.map((n) => n.percentile), [0.05, 0.1, 0.2]);
  assert.equal(q.normGates[0]!.gatedMated, 0);
  assert.equal(q.normGates[2]!.gatedMated, 20);
  assert.equal(q.normGates[2]!.gatedNonMated, 20);
});

test('quality: no measures (hand-made templates) gives no report', () => {
  assert.equal(qualityAnalysis([{ mated: true, fta: false, mateScore: 0.5, nonMateScore: 0, quality: null }], [0.4], [0.01], DEFAULT_GATE), null);
});
