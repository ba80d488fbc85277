/**
 * INTERIM: AES-256-GCM sealing for the evaluation template cache until the store's src/store/crypto.ts is on
 * main; at integration `openEvaluationSealer` becomes a one-line call to the store's sealer and this file
 * goes. Key: 32 random bytes in `$OPENLFR_HOME/keys/evaluation-cache.key` (mode 0600), created on first use.
 * Sealed layout: 12-byte IV | 16-byte tag | ciphertext; the additional data binds it to this purpose.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OpenLfrError } from '../errors.ts';
import type { Sealer } from './cache.ts';

const AAD = Buffer.from('openlfr evaluation template cache v1');

export function aesGcmSealer(key: Uint8Array): Sealer {
  if (key.length !== 32) throw new OpenLfrError('CONFIG_INVALID', 'the cache key must be 32 bytes');
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv).setAAD(AAD);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    open(sealed) {
      const b = Buffer.from(sealed);
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12)).setAAD(AAD);
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]);
    },
  };
}

export async function openEvaluationSealer(home: string): Promise<Sealer> {
  const dir = join(home, 'keys');
  const file = join(dir, 'evaluation-cache.key');
  let key: Buffer;
  try {
    key = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    key = randomBytes(32);
    await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
      key = await readFile(file); // another run created it first
    });
  }
  return aesGcmSealer(key);
}
