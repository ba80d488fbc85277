/** The contract every TemplateCacheStore (where a persistent evaluation cache keeps its bytes) passes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TemplateCacheStore } from '../../src/evaluate/cache.ts';

const asIs = (plain: Uint8Array) => ({ value: Buffer.from(plain).toString('utf8'), entries: 1 });

/** `make` gives a fresh, empty store each call. */
export function templateCacheStoreContract(name: string, make: () => Promise<TemplateCacheStore>): void {
  test(`${name}: nothing stored loads as null without decoding`, async () => {
    const s = await make();
    assert.equal(await s.load(() => assert.fail('nothing to decode')), null);
  });

  test(`${name}: a save is loaded back; a second save replaces the first`, async () => {
    const s = await make();
    await s.save(Buffer.from('first'), 1);
    assert.equal(await s.load(asIs), 'first');
    await s.save(Buffer.from('second, longer'), 2);
    assert.equal(await s.load(asIs), 'second, longer');
  });

  test(`${name}: bytes that do not decode load as null and are discarded (a rebuild, not a crash)`, async () => {
    const s = await make();
    await s.save(Buffer.from('garbage'), 1);
    assert.equal(
      await s.load(() => {
        throw new Error('not a cache');
      }),
      null,
    );
    assert.equal(await s.load(() => assert.fail('discarded bytes are not offered again')), null);
    await s.save(Buffer.from('rebuilt'), 1);
    assert.equal(await s.load(asIs), 'rebuilt');
  });
}
