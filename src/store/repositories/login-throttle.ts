/** Repository of the login throttle's state (table login_throttle, migration 0008). Used only by the throttle store. */
import type { Queryable } from '../db.ts';

export interface ThrottleRow {
  account: string;
  failures: number[];
  lockedUntil: number;
}

export function loginThrottleRepo(q: Queryable) {
  return {
    /** The row, locked for update (inside a transaction; a missing row is created first so the lock holds). */
    async lock(account: string, now: number): Promise<ThrottleRow> {
      await q.query(`insert into login_throttle (account, failures, locked_until, updated_at) values ($1, '[]', 0, $2) on conflict (account) do nothing`, [account, now]);
      const [r] = await q.query<{ account: string; failures: number[] | string; locked_until: string | number }>('select account, failures, locked_until from login_throttle where account = $1 for update', [account]);
      const failures = typeof r!.failures === 'string' ? (JSON.parse(r!.failures) as number[]) : r!.failures;
      return { account, failures: failures.map(Number), lockedUntil: Number(r!.locked_until) };
    },
    async get(account: string): Promise<ThrottleRow | undefined> {
      const [r] = await q.query<{ failures: number[] | string; locked_until: string | number }>('select failures, locked_until from login_throttle where account = $1', [account]);
      if (!r) return undefined;
      const failures = typeof r.failures === 'string' ? (JSON.parse(r.failures) as number[]) : r.failures;
      return { account, failures: failures.map(Number), lockedUntil: Number(r.locked_until) };
    },
    async put(row: ThrottleRow, now: number): Promise<void> {
      await q.query('update login_throttle set failures = $2, locked_until = $3, updated_at = $4 where account = $1', [row.account, JSON.stringify(row.failures), row.lockedUntil, now]);
    },
    async delete(account: string): Promise<void> {
      await q.query('delete from login_throttle where account = $1', [account]);
    },
    /** Forget rows idle since `before` that hold no lock beyond `now`. */
    async prune(before: number, now: number): Promise<number> {
      return (await q.query('delete from login_throttle where updated_at < $1 and locked_until <= $2 returning account', [before, now])).length;
    },
  };
}
