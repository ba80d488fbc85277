/**
 * The recognition engine port. Every engine (ONNX models, Human, a force's licensed models) is an
 * adapter behind this interface, and every adapter passes the same contract test suite
 * (test/contracts/engine.contract.ts).
 *
 * Data flow: detect(image) -> Face[] (box, landmarks, quality, aligned chip in memory only)
 *            embed(face)   -> Float32Array, L2-normalised
 * `analyse` does both in one call (one trip to a worker), which is what the pipeline uses.
 */

/** A decoded image: 8-bit RGB, interleaved, row-major, no padding. Lives in memory only. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array; // length = width * height * 3
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Point = [number, number];

/** Quality measures of one detected face, all computed from the image itself. */
export interface FaceQuality {
  /** Distance between the eye centres, in source-image pixels. */
  interEyePx: number;
  /** Head yaw estimate in degrees (0 = frontal; sign: positive = subject turned to their left). */
  yawDeg: number;
  /** Head pitch estimate in degrees (0 = level; positive = looking down). */
  pitchDeg: number;
  /** In-plane roll in degrees (angle of the eye line). */
  rollDeg: number;
  /** Sharpness: variance of the Laplacian of the aligned grey chip (higher is sharper; < ~50 is blurred). */
  sharpness: number;
  /** Mean brightness of the aligned chip, 0..255. */
  brightness: number;
}

export interface Face {
  /** The engine that produced this face; embed() refuses faces from another engine. */
  readonly engineId: string;
  box: Box;
  /** Five points in source-image pixels: left eye, right eye, nose tip, left mouth corner, right mouth corner
   *  ("left" = image left). */
  landmarks5: [Point, Point, Point, Point, Point];
  /** Full landmark set when the engine has one (for example 68 points). */
  landmarks?: Point[];
  /** Detector confidence, 0..1. */
  score: number;
  quality: FaceQuality;
  /** The engine's aligned face chip (for example 112x112 RGB), in memory only. Biometric: never log or persist. */
  chip: RgbImage;
}

export interface DetectOptions {
  /** Largest number of faces to return (largest first). */
  maxFaces?: number;
  /** Drop faces whose inter-eye distance is below this many pixels. */
  minInterEyePx?: number;
}

export interface AnalysedFace {
  face: Face;
  embedding: Float32Array;
  /** Length of the embedder's output before L2 normalisation, where the engine exposes it: a quality signal
   *  (margin-trained embedders give unclear faces shorter vectors); its scale is the engine's own. */
  embeddingNorm?: number;
}

export interface ModelFile {
  role: string;
  file: string;
  sha256: string;
}

export interface EngineInfo {
  /** Adapter name, for example `onnx` or `human`. */
  name: string;
  /** Embedding dimensions. */
  dims: number;
  models: ModelFile[];
  /** Free text on licence / provenance shown in reports. */
  provenance: string;
}

export interface FaceEngine {
  /** Stable id including the model files' content hashes and the adapter's pipeline version:
   *  `<name>@<version>:<role>=<sha256-prefix>,...`. Templates and calibrations are only comparable
   *  when their engine ids are equal. */
  readonly id: string;
  readonly info: EngineInfo;
  detect(image: RgbImage, options?: DetectOptions): Promise<Face[]>;
  embed(face: Face): Promise<Float32Array>;
  analyse(image: RgbImage, options?: DetectOptions): Promise<AnalysedFace[]>;
  close(): Promise<void>;
}

/**
 * Builds the engine id from the adapter name, the model hashes (12 hex chars of each sha256) and the
 * adapter's pipeline version. Bump the version whenever a code change alters the templates an adapter
 * produces for the same models (alignment, preprocessing, detection), so caches and calibrations made
 * with the old code are not taken for the new.
 */
export function engineIdOf(name: string, models: ModelFile[], version = 1): string {
  return `${name}@${version}:${models.map((m) => `${m.role}=${m.sha256.slice(0, 12)}`).join(',')}`;
}

/** Cosine similarity of two L2-normalised vectors (= dot product). */
export function similarity(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Overwrite a buffer with zeros: used when a face is discarded so no copy of it lingers. */
export function wipe(buf: { fill(v: number): unknown } | undefined): void {
  buf?.fill(0);
}
