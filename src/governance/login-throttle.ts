/**
 * Password guessing is slowed per account: after `maxFailures` wrong passwords within `windowMinutes`, the
 * account refuses every login (right password or not) for `lockMinutes`, with AUTH_THROTTLED and the
 * time to wait. A successful login clears the count. The state is in memory, per process: a restart
 * forgets it, which an attacker cannot cause from outside; the audit trail keeps every failure and lock.
 */
import { OpenLfrError } from '../errors.ts';
import type { Clock } from './model.ts';

export interface ThrottleLimits {
  maxFailures: number;
  windowMinutes: number;
  lockMinutes: number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/** Accounts tracked at most (oldest forgotten first), so guessing many names cannot grow memory without bound. */
const MAX_TRACKED = 10_000;

export class LoginThrottle {
  private readonly byAccount = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits,
  ) {}

  /** Refuses (AUTH_THROTTLED) while the account is locked. */
  check(account: string): void {
    const e = this.byAccount.get(account);
    const now = this.clock.now().getTime();
    if (e && e.lockedUntil > now) {
      const retryAfterSec = Math.ceil((e.lockedUntil - now) / 1000);
      throw new OpenLfrError('AUTH_THROTTLED', `Too many wrong passwords for this account: try again in ${Math.ceil(retryAfterSec / 60)} minute(s)`, { retryAfterSec });
    }
  }

  /** Records a failure; true when this failure locks the account. */
  failed(account: string): boolean {
    const now = this.clock.now().getTime();
    const e = this.byAccount.get(account) ?? { failures: [], lockedUntil: 0 };
    this.byAccount.delete(account); // re-inserted last: the map's order is recency
    e.failures = [...e.failures.filter((t) => t > now - this.limits.windowMinutes * 60_000), now];
    let locked = false;
    if (e.failures.length >= this.limits.maxFailures) {
      e.lockedUntil = now + this.limits.lockMinutes * 60_000;
      e.failures = [];
      locked = true;
    }
    this.byAccount.set(account, e);
    while (this.byAccount.size > MAX_TRACKED) this.byAccount.delete(this.byAccount.keys().next().value!);
    return locked;
  }

  succeeded(account: string): void {
    this.byAccount.delete(account);
  }
}
