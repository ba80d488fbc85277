/**
 * The calibration record an evaluation produces: which engine (with model hashes) was measured on which
 * data (fingerprint), when, with what figures, and the equitable threshold found. The governance threshold
 * floor reads the latest record for the engine in use. Records go to an injected sink (the governance
 * `calibrations` table at integration; a JSON file for now).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFile } from '../engine/port.ts';
import type { EvaluationResult } from './run.ts';

export interface CalibrationRecord {
  kind: 'openlfr.calibration/1';
  engineId: string;
  engineModels: ModelFile[];
  /** SHA-256 of the sorted "<relative path>\t<content sha256>" lines of every image used. */
  datasetFingerprint: string;
  /** SHA-256 of the labels file, when one was used. */
  labelsSha256: string | null;
  dataset: { mode: EvaluationResult['mode']; name: string; images: number; identities: number };
  protocol: { watchlistSize: number; distractors: number; matedSearches: number; nonMatedSearches: number; nonMatedFromMated: number };
  /** ISO 8601, from the injected clock. */
  createdAt: string;
  fpirTarget: number;
  /** Enough non-mated searches to show the FPIR target (n >= 3 / target). */
  fpirTargetSupported: boolean;
  equitableThreshold: number | null;
  /** Verdicts per label column at the equitable threshold. */
  equity: { column: string; verdict: string; reason: string }[];
  figures: {
    fta: number;
    operatingPoints: { fpir: number; threshold: number | null; tpir: number | null; supported: boolean }[];
    tarAtFmr: { fmr: number; threshold: number | null; tar: number | null }[];
    pairsAccuracy: number | null;
    atEquitableThreshold: { tpir: number | null; fpir: number | null } | null;
  };
  /**
   * TPIR by the strength (embedding norm) of the searched person's reference photo, at the floor threshold (the
   * FPIR-only equitable threshold, else the FPIR target's): the enrolment step places a new photo among these
   * bins and quotes them (src/governance/reference-strength.ts). Null when the engine gives no norm.
   */
  referenceStrength: { threshold: number; cuts: number[]; bins: { from: number; to: number; subjects: number; matedSearches: number; tpir: number | null }[] } | null;
}

export interface CalibrationSink {
  record(record: CalibrationRecord): Promise<void>;
}

const finite = (t: number): number | null => (Number.isFinite(t) ? t : null);

function strengthAtFloor(result: EvaluationResult): CalibrationRecord['referenceStrength'] {
  const rs = result.referenceStrength;
  const t = result.equitableThresholdFpirOnly ?? result.operatingPoints.find((o) => o.fpir === result.options.fpirTarget)?.threshold ?? null;
  if (!rs || t === null) return null;
  return {
    threshold: t,
    cuts: rs.cuts,
    bins: rs.bins.map((b) => ({ from: b.from, to: b.to, subjects: b.subjects, matedSearches: b.matedSearches, tpir: b.points.find((p) => p.threshold === t)?.tpir ?? null })),
  };
}

export function calibrationRecord(
  result: EvaluationResult,
  meta: { datasetFingerprint: string; labelsSha256: string | null; datasetName: string; images: number; now: Date },
): CalibrationRecord {
  return {
    kind: 'openlfr.calibration/1',
    engineId: result.engine,
    engineModels: result.engineInfo.models,
    datasetFingerprint: meta.datasetFingerprint,
    labelsSha256: meta.labelsSha256,
    dataset: { mode: result.mode, name: meta.datasetName, images: meta.images, identities: result.identities },
    protocol: {
      watchlistSize: result.watchlistSize,
      distractors: result.distractors,
      matedSearches: result.matedSearches,
      nonMatedSearches: result.nonMatedSearches,
      nonMatedFromMated: result.nonMatedFromMated,
    },
    createdAt: meta.now.toISOString(),
    fpirTarget: result.options.fpirTarget,
    fpirTargetSupported: result.equitable?.fpirTargetSupported ?? result.nonMatedSearches >= Math.ceil(3 / result.options.fpirTarget),
    equitableThreshold: result.equitableThreshold,
    equity: result.equitable?.columns ?? [],
    figures: {
      fta: result.fta,
      operatingPoints: result.operatingPoints.map((o) => ({ fpir: o.fpir, threshold: o.threshold, tpir: o.tpir, supported: o.supported })),
      tarAtFmr: result.verification.tarAtFmr.map((t) => ({ fmr: t.targetFmr, threshold: finite(t.threshold), tar: t.tar })),
      pairsAccuracy: result.pairsAccuracy,
      atEquitableThreshold: result.equitable ? { tpir: result.equitable.point.tpir, fpir: result.equitable.point.fpir } : null,
    },
    referenceStrength: strengthAtFloor(result),
  };
}

/** Writes the record as `calibration.json` in a folder (until the governance store takes it). */
export class JsonFileCalibrationSink implements CalibrationSink {
  constructor(private readonly dir: string) {}
  async record(record: CalibrationRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, 'calibration.json'), `${JSON.stringify(record, null, 2)}\n`);
  }
}

/** Keeps records in memory (tests, and runs without --out). */
export class MemoryCalibrationSink implements CalibrationSink {
  readonly records: CalibrationRecord[] = [];
  async record(record: CalibrationRecord): Promise<void> {
    this.records.push(record);
  }
}
