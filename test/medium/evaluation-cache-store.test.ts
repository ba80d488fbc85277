/**
 * The evaluation template cache kept in THE biometric store (real schema on PGlite, real AES-GCM, real
 * files): one sealed blob under <home>/blobs and nothing else on disk, every write / read / discard /
 * deletion in the audit trail with no template bytes, a save replaces the previous blob (tombstoned in the
 * same transaction), a corrupt blob is rebuilt, not a crash, and the retention job expires stale caches.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OpenLfrError } from '../../src/errors.ts';
import { StoredTemplateCache, templateCacheKey, type Template } from '../../src/evaluate/cache.ts';
import type { Principal } from '../../src/governance/model.ts';
import { makeRig } from '../helpers/governance.ts';
import { templateCacheContract, NOFACE } from '../contract/template-cache.contract.ts';
import { templateCacheStoreContract } from '../contract/template-cache-store.contract.ts';

const ENGINE = 'fake:embedder=000000000000';
const EVALUATION: Principal = { kind: 'system', name: 'evaluation' };
const DAY = 24 * 3600_000;
const rig = await makeRig();
const s = rig.services;
after(() => rig.close());

let fresh = 0;
templateCacheStoreContract('TemplateCacheStore on the biometric store', async () => s.evaluationCache.port(EVALUATION, ENGINE, `evalcache:contract-${fresh++}`));
const contractKey = templateCacheKey(ENGINE, 'contract', ['/data/x']);
templateCacheContract('StoredTemplateCache on the biometric store', () => StoredTemplateCache.open(s.evaluationCache.port(EVALUATION, ENGINE, contractKey), ENGINE, 4), true);

/** A template whose embedding bytes are easy to look for. */
const FACE: Template = { status: 'face', faces: 1, embedding: Float32Array.from([0.123456789, -0.987654321, 0.314159265, 0.271828182]), box: [3, 4, 50, 60], detectorScore: 0.97, interEyePx: 31.5 };
const embeddingBytes = Buffer.from(FACE.embedding!.buffer);
const sha = (c: string) => c.repeat(64);

/** Every file under `dir`, relative to it. */
function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile());
}

const evalBlobs = () => rig.db.query<{ id: string; owner_id: string }>("select id, owner_id from biometric_blobs where kind = 'evaluation_templates' order by created_at");
const blobFile = (id: string) => join(rig.home, 'blobs', id.slice(0, 2), `${id}.sealed`);
async function audit(key: string) {
  return rig.db.query<{ actor: string; action: string; target: string; reason: string; details: string }>(
    "select actor, action, target, reason, details from audit_log where action like 'biometric.%' and details like $1 order by seq",
    [`%${key}%`],
  );
}

test('the cache is one sealed blob of the biometric store: nothing else on disk, every access audited without template bytes', async () => {
  const key = templateCacheKey(ENGINE, '', ['/data/lfw']);
  const port = () => s.evaluationCache.port(EVALUATION, ENGINE, key);
  const cold = await StoredTemplateCache.open(port(), ENGINE, 4);
  assert.equal(cold.size, 0);
  cold.set(sha('a'), FACE);
  cold.set(sha('b'), NOFACE);
  await cold.flush();

  // (b) nothing written under the home directory outside <home>/blobs
  const files = walk(rig.home);
  assert.ok(files.length > 0);
  for (const f of files) assert.ok(f.startsWith('blobs/'), `${relative(rig.home, join(rig.home, f))} is outside <home>/blobs`);
  const ofKey = async () => (await evalBlobs()).filter((b) => b.owner_id === key);
  const [first] = await ofKey();
  assert.ok(first);
  // (c) the file is sealed: no embedding bytes, nothing of the plain layout, private
  const sealed = readFileSync(blobFile(first.id));
  assert.equal(sealed.indexOf(embeddingBytes), -1, 'embedding bytes must not be in the file');
  assert.equal(sealed.indexOf(embeddingBytes.subarray(0, 4)), -1, 'not even one float of it');
  assert.equal(sealed.indexOf(Buffer.from('OLFR-TC3')), -1);
  assert.equal(statSync(blobFile(first.id)).mode & 0o777, 0o600);

  const warm = await StoredTemplateCache.open(port(), ENGINE, 4);
  assert.equal(warm.size, 2);
  assert.deepEqual([...warm.get(sha('a'))!.embedding!], [...FACE.embedding!]);

  // (a) the write and the read are audited: who, why, how many, which engine; no template bytes
  const entries = await audit(key);
  assert.deepEqual(entries.map((e) => e.action), ['biometric.evaluation-cache.write', 'biometric.evaluation-cache.read']);
  for (const e of entries) {
    assert.equal(e.actor, 'system:evaluation');
    assert.equal(e.reason, 'evaluation template cache');
    assert.equal(e.target, `blob:${first.id}`);
    const d = JSON.parse(e.details) as Record<string, unknown>;
    assert.equal(d.entries, 2);
    assert.equal(d.engineId, ENGINE);
    assert.equal(d.ownerId, key);
  }
  const all = (await rig.db.query<Record<string, unknown>>('select * from audit_log')).map((r) => JSON.stringify(r)).join('\n');
  for (const x of FACE.embedding!) assert.equal(all.includes(String(x).slice(0, 7)), false, `embedding value ${x} in the audit trail`);
  for (const enc of ['base64', 'hex'] as const) assert.equal(all.includes(embeddingBytes.toString(enc).slice(0, 12)), false, `embedding bytes (${enc}) in the audit trail`);

  // (d) a second save replaces the first: the old row and file are gone, no tombstone left, the write names it
  warm.set(sha('c'), FACE);
  await warm.flush();
  const blobs = await ofKey();
  assert.equal(blobs.length, 1);
  const second = blobs[0]!;
  assert.notEqual(second.id, first.id);
  assert.equal(existsSync(blobFile(first.id)), false, 'the replaced file is removed');
  assert.ok(existsSync(blobFile(second.id)));
  assert.deepEqual(await rig.db.query("select * from biometric_tombstones"), []);
  const write = (await audit(key)).at(-1)!;
  assert.equal(write.action, 'biometric.evaluation-cache.write');
  assert.deepEqual(JSON.parse(write.details).replaced, [first.id]);
  assert.equal(JSON.parse(write.details).entries, 3);
  assert.equal((await StoredTemplateCache.open(port(), ENGINE, 4)).size, 3);

  // (e) a corrupted blob is a rebuild, not a crash, and the discard is audited
  const bad = Buffer.from(readFileSync(blobFile(second.id)));
  bad[bad.length - 1]! ^= 0xff;
  writeFileSync(blobFile(second.id), bad);
  const rebuilt = await StoredTemplateCache.open(port(), ENGINE, 4);
  assert.equal(rebuilt.size, 0);
  const discard = (await audit(key)).at(-1)!;
  assert.equal(discard.action, 'biometric.evaluation-cache.discard');
  assert.equal(discard.target, `blob:${second.id}`);
  assert.equal(JSON.parse(discard.details).problem, 'unsealable');
  assert.deepEqual(await ofKey(), []);
  assert.equal(existsSync(blobFile(second.id)), false);
  rebuilt.set(sha('d'), FACE);
  await rebuilt.flush();
  const [third] = await ofKey();
  // a missing file is a rebuild too
  rmSync(blobFile(third!.id));
  assert.equal((await StoredTemplateCache.open(port(), ENGINE, 4)).size, 0);
  assert.equal(JSON.parse((await audit(key)).at(-1)!.details).problem, 'missing');
  // bytes that open but do not decode
  await port().save(Buffer.from('not a template cache'), 1);
  assert.equal((await StoredTemplateCache.open(port(), ENGINE, 4)).size, 0);
  assert.equal(JSON.parse((await audit(key)).at(-1)!.details).problem, 'invalid');
  assert.deepEqual(await ofKey(), []);
});

test('clear destroys every cache (audited); the retention job expires caches not rewritten for evaluationCacheDays; others may not touch them', async () => {
  const keyA = templateCacheKey(ENGINE, '', ['/data/a']);
  const keyB = templateCacheKey(ENGINE, '', ['/data/b']);
  for (const k of [keyA, keyB]) {
    const c = await StoredTemplateCache.open(s.evaluationCache.port(EVALUATION, ENGINE, k), ENGINE, 4);
    c.set(sha('a'), FACE);
    await c.flush();
  }
  assert.throws(() => s.evaluationCache.port({ kind: 'system', name: 'transparency' }, ENGINE, keyA), (e) => e instanceof OpenLfrError && e.code === 'FORBIDDEN');

  // the job keeps a cache younger than the rule, and destroys it once it is older
  rig.clock.advance(29 * DAY);
  assert.deepEqual((await s.retention.run()).evaluationCachesDeleted, []);
  const b = await StoredTemplateCache.open(s.evaluationCache.port(EVALUATION, ENGINE, keyB), ENGINE, 4);
  b.set(sha('b'), FACE);
  await b.flush(); // B rewritten on day 29
  rig.clock.advance(2 * DAY);
  const ids = (await evalBlobs()).map((r) => r.id);
  const stale = (await evalBlobs()).map((r) => r.owner_id).filter((k) => k !== keyB);
  assert.ok(stale.includes(keyA) && stale.includes(contractKey));
  assert.deepEqual((await s.retention.run()).evaluationCachesDeleted.sort(), stale.sort(), 'every cache but B is 31 days old; B was rewritten on day 29');
  const sweep = (await audit(keyA)).at(-1)!;
  assert.equal(sweep.action, 'biometric.destroy');
  assert.equal(sweep.actor, 'system:retention-sweep');
  assert.match(sweep.reason, /^evaluation template cache: retention rule evaluation-cache/);

  const cleared = await s.evaluationCache.clear(EVALUATION, 'cleared by a test');
  assert.deepEqual(cleared, [keyB]);
  assert.deepEqual(await evalBlobs(), []);
  for (const id of ids) assert.equal(existsSync(blobFile(id)), false);
  assert.equal((await audit(keyB)).at(-1)!.action, 'biometric.destroy');
  assert.deepEqual(await s.evaluationCache.clear(EVALUATION, 'again'), [], 'idempotent');
});
