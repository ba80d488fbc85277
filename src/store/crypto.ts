/**
 * Encryption at rest for biometric data: AES-256-GCM with a 32-byte key from OPENLFR_KEY (base64) or
 * OPENLFR_KEY_FILE. Outside demo mode there is no default key: start-up is refused without one.
 *
 * Sealed format: 0x01 | iv (12 bytes) | tag (16 bytes) | ciphertext. The caller's `context` (for example
 * the record id) is bound as additional authenticated data, so a sealed blob moved to another record
 * does not open.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenLfrError } from '../errors.ts';

const VERSION = 1;
const IV = 12;
const TAG = 16;

export interface DataKey {
  /** Where the key came from (never the key itself): `env`, `file:<path>` or `demo:<path>`. */
  readonly source: string;
  seal(plain: Uint8Array, context: string): Uint8Array;
  open(sealed: Uint8Array, context: string): Uint8Array;
  /** Keyed, stable pseudonym of an identifier (HMAC-SHA256 under a sub-key), e.g. for subject references. */
  pseudonym(value: string): string;
  /**
   * The key's check value: an HMAC of a fixed label under a sub-key of its own. The store records it at its
   * first start and refuses a different key later (KEY_WRONG); it reveals nothing about the key or the data.
   */
  keyCheck(): string;
}

export function createDataKey(raw: Uint8Array, source: string): DataKey {
  if (raw.length !== 32) throw new OpenLfrError('KEY_INVALID', `The data key must be 32 bytes (got ${raw.length}) from ${source}`);
  const key = Buffer.from(raw);
  const pseudoKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'openlfr subject reference', 32));
  const checkKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'openlfr key check', 32));
  return {
    source,
    seal(plain, context) {
      const iv = randomBytes(IV);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return new Uint8Array(Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]));
    },
    open(sealed, context) {
      const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      if (b.length < 1 + IV + TAG || b[0] !== VERSION) throw new OpenLfrError('BIOMETRIC_UNREADABLE', 'Sealed data is malformed', { context });
      try {
        const d = createDecipheriv('aes-256-gcm', key, b.subarray(1, 1 + IV));
        d.setAAD(Buffer.from(context, 'utf8'));
        d.setAuthTag(b.subarray(1 + IV, 1 + IV + TAG));
        return new Uint8Array(Buffer.concat([d.update(b.subarray(1 + IV + TAG)), d.final()]));
      } catch (e) {
        throw new OpenLfrError('BIOMETRIC_UNREADABLE', 'Sealed data failed authentication (wrong key, or altered)', { context }, { cause: e });
      }
    },
    pseudonym(value) {
      return createHmac('sha256', pseudoKey).update(value, 'utf8').digest('base64url').slice(0, 22);
    },
    keyCheck() {
      return `v1:${createHmac('sha256', checkKey).update('openlfr data key check v1', 'utf8').digest('base64url')}`;
    },
  };
}

function decodeKey(text: string, source: string): Uint8Array {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) throw new OpenLfrError('KEY_INVALID', `The data key from ${source} is not base64`);
  return new Uint8Array(Buffer.from(t, 'base64'));
}

export interface KeyOptions {
  /** Base64 key (OPENLFR_KEY). */
  key?: string | undefined;
  /** File holding the base64 key (OPENLFR_KEY_FILE). */
  keyFile?: string | undefined;
  /** Demo mode: generate (once) a key under `<home>/keys/`. */
  demo: boolean;
  home: string;
}

/** Load the data key, or refuse (KEY_MISSING) outside demo mode. */
export function loadDataKey(o: KeyOptions): DataKey {
  if (o.key) return createDataKey(decodeKey(o.key, 'OPENLFR_KEY'), 'env');
  if (o.keyFile) {
    let text: string;
    try {
      text = readFileSync(o.keyFile, 'utf8');
    } catch (e) {
      throw new OpenLfrError('KEY_MISSING', `Cannot read the key file ${o.keyFile}`, undefined, { cause: e });
    }
    return createDataKey(decodeKey(text, `file ${o.keyFile}`), `file:${o.keyFile}`);
  }
  if (!o.demo) {
    throw new OpenLfrError(
      'KEY_MISSING',
      'No data key: biometric data is encrypted at rest. Set OPENLFR_KEY (32 random bytes, base64; e.g. `openssl rand -base64 32`) or OPENLFR_KEY_FILE, or use demo mode (OPENLFR_DEMO=1) for a throwaway key.',
    );
  }
  const dir = join(o.home, 'keys');
  const file = join(dir, 'demo.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  return createDataKey(decodeKey(readFileSync(file, 'utf8'), `demo file ${file}`), `demo:${file}`);
}
