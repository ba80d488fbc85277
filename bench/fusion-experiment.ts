/**
 * Experiment (issue 9): score-level fusion of the configured engine with a second engine run on its own
 * (its own detection and alignment), as cosine on a weighted concatenation [sqrt(1-w) e_primary,
 * sqrt(w) e_secondary] (= (1-w) s1 + w s2 for unit vectors), for several weights w. This is how fusion
 * with Human's FaceRes was measured (docs/accuracy.md); fusion with dlib is built into the ONNX engine
 * (OPENLFR_ONNX_FUSE_DLIB) and measured with `openlfr evaluate` itself.
 *
 *   node --import tsx bench/fusion-experiment.ts --dataset D --split train/test --mnm --secondary human --weights 0,0.1,0.2,0.3
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { cacheServices, evaluateDeps } from '../src/cli/commands/evaluate.ts';
import { createEngine, type EnginePool } from '../src/engine/index.ts';
import { acquireDataset, type EvaluateDeps } from '../src/evaluate/service.ts';
import { evaluateRun } from '../src/evaluate/run.ts';
import { identitySplit } from '../src/evaluate/split.ts';

import type { AcquiredImage } from '../src/evaluate/acquire.ts';

const { values } = parseArgs({ options: { dataset: { type: 'string' }, split: { type: 'string' }, secondary: { type: 'string' }, weights: { type: 'string' }, distractors: { type: 'string' }, mnm: { type: 'boolean' } } });
const config = loadConfig();
const services = await cacheServices(config, true);
const deps = (engine: EnginePool): EvaluateDeps => evaluateDeps(config, engine, services, null);
const includeIdentity = values.split ? identitySplit({ part: values.split, seed: '1', testFraction: 0.5 }) : undefined;
const req = { dataset: resolve(values.dataset!), includeIdentity, distractors: Number(values.distractors ?? 0), options: { matedAsNonMated: values.mnm === true } };
const e1 = await createEngine(config.engine);
const a = await acquireDataset(req, deps(e1));
await e1.close();
const e2 = await createEngine({ ...config.engine, name: values.secondary as 'human' | 'onnx' });
const b = await acquireDataset(req, deps(e2));
await e2.close();
await services?.close();
const d1 = e1.info.dims;
const d2 = e2.info.dims;
let missing2 = 0;
const rows = [];
for (const w of (values.weights ?? '0,0.2').split(',').map(Number)) {
  const fused = new Map<string, AcquiredImage>();
  for (const [k, x] of a.acquired) {
    const y = b.acquired.get(k);
    if (!x.template.embedding) { fused.set(k, x); continue; }
    const v = new Float32Array(d1 + d2);
    const s1 = Math.sqrt(1 - w);
    for (let i = 0; i < d1; i++) v[i] = s1 * x.template.embedding[i]!;
    if (y?.template.embedding) {
      const s2 = Math.sqrt(w);
      for (let i = 0; i < d2; i++) v[d1 + i] = s2 * y.template.embedding[i]!;
    } else {
      if (w === 0) missing2++;
      // secondary failed: primary alone, at full weight (score = primary score)
      for (let i = 0; i < d1; i++) v[i] = x.template.embedding[i]!;
    }
    fused.set(k, { ...x, template: { ...x.template, embedding: v } });
  }
  const r = evaluateRun({ protocol: a.protocol, acquired: fused, labels: null, pairs: null, engine: { id: `fused-${w}`, info: { ...e1.info, dims: d1 + d2 } } }, a.options);
  rows.push({ w, N: r.watchlistSize, nonMated: r.nonMatedSearches, ops: r.operatingPoints.map((p) => ({ fpir: p.fpir, t: p.threshold, tpir: p.tpir, fa: p.falseAlarms, sup: p.supported })), tar: r.verification.tarAtFmr.map((t) => [t.targetFmr, t.tar]), top: r.topNonMated.slice(0, 6) });
}
console.log(JSON.stringify({ primary: e1.id, secondary: e2.id, missingSecondary: missing2, rows }, null, 1));
