/**
 * The second embedder of the fused profile (`OPENLFR_ONNX_FUSE_DLIB=<weight>`): dlib's ResNet face
 * descriptor (128-d, metric-learned by Davis King on about 3 million faces), with the weights and the
 * TF.js port shipped in the npm package `@vladmandic/face-api`, run on TF.js' wasm backend.
 *
 * It never sees the camera frame: its 150x150 input is cut from the ONNX engine's aligned 112x112 chip
 * with dlib's own alignment (`get_face_chip_details` for 68 points: a least-squares similarity onto
 * dlib's mean face, padding 0.25), using the face's 68 landmarks mapped into the chip. dlib's chip
 * reaches a little below the ArcFace chip at the chin (about 8% of its height), which stays black;
 * measured against cutting from the full image it costs at most 0.3 points (docs/accuracy.md), and it
 * keeps the chip the only face pixels a face carries (one buffer to wipe, nothing new crossing the pool).
 *
 * Like the other adapters it keeps no module-level model state: each `DlibEmbedder` loads its own net.
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OpenLfrError } from '../../errors.ts';
import { l2normalise, similarityTransform, warpAffine, type Affine } from '../imgproc.ts';
import type { ModelFile, Point, RgbImage } from '../port.ts';

const require = createRequire(import.meta.url);

/** Side of dlib's chip, and its padding around the mean face (dlib's face recognition example). */
export const DLIB_CHIP = 150;
const PADDING = 0.25;
export const DLIB_DIMS = 128;

/**
 * dlib's mean face shape, iBUG points 17..67, in a unit square (dlib/image_transforms/interpolation.h,
 * Boost Software License). The alignment uses points 27..54 and 60..64: dlib leaves out the eyebrows
 * and the lower lip, which move with expression.
 */
const MEAN_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
  0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
  0.553364, 0.490127, 0.42689,
];
const MEAN_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
  0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
  0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
  0.784792, 0.824182, 0.831803, 0.824182,
];
const ALIGN_POINTS = Array.from({ length: 68 }, (_, i) => i).filter((i) => i >= 27 && !(i >= 55 && i <= 59) && i <= 64);
const TEMPLATE: Point[] = ALIGN_POINTS.map((i) => [((PADDING + MEAN_X[i - 17]!) / (1 + 2 * PADDING)) * DLIB_CHIP, ((PADDING + MEAN_Y[i - 17]!) / (1 + 2 * PADDING)) * DLIB_CHIP]);

const apply = (m: Affine, [x, y]: Point): Point => [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];

/**
 * dlib's 150x150 chip, cut from an aligned chip: `toChip` maps image coordinates into `chip` (the
 * similarity the chip was cut with), `landmarks68` are the face's iBUG 68 points in image coordinates.
 */
export function dlibChip(chip: RgbImage, toChip: Affine, landmarks68: readonly Point[]): RgbImage {
  if (landmarks68.length !== 68) throw new OpenLfrError('BAD_REQUEST', `dlib alignment needs 68 landmarks (got ${landmarks68.length})`);
  const inChip = ALIGN_POINTS.map((i) => apply(toChip, landmarks68[i]!));
  return warpAffine(chip, similarityTransform(inChip, TEMPLATE), DLIB_CHIP, DLIB_CHIP);
}

interface FaceApiNet {
  loadFromWeightMap(map: unknown): void;
  computeFaceDescriptor(input: unknown): Promise<Float32Array | Float32Array[]>;
  dispose(): void;
}
interface FaceApiModule {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    getBackend(): string;
    tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
    io: { decodeWeights(buffer: ArrayBuffer, specs: unknown): unknown };
  };
  FaceRecognitionNet: new () => FaceApiNet;
}

/** The face-api package folder and its files (resolved from disk; nothing is fetched). */
function faceApiPaths(): { module: string; weights: string; manifest: string; wasmDir: string } {
  const pkg = dirname(require.resolve('@vladmandic/face-api/package.json'));
  const wasmPkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return {
    module: join(pkg, 'dist', 'face-api.node-wasm.js'),
    weights: join(pkg, 'model', 'face_recognition_model.bin'),
    manifest: join(pkg, 'model', 'face_recognition_model-weights_manifest.json'),
    wasmDir: join(wasmPkg, 'dist') + '/',
  };
}

export class DlibEmbedder {
  private closed = false;
  private constructor(
    private readonly api: FaceApiModule,
    private readonly net: FaceApiNet,
    readonly model: ModelFile,
  ) {}

  /** Loads the net from the installed package (TF.js wasm backend, binaries from disk). */
  static async create(): Promise<DlibEmbedder> {
    const paths = faceApiPaths();
    let api: FaceApiModule;
    let bytes: Buffer;
    let manifest: { weights: unknown }[];
    try {
      api = require(paths.module) as FaceApiModule;
      bytes = readFileSync(paths.weights);
      manifest = JSON.parse(readFileSync(paths.manifest, 'utf8')) as { weights: unknown }[];
    } catch (cause) {
      throw new OpenLfrError('ENGINE_MODEL_MISSING', `the dlib face descriptor could not be loaded from @vladmandic/face-api (${paths.weights})`, { path: paths.weights }, { cause });
    }
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string, usePlatformFetch?: boolean): void };
    wasm.setWasmPaths(paths.wasmDir, false);
    if (api.tf.getBackend() !== 'wasm') {
      if (!(await api.tf.setBackend('wasm'))) throw new OpenLfrError('ENGINE_MODEL_MISSING', 'TF.js wasm backend could not start for the dlib face descriptor');
      await api.tf.ready();
    }
    const net = new api.FaceRecognitionNet();
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    net.loadFromWeightMap(api.tf.io.decodeWeights(buffer, manifest.flatMap((g) => g.weights)));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return new DlibEmbedder(api, net, { role: 'dlib', file: paths.weights, sha256 });
  }

  /** 128-d L2-normalised descriptor of a 150x150 dlib chip. */
  async embed(chip: RgbImage): Promise<Float32Array> {
    if (this.closed) throw new OpenLfrError('ENGINE_CLOSED', 'the dlib embedder has been closed');
    if (chip.width !== DLIB_CHIP || chip.height !== DLIB_CHIP || chip.data.length !== DLIB_CHIP * DLIB_CHIP * 3)
      throw new OpenLfrError('BAD_REQUEST', `dlib chip must be ${DLIB_CHIP}x${DLIB_CHIP} RGB`);
    const t = this.api.tf.tensor3d(chip.data, [DLIB_CHIP, DLIB_CHIP, 3], 'int32');
    try {
      const d = await this.net.computeFaceDescriptor(t);
      return l2normalise(Float32Array.from(Array.isArray(d) ? d[0]! : d));
    } finally {
      t.dispose();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.net.dispose();
  }
}
