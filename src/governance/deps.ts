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
import { isOpenLfrError, OpenLfrError } from '../errors.ts';

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
export async function refuse(d: Pick<GovernanceDeps, 'store' | 'audit'>, p: Principal, action: string, target: string, err: unknown): Promise<never> {
  if (isOpenLfrError(err)) {
    await d.store.tx((_r, tx) =>
      d.audit.append(tx, { actor: actorOf(p), action: `${action}.refused`, target, reason: err.message, details: { code: err.code } }),
    );
    err.audited = true;
  }
  throw err;
}

/**
 * Nothing is published from a store whose audit trail is broken, or whose deployments, alerts, users or calibrations differ
 * from the state the trail recorded for them (issue 14, item 7): AUDIT_STORE_MISMATCH naming the first
 * difference, and the refusal audited as `<action>.refused`.
 */
export async function requireMatchingStore(d: Pick<GovernanceDeps, 'store' | 'audit'>, p: Principal, action: string, target: string): Promise<void> {
  const v = await d.audit.verifyStore(d.store.db);
  if (v.ok) return;
  const where = v.firstBad?.row ? '' : ` (audit entry ${v.firstBad?.seq ?? '?'})`;
  return refuse(
    d,
    p,
    action,
    target,
    new OpenLfrError('AUDIT_STORE_MISMATCH', `Nothing is published from this store: ${v.firstBad?.problem ?? 'the audit trail is broken'}${where}. Run openlfr audit verify, and investigate before publishing`, {
      firstBad: v.firstBad,
    }),
  );
}
