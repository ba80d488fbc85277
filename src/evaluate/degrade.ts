/**
 * Probe degradation for `evaluate --degrade-*`: makes good photographs look like surveillance-camera crops, so
 * the effect of small, blurred, compressed faces can be measured on a dataset of good photographs.
 *
 *   1. downscale the whole image so the subject's inter-eye distance becomes `interEyePx` (never upscales);
 *      the original inter-eye distance comes from the undegraded analysis of the same image
 *   2. horizontal motion blur over `motionPx` pixels (a person walking across the view during the exposure),
 *      then Gaussian blur of `blurSigma` pixels (both at the degraded scale)
 *   3. underexposure by `exposureStops` stops (negative: darker): each value scaled by 2^(stops / 2.2), the
 *      light lost in linear terms, quantised to 8 bits as a camera would
 *   4. JPEG round trip at `jpegQuality`
 *   5. optionally, the result placed in the centre of a larger grey frame (`canvas`, for example 1280x720):
 *      without it the detector sees the small image whole and the face still fills much of its input
 *
 * The degraded image is analysed at its small size, as a camera crop would be. Only searches are degraded;
 * watchlist entries stay as they are (custody-style reference photos).
 */
import sharp from 'sharp';
import { OpenLfrError } from '../errors.ts';
import { wipe, type FaceEngine, type RgbImage } from '../engine/port.ts';
import { selectSubjectFace, type ImageTransform, type TransformContext } from './acquire.ts';

export interface Degradation {
  interEyePx?: number;
  blurSigma?: number;
  /** Length in pixels of a horizontal motion blur (box kernel), at the degraded scale. */
  motionPx?: number;
  /** Exposure change in stops; -2 = a quarter of the light. */
  exposureStops?: number;
  jpegQuality?: number;
  /** Place the degraded image in the centre of a mid-grey frame of this size (width, height), as a small face in a
   *  camera frame: measures detection of small faces in large frames, not only recognition of small faces. */
  canvas?: [number, number];
}

/** The subject's inter-eye distance in the undegraded image, or null when no face was found there. */
export type InterEyeOf = (context: TransformContext, image: RgbImage) => Promise<number | null>;

/** The subject face's inter-eye distance in the clean image: from a cache of the clean run when it has the
 *  image, else detected now (every chip overwritten once measured). */
export function subjectInterEye(engine: Pick<FaceEngine, 'detect'>, cached: (sha256: string) => number | null | undefined): InterEyeOf {
  return async ({ sha256 }, image) => {
    const known = cached(sha256);
    if (known !== undefined) return known;
    const faces = await engine.detect(image);
    const i = selectSubjectFace(faces.map((f) => f.box), image.width, image.height);
    const eye = faces[i]?.quality.interEyePx ?? null;
    for (const f of faces) wipe(f.chip.data);
    return eye;
  };
}

export function degradationId(d: Degradation): string {
  const parts = [
    d.interEyePx !== undefined ? `eye${d.interEyePx}` : '',
    d.motionPx ? `motion${d.motionPx}` : '',
    d.blurSigma ? `blur${d.blurSigma}` : '',
    d.exposureStops ? `ev${d.exposureStops}` : '',
    d.jpegQuality !== undefined ? `jpeg${d.jpegQuality}` : '', d.canvas ? `canvas${d.canvas[0]}x${d.canvas[1]}` : ''].filter(Boolean);
  return `degrade:${parts.join(',')}`;
}

export function validateDegradation(d: Degradation): void {
  if (d.interEyePx !== undefined && !(d.interEyePx >= 4 && d.interEyePx <= 1000)) throw new OpenLfrError('BAD_REQUEST', `--degrade-eye must be 4..1000 px (got ${d.interEyePx})`);
  if (d.blurSigma !== undefined && !(d.blurSigma >= 0 && d.blurSigma <= 50)) throw new OpenLfrError('BAD_REQUEST', `--degrade-blur must be 0..50 px (got ${d.blurSigma})`);
  if (d.jpegQuality !== undefined && !(Number.isInteger(d.jpegQuality) && d.jpegQuality >= 1 && d.jpegQuality <= 100))
    throw new OpenLfrError('BAD_REQUEST', `--degrade-jpeg must be an integer 1..100 (got ${d.jpegQuality})`);
  if (d.canvas && !d.canvas.every((v) => Number.isInteger(v) && v >= 16 && v <= 8192)) throw new OpenLfrError('BAD_REQUEST', `--degrade-canvas must be WIDTHxHEIGHT, 16..8192 each (got ${d.canvas.join('x')})`);
  if (d.motionPx !== undefined && !(Number.isInteger(d.motionPx) && d.motionPx >= 0 && d.motionPx <= 101)) throw new OpenLfrError('BAD_REQUEST', `--degrade-motion must be an integer 0..101 px (got ${d.motionPx})`);
  if (d.exposureStops !== undefined && !(d.exposureStops >= -8 && d.exposureStops <= 0)) throw new OpenLfrError('BAD_REQUEST', `--degrade-exposure must be -8..0 stops (got ${d.exposureStops})`);
  if (d.interEyePx === undefined && !d.blurSigma && d.jpegQuality === undefined && !d.motionPx && !d.exposureStops)
    throw new OpenLfrError('BAD_REQUEST', 'a degradation needs at least one of --degrade-eye, --degrade-blur, --degrade-motion, --degrade-exposure, --degrade-jpeg');
}

/** Applies the degradation to one image (pure apart from libvips). `sourceInterEye` null: the image is left at its size. */
export async function degradeImage(image: RgbImage, d: Degradation, sourceInterEye: number | null): Promise<RgbImage> {
  let pipeline = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } });
  if (d.interEyePx !== undefined && sourceInterEye !== null && sourceInterEye > d.interEyePx) {
    const f = d.interEyePx / sourceInterEye;
    const width = Math.max(16, Math.round(image.width * f));
    const height = Math.max(16, Math.round(image.height * f));
    // resize to a new raw buffer first, so blur and JPEG act at the degraded scale
    const small = await pipeline.resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    pipeline = sharp(small.data, { raw: { width: small.info.width, height: small.info.height, channels: 3 } });
  }
  if (d.motionPx && d.motionPx >= 2) {
    // a horizontal line kernel, in an odd square (sharp's convolve wants at least 3x3), one pass
    const k = d.motionPx % 2 === 1 ? d.motionPx : d.motionPx + 1;
    const kernel = new Array<number>(k * k).fill(0);
    const mid = (k - 1) / 2;
    for (let x = 0; x < d.motionPx; x++) kernel[mid * k + x + (k - d.motionPx)] = 1;
    const moved = await pipeline.convolve({ width: k, height: k, kernel, scale: d.motionPx }).raw().toBuffer({ resolveWithObject: true });
    pipeline = sharp(moved.data, { raw: { width: moved.info.width, height: moved.info.height, channels: 3 } });
  }
  if (d.blurSigma && d.blurSigma >= 0.3) pipeline = pipeline.blur(d.blurSigma);
  if (d.exposureStops) {
    const dark = await pipeline.linear(2 ** (d.exposureStops / 2.2), 0).raw().toBuffer({ resolveWithObject: true });
    pipeline = sharp(dark.data, { raw: { width: dark.info.width, height: dark.info.height, channels: 3 } });
  }
  if (d.jpegQuality !== undefined) {
    const jpeg = await pipeline.jpeg({ quality: d.jpegQuality, chromaSubsampling: '4:2:0' }).toBuffer();
    pipeline = sharp(jpeg);
  }
  if (d.canvas) {
    const cur = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const [W, H] = d.canvas;
    const left = Math.max(0, Math.floor((W - cur.info.width) / 2));
    const top = Math.max(0, Math.floor((H - cur.info.height) / 2));
    pipeline = sharp(cur.data, { raw: { width: cur.info.width, height: cur.info.height, channels: 3 } }).extend({
      left,
      top,
      right: Math.max(0, W - cur.info.width - left),
      bottom: Math.max(0, H - cur.info.height - top),
      background: { r: 128, g: 128, b: 128 },
    });
  }
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function degradeTransform(d: Degradation, interEyeOf: InterEyeOf): ImageTransform {
  validateDegradation(d);
  return {
    id: degradationId(d),
    searchesOnly: true,
    apply: async (image, context) => degradeImage(image, d, d.interEyePx === undefined ? null : await interEyeOf(context, image)),
  };
}
