/**
 * `openlfr evaluate` as a service: reads the dataset, acquires every image through the engine (or the
 * template cache), computes the figures, produces the calibration record and hands it to the sink.
 * Every side effect comes in through `EvaluateDeps`.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { FaceEngine } from '../engine/port.ts';
import { OpenLfrError } from '../errors.ts';
import { acquireAll, datasetFingerprint, type DecodeImage, type ImageTransform } from './acquire.ts';
import type { TemplateCache } from './cache.ts';
import { calibrationRecord, type CalibrationRecord, type CalibrationSink } from './calibration.ts';
import { datasetProtocol, enrolProbeProtocol, parseLabels, parsePairs, scanIdentityTree, type DatasetImage, type Labels, type PairSpec } from './dataset.ts';
import type { ProgressFn } from './progress.ts';
import { DEFAULT_OPTIONS, evaluateRun, type EvaluationOptions, type EvaluationResult } from './run.ts';

export interface EvaluateRequest {
  /** One folder per identity (LFW style). */
  dataset?: string;
  /** Police style: watchlist tree and probe tree, matched by identity folder name. */
  enrol?: string;
  probe?: string;
  labels?: string;
  pairs?: string;
  distractors?: number;
  /** Keep only these identities (a split by identity: tune on one part, report on another). */
  includeIdentity?: (identity: string) => boolean;
  options?: Partial<EvaluationOptions>;
  transform?: ImageTransform;
}

export interface EvaluateDeps {
  engine: FaceEngine;
  decode: DecodeImage;
  /** Opens the template cache for an engine id + transform variant + dataset roots. */
  openCache(engineId: string, dims: number, variant: string, roots: string[]): Promise<TemplateCache>;
  calibrationSink: CalibrationSink;
  clock: () => Date;
  /** Images in flight at once (twice the engine workers keeps every core busy). */
  concurrency: number;
  progress?: ProgressFn;
}

export interface EvaluateOutcome {
  result: EvaluationResult;
  calibration: CalibrationRecord;
  images: number;
  fromCache: number;
  analysed: number;
  seconds: { acquire: number; evaluate: number; total: number };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new OpenLfrError('BAD_REQUEST', `Cannot read the ${what} file ${path}: ${(e as Error).message}`, { path });
  }
}

export async function runEvaluation(req: EvaluateRequest, deps: EvaluateDeps): Promise<EvaluateOutcome> {
  const t0 = performance.now();
  const datasetMode = req.dataset !== undefined;
  if (datasetMode === (req.enrol !== undefined || req.probe !== undefined) || (!datasetMode && (!req.enrol || !req.probe)))
    throw new OpenLfrError('BAD_REQUEST', 'Give either --dataset <dir>, or both --enrol <dir> and --probe <dir>');
  if (req.pairs && !datasetMode) throw new OpenLfrError('BAD_REQUEST', '--pairs needs --dataset mode (pair paths are relative to the dataset root)');
  const options: EvaluationOptions = { ...DEFAULT_OPTIONS, ...req.options };
  for (const f of [...options.fpirPoints, options.fpirTarget, ...options.tarFmrs])
    if (!(f > 0 && f < 1)) throw new OpenLfrError('BAD_REQUEST', `FPIR and FMR targets must be between 0 and 1 (got ${f})`);

  const labelsText = req.labels ? await readText(req.labels, 'labels') : null;
  const labels: Labels | null = labelsText === null ? null : parseLabels(labelsText);
  const pairs: PairSpec[] | null = req.pairs ? parsePairs(await readText(req.pairs, 'pairs')) : null;

  const keep = (list: DatasetImage[]) => (req.includeIdentity ? list.filter((im) => req.includeIdentity!(im.identity)) : list);
  let images: DatasetImage[];
  let roots: string[];
  let protocol;
  if (datasetMode) {
    roots = [resolve(req.dataset!)];
    images = keep(await scanIdentityTree(roots[0]!));
    protocol = datasetProtocol(images, { distractors: req.distractors ?? 0 });
  } else {
    roots = [resolve(req.enrol!), resolve(req.probe!)];
    const enrol = keep(await scanIdentityTree(roots[0]!, 'enrol/'));
    const probe = keep(await scanIdentityTree(roots[1]!, 'probe/'));
    images = [...enrol, ...probe];
    protocol = enrolProbeProtocol(enrol, probe);
  }
  if (pairs) {
    const have = new Set(images.map((i) => i.rel));
    const missing = pairs.flatMap((p) => [p.a, p.b]).find((p) => !have.has(p));
    if (missing) throw new OpenLfrError('BAD_REQUEST', `Pairs file names an image that is not in the dataset: ${missing}`);
  }

  const engine = deps.engine;
  const cache = await deps.openCache(engine.id, engine.info.dims, req.transform?.id ?? '', roots);
  const acquired = await acquireAll(images, { engine, decode: deps.decode, cache, concurrency: deps.concurrency, transform: req.transform, onProgress: deps.progress });
  await cache.flush();
  const t1 = performance.now();

  const result = evaluateRun({ protocol, acquired: acquired.images, labels, pairs, engine: { id: engine.id, info: engine.info } }, options);
  const calibration = calibrationRecord(result, {
    datasetFingerprint: datasetFingerprint(acquired.images.values()),
    labelsSha256: labelsText === null ? null : createHash('sha256').update(labelsText).digest('hex'),
    datasetName: roots.map((r) => basename(r)).join(' + '),
    images: images.length,
    now: deps.clock(),
  });
  await deps.calibrationSink.record(calibration);
  const t2 = performance.now();
  return {
    result,
    calibration,
    images: images.length,
    fromCache: acquired.fromCache,
    analysed: acquired.analysed,
    seconds: { acquire: (t1 - t0) / 1000, evaluate: (t2 - t1) / 1000, total: (t2 - t0) / 1000 },
  };
}
