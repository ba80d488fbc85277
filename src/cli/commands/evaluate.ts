/**
 * `openlfr evaluate`: accuracy and demographic equity of the configured engine on a labelled dataset, the
 * way NPL measured NEC's algorithm. Parses options, wires the real engine, decoder, template cache (kept in
 * the biometric store, audited) and calibration sink into the evaluation service, and prints / writes the results.
 */
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../config.ts';
import { OpenLfrError } from '../../errors.ts';
import { createEngine, type EnginePool } from '../../engine/index.ts';
import { Projection } from '../../engine/projection.ts';
import { datasetFingerprint, type ImageTransform } from '../../evaluate/acquire.ts';
import { degradeTransform, subjectInterEye, validateDegradation, type Degradation } from '../../evaluate/degrade.ts';
import { identitySplit, siblingPart } from '../../evaluate/split.ts';
import { trainProjection } from '../../evaluate/train-projection.ts';
import { decodeImage } from '../../ingest/image.ts';
import { MemoryTemplateCache, StoredTemplateCache, templateCacheKey } from '../../evaluate/cache.ts';
import { JsonFileCalibrationSink, MemoryCalibrationSink } from '../../evaluate/calibration.ts';
import { isOpenLfrError } from '../../errors.ts';
import { defaultEngine } from '../../governance/engine-provider.ts';
import type { Principal } from '../../governance/model.ts';
import { openServices, type Services } from '../../governance/services.ts';
import { login } from '../governance-context.ts';
import { terminalProgress } from '../../evaluate/progress.ts';
import { renderReport } from '../../evaluate/report.ts';
import { acquireDataset, REFERENCE_CHOICES, runEvaluation, type EvaluateDeps, type EvaluateOutcome, type ReferenceChoice } from '../../evaluate/service.ts';
import type { EvaluationResult } from '../../evaluate/run.ts';

interface EvaluateFlags {
  dataset?: string;
  enrol?: string;
  probe?: string;
  labels?: string;
  pairs?: string;
  distractors?: string;
  references?: string;
  referenceChoice?: string;
  labelCorrections?: string;
  matedAsNonmated?: boolean;
  fpirTarget?: string;
  json?: boolean;
  out?: string;
  cache: boolean;
  clearCache?: boolean;
  split?: string;
  splitSeed?: string;
  splitTestFraction?: string;
  projection?: string;
  scoreNorm?: string;
  degradeEye?: string;
  degradeBlur?: string;
  degradeJpeg?: string;
  degradeCanvas?: string;
  degradeMotion?: string;
  degradeExposure?: string;
  walkPast?: string;
  record?: boolean;
  as?: string;
}

interface TrainProjectionFlags {
  dataset: string;
  output: string;
  dims?: string;
  regularisation?: string;
  split?: string;
  splitSeed?: string;
  splitTestFraction?: string;
  cache: boolean;
}

const number = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new OpenLfrError('BAD_REQUEST', `--${name} must be a number (got "${v}")`);
  return n;
};

function referenceChoiceOf(v: string | undefined): ReferenceChoice | undefined {
  if (v === undefined) return undefined;
  if (!(REFERENCE_CHOICES as readonly string[]).includes(v)) throw new OpenLfrError('BAD_REQUEST', `--reference-choice must be one of ${REFERENCE_CHOICES.join(', ')} (got "${v}")`);
  return v as ReferenceChoice;
}

/** The JSON printed by --json: the result (the stable keys and more) without report-only detail, plus timings and the calibration record; evaluation.json adds every search. */
export function jsonOutput(o: EvaluateOutcome, withSearches = false): Record<string, unknown> {
  const { groupDetail: _detail, searches, ...r }: EvaluationResult = o.result;
  return {
    ...r,
    ...(o.references ? { references: o.references } : {}),
    ...(o.walkPast ? { walkPast: o.walkPast } : {}),
    images: o.images,
    fromCache: o.fromCache,
    analysed: o.analysed,
    seconds: o.seconds,
    calibration: o.calibration,
    ...(withSearches ? { searches } : {}),
  };
}

export function summary(o: EvaluateOutcome): string {
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
    ...(r.equitable?.columns ?? []).map((c) => `  ${c.column}: ${c.verdict}: ${c.reason}`),
    ...(r.statements.length ? ['', 'Plainly:', ...r.statements.map((s) => `- ${s}`), ''] : []),
    `${o.analysed} images analysed, ${o.fromCache} from cache; ${o.seconds.total.toFixed(1)} s`,
  ];
  return lines.join('\n');
}

/** --split, --split-seed, --split-test-fraction (evaluate and train-projection). */
function withSplitOptions(cmd: Command): Command {
  return cmd
    .option('--split <part>', 'train or test: keep only that part of a deterministic split by identity (tune on train, report on test); train/train and train/test split the train part again, for tuning')
    .option('--split-seed <s>', 'seed of the split (default 1)')
    .option('--split-test-fraction <x>', 'share of identities in the test part (default 0.5)');
}

function splitOf(flags: { split?: string; splitSeed?: string; splitTestFraction?: string }): ((identity: string) => boolean) | undefined {
  if (flags.split === undefined) {
    if (flags.splitSeed !== undefined || flags.splitTestFraction !== undefined) throw new OpenLfrError('BAD_REQUEST', '--split-seed and --split-test-fraction need --split train|test');
    return undefined;
  }
  return identitySplit({ part: flags.split, seed: flags.splitSeed ?? '1', testFraction: number('split-test-fraction', flags.splitTestFraction) ?? 0.5 });
}

/** --degrade-*: the original inter-eye distance comes from the undegraded template cache, or a detection when it is not there. */
async function degradationOf(flags: EvaluateFlags, engine: EnginePool, deps: EvaluateDeps, root: string | undefined): Promise<ImageTransform | undefined> {
  if ([flags.degradeEye, flags.degradeBlur, flags.degradeJpeg, flags.degradeCanvas, flags.degradeMotion, flags.degradeExposure].every((v) => v === undefined)) return undefined;
  if (flags.enrol !== undefined) throw new OpenLfrError('BAD_REQUEST', '--degrade-* works in --dataset mode');
  const canvas = flags.degradeCanvas?.split('x').map(Number);
  if (canvas && (canvas.length !== 2 || !canvas.every(Number.isFinite))) throw new OpenLfrError('BAD_REQUEST', `--degrade-canvas must be WIDTHxHEIGHT (got "${flags.degradeCanvas}")`);
  const d: Degradation = {
    interEyePx: number('degrade-eye', flags.degradeEye),
    blurSigma: number('degrade-blur', flags.degradeBlur),
    jpegQuality: number('degrade-jpeg', flags.degradeJpeg),
    motionPx: number('degrade-motion', flags.degradeMotion),
    exposureStops: number('degrade-exposure', flags.degradeExposure),
    canvas: canvas as [number, number] | undefined,
  };
  validateDegradation(d);
  const plain = root ? await deps.openCache(engine.id, engine.info.dims, '', [resolve(root)]) : new MemoryTemplateCache();
  return degradeTransform(d, subjectInterEye(engine, (sha256) => plain.get(sha256)?.interEyePx));
}

/** --score-norm: the cohort is the other part of the split at its deepest level (never the run's own identities). */
function scoreNormOf(flags: EvaluateFlags): { topK: number; cohortIdentity: (identity: string) => boolean } | undefined {
  if (flags.scoreNorm === undefined) return undefined;
  if (flags.split === undefined) throw new OpenLfrError('BAD_REQUEST', '--score-norm needs --split: the other part of the split is the cohort of people on no watchlist');
  return { topK: number('score-norm', flags.scoreNorm)!, cohortIdentity: splitOf({ ...flags, split: siblingPart(flags.split) })! };
}

/** Run `fn` on the governance services of the configured store (the data key is required), then close them. */
async function withStore<T>(config: Config, fn: (s: Services) => Promise<T>): Promise<T> {
  const services = await openServices(config, defaultEngine);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** Who reads and writes the template cache: the evaluation harness on the machine holding the store (a calibration is recorded by a named person, --as). */
const EVALUATION: Principal = { kind: 'system', name: 'evaluation' };

/**
 * The template cache holds biometric templates, so it lives in the biometric store (sealed with the data key,
 * OPENLFR_KEY / OPENLFR_KEY_FILE or the demo key; every access audited as system:evaluation). Without a data
 * key, or with the embedded store open in another process, the run keeps templates in memory only.
 */
export async function cacheServices(config: Config, wanted: boolean): Promise<Services | null> {
  if (!wanted) return null;
  try {
    return await openServices(config, defaultEngine);
  } catch (e) {
    if (!(isOpenLfrError(e) && (e.code === 'KEY_MISSING' || e.code === 'STORE_LOCKED'))) throw e;
    const why = e.code === 'KEY_MISSING' ? 'no data key (OPENLFR_KEY or OPENLFR_KEY_FILE)' : 'the store is open in another process';
    process.stderr.write(`openlfr evaluate: ${why}: templates are kept in memory only, not cached\n`);
    return null;
  }
}

/**
 * --record: store the calibration in the governance store, where it sets the threshold floor for this
 * engine. The floor is the lowest threshold meeting the FPIR target with no significant differential in
 * false alerts between groups (the harm NPL found below 0.60); a differential in misses (FNIR) is reported
 * in the figures and the report, but does not set the floor (see docs/evaluation.md).
 */
async function recordCalibration(services: Services, who: Principal, engine: EnginePool, outcome: EvaluateOutcome): Promise<{ id: string; threshold: number; status: string }> {
  const r = outcome.result;
  const sample = { fpirTarget: r.options.fpirTarget, subjects: r.watchlistSize - r.distractors, nonMatedSearches: r.nonMatedSearches };
  // the sample is checked (and a refusal audited) before anything else is said about the figures
  await services.calibrations.checkSample(who, engine.id, sample);
  const threshold = outcome.result.equitableThresholdFpirOnly;
  if (threshold === null)
    throw new OpenLfrError(
      'RULE_VIOLATION',
      'No floor to record: no threshold met the FPIR target with no false-alert differential between groups (an equity check needs --labels with group columns, and enough non-mated searches for the target)',
    );
  const rec = await services.calibrations.record(who, {
    engineId: engine.id,
    datasetFingerprint: outcome.calibration.datasetFingerprint,
    threshold,
    figures: { ...outcome.calibration, floorRule: 'equitableThresholdFpirOnly', equitableThresholdFpirOnly: threshold, equitableThresholdFpirAndFnir: outcome.result.equitableThreshold },
    sample,
  });
  return { id: rec.id, threshold, status: rec.status };
}

export function evaluateDeps(config: Config, engine: EnginePool, services: Services | null, out: string | null): EvaluateDeps {
  return {
    engine,
    decode: (bytes) => decodeImage(bytes, { maxPixels: config.engine.maxImagePixels, maxBytes: config.engine.maxImageBytes }),
    openCache: async (engineId, dims, variant, roots) =>
      services ? StoredTemplateCache.open(services.evaluationCache.port(EVALUATION, engineId, templateCacheKey(engineId, variant, roots)), engineId, dims) : new MemoryTemplateCache(),
    calibrationSink: out ? new JsonFileCalibrationSink(out) : new MemoryCalibrationSink(),
    clock: () => new Date(),
    concurrency: config.engine.workers * 2,
    progress: terminalProgress(),
  };
}

export function registerEvaluate(program: Command): void {
  // options of `evaluate` are parsed before a subcommand name only, so `evaluate train-projection --dataset` reaches the subcommand
  const evaluate = program.enablePositionalOptions().command('evaluate').enablePositionalOptions();
  const train = evaluate
    .command('train-projection')
    .description('train the linear projection (WCCN, or WCCN+LDA with --dims < 512) on the templates of a dataset (use --split train) and write it as JSON')
    .requiredOption('--dataset <dir>', 'one folder per identity; identities with 2+ images are used')
    .requiredOption('--output <file>', 'where to write the projection JSON')
    .option('--dims <k>', 'output dimensions (default: the embedding dimension, i.e. WCCN only)')
    .option('--regularisation <r>', 'ridge added to the within-class covariance, as a share of its mean eigenvalue (default 0.1)')
    .option('--no-cache', 'do not read or write the template cache (kept sealed and audited in the biometric store)');
  withSplitOptions(train).action(async (flags: TrainProjectionFlags) => {
      const config = loadConfig();
      const engine = await createEngine(config.engine);
      const services = await cacheServices(config, flags.cache);
      try {
        const ds = await acquireDataset({ dataset: flags.dataset, includeIdentity: splitOf(flags) }, evaluateDeps(config, engine, services, null));
        const templates = [...ds.acquired.values()].filter((a) => a.template.embedding).map((a) => ({ identity: a.image.identity, embedding: a.template.embedding! }));
        const trained = trainProjection(templates, {
          dims: number('dims', flags.dims) ?? engine.info.dims,
          regularisation: number('regularisation', flags.regularisation) ?? 0.1,
          provenance: {
            engine: engine.id,
            dataset: resolve(flags.dataset),
            datasetFingerprint: datasetFingerprint(ds.acquired.values()),
            split: flags.split ? { part: flags.split, seed: flags.splitSeed ?? '1', testFraction: number('split-test-fraction', flags.splitTestFraction) ?? 0.5 } : null,
            note: 'covariance-derived: a mean vector and a matrix; no template of any individual, no image',
          },
        });
        await writeFile(resolve(flags.output), trained.json);
        console.log(JSON.stringify({ output: resolve(flags.output), projection: trained.projection.id, method: trained.projection.method, engineId: trained.projection.engineId(engine.id), identities: trained.identities, templates: trained.templates, bytes: Buffer.byteLength(trained.json) }));
      } finally {
        await services?.close();
        await engine.close();
      }
    });
  withSplitOptions(evaluate)
    .description('measure accuracy (TPIR/FPIR, FMR/FNMR, LFW pairs) and demographic equity of the engine on a dataset')
    .option('--dataset <dir>', 'one folder per identity: first image of each identity with 2+ images enrolled, the rest mated searches, single-image identities non-mated')
    .option('--enrol <dir>', 'watchlist tree (one folder per identity), with --probe')
    .option('--probe <dir>', 'probe tree, matched to --enrol by identity folder name; absent identities are non-mated')
    .option('--labels <csv>', 'CSV: identity, image (relative path), then group columns (empty = unknown)')
    .option('--pairs <file>', 'LFW pairs file (pairsDevTrain.txt / pairs.txt) for verification accuracy')
    .option('--distractors <n>', 'single-image identities put on the watchlist as distractors instead of searched (default 0)')
    .option('--reference-choice <how>', 'dataset mode: which of a person\'s images become references: first (file-name order), norm (the embedder\'s output length, best first) or shot (the live shot score, best first); default first')
    .option('--references <k>', 'dataset mode: enrol each watchlist subject with up to k reference images (a person with n images gets min(k, n-1); the best-scoring reference counts); default 1')
    .option('--label-corrections <csv>', 'dataset mode: apply corrections of the dataset\'s labels (path,action,identity,evidence), e.g. data/lfw-devtrain-label-corrections.csv; report figures with and without')
    .option('--mated-as-nonmated', 'also search every mated probe against the watchlist without its own entry, as a non-mated search')
    .option('--fpir-target <x>', 'FPIR target of the equitable threshold (default from config: 1e-3)')
    .option('--json', 'print one JSON object')
    .option('--out <dir>', 'write report.html, evaluation.json and calibration.json there')
    .option('--no-cache', 'do not read or write the template cache (kept sealed and audited in the biometric store)')
    .option('--clear-cache', 'destroy every evaluation template cache in the biometric store (audited; needs the data key), then evaluate if a dataset is given')
    .option('--score-norm <k>', 'S-normalise scores against a cohort (one image of each identity of the other part of --split), from each face\'s k highest cohort scores')
    .option('--degrade-eye <px>', 'degrade searches: downscale each so the subject\'s inter-eye distance is this many pixels')
    .option('--degrade-blur <sigma>', 'degrade searches: Gaussian blur of this sigma (pixels, after downscaling)')
    .option('--degrade-motion <px>', 'degrade searches: horizontal motion blur over this many pixels (after downscaling)')
    .option('--degrade-exposure <stops>', 'degrade searches: underexpose by this many stops (negative, for example -3)')
    .option('--degrade-jpeg <quality>', 'degrade searches: JPEG round trip at this quality (1-100)')
    .option('--degrade-canvas <WxH>', 'degrade searches: place the degraded image in the centre of a grey frame this size (a small face in a camera frame)')
    .option('--walk-past <frames>', 'also measure multi-frame fusion on a synthetic walk-past of this many photos per passer-by (single shot, max score, averaged template)')
    .option('--projection <file>', 'apply a learned linear projection (from `evaluate train-projection`) to every template before matching')
    .option('--record', 'store the calibration in the governance store: it sets the threshold floor for this engine (needs the data key, --as an ADMIN, an FPIR target of 1e-2 or tighter, 50+ watchlist subjects and 3/target non-mated searches; a lower floor or reference bar waits for an AUTHORISING_OFFICER: `openlfr calibration approve`)')
    .option('--as <username>', 'with --record: who records it (an ADMIN; password from the OPENLFR_PASSWORD environment variable)')
    .action(async (flags: EvaluateFlags) => {
      const config = loadConfig();
      if (flags.clearCache) {
        const cleared = await withStore(config, (s) => s.evaluationCache.clear(EVALUATION, 'cleared by openlfr evaluate --clear-cache'));
        process.stderr.write(`openlfr evaluate: ${cleared.length} evaluation template cache(s) destroyed\n`);
        if (flags.dataset === undefined && flags.enrol === undefined && flags.probe === undefined) {
          if (flags.json) console.log(JSON.stringify({ clearedCaches: cleared.length }));
          return;
        }
      }
      const distractors = number('distractors', flags.distractors);
      const fpirTarget = number('fpir-target', flags.fpirTarget) ?? config.evaluate.fpirTarget;
      const includeIdentity = splitOf(flags);
      const projection = flags.projection ? await Projection.load(resolve(flags.projection)) : undefined;
      if (!flags.record && flags.as !== undefined) throw new OpenLfrError('BAD_REQUEST', '--as is for --record');
      // --record: the person, the role and the FPIR target are checked before any image is analysed
      const recordServices = flags.record ? await openServices(config, defaultEngine) : null;
      let recorder: Principal | null = null;
      let engine: EnginePool | null = null;
      // the template cache (the store --record opened, unless --no-cache)
      let services: Services | null = null;
      try {
        if (recordServices) recorder = await login(recordServices, flags.as);
        engine = await createEngine(config.engine);
        if (recordServices && recorder) await recordServices.calibrations.preflight(recorder, engine.id, fpirTarget);
        services = flags.cache ? (recordServices ?? (await cacheServices(config, true))) : null;
        const out = flags.out ? resolve(flags.out) : null;
        const deps = evaluateDeps(config, engine, services, out);
        const outcome = await runEvaluation(
          {
            dataset: flags.dataset,
            enrol: flags.enrol,
            probe: flags.probe,
            labels: flags.labels,
            pairs: flags.pairs,
            distractors,
            references: number('references', flags.references),
            referenceChoice: referenceChoiceOf(flags.referenceChoice),
            labelCorrections: flags.labelCorrections ? resolve(flags.labelCorrections) : undefined,
            includeIdentity,
            projection,
            scoreNorm: scoreNormOf(flags),
            walkPast: number('walk-past', flags.walkPast),
            transform: await degradationOf(flags, engine, deps, flags.dataset ?? flags.probe),
            options: {
              fpirTarget,
              equity: { alpha: config.evaluate.alpha, ratio: config.evaluate.equityRatio, metrics: ['fpir', 'fnir'] },
              matedAsNonMated: flags.matedAsNonmated === true,
            },
          },
          deps,
        );
        if (out) {
          await mkdir(out, { recursive: true });
          await writeFile(join(out, 'evaluation.json'), `${JSON.stringify(jsonOutput(outcome, true), null, 2)}\n`);
          const title = `OpenLFR evaluation: ${outcome.calibration.dataset.name}`;
          await writeFile(join(out, 'report.html'), renderReport(outcome.result, outcome.calibration, { title, generatedAt: outcome.calibration.createdAt, wallSeconds: outcome.seconds.total }));
        }
        const recorded = recordServices && recorder ? await recordCalibration(recordServices, recorder, engine, outcome) : null;
        if (recorded)
          process.stderr.write(
            recorded.status === 'PENDING'
              ? `openlfr evaluate: calibration ${recorded.id} recorded: floor ${recorded.threshold} for ${engine.id}, PENDING: it lowers the floor or the reference bar, so it takes effect only when a second person approves it (openlfr calibration approve ${recorded.id} --as <authorising officer> --reason <why>)\n`
              : `openlfr evaluate: calibration ${recorded.id} recorded: floor ${recorded.threshold} for ${engine.id}\n`,
          );
        console.log(flags.json ? JSON.stringify({ ...jsonOutput(outcome), ...(recorded ? { recordedCalibration: recorded } : {}) }) : summary(outcome));
      } finally {
        for (const s of new Set([services, recordServices])) await s?.close();
        await engine?.close();
      }
    });
}
