/**
 * The Human engine adapter: `@vladmandic/human` 3.3.x (BlazeFace detector, FaceMesh 468-point
 * landmarks, HSE FaceRes 1024-d embedder) on TF.js with the wasm backend (SIMD, one thread).
 *
 * This is the single-threaded, in-process adapter; the engine pool (../pool.ts) hosts one per
 * worker thread. Each `createLocalEngine` call builds its own Human instance (Human itself keeps
 * loaded graph models per thread and shares them between instances; nothing here does).
 *
 * Pipeline (what the chip and the embedding are):
 *   detect:  Human runs BlazeFace, then FaceMesh (468 landmarks) on each face; the box and the five
 *            points come from the mesh. If nothing is found, the image is tried once more with a
 *            black border (BlazeFace misses faces that fill the frame). The chip (8-bit RGB,
 *            CHIP_SIZE x CHIP_SIZE = 192x192) is cut here, not by Human: the least-squares
 *            similarity that maps the five points onto CHIP_TEMPLATE (where they sit on average in
 *            Human's own crops), so the chip is upright whatever the head roll. Quality measures
 *            are the shared ones (../quality.ts), taken on the chip scaled to 112x112 so that their
 *            scale matches the other engines' 112x112 chips.
 *   embed:   chip -> bilinear resize to 224x224 (FaceRes input, 0..255 floats) -> FaceRes
 *            `global_pooling/Mean` (1024 floats) -> L2-normalised. analyse() embeds faces in a batch.
 * Human's own frame-skipping caches are switched off, so every call sees only its own image.
 */
import { join } from 'node:path';
import type { Human, Config as HumanConfig, FaceResult, GraphModel, Tensor } from '@vladmandic/human';
import type { EngineConfig } from '../../config.ts';
import { OpenLfrError } from '../../errors.ts';
import { checkImage, selectFaces } from '../common.ts';
import { l2normalise, resizeRgb, similarityTransform, warpAffine } from '../imgproc.ts';
import { engineIdOf, wipe, type AnalysedFace, type DetectOptions, type EngineInfo, type Face, type FaceEngine, type Point, type RgbImage } from '../port.ts';
import { faceQuality } from '../quality.ts';
import { defaultModelsDir, hashGraphModel, hashPipeline, loadHumanRuntime, registerFileLoader, type Tfjs } from './runtime.ts';

/** Pipeline version in the engine id (see engineIdOf): 1 = FaceMesh 5-point similarity chip. */
export const HUMAN_PIPELINE_VERSION = 1;
/** Side of the aligned chip: Human's own face crop size (FaceMesh input). */
export const CHIP_SIZE = 192;
/**
 * Where the five points (image-left eye, image-right eye, nose tip, image-left and image-right mouth
 * corners) fall, on average, in Human's own 192x192 face crops: measured on 200 LFW faces by running
 * FaceMesh on Human's crops, then made left-right symmetric.
 */
export const CHIP_TEMPLATE: readonly Point[] = [
  [67.6, 62.7],
  [122.6, 62.7],
  [95.1, 97.3],
  [71.4, 121.0],
  [118.8, 121.0],
];
/** Quality measures are taken on the chip at this size (the other engines' chip size). */
const QUALITY_SIDE = 112;
/** FaceRes input side. */
const EMBED_INPUT = 224;
/** FaceRes output holding the 1024-d descriptor (age and gender heads are not computed). */
const EMBED_OUTPUT = 'global_pooling/Mean';
export const EMBED_DIMS = 1024;
/** Faces Human may report per image before the maxFaces/minInterEyePx selection. */
const MAX_DETECTED = 64;
/** Below this side BlazeFace (128x128 input) cannot find a face: such images give no faces. */
const MIN_IMAGE_SIDE = 16;
/** Border added (as a share of the longer image side) when a first look finds no face. */
const RETRY_BORDER = 0.25;

const MODEL_FILES = { detector: 'blazeface.json', landmarks: 'facemesh.json', embedder: 'faceres.json' } as const;

/** FaceMesh (MediaPipe canonical mesh) indices for the five points. Eye centre = mean of the two
 *  corners and the two lid midpoints. Mesh "right" is the subject's right = image left. */
const MESH = {
  imageLeftEye: [33, 133, 159, 145],
  imageRightEye: [263, 362, 386, 374],
  noseTip: 1,
  imageLeftMouth: 61,
  imageRightMouth: 291,
} as const;

const PROVENANCE =
  '@vladmandic/human 3.3.x (MIT). Models shipped in the npm package: BlazeFace and FaceMesh (Google MediaPipe, Apache-2.0), ' +
  'FaceRes (HSE-asavchenko HSE_FaceRec_tf, converted to TF.js by the Human author). Runs on @tensorflow/tfjs-backend-wasm.';

function humanConfig(modelsDir: string, wasmDir: string, minScore: number): Partial<HumanConfig> {
  const model = (file: string) => `file://${join(modelsDir, file)}`;
  return {
    backend: 'wasm',
    wasmPath: wasmDir,
    wasmPlatformFetch: false,
    modelBasePath: `file://${modelsDir}/`,
    cacheModels: false,
    debug: false,
    async: false,
    warmup: 'none',
    cacheSensitivity: 0,
    skipAllowed: false,
    filter: { enabled: false },
    gesture: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    face: {
      enabled: true,
      detector: {
        modelPath: model(MODEL_FILES.detector),
        rotation: false, // the chip is aligned here, from FaceMesh's landmarks
        maxDetected: MAX_DETECTED,
        minConfidence: minScore,
        skipFrames: 0,
        skipTime: 0,
        return: false, // the chip is cut here, see alignedChip()
      },
      mesh: { enabled: true, modelPath: model(MODEL_FILES.landmarks) },
      // FaceRes is loaded by Human (enabled at load time) but run by this adapter in embed().
      description: { enabled: true, modelPath: model(MODEL_FILES.embedder), skipFrames: 0, skipTime: 0 },
      iris: { enabled: false },
      attention: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      gear: { enabled: false },
    },
  } as Partial<HumanConfig>;
}

/** The chip: the five points mapped onto CHIP_TEMPLATE by a least-squares similarity, bilinear, black outside. */
export function alignedChip(image: RgbImage, landmarks5: readonly Point[]): RgbImage {
  return warpAffine(image, similarityTransform(landmarks5, CHIP_TEMPLATE), CHIP_SIZE, CHIP_SIZE);
}

class HumanEngine implements FaceEngine {
  readonly id: string;
  readonly info: EngineInfo;
  private readonly human: Human;
  private readonly tf: Tfjs;
  private readonly faceres: GraphModel;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(human: Human, faceres: GraphModel, info: EngineInfo) {
    this.human = human;
    this.tf = human.tf;
    this.faceres = faceres;
    this.info = info;
    this.id = engineIdOf(info.name, info.models, HUMAN_PIPELINE_VERSION);
  }

  /** Runs one operation at a time: a Human instance is not re-entrant. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new OpenLfrError('ENGINE_CLOSED'));
    const run = this.queue.then(() => {
      if (this.closed) throw new OpenLfrError('ENGINE_CLOSED');
      return op();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async detect(image: RgbImage, options: DetectOptions = {}): Promise<Face[]> {
    checkImage(image);
    return this.serial(() => this.detectNow(image, options));
  }

  async embed(face: Face): Promise<Float32Array> {
    this.checkFace(face);
    return this.serial(async () => (await this.embedNow([face]))[0]!);
  }

  async analyse(image: RgbImage, options: DetectOptions = {}): Promise<AnalysedFace[]> {
    checkImage(image);
    return this.serial(async () => {
      const faces = await this.detectNow(image, options);
      if (faces.length === 0) return [];
      const embeddings = await this.embedNow(faces);
      return faces.map((face, i) => ({ face, embedding: embeddings[i]! }));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    // The graph models belong to Human's per-thread module state (shared with any other instance in
    // this thread); they go when the thread ends. This instance only drops its references.
    this.human.models.reset();
  }

  private checkFace(face: Face): void {
    if (!face || face.engineId !== this.id) {
      throw new OpenLfrError('ENGINE_FACE_FOREIGN', `The face was detected by engine ${String(face?.engineId)}, not ${this.id}`);
    }
    const c = face.chip;
    if (!c || c.width !== CHIP_SIZE || c.height !== CHIP_SIZE || !(c.data instanceof Uint8Array) || c.data.length !== CHIP_SIZE * CHIP_SIZE * 3) {
      throw new OpenLfrError('BAD_REQUEST', `The face chip must be ${CHIP_SIZE}x${CHIP_SIZE} RGB`);
    }
  }

  private async detectNow(image: RgbImage, options: DetectOptions): Promise<Face[]> {
    if (image.width < MIN_IMAGE_SIDE || image.height < MIN_IMAGE_SIDE) return [];
    let faces = await this.detectAt(image, 0);
    // BlazeFace misses faces that fill the whole frame (tight crops, close-up portraits): when
    // nothing is found, look once more with a black border around the image.
    if (faces.length === 0) faces = await this.detectAt(image, Math.round(RETRY_BORDER * Math.max(image.width, image.height)));
    const kept = selectFaces(faces, options);
    for (const f of faces) if (!kept.includes(f)) wipe(f.chip.data);
    return kept;
  }

  /** Runs Human on the image with `border` black pixels added on every side; results in source pixels. */
  private async detectAt(image: RgbImage, border: number): Promise<Face[]> {
    const tf = this.tf;
    const input = tf.tidy(() => {
      const t = tf.tensor4d(image.data, [1, image.height, image.width, 3], 'int32');
      return border > 0 ? tf.pad(t, [[0, 0], [border, border], [border, border], [0, 0]]) : t;
    });
    let found: FaceResult[];
    try {
      const result = await this.human.detect(input);
      if (result.error) throw new OpenLfrError('ENGINE_INFERENCE_FAILED', `Human failed: ${result.error}`);
      found = result.face;
    } catch (err) {
      if (err instanceof OpenLfrError) throw err;
      throw new OpenLfrError('ENGINE_INFERENCE_FAILED', `Human failed: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
    } finally {
      input.dispose();
    }
    for (const r of found) r.tensor?.dispose();
    return found.flatMap((r) => {
      const face = this.toFace(r, image, border);
      return face ? [face] : [];
    });
  }

  /** Builds the port's Face from one Human result found in an image with `border` pixels added. */
  private toFace(r: FaceResult, image: RgbImage, border: number): Face | null {
    if (r.mesh.length < 468) return null; // with keepInvalid off Human reports no mesh-less faces
    const [bx, by, bw, bh] = r.box;
    const x = Math.max(0, bx - border);
    const y = Math.max(0, by - border);
    const width = Math.min(image.width, bx - border + bw) - x;
    const height = Math.min(image.height, by - border + bh) - y;
    if (width <= 0 || height <= 0) return null; // found only in the added border
    const p = (i: number): Point => [r.mesh[i]![0] - border, r.mesh[i]![1] - border];
    const eye = (idx: readonly number[]): Point => {
      const pts = idx.map(p);
      return [pts.reduce((s, q) => s + q[0], 0) / pts.length, pts.reduce((s, q) => s + q[1], 0) / pts.length];
    };
    const landmarks5: Face['landmarks5'] = [eye(MESH.imageLeftEye), eye(MESH.imageRightEye), p(MESH.noseTip), p(MESH.imageLeftMouth), p(MESH.imageRightMouth)];
    const chip = alignedChip(image, landmarks5);
    const small = resizeRgb(chip, QUALITY_SIDE, QUALITY_SIDE);
    const quality = faceQuality(landmarks5, small);
    wipe(small.data);
    return {
      engineId: this.id,
      box: { x, y, width, height },
      landmarks5,
      landmarks: r.mesh.map((_, i) => p(i)),
      score: r.boxScore,
      quality,
      chip,
    };
  }

  private async embedNow(faces: Face[]): Promise<Float32Array[]> {
    const tf = this.tf;
    const n = faces.length;
    const side = CHIP_SIZE * CHIP_SIZE * 3;
    const batch = new Float32Array(n * side);
    faces.forEach((f, i) => batch.set(f.chip.data, i * side));
    let out: Tensor | undefined;
    try {
      const result: Tensor = tf.tidy(() => {
        const chips = tf.tensor4d(batch, [n, CHIP_SIZE, CHIP_SIZE, 3], 'float32');
        const resized = tf.image.resizeBilinear(chips, [EMBED_INPUT, EMBED_INPUT], false);
        return this.faceres.execute(resized, EMBED_OUTPUT) as Tensor;
      });
      out = result;
      if (result.shape[0] !== n || result.shape[1] !== EMBED_DIMS) {
        throw new OpenLfrError('ENGINE_INFERENCE_FAILED', `FaceRes returned shape ${result.shape.join('x')}; expected ${n}x${EMBED_DIMS}`);
      }
      const all = (await result.data()) as Float32Array;
      const vectors = faces.map((_, i) => all.slice(i * EMBED_DIMS, (i + 1) * EMBED_DIMS));
      all.fill(0);
      for (const v of vectors) {
        if (!v.every(Number.isFinite) || !v.some((x) => x !== 0)) throw new OpenLfrError('ENGINE_INFERENCE_FAILED', 'FaceRes returned an empty or non-finite descriptor');
        l2normalise(v);
      }
      return vectors;
    } catch (err) {
      if (err instanceof OpenLfrError) throw err;
      throw new OpenLfrError('ENGINE_INFERENCE_FAILED', `FaceRes failed: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
    } finally {
      batch.fill(0);
      out?.dispose();
    }
  }
}

type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const PROCESS_EVENTS: ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];
const emitter: NodeJS.EventEmitter = process;

function processHandlers(): Map<ProcessEvent, Set<unknown>> {
  return new Map(PROCESS_EVENTS.map((e) => [e, new Set<unknown>(emitter.listeners(e))]));
}

/**
 * The emscripten glue of tfjs-backend-wasm installs process-wide `uncaughtException` and
 * `unhandledRejection` handlers that rethrow (and print the whole wasm glue source). Error policy
 * belongs to the application, not to a library, so those handlers are removed once the backend is up.
 */
function removeHandlersAddedSince(before: Map<ProcessEvent, Set<unknown>>): void {
  for (const e of PROCESS_EVENTS) {
    for (const l of emitter.listeners(e)) if (!before.get(e)!.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
  }
}

/** Builds a Human engine in this thread. Throws ENGINE_MODEL_MISSING / ENGINE_INIT_FAILED. */
export async function createLocalEngine(config: EngineConfig): Promise<FaceEngine> {
  const runtime = loadHumanRuntime();
  const modelsDir = config.humanModelsDir || defaultModelsDir(runtime);
  const models = [
    hashGraphModel('detector', join(modelsDir, MODEL_FILES.detector)),
    hashGraphModel('landmarks', join(modelsDir, MODEL_FILES.landmarks)),
    hashGraphModel('embedder', join(modelsDir, MODEL_FILES.embedder)),
    // Pre-processing (Human's code, the chip geometry) shapes the embedding as much as weights do.
    hashPipeline(runtime.bundleFile, JSON.stringify({ CHIP_SIZE, CHIP_TEMPLATE, EMBED_INPUT, EMBED_OUTPUT })),
  ];
  const human = new runtime.Human(humanConfig(modelsDir, runtime.wasmDir, config.humanMinDetectorScore));
  registerFileLoader(human.tf);
  const before = processHandlers();
  try {
    await human.load();
  } catch (err) {
    throw new OpenLfrError('ENGINE_INIT_FAILED', `Human could not load: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  } finally {
    removeHandlersAddedSince(before);
  }
  if (human.tf.getBackend() !== 'wasm') {
    throw new OpenLfrError('ENGINE_INIT_FAILED', `The TF.js wasm backend did not start (backend is ${String(human.tf.getBackend())})`);
  }
  for (const name of ['blazeface', 'facemesh', 'faceres']) {
    const m = human.models.models[name];
    if (!m || !(m as unknown as { executor?: unknown }).executor) {
      throw new OpenLfrError('ENGINE_MODEL_MISSING', `Human model ${name} did not load from ${modelsDir}`, { model: name, dir: modelsDir });
    }
  }
  // FaceRes runs in embed(), not inside Human's detect().
  human.config.face.description!.enabled = false;
  const info: EngineInfo = { name: 'human', dims: EMBED_DIMS, models, provenance: `${PROVENANCE} Human ${runtime.version}.` };
  return new HumanEngine(human, human.models.models.faceres!, info);
}
