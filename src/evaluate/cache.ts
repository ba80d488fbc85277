/**
 * Template cache of the evaluation harness: per (engine id, image content SHA-256), so a re-run costs no
 * re-embedding. Templates are biometric data: the file implementation only ever writes them sealed
 * (AES-256-GCM through the injected `Sealer`, src/store/crypto.ts at integration), one file per engine id
 * and dataset, under `$OPENLFR_HOME/cache/`, written atomically with mode 0600.
 *
 * What is cached per image is the outcome of acquisition, failures included, so a warm run repeats the
 * exact same failures to acquire without running the detector again.
 */
import { mkdir, readFile, rename, writeFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';
import type { DataKey } from '../store/crypto.ts';

export type Acquisition = 'face' | 'no-face' | 'unreadable';

/** What the harness keeps of one analysed image. */
export interface Template {
  status: Acquisition;
  /** Faces the engine found in the image. */
  faces: number;
  /** The chosen face's embedding (status 'face' only), L2-normalised. */
  embedding: Float32Array | null;
  /** The chosen face's box, detector score and inter-eye distance (for quality analyses), when status is 'face'. */
  box: [number, number, number, number] | null;
  detectorScore: number | null;
  interEyePx: number | null;
}

export interface TemplateCache {
  get(contentSha256: string): Template | undefined;
  set(contentSha256: string, template: Template): void;
  readonly size: number;
  /** Persist new entries (no-op for memory). */
  flush(): Promise<void>;
}

export class MemoryTemplateCache implements TemplateCache {
  protected readonly map = new Map<string, Template>();
  get(sha: string): Template | undefined {
    return this.map.get(sha);
  }
  set(sha: string, t: Template): void {
    this.map.set(sha, t);
  }
  get size(): number {
    return this.map.size;
  }
  async flush(): Promise<void> {}
}

/** Encryption at rest, injected: AES-256-GCM seal/open from the store at integration. */
export interface Sealer {
  seal(plain: Uint8Array): Promise<Uint8Array> | Uint8Array;
  open(sealed: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

/** The cache's sealer on the store's data key (AES-256-GCM, bound to this purpose). */
export function dataKeySealer(key: DataKey): Sealer {
  return { seal: (p) => key.seal(p, 'evaluation-template-cache'), open: (s) => key.open(s, 'evaluation-template-cache') };
}

/** Notified of every read and write of the cache file (no biometric content): the audit hook. */
export type CacheAccessListener = (event: { action: 'read' | 'write'; file: string; entries: number }) => void;

const MAGIC = 'OLFR-TC1';
const STATUS: Acquisition[] = ['face', 'no-face', 'unreadable'];

/** Plain layout (sealed as a whole): MAGIC, u32 header length, header JSON, then fixed-size records. */
export function encodeTemplates(engineId: string, dims: number, entries: Iterable<[string, Template]>): Buffer {
  const list = [...entries];
  const header = Buffer.from(JSON.stringify({ engineId, dims, count: list.length }), 'utf8');
  const recordSize = 32 + 1 + 2 + 4 * 6 + 4 * dims;
  const out = Buffer.alloc(MAGIC.length + 4 + header.length + recordSize * list.length);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  let o = MAGIC.length + 4 + header.length;
  for (const [sha, t] of list) {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new OpenLfrError('INTERNAL', 'template cache key is not a SHA-256 hex digest');
    Buffer.from(sha, 'hex').copy(out, o);
    out.writeUInt8(STATUS.indexOf(t.status), o + 32);
    out.writeUInt16LE(Math.min(65535, t.faces), o + 33);
    const f = [...(t.box ?? [NaN, NaN, NaN, NaN]), t.detectorScore ?? NaN, t.interEyePx ?? NaN];
    f.forEach((v, i) => out.writeFloatLE(v, o + 35 + 4 * i));
    if (t.embedding) {
      if (t.embedding.length !== dims) throw new OpenLfrError('INTERNAL', `template has ${t.embedding.length} dimensions, cache expects ${dims}`);
      Buffer.from(t.embedding.buffer, t.embedding.byteOffset, t.embedding.byteLength).copy(out, o + 59);
    }
    o += recordSize;
  }
  return out;
}

export function decodeTemplates(buf: Buffer, engineId: string): { dims: number; entries: Map<string, Template> } {
  const bad = (why: string) => new OpenLfrError('INTERNAL', `template cache file is not valid (${why})`);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw bad('bad magic');
  const hl = buf.readUInt32LE(MAGIC.length);
  const header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + hl)) as { engineId: string; dims: number; count: number };
  if (header.engineId !== engineId) throw bad(`made by engine ${header.engineId}`);
  const dims = header.dims;
  const recordSize = 32 + 1 + 2 + 4 * 6 + 4 * dims;
  let o = MAGIC.length + 4 + hl;
  if (buf.length !== o + recordSize * header.count) throw bad('truncated');
  const entries = new Map<string, Template>();
  for (let i = 0; i < header.count; i++, o += recordSize) {
    const status = STATUS[buf.readUInt8(o + 32)];
    if (!status) throw bad('unknown status');
    const f = Array.from({ length: 6 }, (_, k) => buf.readFloatLE(o + 35 + 4 * k));
    const face = status === 'face';
    entries.set(buf.toString('hex', o, o + 32), {
      status,
      faces: buf.readUInt16LE(o + 33),
      embedding: face ? new Float32Array(buf.buffer.slice(buf.byteOffset + o + 59, buf.byteOffset + o + 59 + 4 * dims)) : null,
      box: face ? [f[0]!, f[1]!, f[2]!, f[3]!] : null,
      detectorScore: face ? f[4]! : null,
      interEyePx: face ? f[5]! : null,
    });
  }
  return { dims, entries };
}

/** `$OPENLFR_HOME/cache/templates-<engine+variant hash>-<dataset hash>.sealed` */
export function templateCachePath(home: string, engineId: string, variant: string, datasetRoots: readonly string[]): string {
  const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  return join(home, 'cache', `templates-${h(`${engineId}\n${variant}`)}-${h(datasetRoots.join('\n'))}.sealed`);
}

/** The encrypted file cache. Templates with other dimensions than the engine's are refused. */
export class FileTemplateCache extends MemoryTemplateCache {
  private dirty = false;
  private constructor(
    private readonly file: string,
    private readonly engineId: string,
    private readonly dims: number,
    private readonly sealer: Sealer,
    private readonly onAccess: CacheAccessListener | undefined,
  ) {
    super();
  }

  /** Opens (or starts) the cache file. A file that cannot be opened (other key, corrupt) is discarded and rebuilt. */
  static async open(file: string, engineId: string, dims: number, sealer: Sealer, onAccess?: CacheAccessListener): Promise<FileTemplateCache> {
    const cache = new FileTemplateCache(file, engineId, dims, sealer, onAccess);
    let sealed: Buffer | null = null;
    try {
      sealed = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (sealed) {
      try {
        const plain = Buffer.from(await sealer.open(sealed));
        const { dims: d, entries } = decodeTemplates(plain, engineId);
        plain.fill(0);
        if (d === dims) for (const [k, v] of entries) cache.map.set(k, v);
        onAccess?.({ action: 'read', file, entries: cache.map.size });
      } catch {
        // unreadable with this key or corrupt: start again rather than fail the evaluation
        await rm(file, { force: true });
      }
    }
    return cache;
  }

  override set(sha: string, t: Template): void {
    if (t.embedding && t.embedding.length !== this.dims) throw new OpenLfrError('INTERNAL', `template has ${t.embedding.length} dimensions, engine has ${this.dims}`);
    super.set(sha, t);
    this.dirty = true;
  }

  /** Writes are serialised; entries added while a write is under way are kept for the next one. */
  override flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private writing: Promise<void> = Promise.resolve();

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const entries = this.map.size;
    const plain = encodeTemplates(this.engineId, this.dims, this.map);
    try {
      const sealed = await this.sealer.seal(plain);
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, sealed, { mode: 0o600 });
      await rename(tmp, this.file);
    } catch (e) {
      this.dirty = true;
      throw e;
    } finally {
      plain.fill(0);
    }
    this.onAccess?.({ action: 'write', file: this.file, entries });
  }
}
