/**
 * The contract of the login throttle's store (src/governance/login-throttle.ts), run against every
 * implementation, with the throttle's rules on top: the same test, whatever keeps the state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, type ThrottleStore } from '../../src/governance/login-throttle.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { ManualClock } from '../helpers/governance.ts';

export interface ThrottleStoreRig {
  store: ThrottleStore;
  /** A second handle on the same state (another process, another connection), when the implementation has one. */
  second?: ThrottleStore;
  close(): Promise<void>;
}

const limits = { maxFailures: 3, windowMinutes: 15, lockMinutes: 10 };
const throttled = (e: unknown) => e instanceof OpenLfrError && e.code === 'AUTH_THROTTLED';

export function throttleStoreContract(name: string, make: () => Promise<ThrottleStoreRig>): void {
  test(`throttle store contract (${name}): update is read-modify-write, undefined deletes, prune forgets idle unlocked accounts`, async () => {
    const rig = await make();
    try {
      const s = rig.store;
      assert.equal(await s.read('a'), undefined);
      assert.equal(await s.update('a', 1000, (cur) => ({ next: { failures: [...(cur?.failures ?? []), 1000], lockedUntil: 0 }, result: cur === undefined })), true);
      assert.deepEqual(await s.read('a'), { failures: [1000], lockedUntil: 0 });
      await s.update('a', 2000, (cur) => ({ next: { failures: [...cur!.failures, 2000], lockedUntil: 9000 }, result: null }));
      assert.deepEqual(await s.read('a'), { failures: [1000, 2000], lockedUntil: 9000 });
      await s.update('b', 2000, () => ({ next: { failures: [2000], lockedUntil: 0 }, result: null }));
      // concurrent updates of one account are serialised: none is lost
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.update('c', 3000 + i, (cur) => ({ next: { failures: [...(cur?.failures ?? []), i], lockedUntil: 0 }, result: null }))));
      assert.equal((await s.read('c'))!.failures.length, 20);
      await s.update('c', 4000, () => ({ next: undefined, result: null }));
      assert.equal(await s.read('c'), undefined);
      // prune: b is idle and unlocked; a is locked until 9000
      await s.prune(5000, 5000);
      assert.equal(await s.read('b'), undefined);
      assert.ok(await s.read('a'), 'a locked account is kept');
      await s.prune(5000, 9000);
      assert.equal(await s.read('a'), undefined, 'once the lock has run out it goes too');
      // a failing update changes nothing
      await s.update('d', 1, () => ({ next: { failures: [1], lockedUntil: 0 }, result: null }));
      await assert.rejects(s.update('d', 2, () => { throw new Error('boom'); }), /boom/);
      assert.deepEqual(await s.read('d'), { failures: [1], lockedUntil: 0 });
    } finally {
      await rig.close();
    }
  });

  test(`login throttle on ${name}: locks after the limit within the window, the lock runs out, success clears${name === 'memory' ? '' : ', and a second handle sees the same state'}`, async () => {
    const rig = await make();
    try {
      const clock = new ManualClock();
      const t = new LoginThrottle(clock, limits, rig.store);
      const other = new LoginThrottle(clock, limits, rig.second ?? rig.store);
      const fail = async (th: LoginThrottle, account: string) => (await th.begin(account)).locks.length > 0;
      assert.equal(await fail(t, 'op'), false);
      clock.advance(16 * 60_000); // the first failure leaves the window
      assert.equal(await fail(t, 'op'), false);
      assert.equal(await fail(other, 'op'), false, 'failures counted by another process add up');
      assert.equal(await fail(t, 'op'), true, 'the third attempt within 15 minutes locks (it is still evaluated)');
      await assert.rejects(t.begin('op'), throttled);
      await assert.rejects(other.begin('op'), throttled, 'the lock holds for every process');
      await t.succeeded(await other.begin('someone-else'));
      clock.advance(10 * 60_000 + 1);
      assert.equal(await fail(t, 'op'), false, 'the count started again after the lock');
      await t.succeeded(await t.begin('op'));
      assert.equal(await fail(t, 'op'), false);
      assert.equal(await fail(t, 'op'), false, 'a success cleared the earlier failures');
    } finally {
      await rig.close();
    }
  });

  test(`login throttle on ${name}: 41 concurrent guesses at one account (limit 5) are counted before any is evaluated: 5 go through, 36 are refused`, async () => {
    const rig = await make();
    try {
      const clock = new ManualClock();
      const five = { maxFailures: 5, windowMinutes: 15, lockMinutes: 15 };
      const a = new LoginThrottle(clock, five, rig.store);
      const b = new LoginThrottle(clock, five, rig.second ?? rig.store);
      const settled = await Promise.allSettled(Array.from({ length: 41 }, (_, i) => (i % 2 ? b : a).begin('victim')));
      const through = settled.filter((x) => x.status === 'fulfilled');
      const refused = settled.filter((x) => x.status === 'rejected' && throttled(x.reason));
      assert.equal(through.length, 5, 'exactly the limit is evaluated');
      assert.equal(refused.length, 36, 'every other guess is refused with AUTH_THROTTLED');
      assert.equal(through.filter((x) => x.value.locks.length > 0).length, 1, 'one of them set the lock');
      await assert.rejects(a.begin('victim'), throttled);
    } finally {
      await rig.close();
    }
  });

  test(`login throttle on ${name}: one source guessing across many accounts is locked by the per-source limit`, async () => {
    const rig = await make();
    try {
      const clock = new ManualClock();
      const t = new LoginThrottle(clock, { maxFailures: 5, windowMinutes: 15, lockMinutes: 15, maxSourceFailures: 8 }, rig.store);
      const settled = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => t.begin(`user${i}`, '203.0.113.7')));
      assert.equal(settled.filter((x) => x.status === 'fulfilled').length, 8, 'the source limit caps guesses spread over accounts');
      const refusal = settled.find((x) => x.status === 'rejected') as PromiseRejectedResult;
      assert.ok(throttled(refusal.reason));
      assert.equal((refusal.reason as OpenLfrError).details?.['scope'], 'source');
      await assert.rejects(t.begin('user-new', '203.0.113.7'), throttled, 'a fresh account from that source is refused too');
      await t.succeeded(await t.begin('user-new', '198.51.100.1'));
      // a success from a source takes back only its own attempt, not the source's other failures
      const u = new LoginThrottle(clock, { maxFailures: 5, windowMinutes: 15, lockMinutes: 15, maxSourceFailures: 3 }, rig.store);
      await u.begin('x1', '192.0.2.9');
      clock.advance(1);
      await u.succeeded(await u.begin('x2', '192.0.2.9'));
      clock.advance(1);
      assert.equal((await u.begin('x3', '192.0.2.9')).locks.length, 0, 'two failures counted for the source, not three');
      clock.advance(1);
      assert.deepEqual((await u.begin('x4', '192.0.2.9')).locks, ['source:192.0.2.9'], 'the third failure locks the source');
    } finally {
      await rig.close();
    }
  });
}
