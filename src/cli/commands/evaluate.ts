/**
 * `openlfr evaluate`: accuracy and demographic equity of the configured engine on a labelled dataset, the
 * way NPL measured NEC's algorithm. Parses options, wires the real engine, decoder, encrypted template cache
 * and calibration sink into the evaluation service, and prints / writes the results.
 */
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config.ts';
import { OpenLfrError } from '../../errors.ts';
import { createEngine } from '../../engine/index.ts';
import { decodeImage } from '../../ingest/image.ts';
import { FileTemplateCache, MemoryTemplateCache, templateCachePath } from '../../evaluate/cache.ts';
import { JsonFileCalibrationSink, MemoryCalibrationSink } from '../../evaluate/calibration.ts';
import { openEvaluationSealer } from '../../evaluate/interim-sealer.ts';
import { terminalProgress } from '../../evaluate/progress.ts';
import { renderReport } from '../../evaluate/report.ts';
import { runEvaluation, type EvaluateOutcome } from '../../evaluate/service.ts';
import type { EvaluationResult } from '../../evaluate/run.ts';

interface EvaluateFlags {
  dataset?: string;
  enrol?: string;
  probe?: string;
  labels?: string;
  pairs?: string;
  distractors?: string;
  matedAsNonmated?: boolean;
  fpirTarget?: string;
  json?: boolean;
  out?: string;
  cache: boolean;
}

const number = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new OpenLfrError('BAD_REQUEST', `--${name} must be a number (got "${v}")`);
  return n;
};

/** The JSON printed by --json: the result (the stable keys and more) without report-only detail, plus timings and the calibration record; evaluation.json adds every search. */
export function jsonOutput(o: EvaluateOutcome, withSearches = false): Record<string, unknown> {
  const { groupDetail: _detail, searches, ...r }: EvaluationResult = o.result;
  return {
    ...r,
    images: o.images,
    fromCache: o.fromCache,
    analysed: o.analysed,
    seconds: o.seconds,
    calibration: o.calibration,
    ...(withSearches ? { searches } : {}),
  };
}

function summary(o: EvaluateOutcome): string {
  const r = o.result;
  const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
  const lines = [
    `engine ${r.engine}`,
    `${o.images} images, ${r.identities} identities; watchlist N=${r.watchlistSize}; ${r.matedSearches} mated, ${r.nonMatedSearches} non-mated searches; FTA ${pct(r.fta)}`,
    ...r.operatingPoints.map(
      (p) => `FPIR ${p.fpir.toPrecision(3)}: threshold ${p.threshold?.toFixed(4) ?? '-'}  TPIR ${pct(p.tpir)}  (${p.falseAlarms} false alarms)${p.supported ? '' : '  [too few non-mated searches to support this point]'}`,
    ),
    ...r.verification.tarAtFmr.map((t) => `TAR at FMR ${t.targetFmr}: ${pct(t.tar)}`),
    `LFW pairs accuracy: ${r.pairsAccuracy === null ? '-' : pct(r.pairsAccuracy)}`,
    `equitable threshold (FPIR <= ${r.options.fpirTarget}, no significant FPIR or FNIR differential): ${r.equitableThreshold?.toFixed(4) ?? 'none'}; FPIR differentials only: ${r.equitableThresholdFpirOnly?.toFixed(4) ?? 'none'}`,
    ...(r.equitable?.columns ?? []).map((c) => `  ${c.column}: ${c.verdict}`),
    `${o.analysed} images analysed, ${o.fromCache} from cache; ${o.seconds.total.toFixed(1)} s`,
  ];
  return lines.join('\n');
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('measure accuracy (TPIR/FPIR, FMR/FNMR, LFW pairs) and demographic equity of the engine on a dataset')
    .option('--dataset <dir>', 'one folder per identity: first image of each identity with 2+ images enrolled, the rest mated searches, single-image identities non-mated')
    .option('--enrol <dir>', 'watchlist tree (one folder per identity), with --probe')
    .option('--probe <dir>', 'probe tree, matched to --enrol by identity folder name; absent identities are non-mated')
    .option('--labels <csv>', 'CSV: identity, image (relative path), then group columns (empty = unknown)')
    .option('--pairs <file>', 'LFW pairs file (pairsDevTrain.txt / pairs.txt) for verification accuracy')
    .option('--distractors <n>', 'single-image identities put on the watchlist as distractors instead of searched (default 0)')
    .option('--mated-as-nonmated', 'also search every mated probe against the watchlist without its own entry, as a non-mated search')
    .option('--fpir-target <x>', 'FPIR target of the equitable threshold (default from config: 1e-3)')
    .option('--json', 'print one JSON object')
    .option('--out <dir>', 'write report.html, evaluation.json and calibration.json there')
    .option('--no-cache', 'do not read or write the encrypted template cache')
    .action(async (flags: EvaluateFlags) => {
      const config = loadConfig();
      const distractors = number('distractors', flags.distractors);
      const fpirTarget = number('fpir-target', flags.fpirTarget) ?? config.evaluate.fpirTarget;
      const engine = await createEngine(config.engine);
      try {
        const sealer = flags.cache ? await openEvaluationSealer(config.home) : null;
        const out = flags.out ? resolve(flags.out) : null;
        const outcome = await runEvaluation(
          {
            dataset: flags.dataset,
            enrol: flags.enrol,
            probe: flags.probe,
            labels: flags.labels,
            pairs: flags.pairs,
            distractors,
            options: {
              fpirTarget,
              equity: { alpha: config.evaluate.alpha, ratio: config.evaluate.equityRatio, metrics: ['fpir', 'fnir'] },
              matedAsNonMated: flags.matedAsNonmated === true,
            },
          },
          {
            engine,
            decode: (bytes) => decodeImage(bytes, { maxPixels: config.engine.maxImagePixels, maxBytes: config.engine.maxImageBytes }),
            openCache: async (engineId, dims, variant, roots) =>
              sealer ? FileTemplateCache.open(templateCachePath(config.home, engineId, variant, roots), engineId, dims, sealer) : new MemoryTemplateCache(),
            calibrationSink: out ? new JsonFileCalibrationSink(out) : new MemoryCalibrationSink(),
            clock: () => new Date(),
            concurrency: config.engine.workers * 2,
            progress: terminalProgress(),
          },
        );
        if (out) {
          await mkdir(out, { recursive: true });
          await writeFile(join(out, 'evaluation.json'), `${JSON.stringify(jsonOutput(outcome, true), null, 2)}\n`);
          const title = `OpenLFR evaluation: ${outcome.calibration.dataset.name}`;
          await writeFile(join(out, 'report.html'), renderReport(outcome.result, outcome.calibration, { title, generatedAt: outcome.calibration.createdAt, wallSeconds: outcome.seconds.total }));
        }
        console.log(flags.json ? JSON.stringify(jsonOutput(outcome)) : summary(outcome));
      } finally {
        await engine.close();
      }
    });
}
