/**
 * At every start on a store (server and CLI): the data key must be the one the store was created with, and
 * demo mode (a throwaway key written beside the data) is only for a store created as a demo.
 *
 *  - The store's first start records the key's check value (`DataKey.keyCheck`, migration 0018) and whether
 *    it is a demo store; a later start with another key is refused (KEY_WRONG) before anything is sealed with
 *    it, instead of failing only when an old image is opened (or never, for new data).
 *    A store made before the check (holding data, no check recorded) records it only if the key opens the newest
 *    sealed template, so a wrong key given at the first start after the upgrade is not locked in.
 *  - OPENLFR_DEMO=1 on a store not created in demo mode (or on a store holding data from before the check was
 *    recorded) is refused (DEMO_REAL_STORE) before a demo key is written.
 * Both refusals are audited (`store.key.refused`, `store.demo.refused`), since the store is open by then.
 */
import { timingSafeEqual } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';
import type { DataKey } from '../store/crypto.ts';
import type { Store } from '../store/open-store.ts';
import { BiometricStore } from '../store/biometric-store.ts';
import { storeKeyRepo } from '../store/repositories/store-key.ts';
import type { AuditTrail } from './audit-trail.ts';
import type { Clock } from './model.ts';

const ACTOR = 'system:start';

export interface StoreKeyInput {
  store: Store;
  audit: AuditTrail;
  clock: Clock;
  /** The home (the biometric store's files; only templates, in the database, are read here). */
  home: string;
  /** Demo mode (OPENLFR_DEMO=1) is asked for. */
  demo: boolean;
  /** The key given (OPENLFR_KEY / OPENLFR_KEY_FILE), or a function that makes the demo key (called only once demo mode is allowed). */
  key: DataKey | (() => DataKey);
}

async function refuseStart(i: StoreKeyInput, action: string, err: OpenLfrError): Promise<never> {
  await i.store.tx((_r, tx) => i.audit.append(tx, { actor: ACTOR, action, target: 'store:key', reason: err.message, details: { code: err.code } }));
  throw err;
}

/** Check the key and demo mode against the store; returns the key to use. */
export async function checkStoreKey(i: StoreKeyInput): Promise<DataKey> {
  const repo = storeKeyRepo(i.store.db);
  const recorded = await repo.get();
  if (i.demo) {
    const real = recorded ? !recorded.demo : await repo.inUse();
    if (real) {
      return refuseStart(
        i,
        'store.demo.refused',
        new OpenLfrError('DEMO_REAL_STORE', 'OPENLFR_DEMO=1 is refused on this store: it was not created as a demo, and demo mode would write a throwaway key beside its data. Unset OPENLFR_DEMO and give the store\'s key (OPENLFR_KEY or OPENLFR_KEY_FILE); `openlfr demo` keeps its own store under $OPENLFR_HOME/demo'),
      );
    }
  }
  const key = typeof i.key === 'function' ? i.key() : i.key;
  const check = key.keyCheck();
  if (!recorded) {
    const at = i.clock.now();
    // a store that already holds sealed data (made before the key check): the key must open it before it is recorded
    const bio = new BiometricStore({ key, home: i.home, clock: i.clock, audit: i.audit });
    const opens = await i.store.tx((_r, tx) => bio.keyOpens(tx, { actor: ACTOR, reason: 'the key given at the first start with a key check must open the data already sealed' }));
    if (opens === false) return refuseWrong(i, key, at, 'it does not open the data already sealed in this store');
    await i.store.tx(async (_r, tx) => {
      if (await storeKeyRepo(tx).insertIfAbsent({ keyCheck: check, demo: i.demo, createdAt: at })) {
        await i.audit.append(tx, { actor: ACTOR, action: 'store.key-check.recorded', target: 'store:key', reason: 'first start with a key check: later starts must use the same data key', details: { demo: i.demo, keySource: key.source } });
      }
    });
    const now = await repo.get();
    if (now && now.keyCheck !== check) return refuseWrong(i, key, now.createdAt);
    return key;
  }
  const a = Buffer.from(recorded.keyCheck);
  const b = Buffer.from(check);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return refuseWrong(i, key, recorded.createdAt);
  return key;
}

function refuseWrong(i: StoreKeyInput, key: DataKey, since: Date, why?: string): Promise<never> {
  return refuseStart(
    i,
    'store.key.refused',
    new OpenLfrError(
      'KEY_WRONG',
      `The data key from ${key.source} is not the key this store was created with (${why ?? `its key check was recorded ${since.toISOString()}`}): data sealed under the store's key would not open, and new data would be sealed under another key. Start with the store's own OPENLFR_KEY or OPENLFR_KEY_FILE`,
      { keySource: key.source },
    ),
  );
}
