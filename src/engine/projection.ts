/**
 * A learned linear projection applied to an engine's L2-normalised embeddings before matching:
 * y = normalise(M (x - mean)). Trained from the within-class and between-class covariances of a labelled
 * set of templates (WCCN / LDA, see src/evaluate/train-projection.ts), so the file holds two covariance-derived
 * arrays (a mean vector and a matrix), never a template of any individual, nor any image.
 *
 * The file's SHA-256 goes into the engine id (`<base id>+proj=<sha12>`), so templates, caches and
 * calibrations made with one projection are never taken for another or for the raw embeddings.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';

export const PROJECTION_FORMAT = 'openlfr-projection';

export interface ProjectionFile {
  format: typeof PROJECTION_FORMAT;
  version: 1;
  method: string;
  inDims: number;
  outDims: number;
  /** float32 little-endian, base64: the mean subtracted before projecting (inDims). */
  mean: string;
  /** float32 little-endian, base64: outDims rows of inDims. */
  matrix: string;
  /** How it was made (dataset fingerprint, split, parameters); informational. */
  provenance: Record<string, unknown>;
}

export class Projection {
  private constructor(
    /** First 12 hex digits of the file's SHA-256. */
    readonly id: string,
    readonly inDims: number,
    readonly outDims: number,
    readonly method: string,
    private readonly mean: Float32Array,
    private readonly matrix: Float32Array,
  ) {}

  static fromArrays(method: string, mean: Float32Array, matrix: Float32Array, outDims: number, provenance: Record<string, unknown> = {}): { projection: Projection; json: string } {
    const file: ProjectionFile = {
      format: PROJECTION_FORMAT,
      version: 1,
      method,
      inDims: mean.length,
      outDims,
      mean: Buffer.from(mean.buffer, mean.byteOffset, mean.byteLength).toString('base64'),
      matrix: Buffer.from(matrix.buffer, matrix.byteOffset, matrix.byteLength).toString('base64'),
      provenance,
    };
    const json = `${JSON.stringify(file)}\n`;
    return { projection: Projection.parse(json, '(new projection)'), json };
  }

  static parse(text: string, source: string): Projection {
    const bad = (why: string) => new OpenLfrError('ENGINE_PROJECTION_INVALID', `${source}: ${why}`, { path: source });
    let f: ProjectionFile;
    try {
      f = JSON.parse(text) as ProjectionFile;
    } catch {
      throw bad('not JSON');
    }
    if (f?.format !== PROJECTION_FORMAT || f.version !== 1) throw bad(`not an ${PROJECTION_FORMAT} version 1 file`);
    if (!Number.isInteger(f.inDims) || !Number.isInteger(f.outDims) || f.inDims < 1 || f.outDims < 1 || f.outDims > f.inDims) throw bad('bad dimensions');
    const floats = (b64: unknown, n: number, what: string) => {
      if (typeof b64 !== 'string') throw bad(`${what} missing`);
      const buf = Buffer.from(b64, 'base64');
      if (buf.length !== n * 4) throw bad(`${what} has ${buf.length / 4} values, expected ${n}`);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(i * 4);
      if (!out.every(Number.isFinite)) throw bad(`${what} holds a non-finite value`);
      return out;
    };
    const mean = floats(f.mean, f.inDims, 'mean');
    const matrix = floats(f.matrix, f.inDims * f.outDims, 'matrix');
    const id = createHash('sha256').update(text).digest('hex').slice(0, 12);
    return new Projection(id, f.inDims, f.outDims, String(f.method), mean, matrix);
  }

  static async load(path: string): Promise<Projection> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new OpenLfrError('ENGINE_PROJECTION_INVALID', `cannot read the projection file ${path}: ${(e as Error).message}`, { path });
    }
    return Projection.parse(text, path);
  }

  /** The engine id of `baseId` with this projection applied. */
  engineId(baseId: string): string {
    return `${baseId}+proj=${this.id}`;
  }

  /** Projects one L2-normalised embedding; the result is L2-normalised. */
  apply(x: Float32Array): Float32Array {
    if (x.length !== this.inDims) throw new OpenLfrError('ENGINE_PROJECTION_INVALID', `the projection takes ${this.inDims}-d embeddings, got ${x.length}`);
    const d = this.inDims;
    const c = new Float64Array(d);
    for (let i = 0; i < d; i++) c[i] = x[i]! - this.mean[i]!;
    const y = new Float32Array(this.outDims);
    let norm = 0;
    for (let r = 0; r < this.outDims; r++) {
      let s = 0;
      const o = r * d;
      for (let i = 0; i < d; i++) s += this.matrix[o + i]! * c[i]!;
      y[r] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0)) throw new OpenLfrError('ENGINE_PROJECTION_INVALID', 'the projection mapped an embedding to zero');
    for (let r = 0; r < y.length; r++) y[r] = y[r]! / norm;
    return y;
  }
}
