import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTemplateCache, MemoryTemplateCacheStore, StoredTemplateCache, encodeTemplates, templateCacheKey } from '../../src/evaluate/cache.ts';
import { templateCacheContract, FACE, NOFACE } from './template-cache.contract.ts';
import { templateCacheStoreContract } from './template-cache-store.contract.ts';

const ENGINE = 'fake:embedder=000000000000';

const memory = new MemoryTemplateCache();
templateCacheContract('MemoryTemplateCache', async () => memory, false);

const port = new MemoryTemplateCacheStore();
templateCacheContract('StoredTemplateCache (in-memory port)', () => StoredTemplateCache.open(port, ENGINE, 4), true);
templateCacheStoreContract('MemoryTemplateCacheStore', async () => new MemoryTemplateCacheStore());

test('StoredTemplateCache: an entry added while a save is under way is not lost', async () => {
  const p = new MemoryTemplateCacheStore();
  const c = await StoredTemplateCache.open(p, ENGINE, 4);
  c.set('1'.repeat(64), FACE);
  const first = c.flush();
  c.set('2'.repeat(64), FACE);
  await first;
  await c.flush();
  assert.equal((await StoredTemplateCache.open(p, ENGINE, 4)).size, 2);
});

test('StoredTemplateCache: corrupt bytes, another engine or other dimensions start an empty cache instead of failing', async () => {
  const p = new MemoryTemplateCacheStore();
  p.corrupt(Buffer.from('garbage'));
  assert.equal((await StoredTemplateCache.open(p, ENGINE, 4)).size, 0);
  p.corrupt(encodeTemplates('other:engine', 4, [['f'.repeat(64), FACE]]));
  assert.equal((await StoredTemplateCache.open(p, ENGINE, 4)).size, 0, 'made by another engine');
  const full = encodeTemplates(ENGINE, 4, [['f'.repeat(64), FACE]]);
  p.corrupt(full.subarray(0, full.length - 3));
  assert.equal((await StoredTemplateCache.open(p, ENGINE, 4)).size, 0, 'truncated');
  p.corrupt(encodeTemplates(ENGINE, 4, [['f'.repeat(64), FACE], ['e'.repeat(64), NOFACE]]));
  const wrongDims = await StoredTemplateCache.open(p, ENGINE, 8);
  assert.equal(wrongDims.size, 0);
  assert.throws(() => wrongDims.set('e'.repeat(64), FACE), /dimensions/);
});

test('StoredTemplateCache: a failed save keeps the entries for the next flush', async () => {
  const p = new MemoryTemplateCacheStore();
  let fail = true;
  const flaky = { load: p.load.bind(p), save: async (plain: Uint8Array) => (fail ? Promise.reject(new Error('disk full')) : p.save(plain)) };
  const c = await StoredTemplateCache.open(flaky, ENGINE, 4);
  c.set('a'.repeat(64), FACE);
  await assert.rejects(c.flush(), /disk full/);
  fail = false;
  await c.flush();
  assert.equal((await StoredTemplateCache.open(p, ENGINE, 4)).size, 1);
});

test('templateCacheKey: one key per engine, variant and dataset roots, with no path or name in it', () => {
  const k = templateCacheKey(ENGINE, '', ['/data/lfw']);
  assert.match(k, /^evalcache:[0-9a-f]{16}-[0-9a-f]{16}$/);
  assert.notEqual(k, templateCacheKey(ENGINE, 'degrade', ['/data/lfw']));
  assert.notEqual(k, templateCacheKey(ENGINE, '', ['/data/other']));
  assert.notEqual(k, templateCacheKey('other:engine', '', ['/data/lfw']));
  assert.equal(k, templateCacheKey(ENGINE, '', ['/data/lfw']));
});
