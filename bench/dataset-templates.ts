/**
 * The templates of a whole identity-folder dataset for the bench scripts, through the evaluation harness
 * (the engine of the configuration, the sealed template cache of the store at OPENLFR_HOME when OPENLFR_KEY is
 * set). The engine and the store are closed before returning.
 */
import { resolve } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { cacheServices, evaluateDeps } from '../src/cli/commands/evaluate.ts';
import { createEngine } from '../src/engine/index.ts';
import { acquireDataset, type AcquiredDataset } from '../src/evaluate/service.ts';

export async function datasetTemplates(dataset: string): Promise<{ engineId: string; ds: AcquiredDataset }> {
  const config = loadConfig();
  const engine = await createEngine(config.engine);
  const services = await cacheServices(config, true);
  try {
    const ds = await acquireDataset({ dataset: resolve(dataset) }, evaluateDeps(config, engine, services, null));
    return { engineId: engine.id, ds };
  } finally {
    await services?.close();
    await engine.close();
  }
}
