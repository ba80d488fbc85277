/**
 * The match-threshold floor for an engine: the latest calibration recorded for that engine (written by
 * the evaluation issue), otherwise the configured default. The answer says which one set it.
 */
import type { Store } from '../store/open-store.ts';

export interface Floor {
  floor: number;
  /** Human-readable provenance, quoted in refusals and stored with the deployment at go-live. */
  source: string;
  calibrationId: string | null;
}

export interface ThresholdFloor {
  floorFor(engineId: string): Promise<Floor>;
}

export function calibratedFloor(store: Store, defaultFloor: number): ThresholdFloor {
  return {
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
