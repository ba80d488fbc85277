import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FileTemplateCache, MemoryTemplateCache, dataKeySealer, templateCachePath } from '../../src/evaluate/cache.ts';
import { createDataKey } from '../../src/store/crypto.ts';
import { templateCacheContract, FACE } from './template-cache.contract.ts';

const testSealer = () => dataKeySealer(createDataKey(randomBytes(32), 'test'));

const memory = new MemoryTemplateCache();
templateCacheContract('MemoryTemplateCache', async () => memory, false);

const dir = await mkdtemp(join(tmpdir(), 'openlfr-cache-'));
const file = templateCachePath(dir, 'fake:embedder=000000000000', '', ['/data/x']);
const sealer = testSealer();
templateCacheContract('FileTemplateCache', () => FileTemplateCache.open(file, 'fake:embedder=000000000000', 4, sealer), true);

test('FileTemplateCache: the file is sealed (no embedding bytes in clear), private, and audited', async () => {
  const events: string[] = [];
  const c = await FileTemplateCache.open(file, 'fake:embedder=000000000000', 4, sealer, (e) => events.push(`${e.action}:${e.entries}`));
  c.set('d'.repeat(64), FACE);
  await c.flush();
  const raw = await readFile(file);
  const clear = Buffer.from(FACE.embedding!.buffer);
  assert.equal(raw.indexOf(clear), -1, 'embedding bytes must not appear in the file');
  assert.equal(raw.indexOf(Buffer.from('OLFR-TC1')), -1, 'nothing of the plain layout in the file');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(events, ['read:3', 'write:4']);
  assert.ok(file.startsWith(join(dir, 'cache')));
});

test('FileTemplateCache: an entry added while a write is under way is not lost', async () => {
  const f = templateCachePath(dir, 'fake:embedder=000000000000', 'race', ['/data/x']);
  const c = await FileTemplateCache.open(f, 'fake:embedder=000000000000', 4, sealer);
  c.set('1'.repeat(64), FACE);
  const first = c.flush();
  c.set('2'.repeat(64), FACE);
  await first;
  await c.flush();
  assert.equal((await FileTemplateCache.open(f, 'fake:embedder=000000000000', 4, sealer)).size, 2);
});

test('FileTemplateCache: another key or a corrupt file starts an empty cache instead of failing', async () => {
  const other = await FileTemplateCache.open(file, 'fake:embedder=000000000000', 4, testSealer());
  assert.equal(other.size, 0);
  await writeFile(file, 'garbage');
  assert.equal((await FileTemplateCache.open(file, 'fake:embedder=000000000000', 4, sealer)).size, 0);
  const wrongDims = await FileTemplateCache.open(file, 'fake:embedder=000000000000', 8, sealer);
  assert.throws(() => wrongDims.set('e'.repeat(64), FACE), /dimensions/);
  await rm(dir, { recursive: true, force: true });
});
