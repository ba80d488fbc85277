import { loadConfig } from '../../src/config.ts';
import { createLocalEngine } from '../../src/engine/human/human-engine.ts';
import { EnginePool } from '../../src/engine/pool.ts';
import { runEngineContract } from './engine.contract.ts';

const config = { ...loadConfig().engine, name: 'human' as const };

// Measured: 31/32 with the in-process adapter (Human's FaceRes is a weaker embedder than the ONNX one).
// Scale: its lowest cosine to the native template is 0.845 (the LFW face as a 1350 px portrait); the ONNX engine's 0.93.
runEngineContract('human (in-process)', () => createLocalEngine(config), { minBbtRank1: 0.85, minScaleCosine: 0.8 });
runEngineContract('human (worker pool, 2 workers)', () => EnginePool.start(config, 2), { minBbtRank1: 0.85, minScaleCosine: 0.8 });
