/**
 * Training of the linear projection (src/engine/projection.ts) from labelled templates: within-class
 * covariance normalisation (WCCN) followed, optionally, by linear discriminant analysis (LDA).
 *
 *   Sw = within-class covariance (identities with 2+ templates), regularised: Sw + r * trace(Sw)/d * I
 *   W1 = Sw^(-1/2)                                 (whitens the within-class scatter: WCCN)
 *   Sb = covariance of the identity means
 *   V  = the k leading eigenvectors of W1 Sb W1^T  (LDA in the whitened space)
 *   M  = V^T W1  (k x d), applied as normalise(M (x - mean))
 *
 * With k = d the LDA step is a rotation, which cosine similarity ignores: the projection is plain WCCN.
 * Only second-order statistics leave this function; no individual's template is kept.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { OpenLfrError } from '../errors.ts';
import { Projection } from '../engine/projection.ts';

export interface LabelledTemplate {
  identity: string;
  embedding: Float32Array;
}

export interface TrainProjectionOptions {
  /** Output dimensions (k); the input dimension d means WCCN without reduction. */
  dims: number;
  /** Ridge added to Sw, as a share of its mean eigenvalue. */
  regularisation: number;
  provenance?: Record<string, unknown>;
}

export interface TrainedProjection {
  projection: Projection;
  json: string;
  identities: number;
  templates: number;
}

function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: e.realEigenvalues, vectors: e.eigenvectorMatrix };
}

export function trainProjection(templates: readonly LabelledTemplate[], options: TrainProjectionOptions): TrainedProjection {
  const byId = new Map<string, Float32Array[]>();
  for (const t of templates) {
    const list = byId.get(t.identity) ?? [];
    list.push(t.embedding);
    byId.set(t.identity, list);
  }
  const classes = [...byId.values()].filter((l) => l.length >= 2);
  const n = classes.reduce((s, l) => s + l.length, 0);
  const d = templates[0]?.embedding.length ?? 0;
  if (classes.length < 2 || n <= d)
    throw new OpenLfrError('BAD_REQUEST', `training a projection needs more templates than dimensions from identities with 2+ images (have ${n} from ${classes.length} identities, need > ${d})`);
  if (!(Number.isInteger(options.dims) && options.dims >= 1 && options.dims <= d)) throw new OpenLfrError('BAD_REQUEST', `projection dims must be 1..${d} (got ${options.dims})`);
  if (!(options.regularisation >= 0)) throw new OpenLfrError('BAD_REQUEST', `the regularisation must be >= 0 (got ${options.regularisation})`);

  // means
  const mean = new Float64Array(d);
  const classMeans = classes.map((l) => {
    const m = new Float64Array(d);
    for (const v of l) for (let i = 0; i < d; i++) m[i] = m[i]! + v[i]!;
    for (let i = 0; i < d; i++) {
      m[i] = m[i]! / l.length;
      mean[i] = mean[i]! + m[i]! / classes.length;
    }
    return m;
  });
  // within-class scatter from centred rows: Sw = Xc^T Xc / n
  const xc = new Matrix(n, d);
  let row = 0;
  classes.forEach((l, c) => {
    const m = classMeans[c]!;
    for (const v of l) {
      for (let i = 0; i < d; i++) xc.set(row, i, v[i]! - m[i]!);
      row++;
    }
  });
  const sw = xc.transpose().mmul(xc).div(n);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += sw.get(i, i);
  const ridge = (options.regularisation * trace) / d;
  for (let i = 0; i < d; i++) sw.set(i, i, sw.get(i, i) + ridge);
  // W1 = Lambda^(-1/2) U^T
  const ew = symmetricEigen(sw);
  const w1 = new Matrix(d, d);
  for (let k = 0; k < d; k++) {
    const s = 1 / Math.sqrt(Math.max(ew.values[k]!, 1e-12));
    for (let i = 0; i < d; i++) w1.set(k, i, ew.vectors.get(i, k) * s);
  }
  let m: Matrix = w1;
  if (options.dims < d) {
    const mc = new Matrix(classes.length, d);
    classMeans.forEach((cm, c) => {
      for (let i = 0; i < d; i++) mc.set(c, i, cm[i]! - mean[i]!);
    });
    const sbw = w1.mmul(mc.transpose().mmul(mc).div(classes.length)).mmul(w1.transpose());
    const eb = symmetricEigen(sbw);
    const order = eb.values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, options.dims);
    const v = new Matrix(options.dims, d);
    order.forEach(([, col], r) => {
      for (let i = 0; i < d; i++) v.set(r, i, eb.vectors.get(i, col));
    });
    m = v.mmul(w1);
  }
  const matrix = Float32Array.from(m.to1DArray());
  const method = options.dims < d ? `wccn+lda${options.dims}` : 'wccn';
  const { projection, json } = Projection.fromArrays(method, Float32Array.from(mean), matrix, options.dims, {
    ...options.provenance,
    regularisation: options.regularisation,
    identities: classes.length,
    templates: n,
  });
  return { projection, json, identities: classes.length, templates: n };
}
