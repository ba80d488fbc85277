/**
 * The evaluation template cache on THE biometric store: implements the `TemplateCacheStore` port of
 * ./cache.ts with src/store/biometric-store.ts, so the cache is one sealed blob per (engine, variant,
 * dataset) under `<home>/blobs`, and every write, read, discard and deletion is in the audit trail with who
 * acted and why (counts and ids only). `openlfr evaluate` acts as system:evaluation; `--clear-cache`
 * destroys every cache; the retention job destroys caches not rewritten for retention.evaluationCacheDays.
 */
import { requirePermission } from '../governance/access.ts';
import type { GovernanceDeps } from '../governance/deps.ts';
import { actorOf, type Principal } from '../governance/model.ts';
import type { TemplateCacheStore } from './cache.ts';

/** The reason recorded with every access of the cache. */
export const CACHE_REASON = 'evaluation template cache';

export class EvaluationCacheService {
  constructor(private readonly d: Pick<GovernanceDeps, 'store' | 'biometrics'>) {}

  /** The port of the cache `key` (see templateCacheKey) of engine `engineId`, acting as `p`. */
  port(p: Principal, engineId: string, key: string): TemplateCacheStore {
    requirePermission(p, 'evaluation.cache');
    const who = { actor: actorOf(p), reason: CACHE_REASON };
    const db = this.d.store.db;
    return {
      load: (decode) => this.d.biometrics.getEvaluationCache(db, key, engineId, who, decode),
      save: async (plain, entries) => {
        await this.d.biometrics.putEvaluationCache(db, key, plain, { engineId, entries }, who);
      },
    };
  }

  /** Destroy every evaluation cache (or those written before `before`), audited as one biometric.destroy. Returns their keys. */
  async clear(p: Principal, reason: string, before?: Date): Promise<string[]> {
    requirePermission(p, 'evaluation.cache');
    const keys = await this.d.biometrics.evaluationCacheOwners(this.d.store.db, before);
    if (keys.length > 0) await this.d.biometrics.destroy(this.d.store.db, keys, { actor: actorOf(p), reason: `${CACHE_REASON}: ${reason}` });
    return keys;
  }
}
