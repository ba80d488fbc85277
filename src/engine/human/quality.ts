/**
 * Quality measures as defined by the engine port (src/engine/port.ts, FaceQuality), written so
 * any adapter can use them: geometry from the five landmarks, sharpness and brightness from the
 * aligned chip. (Kept in the Human adapter's folder until a shared src/engine/quality.ts exists.)
 */
import type { Point, RgbImage } from '../port.ts';

/** Side of the square grey image sharpness is measured on, so chips of different sizes compare. */
export const QUALITY_SIDE = 112;

export function mean(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p[0];
    y += p[1];
  }
  return [x / points.length, y / points.length];
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(b[0] - a[0], b[1] - a[1]);
}

/** In-plane roll: angle of the line from the image-left eye to the image-right eye, in degrees. */
export function rollDegrees(leftEye: Point, rightEye: Point): number {
  return (Math.atan2(rightEye[1] - leftEye[1], rightEye[0] - leftEye[0]) * 180) / Math.PI;
}

/** ITU-R BT.601 luma of an RGB image, as floats 0..255. */
export function greyOf(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = 0.299 * d[j]! + 0.587 * d[j + 1]! + 0.114 * d[j + 2]!;
  return out;
}

/** Area-average resize of a grey image (each output pixel averages the source pixels it covers). */
export function resizeGrey(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  if (w === outW && h === outH) return src;
  const out = new Float32Array(outW * outH);
  const sx = w / outW;
  const sy = h / outH;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let wsum = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += src[y * w + x]! * wx * wy;
          wsum += wx * wy;
        }
      }
      out[oy * outW + ox] = wsum > 0 ? sum / wsum : 0;
    }
  }
  return out;
}

/** Variance of the 4-neighbour Laplacian over the interior pixels of a grey image. */
export function laplacianVariance(grey: Float32Array, w: number, h: number): number {
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v = grey[i - w]! + grey[i + w]! + grey[i - 1]! + grey[i + 1]! - 4 * grey[i]!;
      sum += v;
      sq += v * v;
      n++;
    }
  }
  const m = sum / n;
  return sq / n - m * m;
}

/**
 * Sharpness (variance of the Laplacian) and brightness (mean luma) of an aligned chip, measured on
 * its grey version resized to QUALITY_SIDE x QUALITY_SIDE so that engines with different chip sizes
 * report comparable figures.
 */
export function chipQuality(chip: RgbImage): { sharpness: number; brightness: number } {
  const grey = resizeGrey(greyOf(chip), chip.width, chip.height, QUALITY_SIDE, QUALITY_SIDE);
  let s = 0;
  for (const v of grey) s += v;
  return { sharpness: laplacianVariance(grey, QUALITY_SIDE, QUALITY_SIDE), brightness: s / grey.length };
}
