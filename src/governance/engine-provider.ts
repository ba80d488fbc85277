/**
 * The face engine the governance services use (enrolment, go-live's engine id): the pooled engine of
 * src/engine/index.ts, started lazily by the services because loading models is slow and most commands
 * never need it.
 */
import type { Config } from '../config.ts';
import { createEngine } from '../engine/index.ts';
import type { FaceEngine } from '../engine/port.ts';

export function defaultEngine(config: Config): Promise<FaceEngine> {
  return createEngine(config.engine);
}
