/**
 * The match-threshold floor for an engine: the latest calibration recorded for that engine (written by
 * the evaluation issue), otherwise the configured default. The answer says which one set it.
 */
import type { Store } from '../store/open-store.ts';
import type { CalibratedStrength } from './reference-check.ts';

export interface Floor {
  floor: number;
  /** Human-readable provenance, quoted in refusals and stored with the deployment at go-live. */
  source: string;
  calibrationId: string | null;
}

export interface ThresholdFloor {
  floorFor(engineId: string): Promise<Floor>;
  /** The bar of the enrolment reference check (src/governance/reference-check.ts): the calibrated pair threshold at FMR 1e-3, else the configured default. */
  referenceBarFor(engineId: string): Promise<{ bar: number; source: string }>;
  /** Reference-strength bins of the engine's latest calibration (`evaluate --record`), if it has them. */
  referenceStrengthFor(engineId: string): Promise<CalibratedStrength | null>;
}

function strengthOf(c: { id: string; figures: Record<string, unknown> }): CalibratedStrength | null {
  const rs = (c.figures as { referenceStrength?: { threshold: number; cuts: number[]; bins: { tpir: number | null }[] } | null }).referenceStrength;
  if (!rs || !Array.isArray(rs.cuts) || !Array.isArray(rs.bins) || rs.bins.length !== rs.cuts.length + 1) return null;
  return { calibrationId: c.id, threshold: rs.threshold, cuts: rs.cuts, bins: rs.bins };
}

/** The pair threshold at FMR 1e-3 inside a calibration's figures (the record written by `evaluate --record`), if there is one. */
export function pairThresholdAt1e3(figures: Record<string, unknown>): number | null {
  const inner = (figures as { figures?: { tarAtFmr?: { fmr: number; threshold: number | null }[] } }).figures;
  const t = inner?.tarAtFmr?.find((x) => Math.abs(x.fmr - 1e-3) < 1e-12)?.threshold;
  return typeof t === 'number' && Number.isFinite(t) ? t : null;
}

export function calibratedFloor(store: Store, defaultFloor: number, defaultReferenceBar = 0.34): ThresholdFloor {
  return {
    async referenceStrengthFor(engineId) {
      const c = await store.repos.calibrations.latest(engineId);
      return c ? strengthOf(c) : null;
    },
    async referenceBarFor(engineId) {
      const c = await store.repos.calibrations.latest(engineId);
      const t = c ? pairThresholdAt1e3(c.figures) : null;
      if (c && t !== null) return { bar: t, source: `pair threshold at FMR 1e-3 of calibration ${c.id} for engine ${engineId}` };
      return { bar: defaultReferenceBar, source: `configured default governance.referenceMatchMinDefault (OPENLFR_REFERENCE_MATCH_MIN) = ${defaultReferenceBar}; no calibration with pair figures for engine ${engineId}` };
    },
    async floorFor(engineId) {
      const c = await store.repos.calibrations.latest(engineId);
      if (c) {
        return {
          floor: c.threshold,
          source: `calibration ${c.id} of ${c.createdAt.toISOString()} (dataset ${c.datasetFingerprint}) for engine ${engineId}`,
          calibrationId: c.id,
        };
      }
      return {
        floor: defaultFloor,
        source: `configured default governance.thresholdFloorDefault (OPENLFR_THRESHOLD_FLOOR) = ${defaultFloor}; no calibration is recorded for engine ${engineId}`,
        calibrationId: null,
      };
    },
  };
}
