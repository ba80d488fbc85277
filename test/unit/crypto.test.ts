import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataKey, loadDataKey } from '../../src/store/crypto.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { argon2id } from '../../src/governance/passwords.ts';

const isCode = (code: string) => (e: unknown) => e instanceof OpenLfrError && e.code === code;

test('crypto: sealed data opens only with the same key and context, and any altered byte is refused', () => {
  const k = createDataKey(randomBytes(32), 'test');
  const plain = new Uint8Array(randomBytes(1000));
  const sealed = k.seal(plain, 'blob:1');
  assert.equal(sealed.length, plain.length + 29);
  assert.ok(!Buffer.from(sealed).includes(Buffer.from(plain.subarray(0, 16))), 'ciphertext does not contain the plaintext');
  assert.deepEqual(k.open(sealed, 'blob:1'), plain);
  assert.throws(() => k.open(sealed, 'blob:2'), isCode('BIOMETRIC_UNREADABLE'));
  assert.throws(() => createDataKey(randomBytes(32), 'other').open(sealed, 'blob:1'), isCode('BIOMETRIC_UNREADABLE'));
  const bad = new Uint8Array(sealed);
  bad[100] = bad[100]! ^ 1;
  assert.throws(() => k.open(bad, 'blob:1'), isCode('BIOMETRIC_UNREADABLE'));
  assert.throws(() => k.open(sealed.subarray(0, 10), 'blob:1'), isCode('BIOMETRIC_UNREADABLE'));
  assert.notDeepEqual(k.seal(plain, 'blob:1'), sealed, 'a fresh IV every time');
});

test('crypto: pseudonyms are stable per key and reveal nothing of the identifier', () => {
  const raw = randomBytes(32);
  const a = createDataKey(raw, 'a');
  assert.equal(a.pseudonym('PNC-1'), createDataKey(raw, 'b').pseudonym('PNC-1'));
  assert.notEqual(a.pseudonym('PNC-1'), a.pseudonym('PNC-2'));
  assert.notEqual(a.pseudonym('PNC-1'), createDataKey(randomBytes(32), 'c').pseudonym('PNC-1'));
  assert.ok(!a.pseudonym('PNC-1').includes('PNC'));
});

test('crypto: no key outside demo mode refuses to start; bad keys are refused; demo makes a private key file once', () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-key-'));
  try {
    assert.throws(() => loadDataKey({ demo: false, home }), (e: unknown) => isCode('KEY_MISSING')(e) && /OPENLFR_KEY/.test((e as Error).message));
    assert.throws(() => loadDataKey({ key: Buffer.alloc(16).toString('base64'), demo: false, home }), isCode('KEY_INVALID'));
    assert.throws(() => loadDataKey({ key: 'not base64 !!', demo: false, home }), isCode('KEY_INVALID'));
    assert.throws(() => loadDataKey({ keyFile: join(home, 'nope'), demo: false, home }), isCode('KEY_MISSING'));
    const file = join(home, 'k');
    writeFileSync(file, randomBytes(32).toString('base64') + '\n');
    assert.equal(loadDataKey({ keyFile: file, demo: false, home }).source, `file:${file}`);
    assert.equal(loadDataKey({ key: randomBytes(32).toString('base64'), demo: false, home }).source, 'env');
    const d1 = loadDataKey({ demo: true, home });
    const keyFile = join(home, 'keys', 'demo.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const before = readFileSync(keyFile, 'utf8');
    const d2 = loadDataKey({ demo: true, home });
    assert.equal(readFileSync(keyFile, 'utf8'), before);
    assert.deepEqual(d2.open(d1.seal(new Uint8Array([1, 2, 3]), 'x'), 'x'), new Uint8Array([1, 2, 3]));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('passwords: argon2id hashes verify, wrong passwords and garbage hashes do not', async () => {
  const h = await argon2id.hash('correct horse battery');
  assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await argon2id.verify(h, 'correct horse battery'), true);
  assert.equal(await argon2id.verify(h, 'correct horse battery!'), false);
  assert.equal(await argon2id.verify('not a hash', 'x'), false);
});
