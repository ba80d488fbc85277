/**
 * How the rest of OpenLFR gets an engine: `createEngine(config.engine)` starts the shared worker pool.
 * Adapters and the pool are internal to this folder.
 */
export type { FaceEngine, Face, AnalysedFace, RgbImage, EngineInfo, DetectOptions, FaceQuality } from './port.ts';
export { similarity, engineIdOf, wipe } from './port.ts';
export { EnginePool } from './pool.ts';
export { createLocalEngine } from './adapters.ts';
import type { EngineConfig } from '../config.ts';
import { EnginePool } from './pool.ts';

export function createEngine(config: EngineConfig, workers = config.workers): Promise<EnginePool> {
  return EnginePool.start(config, workers);
}
