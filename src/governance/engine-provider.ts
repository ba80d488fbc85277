/**
 * The face engine the governance services use (enrolment, go-live's engine id). The pooled engine lives
 * in src/engine/index.ts (`createEngine(config.engine)`); it is loaded lazily because loading models is slow
 * and most commands never need it.
 */
import type { Config } from '../config.ts';
import type { FaceEngine } from '../engine/port.ts';
import { OpenLfrError } from '../errors.ts';

export async function defaultEngine(config: Config): Promise<FaceEngine> {
  const modulePath = '../engine/index.ts';
  let mod: { createEngine?: (c: Config['engine']) => Promise<FaceEngine> };
  try {
    mod = (await import(modulePath)) as typeof mod;
  } catch (e) {
    throw new OpenLfrError('ENGINE_UNKNOWN', 'The face engine (src/engine/index.ts) is not available in this build', undefined, { cause: e });
  }
  if (!mod.createEngine) throw new OpenLfrError('ENGINE_UNKNOWN', 'src/engine/index.ts has no createEngine');
  return mod.createEngine(config.engine);
}
