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
      assert.equal(await t.failed('op'), false);
      clock.advance(16 * 60_000); // the first failure leaves the window
      assert.equal(await t.failed('op'), false);
      assert.equal(await other.failed('op'), false, 'failures counted by another process add up');
      await t.check('op');
      assert.equal(await t.failed('op'), true, 'the third failure within 15 minutes locks');
      await assert.rejects(t.check('op'), throttled);
      await assert.rejects(other.check('op'), throttled, 'the lock holds for every process');
      await other.check('someone-else');
      clock.advance(10 * 60_000 + 1);
      await t.check('op');
      assert.equal(await t.failed('op'), false, 'the count started again after the lock');
      await t.succeeded('op');
      assert.equal(await t.failed('op'), false);
      assert.equal(await t.failed('op'), false, 'a success cleared the earlier failures');
    } finally {
      await rig.close();
    }
  });
}
