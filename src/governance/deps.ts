/** What the governance services share: the store, the audit trail, the clock and the ports. */
import type { EventEmitter } from 'node:events';
import type { Config } from '../config.ts';
import type { FaceEngine } from '../engine/port.ts';
import type { BiometricStore } from '../store/biometric-store.ts';
import type { DataKey } from '../store/crypto.ts';
import type { Store } from '../store/open-store.ts';
import type { AuditTrail } from './audit-trail.ts';
import { actorOf, type Clock, type Principal } from './model.ts';
import type { ThresholdFloor } from './threshold-floor.ts';
import { isOpenLfrError } from '../errors.ts';

export interface GovernanceDeps {
  store: Store;
  audit: AuditTrail;
  clock: Clock;
  biometrics: BiometricStore;
  key: DataKey;
  /** The face engine in use, created on first need (loading models is slow). */
  engine: () => Promise<FaceEngine>;
  floor: ThresholdFloor;
  config: Pick<Config, 'governance' | 'engine' | 'retention'>;
  /** `deployment` events ({ id, state }) for live views (the console's push channel subscribes). */
  events: EventEmitter;
}

/** Record a refused attempt in the audit trail (in its own transaction), then throw the refusal. */
export async function refuse(d: GovernanceDeps, p: Principal, action: string, target: string, err: unknown): Promise<never> {
  if (isOpenLfrError(err)) {
    await d.store.tx((_r, tx) =>
      d.audit.append(tx, { actor: actorOf(p), action: `${action}.refused`, target, reason: err.message, details: { code: err.code } }),
    );
    err.audited = true;
  }
  throw err;
}
