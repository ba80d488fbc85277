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
import { acquireAll, datasetFingerprint, type AcquiredImage, type DecodeImage, type ImageTransform } from './acquire.ts';
import type { TemplateCache } from './cache.ts';
import { calibrationRecord, type CalibrationRecord, type CalibrationSink } from './calibration.ts';
import { applyLabelCorrections, datasetProtocol, enrolProbeProtocol, parseLabelCorrections, parseLabels, parsePairs, scanIdentityTree, type DatasetImage, type Labels, type PairSpec, type Protocol } from './dataset.ts';
import type { ProgressFn } from './progress.ts';
import { walkPast, type WalkPastResult } from './walk-past.ts';
import type { Projection } from '../engine/projection.ts';
import { DEFAULT_OPTIONS, evaluateRun, type EvaluationOptions, type EvaluationResult } from './run.ts';
import { qualityScore } from '../engine/quality.ts';

export interface EvaluateRequest {
  /** One folder per identity (LFW style). */
  dataset?: string;
  /** Police style: watchlist tree and probe tree, matched by identity folder name. */
  enrol?: string;
  probe?: string;
  labels?: string;
  pairs?: string;
  distractors?: number;
  /** Label corrections applied to the dataset as scanned (dataset mode). */
  labelCorrections?: string;
  /** Reference images per watchlist subject in dataset mode (default 1; every reference counts: a subject's score is its best). */
  references?: number;
  /**
   * Which of a person's images become the references (dataset mode): `first` in file-name order (default), or
   * the engine's own choice, best first: `norm` (the embedder's output length, which predicts a miss) or `shot`
   * (the live pipeline's shot score: size, pose, sharpness, detector score). A face not found sorts last.
   */
  referenceChoice?: ReferenceChoice;
  /** Keep only these identities (a split by identity: tune on one part, report on another). */
  includeIdentity?: (identity: string) => boolean;
  /** Keep only these images (by key); internal, for acquiring a cohort. */
  onlyKeys?: ReadonlySet<string>;
  options?: Partial<EvaluationOptions>;
  transform?: ImageTransform;
  /** S-norm scores against a cohort: one image of each identity kept by `cohortIdentity` (the other part of a split; never an identity of the run). */
  scoreNorm?: { topK: number; cohortIdentity: (identity: string) => boolean };
  /** Also run the synthetic walk-past with this many shots per passer-by (dataset mode). */
  walkPast?: number;
  /** A learned linear projection applied to every template after acquisition (the cache keeps the raw ones). */
  projection?: Projection;
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
  /** How the watchlist was built in dataset mode: references per subject and which images were chosen. */
  references: { perSubject: number; choice: ReferenceChoice } | null;
  walkPast: WalkPastResult | null;
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

export interface AcquiredDataset {
  images: DatasetImage[];
  roots: string[];
  protocol: Protocol;
  acquired: Map<string, AcquiredImage>;
  labels: Labels | null;
  labelsText: string | null;
  pairs: PairSpec[] | null;
  fromCache: number;
  analysed: number;
  options: EvaluationOptions;
}

/** Reads the dataset and acquires every image (engine or cache); templates come out projected when a projection is given. */
export const REFERENCE_CHOICES = ['first', 'norm', 'shot'] as const;
export type ReferenceChoice = (typeof REFERENCE_CHOICES)[number];

/** The value a reference choice ranks an image by (higher is better; -Infinity when no face was found). */
function referenceMerit(choice: Exclude<ReferenceChoice, 'first'>, a: AcquiredImage | undefined): number {
  const t = a?.template;
  if (!t?.embedding) return -Infinity;
  if (choice === 'norm') return t.quality?.embeddingNorm ?? -Infinity;
  return t.quality && t.interEyePx !== null && t.detectorScore !== null ? qualityScore({ ...t.quality, interEyePx: t.interEyePx }, t.detectorScore) : -Infinity;
}

export async function acquireDataset(req: EvaluateRequest, deps: EvaluateDeps): Promise<AcquiredDataset> {
  const datasetMode = req.dataset !== undefined;
  if (datasetMode === (req.enrol !== undefined || req.probe !== undefined) || (!datasetMode && (!req.enrol || !req.probe)))
    throw new OpenLfrError('BAD_REQUEST', 'Give either --dataset <dir>, or both --enrol <dir> and --probe <dir>');
  if (req.labelCorrections && !datasetMode) throw new OpenLfrError('BAD_REQUEST', '--label-corrections needs --dataset mode');
  if (req.pairs && !datasetMode) throw new OpenLfrError('BAD_REQUEST', '--pairs needs --dataset mode (pair paths are relative to the dataset root)');
  const choice = req.referenceChoice ?? 'first';
  if (choice !== 'first' && !datasetMode) throw new OpenLfrError('BAD_REQUEST', '--reference-choice needs --dataset mode');
  if (choice !== 'first' && req.transform?.searchesOnly)
    throw new OpenLfrError('BAD_REQUEST', '--reference-choice cannot be combined with a transform of the searches only (the references are not known before the images are analysed)');
  const options: EvaluationOptions = { ...DEFAULT_OPTIONS, ...req.options };
  for (const f of [...options.fpirPoints, options.fpirTarget, ...options.tarFmrs])
    if (!(f > 0 && f < 1)) throw new OpenLfrError('BAD_REQUEST', `FPIR and FMR targets must be between 0 and 1 (got ${f})`);

  const labelsText = req.labels ? await readText(req.labels, 'labels') : null;
  const labels: Labels | null = labelsText === null ? null : parseLabels(labelsText);
  let pairs: PairSpec[] | null = req.pairs ? parsePairs(await readText(req.pairs, 'pairs')) : null;

  const keep = (list: DatasetImage[]) =>
    list.filter((im) => (!req.includeIdentity || req.includeIdentity(im.identity)) && (!req.onlyKeys || req.onlyKeys.has(im.key)));
  let images: DatasetImage[];
  let roots: string[];
  let protocol: Protocol;
  let scannedRels: string[] = [];
  if (datasetMode) {
    roots = [resolve(req.dataset!)];
    const scanned = await scanIdentityTree(roots[0]!);
    scannedRels = scanned.map((i) => i.rel);
    images = keep(req.labelCorrections ? applyLabelCorrections(scanned, parseLabelCorrections(await readText(req.labelCorrections, 'label corrections'))) : scanned);
    protocol = datasetProtocol(images, { distractors: req.distractors ?? 0, references: req.references });
  } else {
    roots = [resolve(req.enrol!), resolve(req.probe!)];
    const enrol = keep(await scanIdentityTree(roots[0]!, 'enrol/'));
    const probe = keep(await scanIdentityTree(roots[1]!, 'probe/'));
    images = [...enrol, ...probe];
    protocol = enrolProbeProtocol(enrol, probe);
  }
  if (pairs) {
    const inDataset = new Set(scannedRels);
    const missing = pairs.flatMap((p) => [p.a, p.b]).find((p) => !inDataset.has(p));
    if (missing) throw new OpenLfrError('BAD_REQUEST', `Pairs file names an image that is not in the dataset: ${missing}`);
    // a split by identity (or a correction that excludes an image) keeps the pairs whose two images are both kept;
    // with corrections, whether a pair is the same person follows the corrected identities
    const kept = new Map(images.map((i) => [i.rel, i.identity]));
    pairs = pairs.filter((p) => kept.has(p.a) && kept.has(p.b));
    if (req.labelCorrections) pairs = pairs.map((p) => ({ ...p, same: kept.get(p.a) === kept.get(p.b) }));
  }

  const engine = deps.engine;
  // a searches-only transform: watchlist entries come from the untransformed cache, searches from the transform's
  const plain = req.transform?.searchesOnly ? new Set(protocol.watchlist.map((w) => w.image.key)) : new Set<string>();
  const acquired = { images: new Map<string, AcquiredImage>(), fromCache: 0, analysed: 0 };
  const groups: [DatasetImage[], ImageTransform | undefined][] = [
    [images.filter((im) => plain.has(im.key)), undefined],
    [images.filter((im) => !plain.has(im.key)), req.transform],
  ];
  for (const [list, transform] of groups) {
    if (list.length === 0) continue;
    const cache = await deps.openCache(engine.id, engine.info.dims, transform?.id ?? '', roots);
    const part = await acquireAll(list, { engine, decode: deps.decode, cache, concurrency: deps.concurrency, transform, onProgress: deps.progress });
    await cache.flush();
    for (const [k, v] of part.images) acquired.images.set(k, v);
    acquired.fromCache += part.fromCache;
    acquired.analysed += part.analysed;
  }
  if (choice !== 'first') {
    const merit = new Map(images.map((im) => [im.key, referenceMerit(choice, acquired.images.get(im.key))]));
    const referenceOrder = (ims: readonly DatasetImage[]) => ims.map((im, i) => ({ im, i })).sort((a, b) => merit.get(b.im.key)! - merit.get(a.im.key)! || a.i - b.i).map((x) => x.im);
    protocol = datasetProtocol(images, { distractors: req.distractors ?? 0, references: req.references, referenceOrder });
  }
  if (req.projection) {
    const p = req.projection;
    for (const [k, a] of acquired.images)
      if (a.template.embedding) acquired.images.set(k, { ...a, template: { ...a.template, embedding: p.apply(a.template.embedding) } });
  }
  return { images, roots, protocol, acquired: acquired.images, labels, labelsText, pairs, fromCache: acquired.fromCache, analysed: acquired.analysed, options };
}

export async function runEvaluation(req: EvaluateRequest, deps: EvaluateDeps): Promise<EvaluateOutcome> {
  const t0 = performance.now();
  const { images, roots, protocol, acquired, labels, labelsText, pairs, fromCache, analysed, options } = await acquireDataset(req, deps);
  const t1 = performance.now();
  const engine = deps.engine;
  const engineRef = req.projection
    ? { id: req.projection.engineId(engine.id), info: { ...engine.info, name: `${engine.info.name}+proj`, dims: req.projection.outDims } }
    : { id: engine.id, info: engine.info };
  let cohort: { embeddings: Float32Array; topK: number } | undefined;
  if (req.scoreNorm) {
    if (!req.dataset) throw new OpenLfrError('BAD_REQUEST', 'score normalisation needs a cohort of people on no watchlist: use --dataset with --split, and the other part of the split is the cohort');
    const inCohort = req.scoreNorm.cohortIdentity;
    const runIdentities = new Set(images.map((im) => im.identity));
    const all = await scanIdentityTree(resolve(req.dataset));
    const seen = new Set<string>();
    const firstOfEach = new Set(all.filter((im) => inCohort(im.identity) && !runIdentities.has(im.identity) && !seen.has(im.identity) && seen.add(im.identity)).map((im) => im.key));
    if (firstOfEach.size < req.scoreNorm.topK) throw new OpenLfrError('BAD_REQUEST', `the cohort has ${firstOfEach.size} people, fewer than --score-norm ${req.scoreNorm.topK}`);
    const c = await acquireDataset({ dataset: req.dataset, includeIdentity: () => true, projection: req.projection, onlyKeys: firstOfEach }, deps);
    const rows = [...c.acquired.values()].map((a) => a.template.embedding).filter((e): e is Float32Array => e !== null);
    const dims = engineRef.info.dims;
    const embeddings = new Float32Array(rows.length * dims);
    rows.forEach((r, i) => embeddings.set(r, i * dims));
    cohort = { embeddings, topK: req.scoreNorm.topK };
  }
  const result = evaluateRun({ protocol, acquired, labels, pairs, engine: engineRef, cohort }, options);
  if (req.walkPast !== undefined && !req.dataset) throw new OpenLfrError('BAD_REQUEST', '--walk-past needs --dataset mode');
  const walk = req.walkPast === undefined ? null : walkPast(images, acquired, req.walkPast, engineRef.info.dims, options.fpirPoints, result.operatingPoints.flatMap((p) => (p.threshold === null ? [] : [p.threshold])));
  const calibration = calibrationRecord(result, {
    datasetFingerprint: datasetFingerprint(acquired.values()),
    labelsSha256: labelsText === null ? null : createHash('sha256').update(labelsText).digest('hex'),
    datasetName: roots.map((r) => basename(r)).join(' + '),
    images: images.length,
    now: deps.clock(),
  });
  await deps.calibrationSink.record(calibration);
  const t2 = performance.now();
  return {
    result,
    references: req.dataset ? { perSubject: req.references ?? 1, choice: req.referenceChoice ?? 'first' } : null,
    walkPast: walk,
    calibration,
    images: images.length,
    fromCache,
    analysed,
    seconds: { acquire: (t1 - t0) / 1000, evaluate: (t2 - t1) / 1000, total: (t2 - t0) / 1000 },
  };
}
