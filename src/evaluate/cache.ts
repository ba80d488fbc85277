/**
 * Template cache of the evaluation harness: per (engine id, image content SHA-256), so a re-run costs no
 * re-embedding. Templates are biometric data, so this module never touches the disk: a persistent cache
 * hands its encoded bytes to a `TemplateCacheStore` port, which the CLI implements with THE biometric
 * store (src/evaluate/cache-store.ts -> src/store/biometric-store.ts): sealed with the data key, one blob
 * per engine, variant and dataset under `<home>/blobs`, each write, read and discard audited.
 *
 * What is cached per image is the outcome of acquisition, failures included, so a warm run repeats the
 * exact same failures to acquire without running the detector again.
 */
import { createHash } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';

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
  /** The chosen face's other quality measures (src/engine/quality.ts), for TPIR/FPIR by quality; absent in hand-made templates. */
  quality?: TemplateQuality | null;
}

export interface TemplateQuality {
  yawDeg: number;
  pitchDeg: number;
  sharpness: number;
  brightness: number;
  /** The embedder's raw output length (AnalysedFace.embeddingNorm), when the engine gives it. */
  embeddingNorm?: number | null;
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

/** Layout version 3: box, detector score, inter-eye distance and five quality measures per record; an older
 *  cache no longer decodes, and is discarded (audited) and rebuilt. */
const MAGIC = 'OLFR-TC3';
const FLOATS = 11;
const recordSizeOf = (dims: number) => 32 + 1 + 2 + 4 * FLOATS + 4 * dims;
const STATUS: Acquisition[] = ['face', 'no-face', 'unreadable'];

/** Plain layout (sealed as a whole): MAGIC, u32 header length, header JSON, then fixed-size records. */
export function encodeTemplates(engineId: string, dims: number, entries: Iterable<[string, Template]>): Buffer {
  const list = [...entries];
  const header = Buffer.from(JSON.stringify({ engineId, dims, count: list.length }), 'utf8');
  const recordSize = recordSizeOf(dims);
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
    const q = t.quality;
    const f = [...(t.box ?? [NaN, NaN, NaN, NaN]), t.detectorScore ?? NaN, t.interEyePx ?? NaN, q?.yawDeg ?? NaN, q?.pitchDeg ?? NaN, q?.sharpness ?? NaN, q?.brightness ?? NaN, q?.embeddingNorm ?? NaN];
    f.forEach((v, i) => out.writeFloatLE(v, o + 35 + 4 * i));
    if (t.embedding) {
      if (t.embedding.length !== dims) throw new OpenLfrError('INTERNAL', `template has ${t.embedding.length} dimensions, cache expects ${dims}`);
      Buffer.from(t.embedding.buffer, t.embedding.byteOffset, t.embedding.byteLength).copy(out, o + 35 + 4 * FLOATS);
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
  const recordSize = recordSizeOf(dims);
  let o = MAGIC.length + 4 + hl;
  if (buf.length !== o + recordSize * header.count) throw bad('truncated');
  const entries = new Map<string, Template>();
  for (let i = 0; i < header.count; i++, o += recordSize) {
    const status = STATUS[buf.readUInt8(o + 32)];
    if (!status) throw bad('unknown status');
    const f = Array.from({ length: FLOATS }, (_, k) => buf.readFloatLE(o + 35 + 4 * k));
    const face = status === 'face';
    const e = o + 35 + 4 * FLOATS;
    entries.set(buf.toString('hex', o, o + 32), {
      status,
      faces: buf.readUInt16LE(o + 33),
      embedding: face ? new Float32Array(buf.buffer.slice(buf.byteOffset + e, buf.byteOffset + e + 4 * dims)) : null,
      box: face ? [f[0]!, f[1]!, f[2]!, f[3]!] : null,
      detectorScore: face ? f[4]! : null,
      interEyePx: face ? f[5]! : null,
      quality: face && !Number.isNaN(f[6]) ? { yawDeg: f[6]!, pitchDeg: f[7]!, sharpness: f[8]!, brightness: f[9]!, embeddingNorm: Number.isNaN(f[10]) ? null : f[10]! } : null,
    });
  }
  return { dims, entries };
}

/**
 * Where a persistent cache keeps its encoded bytes (the biometric store at integration, which seals them and
 * audits every access). `load` hands the stored bytes to `decode` (null when there are none, or when they
 * could not be read or decoded: the port then discards them); `save` replaces what was stored.
 */
export interface TemplateCacheStore {
  load<T>(decode: (plain: Uint8Array) => { value: T; entries: number }): Promise<T | null>;
  save(plain: Uint8Array, entries: number): Promise<void>;
}

/** The key of one cache: `evalcache:<engine+variant hash>-<dataset roots hash>` (the biometric store's owner id). */
export function templateCacheKey(engineId: string, variant: string, datasetRoots: readonly string[]): string {
  const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  return `evalcache:${h(`${engineId}\n${variant}`)}-${h(datasetRoots.join('\n'))}`;
}

/** A cache persisted through a `TemplateCacheStore`. Templates with other dimensions than the engine's are refused. */
export class StoredTemplateCache extends MemoryTemplateCache {
  private dirty = false;
  private constructor(
    private readonly store: TemplateCacheStore,
    private readonly engineId: string,
    private readonly dims: number,
  ) {
    super();
  }

  /** Loads (or starts) the cache. Stored bytes that cannot be decoded are discarded by the port and the cache is rebuilt. */
  static async open(store: TemplateCacheStore, engineId: string, dims: number): Promise<StoredTemplateCache> {
    const cache = new StoredTemplateCache(store, engineId, dims);
    const entries = await store.load((plain) => {
      const d = decodeTemplates(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength), engineId);
      return { value: d, entries: d.entries.size };
    });
    // another embedding size under the same engine id (should not happen): start again, the next save replaces it
    if (entries && entries.dims === dims) for (const [k, v] of entries.entries) cache.map.set(k, v);
    return cache;
  }

  override set(sha: string, t: Template): void {
    if (t.embedding && t.embedding.length !== this.dims) throw new OpenLfrError('INTERNAL', `template has ${t.embedding.length} dimensions, engine has ${this.dims}`);
    super.set(sha, t);
    this.dirty = true;
  }

  /** Saves are serialised; entries added while a save is under way, or of a save that failed, are kept for the next one. */
  override flush(): Promise<void> {
    // a failed save was reported to its caller; it must not fail every later flush too
    this.writing = this.writing.catch(() => undefined).then(() => this.write());
    return this.writing;
  }

  private writing: Promise<void> = Promise.resolve();

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const plain = encodeTemplates(this.engineId, this.dims, this.map);
    try {
      await this.store.save(plain, this.map.size);
    } catch (e) {
      this.dirty = true;
      throw e;
    } finally {
      plain.fill(0);
    }
  }
}

/** A `TemplateCacheStore` in memory (tests; it keeps a copy of the bytes, as a store would). */
export class MemoryTemplateCacheStore implements TemplateCacheStore {
  private bytes: Uint8Array | null = null;
  async load<T>(decode: (plain: Uint8Array) => { value: T; entries: number }): Promise<T | null> {
    if (!this.bytes) return null;
    try {
      return decode(Uint8Array.from(this.bytes)).value;
    } catch {
      this.bytes = null;
      return null;
    }
  }
  async save(plain: Uint8Array): Promise<void> {
    this.bytes = Uint8Array.from(plain);
  }
  /** Replace the stored bytes (a test corrupts them). */
  corrupt(bytes: Uint8Array): void {
    this.bytes = bytes;
  }
}
