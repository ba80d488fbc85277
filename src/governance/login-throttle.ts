/**
 * Password guessing is slowed per account and per client address: after `maxFailures` wrong passwords for an
 * account within `windowMinutes` (or `maxSourceFailures` from one address, whatever the accounts), logins are
 * refused (right password or not) for `lockMinutes`, with AUTH_THROTTLED and the time to wait. Each attempt is
 * counted before its password is checked, atomically, so concurrent guesses cannot overtake the count. A
 * successful login clears the account's count. The audit trail keeps every failure and lock.
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
  /** Failures from one client address within the window that lock the address (any account); unset = not counted. */
  maxSourceFailures?: number | undefined;
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

/** One login attempt, counted before its password is checked (see `LoginThrottle.begin`). */
export interface LoginAttempt {
  readonly at: number;
  /** The throttle keys this attempt was counted under: the account's, and its source's when known. */
  readonly keys: readonly string[];
  /** Keys whose lock this attempt set (the attempt itself is still evaluated; the lock holds if it fails). */
  readonly locks: readonly string[];
}

const accountKey = (account: string) => `account:${account}`;
const sourceKey = (source: string) => `source:${source}`;

/**
 * The throttle itself. An attempt is counted as a failure *before* its password is checked, in one atomic
 * update per key (`begin`), and refused there when the key is locked; a success then clears the account's
 * count. So concurrent guesses are all counted before any is evaluated: with a limit of 5, 41 simultaneous
 * guesses get 5 evaluations, never 41 (the review saw all 41 evaluated when the check and the count were two
 * steps). Two keys are counted: the account (`maxFailures`), and the client address the attempt came from
 * (`maxSourceFailures`; a source guessing across many accounts is locked too).
 */
export class LoginThrottle {
  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits,
    private readonly store: ThrottleStore = memoryThrottleStore(),
  ) {}

  /**
   * Start an attempt: refuses (AUTH_THROTTLED, with the seconds to wait) while the source or the account is
   * locked; otherwise counts it under both, atomically, and returns it. A wrong password needs nothing more
   * (it is counted already); a right one calls `succeeded`.
   */
  async begin(account: string, source?: string): Promise<LoginAttempt> {
    const now = this.clock.now().getTime();
    const windowMs = this.limits.windowMinutes * 60_000;
    const keys: string[] = [];
    const locks: string[] = [];
    const count = async (key: string, max: number, what: string): Promise<void> => {
      const r = await this.store.update(key, now, (e) => {
        if (e && e.lockedUntil > now) return { next: e, result: { refusedFor: e.lockedUntil - now, locked: false } };
        const failures = [...(e?.failures ?? []).filter((t) => t > now - windowMs), now];
        if (failures.length >= max) return { next: { failures: [], lockedUntil: now + this.limits.lockMinutes * 60_000 }, result: { refusedFor: 0, locked: true } };
        return { next: { failures, lockedUntil: 0 }, result: { refusedFor: 0, locked: false } };
      });
      if (r.refusedFor > 0) {
        const retryAfterSec = Math.ceil(r.refusedFor / 1000);
        throw new OpenLfrError('AUTH_THROTTLED', `Too many wrong passwords ${what}: try again in ${Math.ceil(retryAfterSec / 60)} minute(s)`, { retryAfterSec, scope: key.split(':')[0] });
      }
      keys.push(key);
      if (r.locked) locks.push(key);
    };
    // the source first: guesses at a locked account still count against the address sending them
    if (source !== undefined && this.limits.maxSourceFailures !== undefined) await count(sourceKey(source), this.limits.maxSourceFailures, 'from this address');
    await count(accountKey(account), this.limits.maxFailures, 'for this account');
    await this.store.prune(now - windowMs, now);
    return { at: now, keys, locks };
  }

  /** The attempt succeeded: the account's count is cleared; the source keeps its other failures. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    for (const key of attempt.keys) {
      await this.store.update(key, this.clock.now().getTime(), (e) => {
        if (key.startsWith('account:') || !e) return { next: undefined, result: undefined };
        const i = e.failures.indexOf(attempt.at);
        const failures = i < 0 ? e.failures : [...e.failures.slice(0, i), ...e.failures.slice(i + 1)];
        return { next: failures.length || e.lockedUntil ? { failures, lockedUntil: e.lockedUntil } : undefined, result: undefined };
      });
    }
  }
}
