/**
 * The engine adapters, by name. Each entry creates a single-threaded, in-process engine; the pool
 * (pool.ts) hosts one per worker thread. Adapters are imported lazily so a worker loads only its own.
 */
import type { EngineConfig } from '../config.ts';
import { OpenLfrError } from '../errors.ts';
import type { FaceEngine } from './port.ts';

export type AdapterName = EngineConfig['name'];

export async function createLocalEngine(config: EngineConfig): Promise<FaceEngine> {
  switch (config.name) {
    case 'onnx': {
      const { OnnxEngine } = await import('./onnx/onnx-engine.ts');
      return OnnxEngine.create(config, { flip: config.onnxFlip, fuseDlib: config.onnxFuseDlib });
    }
    case 'human': {
      const { createLocalEngine: createHuman } = await import('./human/human-engine.ts');
      return createHuman(config);
    }
    default:
      throw new OpenLfrError('ENGINE_UNKNOWN', `no engine named ${String(config.name)}`);
  }
}
