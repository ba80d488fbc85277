/**
 * The reference check at enrolment (a second photo of a watchlist subject must show the same person):
 * what a bar on the score between the new photo and the subject's existing reference does, on an
 * identity-folder dataset split by identity. The bar is chosen on the train part as the pair threshold at
 * a false match rate (default 1e-3, as `evaluate --record` stores it in `tarAtFmr`), then measured on the
 * test part:
 *  - genuine: for each person with 2+ photos (labels corrected), photo 1 is the existing reference and
 *    every other photo is offered as a second one; the share refused is the cost of the check;
 *  - strangers: every photo of another person offered as the second reference; the share let through is
 *    what the check misses (a mis-filed photograph);
 *  - the dataset's own mis-filed photographs (relabel rows of the corrections file where a photo shows
 *    someone else), offered under the name they were published with.
 *
 *   OPENLFR_KEY=... node --import tsx bench/reference-check.ts --dataset ../shared/datasets/lfw-devtrain \
 *     --corrections data/lfw-devtrain-label-corrections.csv [--fmr 1e-3]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { datasetTemplates } from './dataset-templates.ts';
import { similarity } from '../src/engine/index.ts';
import { applyLabelCorrections, parseLabelCorrections } from '../src/evaluate/dataset.ts';
import { splitPartOf } from '../src/evaluate/split.ts';

const { values } = parseArgs({ options: { dataset: { type: 'string' }, corrections: { type: 'string' }, fmr: { type: 'string' } } });
const fmr = Number(values.fmr ?? 1e-3);
const { engineId, ds } = await datasetTemplates(values.dataset!);

const corrections = parseLabelCorrections(readFileSync(resolve(values.corrections!), 'utf8'));
const corrected = new Map(applyLabelCorrections(ds.images, corrections).map((im) => [im.key, im.identity]));
const embedding = (key: string) => ds.acquired.get(key)?.template.embedding;
type Row = { rel: string; published: string; identity: string; e: Float32Array };
const rows: Row[] = ds.images.flatMap((im) => {
  const e = embedding(im.key);
  const identity = corrected.get(im.key);
  return e && identity ? [{ rel: im.rel, published: im.identity, identity, e }] : [];
});

function part(p: 'train' | 'test') {
  const mine = rows.filter((r) => splitPartOf(r.identity, '1', 0.5) === p);
  const byId = new Map<string, Row[]>();
  for (const r of mine) byId.set(r.identity, [...(byId.get(r.identity) ?? []), r]);
  const genuine: number[] = [];
  for (const imgs of byId.values()) {
    imgs.sort((a, b) => (a.rel < b.rel ? -1 : 1));
    for (const other of imgs.slice(1)) genuine.push(similarity(imgs[0]!.e, other.e));
  }
  // strangers: each person's first photo against every photo of everyone else
  const firsts = [...byId.values()].map((imgs) => imgs[0]!);
  const strangers: number[] = [];
  for (const f of firsts) for (const r of mine) if (r.identity !== f.identity) strangers.push(similarity(f.e, r.e));
  return { genuine: Float64Array.from(genuine).sort(), strangers: Float64Array.from(strangers).sort(), byId };
}

const train = part('train');
const test = part('test');
// the bar: the score that at most fmr of the train part's stranger pairs reach
const bar = train.strangers[Math.min(train.strangers.length - 1, Math.floor(train.strangers.length * (1 - fmr)))]!;
const below = (xs: Float64Array, t: number) => xs.filter((x) => x < t).length;
const pct = (n: number, d: number) => Math.round((10000 * n) / d) / 100;

// mis-filed photographs: offered under their published name, against that name's first correctly filed photo
const misfiled = rows
  .filter((r) => r.published !== r.identity && !corrections.some((c) => c.path.endsWith('/') && r.rel.startsWith(c.path)))
  .map((r) => {
    const ref = rows.filter((x) => x.identity === r.published && x.rel !== r.rel).sort((a, b) => (a.rel < b.rel ? -1 : 1))[0];
    const score = ref ? similarity(ref.e, r.e) : null;
    return { photo: r.rel, shows: r.identity, filedAs: r.published, reference: ref?.rel ?? null, score: score === null ? null : Math.round(score * 1000) / 1000, refused: score !== null && score < bar };
  });

console.log(
  JSON.stringify(
    {
      engine: engineId,
      fmr,
      barFromTrainPart: Math.round(bar * 10000) / 10000,
      train: { genuine: train.genuine.length, genuineRefusedPct: pct(below(train.genuine, bar), train.genuine.length), strangers: train.strangers.length },
      test: {
        genuine: test.genuine.length,
        genuineRefused: below(test.genuine, bar),
        genuineRefusedPct: pct(below(test.genuine, bar), test.genuine.length),
        strangers: test.strangers.length,
        strangersPassed: test.strangers.length - below(test.strangers, bar),
        strangersPassedPct: pct(test.strangers.length - below(test.strangers, bar), test.strangers.length),
      },
      misfiled,
    },
    null,
    1,
  ),
);
