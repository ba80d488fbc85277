/**
 * Candidate label errors of an identity-folder dataset (issue 9): every pair of images filed under
 * different names whose templates score at or above a threshold, highest first, as JSON. A person
 * then looks at each pair; the engine only points at where to look.
 *
 *   OPENLFR_KEY=... node --import tsx bench/label-audit.ts --dataset ../shared/datasets/lfw-devtrain --min 0.55
 */
import { parseArgs } from 'node:util';
import { datasetTemplates } from './dataset-templates.ts';
import { similarity } from '../src/engine/index.ts';

const { values } = parseArgs({ options: { dataset: { type: 'string' }, min: { type: 'string' } } });
const { engineId, ds } = await datasetTemplates(values.dataset!);
const min = Number(values.min ?? 0.55);
const rows = ds.images.flatMap((im) => {
  const e = ds.acquired.get(im.key)?.template.embedding;
  return e ? [{ rel: im.rel, identity: im.identity, e }] : [];
});
const out: { a: string; b: string; score: number }[] = [];
for (let i = 0; i < rows.length; i++)
  for (let j = i + 1; j < rows.length; j++) {
    if (rows[i]!.identity === rows[j]!.identity) continue;
    const s = similarity(rows[i]!.e, rows[j]!.e);
    if (s >= min) out.push({ a: rows[i]!.rel, b: rows[j]!.rel, score: Math.round(s * 1000) / 1000 });
  }
out.sort((p, q) => q.score - p.score);
console.log(JSON.stringify({ engine: engineId, images: rows.length, min, pairs: out }, null, 1));
