/**
 * Password guessing is slowed per account: after `maxFailures` wrong passwords within `windowMinutes`, the
 * account refuses every login (right password or not) for `lockMinutes`, with AUTH_THROTTLED and the
 * time to wait. A successful login clears the count. The audit trail keeps every failure and lock.
 *
 * The state lives behind a small port, `ThrottleStore` (read, an atomic update, prune), with two
 * implementations run through one contract suite (test/contract/throttle-store.contract.ts): in memory, for
 * a single process and tests, and in the database (table login_throttle), which the services use, so that
 * the API server, a second server and every CLI invocation share one count and a restart does not reset it.
 */
import { OpenLfrError } from '../errors.ts';
import type { Store } from '../store/open-store.ts';
import { loginThrottleRepo } from '../store/repositories/login-throttle.ts';
import type { Clock } from './model.ts';

export interface ThrottleLimits {
  maxFailures: number;
  windowMinutes: number;
  lockMinutes: number;
}

export interface ThrottleState {
  /** Times of recent failures, epoch milliseconds. */
  failures: number[];
  /** End of the lock, epoch milliseconds (0: none). */
  lockedUntil: number;
}

export interface ThrottleStore {
  read(account: string): Promise<ThrottleState | undefined>;
  /**
   * Read-modify-write one account atomically: `fn` gets the state (undefined when there is none) and returns
   * the next state (undefined deletes it) and a result. Concurrent updates of one account are serialised.
   */
  update<T>(account: string, now: number, fn: (s: ThrottleState | undefined) => { next: ThrottleState | undefined; result: T }): Promise<T>;
  /** Forget accounts with no change since `before` and no lock beyond `now`. */
  prune(before: number, now: number): Promise<void>;
}

/** Accounts tracked at most by the memory store (oldest forgotten first), so guessing many names cannot grow memory without bound. */
const MAX_TRACKED = 10_000;

export function memoryThrottleStore(): ThrottleStore {
  const byAccount = new Map<string, ThrottleState & { at: number }>();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    async read(account) {
      const e = byAccount.get(account);
      return e && { failures: [...e.failures], lockedUntil: e.lockedUntil };
    },
    update(account, now, fn) {
      const run = queue.then(() => {
        const e = byAccount.get(account);
        const { next, result } = fn(e && { failures: [...e.failures], lockedUntil: e.lockedUntil });
        byAccount.delete(account); // re-inserted last: the map's order is recency
        if (next) byAccount.set(account, { ...next, at: now });
        while (byAccount.size > MAX_TRACKED) byAccount.delete(byAccount.keys().next().value!);
        return result;
      });
      queue = run.catch(() => undefined);
      return run;
    },
    async prune(before, now) {
      for (const [k, e] of byAccount) if (e.at < before && e.lockedUntil <= now) byAccount.delete(k);
    },
  };
}

/** The throttle's state in the store's database: one row per account, updated under a row lock. */
export function databaseThrottleStore(store: Store): ThrottleStore {
  return {
    async read(account) {
      const r = await loginThrottleRepo(store.db).get(account);
      return r && { failures: r.failures, lockedUntil: r.lockedUntil };
    },
    update(account, now, fn) {
      return store.db.transaction(async (tx) => {
        const repo = loginThrottleRepo(tx);
        const row = await repo.lock(account, now);
        const fresh = row.failures.length === 0 && row.lockedUntil === 0;
        const { next, result } = fn(fresh ? undefined : { failures: row.failures, lockedUntil: row.lockedUntil });
        if (next) await repo.put({ account, ...next }, now);
        else await repo.delete(account);
        return result;
      });
    },
    async prune(before, now) {
      await loginThrottleRepo(store.db).prune(before, now);
    },
  };
}

export class LoginThrottle {
  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits,
    private readonly store: ThrottleStore = memoryThrottleStore(),
  ) {}

  /** Refuses (AUTH_THROTTLED) while the account is locked. */
  async check(account: string): Promise<void> {
    const e = await this.store.read(account);
    const now = this.clock.now().getTime();
    if (e && e.lockedUntil > now) {
      const retryAfterSec = Math.ceil((e.lockedUntil - now) / 1000);
      throw new OpenLfrError('AUTH_THROTTLED', `Too many wrong passwords for this account: try again in ${Math.ceil(retryAfterSec / 60)} minute(s)`, { retryAfterSec });
    }
  }

  /** Records a failure; true when this failure locks the account. */
  async failed(account: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    const windowMs = this.limits.windowMinutes * 60_000;
    const locked = await this.store.update(account, now, (e) => {
      const failures = [...(e?.failures ?? []).filter((t) => t > now - windowMs), now];
      if (failures.length >= this.limits.maxFailures) return { next: { failures: [], lockedUntil: now + this.limits.lockMinutes * 60_000 }, result: true };
      return { next: { failures, lockedUntil: e?.lockedUntil ?? 0 }, result: false };
    });
    await this.store.prune(now - windowMs, now);
    return locked;
  }

  async succeeded(account: string): Promise<void> {
    await this.store.update(account, this.clock.now().getTime(), () => ({ next: undefined, result: undefined }));
  }
}
