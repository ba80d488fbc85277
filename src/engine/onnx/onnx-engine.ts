/**
 * The default engine: three ONNX models on onnxruntime-node (CPU), one instance per worker thread.
 *
 *   detector   input [1,3,240,320] RGB (v-127)/128 -> scores [1,N,2], boxes [1,N,4] (x1,y1,x2,y2 in 0..1)
 *              (an "Ultra-Light-Fast-Generic-Face-Detector" RFB-320 style SSD; boxes come decoded)
 *   landmarks  input [1,1,64,64] grey v/256 of the detector box -> [1,136] = 68 (x,y) in 0..1 of the box
 *   embedder   input [1,3,112,112] RGB (v-127)/128, ArcFace-aligned -> [1,512]
 *
 * Any models with these inputs/outputs can be swapped in through configuration (a force's licensed
 * models, for example); the engine id carries each file's sha256 so templates and calibrations say
 * exactly which models made them.
 *
 * Alignment: the 68 points are reduced to 5 (eye centres, nose tip, mouth corners) and a least-squares
 * similarity transform maps them onto the standard ArcFace 112x112 template. (The package's own code
 * used a 3-point affine on eyes + nose, which shears the face when the nose point is off and loses
 * ~9 points of LFW accuracy.)
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { EngineConfig } from '../../config.ts';
import { OpenLfrError } from '../../errors.ts';
import { cropGreyTensorAntialiased, flipHorizontal, l2normalise, resizeRgb, similarityTransform, warpAffineAntialiased, windowToTensor } from '../imgproc.ts';
import { autoGrid, detectionWindows, type DetectionWindow } from '../tiling.ts';
import { readModelFile } from '../model-file.ts';
import { DLIB_DIMS, DlibEmbedder, dlibChip } from '../dlib/dlib-embedder.ts';
import {
  engineIdOf,
  wipe,
  type AnalysedFace,
  type DetectOptions,
  type EngineInfo,
  type Face,
  type FaceEngine,
  type ModelFile,
  type Point,
  type RgbImage,
} from '../port.ts';
import { faceQuality } from '../quality.ts';
import { checkImage, selectFaces } from '../common.ts';

/** ArcFace reference points for a 112x112 chip: left eye, right eye, nose, left mouth, right mouth. */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

const DET_W = 320;
const DET_H = 240;
const LMK = 64;
const CHIP = 112;
const NMS_IOU = 0.4;
/** Pipeline version in the engine id: 2 = detection pyramid + 5-point similarity alignment;
 *  3 = window boxes near an inner edge and partial boxes inside a coarser level's box dropped, landmark
 *  crop and chip block-averaged before sampling when shrunk 2x or more, a context view for a face filling a
 *  large image, a second pass with a landmark sanity check for crops where nothing was found (issue 15). */
export const ONNX_PIPELINE_VERSION = 3;
/** Finer pyramid levels see clothing texture as faces more often: they need a surer detection
 *  (chosen by eye on the group photos: 0.95 keeps every real face the full view misses in
 *  solvay1927.jpg and drops the false ones on suits, dresses and T-shirt prints). */
const MIN_TILE_SCORE = 0.95;
/** A whole-frame box taller than this share of a large image asks for the context view (see detectBoxes). */
const LARGE_FACE = 0.5;
/** The context view: the whole-frame view shrunk to this share of the window, a grey margin round it; only for
 *  images over 1/CONTEXT_MAX_FIT windows (about 460 x 340 px), so crops such as LFW's 250 px photos keep their
 *  templates and their speed, while a 400 px head-and-shoulders view and a 1350 px portrait of the same face
 *  are treated alike (the scale contract). */
const CONTEXT = 0.6;
const CONTEXT_MAX_FIT = 0.7;
/** The second pass (see detect): only images at most this many detector windows wide and high, at this score. */
const SECOND_PASS_MAX = 1.5;
const SECOND_PASS_SCORE = 0.5;

export interface OnnxEngineOptions {
  /** Average the embedding of the chip and its mirror image (test-time augmentation). */
  flip?: boolean;
  /** Score fusion with dlib's descriptor: templates become [sqrt(1-w) onnx, sqrt(w) dlib], so their
   *  cosine is (1-w) x the ONNX score + w x the dlib score. 0 (or absent) = ONNX alone. */
  fuseDlib?: number;
  /** The second detection pass on crop-sized images where nothing was found (default on; off only to measure
   *  what it adds: the engine id then says so). */
  secondPass?: boolean;
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

export class OnnxEngine implements FaceEngine {
  readonly id: string;
  readonly info: EngineInfo;
  private closed = false;

  private constructor(
    private readonly det: ort.InferenceSession,
    private readonly lmk: ort.InferenceSession,
    private readonly emb: ort.InferenceSession,
    models: ModelFile[],
    private readonly minScore: number,
    private readonly flip: boolean,
    private readonly grid: 'auto' | number,
    private readonly dlib: { embedder: DlibEmbedder; weight: number } | null,
    private readonly secondPass: boolean,
  ) {
    const name = `onnx${flip ? '+flip' : ''}${dlib ? `+dlib${dlib.weight}` : ''}${secondPass ? '' : '+nosecondpass'}`;
    const all = dlib ? [...models, dlib.embedder.model] : models;
    this.id = engineIdOf(name, all, ONNX_PIPELINE_VERSION);
    this.info = {
      name,
      dims: 512 + (dlib ? DLIB_DIMS : 0),
      models: all,
      provenance:
        'ONNX models from npm package faceplugin-face-recognition-js@0.0.1 (declared MIT; weights of undocumented origin, see README "Models")',
    };
  }

  static async create(config: EngineConfig, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const files = [
      { role: 'det', file: join(config.onnxModelsDir, config.onnxDetector) },
      { role: 'lmk', file: join(config.onnxModelsDir, config.onnxLandmarks) },
      { role: 'emb', file: join(config.onnxModelsDir, config.onnxEmbedder) },
    ];
    const loaded = await Promise.all(files.map((f) => readModelFile(f.file, f.role)));
    const sessions = await Promise.all(
      loaded.map(async (l, i) => {
        try {
          return await ort.InferenceSession.create(l.bytes, SESSION_OPTIONS);
        } catch (cause) {
          throw new OpenLfrError('ENGINE_MODEL_MISSING', `${files[i]!.file} is not a loadable ONNX model`, { path: files[i]!.file }, { cause });
        }
      }),
    );
    const models = files.map((f, i) => ({ role: f.role, file: f.file, sha256: loaded[i]!.sha256 }));
    const weight = options.fuseDlib ?? 0;
    const dlib = weight > 0 ? { embedder: await DlibEmbedder.create(), weight } : null;
    return new OnnxEngine(sessions[0]!, sessions[1]!, sessions[2]!, models, config.minDetectorScore, options.flip ?? false, config.detectorGrid, dlib, options.secondPass ?? true);
  }

  async detect(image: RgbImage, options: DetectOptions = {}): Promise<Face[]> {
    this.assertOpen();
    checkImage(image);
    let boxes = await this.detectBoxes(image);
    // Second pass (issue 15): a crop-sized image in which nothing was found (a dark, blurred or tiny CCTV
    // still) is looked at again enlarged to fill the detector window, as it is and contrast-stretched, with
    // a lower score; what it finds must pass a landmark sanity check, and is aligned and embedded from the
    // stretched image. Camera frames (larger than 1.5 detector windows) never take this path.
    let src = image;
    let second = false;
    if (this.secondPass && boxes.length === 0 && image.width <= SECOND_PASS_MAX * DET_W && image.height <= SECOND_PASS_MAX * DET_H) {
      src = contrastStretched(image);
      boxes = await this.secondPassBoxes(image, src);
      second = true;
    }
    const faces: Face[] = [];
    for (const b of boxes) {
      const l68 = await this.landmarks(src, b.unclamped ?? b);
      const l5 = to5(l68);
      if (second && !plausibleAlignment(l5, b)) continue;
      const chip = warpAffineAntialiased(src, similarityTransform(l5, ARCFACE_TEMPLATE), CHIP, CHIP);
      faces.push({
        engineId: this.id,
        box: { x: b.x1, y: b.y1, width: b.x2 - b.x1, height: b.y2 - b.y1 },
        landmarks5: l5,
        landmarks: l68,
        score: b.score,
        quality: faceQuality(l5, chip),
        chip,
      });
    }
    if (src !== image) wipe(src.data);
    return selectFaces(dedupeByEyes(faces), options);
  }

  /** The second pass's windows: the image, and its stretched copy, each enlarged up to 4x to fill the window, at a lower score. */
  private async secondPassBoxes(image: RgbImage, stretched: RgbImage): Promise<Box4[]> {
    const s = Math.min(DET_W / image.width, DET_H / image.height, 4);
    const w = Math.max(1, Math.round(image.width * s));
    const h = Math.max(1, Math.round(image.height * s));
    const cands: Box4[] = [];
    const inner = { left: false, top: false, right: false, bottom: false };
    for (const view of stretched === image ? [image] : [image, stretched]) {
      const level = resizeRgb(view, w, h);
      await this.detectWindow({ grid: 1, level, scale: w / image.width, x0: -Math.floor((DET_W - w) / 2), y0: -Math.floor((DET_H - h) / 2), inner }, image, cands, SECOND_PASS_SCORE);
      wipe(level.data);
    }
    return nms(cands, NMS_IOU);
  }

  async embed(face: Face): Promise<Float32Array> {
    return (await this.embedWithNorm(face)).embedding;
  }

  /** The template, and the length of the embedder's raw output for the chip (a quality signal). */
  private async embedWithNorm(face: Face): Promise<{ embedding: Float32Array; norm: number }> {
    this.assertOpen();
    if (face.engineId !== this.id) throw new OpenLfrError('ENGINE_FACE_FOREIGN', `face was detected by ${face.engineId}, not ${this.id}`);
    const v = await this.embedChip(face.chip);
    const norm = Math.hypot(...v);
    if (this.flip) {
      const mirror = flipHorizontal(face.chip);
      const f = await this.embedChip(mirror);
      for (let i = 0; i < v.length; i++) v[i] = v[i]! + f[i]!;
      wipe(mirror.data);
      wipe(f);
    }
    return { embedding: this.dlib ? await this.fuse(l2normalise(v), face, this.dlib) : l2normalise(v), norm };
  }

  /** [sqrt(1-w) onnx, sqrt(w) dlib]: unit length, and its cosine is the weighted sum of the two scores. */
  private async fuse(v: Float32Array, face: Face, dlib: { embedder: DlibEmbedder; weight: number }): Promise<Float32Array> {
    if (!face.landmarks) throw new OpenLfrError('BAD_REQUEST', 'fusion with dlib needs the face\'s 68 landmarks');
    const chip = dlibChip(face.chip, similarityTransform(face.landmarks5, ARCFACE_TEMPLATE), face.landmarks);
    let d: Float32Array;
    try {
      d = await dlib.embedder.embed(chip);
    } finally {
      wipe(chip.data);
    }
    const out = new Float32Array(v.length + d.length);
    const a = Math.sqrt(1 - dlib.weight);
    const b = Math.sqrt(dlib.weight);
    for (let i = 0; i < v.length; i++) out[i] = a * v[i]!;
    for (let i = 0; i < d.length; i++) out[v.length + i] = b * d[i]!;
    wipe(v);
    wipe(d);
    return out;
  }

  async analyse(image: RgbImage, options: DetectOptions = {}): Promise<AnalysedFace[]> {
    const faces = await this.detect(image, options);
    const out: AnalysedFace[] = [];
    for (const face of faces) {
      const { embedding, norm } = await this.embedWithNorm(face);
      out.push({ face, embedding, embeddingNorm: norm });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dlib?.embedder.close();
    await Promise.all([this.det.release(), this.lmk.release(), this.emb.release()]);
  }

  private assertOpen(): void {
    if (this.closed) throw new OpenLfrError('ENGINE_CLOSED', 'the ONNX engine has been closed');
  }

  private async detectBoxes(image: RgbImage): Promise<Box4[]> {
    const grid = this.grid === 'auto' ? autoGrid(image.width, image.height, DET_W, DET_H, 3) : this.grid;
    const cands: Box4[] = [];
    let whole: RgbImage | null = null;
    for (const win of detectionWindows(image, DET_W, DET_H, grid)) {
      if (win.grid === 1) whole = win.level;
      await this.detectWindow(win, image, cands);
    }
    // A face filling most of a large image (a studio or custody portrait) is a poor fit for the detector,
    // trained on faces with some scene round them: it finds nothing, or a sure box on part of the face
    // (issue 15: 2 of 126 faces at 1350 px). Then the whole frame is looked at again with a margin, shrunk
    // into the middle of the window; its box, from a coarser view, replaces the partial one (see nms).
    // Only for images well over the window's size (studio and custody photos are 1000 px and more).
    const fit = Math.min(DET_W / image.width, DET_H / image.height);
    const firstPass = cands.filter((c) => c.grid === 1);
    if (whole && fit < CONTEXT_MAX_FIT && (firstPass.length === 0 || firstPass.some((c) => c.y2 - c.y1 > LARGE_FACE * image.height))) {
      const w = Math.max(1, Math.round(whole.width * CONTEXT));
      const h = Math.max(1, Math.round(whole.height * CONTEXT));
      const level = resizeRgb(whole, w, h);
      const inner = { left: false, top: false, right: false, bottom: false };
      await this.detectWindow({ grid: 0, level, scale: w / image.width, x0: -Math.floor((DET_W - w) / 2), y0: -Math.floor((DET_H - h) / 2), inner }, image, cands);
      wipe(level.data);
    }
    return nms(cands, NMS_IOU);
  }

  /** Runs the detector on one window and adds its boxes, in source pixels, to `cands`. */
  private async detectWindow(win: DetectionWindow, image: RgbImage, cands: Box4[], scoreOverride?: number): Promise<void> {
    const tensor = windowToTensor(win.level, win.x0, win.y0, DET_W, DET_H, 127, 128);
    const out = await this.det.run({ input: new ort.Tensor('float32', tensor, [1, 3, DET_H, DET_W]) });
    const scores = out['scores']!.data as Float32Array;
    const coords = out['boxes']!.data as Float32Array;
    const n = scores.length / 2;
    const edge = 2; // px in window space: a box this close to an inner window edge may be a cut face
    const minScore = scoreOverride ?? (win.grid <= 1 ? this.minScore : Math.max(this.minScore, MIN_TILE_SCORE));
    for (let i = 0; i < n; i++) {
      const s = scores[i * 2 + 1]!;
      if (s < minScore) continue;
      const wx1 = coords[i * 4]! * DET_W;
      const wy1 = coords[i * 4 + 1]! * DET_H;
      const wx2 = coords[i * 4 + 2]! * DET_W;
      const wy2 = coords[i * 4 + 3]! * DET_H;
      // A face cut by an inner window edge is often boxed as a smaller whole face in what is left of
      // it (the upper two thirds of a large face, boxed short of the edge): a window's box counts only
      // with a quarter of its height clear of every inner edge. The window next to it, or the coarser
      // level, sees that face whole.
      const m = win.grid <= 1 ? edge : Math.max(edge, 0.25 * (wy2 - wy1));
      if ((win.inner.left && wx1 < m) || (win.inner.top && wy1 < m) || (win.inner.right && wx2 > DET_W - m) || (win.inner.bottom && wy2 > DET_H - m)) continue;
      // window pixels -> level pixels -> source pixels, clamped to the image
      const raw = { x1: (wx1 + win.x0) / win.scale, y1: (wy1 + win.y0) / win.scale, x2: (wx2 + win.x0) / win.scale, y2: (wy2 + win.y0) / win.scale };
      const x1 = Math.max(0, raw.x1);
      const y1 = Math.max(0, raw.y1);
      const x2 = Math.min(image.width, raw.x2);
      const y2 = Math.min(image.height, raw.y2);
      if (x2 - x1 < 4 || y2 - y1 < 4) continue;
      // a box reaching past the image (a face filling it) keeps its framing for the landmark model
      cands.push({ x1, y1, x2, y2, score: s, grid: win.grid, ...(win.grid === 0 ? { unclamped: raw } : {}) });
    }
  }

  private async landmarks(image: RgbImage, b: { x1: number; y1: number; x2: number; y2: number }): Promise<Point[]> {
    const w = b.x2 - b.x1;
    const h = b.y2 - b.y1;
    const input = cropGreyTensorAntialiased(image, b.x1, b.y1, w, h, LMK);
    const out = await this.lmk.run({ input: new ort.Tensor('float32', input, [1, 1, LMK, LMK]) });
    const v = out['output']!.data as Float32Array;
    const pts: Point[] = [];
    for (let i = 0; i < 68; i++) pts.push([b.x1 + v[i * 2]! * w, b.y1 + v[i * 2 + 1]! * h]);
    return pts;
  }

  private async embedChip(chip: RgbImage): Promise<Float32Array> {
    if (chip.width !== CHIP || chip.height !== CHIP || chip.data.length !== CHIP * CHIP * 3)
      throw new OpenLfrError('BAD_REQUEST', `face chip must be ${CHIP}x${CHIP} RGB`);
    const plane = CHIP * CHIP;
    const t = new Float32Array(3 * plane);
    const d = chip.data;
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      t[i] = (d[p]! - 127) / 128;
      t[i + plane] = (d[p + 1]! - 127) / 128;
      t[i + 2 * plane] = (d[p + 2]! - 127) / 128;
    }
    const out = await this.emb.run({ input: new ort.Tensor('float32', t, [1, 3, CHIP, CHIP]) });
    return Float32Array.from(out['output']!.data as Float32Array);
  }
}

function mean(pts: Point[], idx: number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    x += pts[i]![0];
    y += pts[i]![1];
  }
  return [x / idx.length, y / idx.length];
}

/** iBUG 68 -> 5: eye centres (4 lid points each), nose tip (30), mouth corners (outer+inner lip corner). */
/**
 * A face's five points as a face has them, relative to its box (the second pass's check: a low-score box on
 * blur or noise gives landmarks anywhere, and embedding that alignment gives a template of nothing): the eyes
 * apart by 20-80% of the box width and less than 35 degrees off level, the nose below the eye line and the
 * mouth corners below the nose, every point within the box grown by a quarter.
 */
export function plausibleAlignment(l5: readonly Point[], b: { x1: number; y1: number; x2: number; y2: number }): boolean {
  const [le, re, nose, lm, rm] = l5 as [Point, Point, Point, Point, Point];
  const bw = b.x2 - b.x1;
  const bh = b.y2 - b.y1;
  const eye = Math.hypot(re[0] - le[0], re[1] - le[1]);
  if (!(eye >= 0.2 * bw && eye <= 0.8 * bw)) return false;
  if (Math.abs(Math.atan2(re[1] - le[1], re[0] - le[0])) > (35 * Math.PI) / 180) return false;
  // heights measured along the face's own vertical (perpendicular to the eye line)
  const ux = (re[0] - le[0]) / eye;
  const uy = (re[1] - le[1]) / eye;
  const below = (p: Point) => -(p[0] - le[0]) * uy + (p[1] - le[1]) * ux;
  const noseDown = below(nose);
  if (!(noseDown > 0.15 * eye)) return false;
  if (!(below(lm) > noseDown && below(rm) > noseDown)) return false;
  const gx = 0.25 * bw;
  const gy = 0.25 * bh;
  return l5.every(([x, y]) => x >= b.x1 - gx && x <= b.x2 + gx && y >= b.y1 - gy && y <= b.y2 + gy);
}

/** Luminance stretched so its 1st-99th percentiles span 0-255 (one gain and offset for all three channels, so
 *  colours keep their balance); a copy, or the image itself when it already spans most of the range. */
export function contrastStretched(image: RgbImage): RgbImage {
  const d = image.data;
  const hist = new Uint32Array(256);
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) hist[Math.round(0.299 * d[i * 3]! + 0.587 * d[i * 3 + 1]! + 0.114 * d[i * 3 + 2]!)]!++;
  const at = (q: number) => {
    let acc = 0;
    for (let v = 0; v < 256; v++) if ((acc += hist[v]!) >= q * n) return v;
    return 255;
  };
  const lo = at(0.01);
  const hi = at(0.99);
  if (hi - lo >= 200 || hi - lo < 8) return image;
  const gain = 255 / (hi - lo);
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((d[i]! - lo) * gain)));
  return { width: image.width, height: image.height, data: out };
}

export function to5(p: Point[]): [Point, Point, Point, Point, Point] {
  return [mean(p, [37, 38, 40, 41]), mean(p, [43, 44, 46, 47]), p[30]!, mean(p, [48, 60]), mean(p, [54, 64])];
}

/** Two detections whose eye midpoints are within half an inter-eye distance are one face: keep the surer. */
function dedupeByEyes(faces: Face[]): Face[] {
  const mid = (f: Face): Point => [(f.landmarks5[0][0] + f.landmarks5[1][0]) / 2, (f.landmarks5[0][1] + f.landmarks5[1][1]) / 2];
  const keep: Face[] = [];
  for (const f of [...faces].sort((a, b) => b.score - a.score)) {
    const m = mid(f);
    const dup = keep.some((k) => {
      const n = mid(k);
      return Math.hypot(m[0] - n[0], m[1] - n[1]) < 0.5 * Math.max(f.quality.interEyePx, k.quality.interEyePx);
    });
    if (!dup) keep.push(f);
  }
  return keep;
}

interface Box4 {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** the pyramid level that found it (1 = the whole frame, 0 = the context view) */
  grid: number;
  /** the context view's box before clamping to the image, for the landmark crop */
  unclamped?: { x1: number; y1: number; x2: number; y2: number };
}

/** Greedy non-maximum suppression. Besides IoU, a box mostly inside a better one (another view's
 *  partial or duplicate detection of the same face) is suppressed; but a box from a coarser level that
 *  contains finer-level boxes replaces them: a finer window sees only part of a face that large, and its
 *  sure-looking box on the part (the eyes, the mouth and chin) is not the face. */
function nms<T extends Box4>(boxes: T[], iou: number): T[] {
  boxes.sort((a, b) => b.score - a.score);
  let keep: T[] = [];
  const area = (b: Box4) => (b.x2 - b.x1) * (b.y2 - b.y1);
  for (const b of boxes) {
    const clashes: T[] = [];
    const contained: T[] = [];
    for (const k of keep) {
      const ix = Math.max(0, Math.min(b.x2, k.x2) - Math.max(b.x1, k.x1));
      const iy = Math.max(0, Math.min(b.y2, k.y2) - Math.max(b.y1, k.y1));
      const inter = ix * iy;
      const areaB = area(b);
      const areaK = area(k);
      if (inter / (areaB + areaK - inter) > iou || inter / Math.min(areaB, areaK) > 0.6) {
        if (b.grid < k.grid && areaB > areaK && inter / areaK > 0.6) contained.push(k);
        else clashes.push(k);
      }
    }
    if (clashes.length) continue;
    if (contained.length) keep = keep.filter((k) => !contained.includes(k));
    keep.push(b);
  }
  return keep;
}
