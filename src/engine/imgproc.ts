/**
 * The few image operations the engines need, written by hand because they run on raw in-memory
 * frames inside worker threads (no encode/decode round trip): letterboxed resize into a model's
 * input tensor, crop-and-resize to grey, similarity alignment (least squares, Umeyama) with
 * bilinear warping, and the quality statistics.
 */
import type { Point, RgbImage } from './port.ts';

/** Resize `src` to exactly w x h: area average when shrinking by more than 2x, bilinear otherwise. */
export function resizeRgb(src: RgbImage, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  const sd = src.data;
  const sw = src.width;
  const sx = src.width / w;
  const sy = src.height / h;
  if (sx > 2 || sy > 2) {
    for (let y = 0; y < h; y++) {
      const y0 = Math.floor(y * sy);
      const y1 = Math.max(y0 + 1, Math.min(src.height, Math.floor((y + 1) * sy)));
      for (let x = 0; x < w; x++) {
        const x0 = Math.floor(x * sx);
        const x1 = Math.max(x0 + 1, Math.min(src.width, Math.floor((x + 1) * sx)));
        let r = 0;
        let g = 0;
        let b = 0;
        for (let yy = y0; yy < y1; yy++) {
          let p = (yy * sw + x0) * 3;
          for (let xx = x0; xx < x1; xx++, p += 3) {
            r += sd[p]!;
            g += sd[p + 1]!;
            b += sd[p + 2]!;
          }
        }
        const n = (y1 - y0) * (x1 - x0);
        const o = (y * w + x) * 3;
        out[o] = r / n;
        out[o + 1] = g / n;
        out[o + 2] = b / n;
      }
    }
  } else {
    for (let y = 0; y < h; y++) {
      const fy = Math.min(src.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(src.height - 1, y0 + 1);
      const wy = fy - y0;
      for (let x = 0; x < w; x++) {
        const fx = Math.min(src.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(src.width - 1, x0 + 1);
        const wx = fx - x0;
        const p00 = (y0 * sw + x0) * 3;
        const p01 = (y0 * sw + x1) * 3;
        const p10 = (y1 * sw + x0) * 3;
        const p11 = (y1 * sw + x1) * 3;
        const o = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) {
          const top = sd[p00 + c]! + (sd[p01 + c]! - sd[p00 + c]!) * wx;
          const bot = sd[p10 + c]! + (sd[p11 + c]! - sd[p10 + c]!) * wx;
          out[o + c] = top + (bot - top) * wy + 0.5;
        }
      }
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Copy the W x H window at (x0, y0) of `src` into a CHW float tensor normalised as (v - mean) / std;
 * pixels outside `src` become 0 (the normalised mean).
 */
export function windowToTensor(src: RgbImage, x0: number, y0: number, W: number, H: number, mean: number, std: number): Float32Array {
  const plane = W * H;
  const t = new Float32Array(3 * plane);
  const inv = 1 / std;
  const sd = src.data;
  for (let y = 0; y < H; y++) {
    const sy = y + y0;
    if (sy < 0 || sy >= src.height) continue;
    for (let x = 0; x < W; x++) {
      const sx = x + x0;
      if (sx < 0 || sx >= src.width) continue;
      const p = (sy * src.width + sx) * 3;
      const o = y * W + x;
      t[o] = (sd[p]! - mean) * inv;
      t[o + plane] = (sd[p + 1]! - mean) * inv;
      t[o + 2 * plane] = (sd[p + 2]! - mean) * inv;
    }
  }
  return t;
}

/** Crop the rectangle (clamped to the image) and resize it to size x size grey values in [0,1) (v/256). */
export function cropGreyTensor(src: RgbImage, x: number, y: number, w: number, h: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const sd = src.data;
  const sw = src.width;
  for (let j = 0; j < size; j++) {
    const fy = Math.min(src.height - 1, Math.max(0, y + ((j + 0.5) * h) / size - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let i = 0; i < size; i++) {
      const fx = Math.min(src.width - 1, Math.max(0, x + ((i + 0.5) * w) / size - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const wx = fx - x0;
      let v = 0;
      for (const [px, py, wgt] of [
        [x0, y0, (1 - wx) * (1 - wy)],
        [x1, y0, wx * (1 - wy)],
        [x0, y1, (1 - wx) * wy],
        [x1, y1, wx * wy],
      ] as const) {
        const p = (py * sw + px) * 3;
        v += wgt * (0.299 * sd[p]! + 0.587 * sd[p + 1]! + 0.114 * sd[p + 2]!);
      }
      out[j * size + i] = v / 256;
    }
  }
  return out;
}

/**
 * The region [x, y, w, h] of `src` (clamped to it, edges in pixel-edge coordinates) shrunk by the integer
 * factor f, each output pixel the mean of an f x f block; `ox, oy` is the region's origin in `src`.
 * Bilinear sampling reads 4 pixels per output pixel: when a face hundreds of pixels wide is brought down to a
 * 64 or 112 pixel model input, it would read a sparse, aliased sample of the skin and hair texture (a studio
 * portrait's face scored 0.08 against the same woman, issue 15). Averaging blocks first removes the detail
 * the model cannot see at its input size anyway.
 */
export function shrinkRegion(src: RgbImage, x: number, y: number, w: number, h: number, f: number): { image: RgbImage; ox: number; oy: number } {
  const ox = Math.max(0, Math.floor(x));
  const oy = Math.max(0, Math.floor(y));
  const ex = Math.min(src.width, Math.ceil(x + w));
  const ey = Math.min(src.height, Math.ceil(y + h));
  const ow = Math.max(1, Math.floor((ex - ox) / f));
  const oh = Math.max(1, Math.floor((ey - oy) / f));
  const out = new Uint8Array(ow * oh * 3);
  const sd = src.data;
  const sw = src.width;
  for (let j = 0; j < oh; j++) {
    const y0 = oy + j * f;
    const y1 = Math.min(src.height, y0 + f);
    for (let i = 0; i < ow; i++) {
      const x0 = ox + i * f;
      const x1 = Math.min(src.width, x0 + f);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = y0; yy < y1; yy++) {
        let p = (yy * sw + x0) * 3;
        for (let xx = x0; xx < x1; xx++, p += 3) {
          r += sd[p]!;
          g += sd[p + 1]!;
          b += sd[p + 2]!;
        }
      }
      const n = Math.max(1, (y1 - y0) * (x1 - x0));
      const o = (j * ow + i) * 3;
      out[o] = r / n + 0.5;
      out[o + 1] = g / n + 0.5;
      out[o + 2] = b / n + 0.5;
    }
  }
  return { image: { width: ow, height: oh, data: out }, ox, oy };
}

/** `cropGreyTensor`, with the region first shrunk by block averaging when it is over twice the output size. */
export function cropGreyTensorAntialiased(src: RgbImage, x: number, y: number, w: number, h: number, size: number): Float32Array {
  const f = Math.floor(Math.min(w, h) / size);
  if (f < 2) return cropGreyTensor(src, x, y, w, h, size);
  const { image, ox, oy } = shrinkRegion(src, x, y, w, h, f);
  try {
    return cropGreyTensor(image, (x - ox) / f, (y - oy) / f, w / f, h / f, size);
  } finally {
    image.data.fill(0);
  }
}

/**
 * `warpAffine`, with the source first shrunk by block averaging when the transform shrinks it by 2x or
 * more (the face's region only; the transform is adjusted so the output is the same chip, without aliasing).
 */
export function warpAffineAntialiased(src: RgbImage, m: Affine, w: number, h: number): RgbImage {
  const [a, b, tx, c, d, ty] = m;
  const scale = Math.hypot(a, c); // output pixels per source pixel
  const f = Math.floor(1 / scale);
  if (f < 2) return warpAffine(src, m, w, h);
  // the output rectangle's corners in source coordinates: the region to shrink
  const det = a * d - b * c;
  const corners = [
    [0, 0],
    [w, 0],
    [0, h],
    [w, h],
  ].map(([u, v]) => {
    const du = u! - tx;
    const dv = v! - ty;
    return [(d * du - b * dv) / det, (-c * du + a * dv) / det] as const;
  });
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const x0 = Math.min(...xs) - 2 * f;
  const y0 = Math.min(...ys) - 2 * f;
  const { image, ox, oy } = shrinkRegion(src, x0, y0, Math.max(...xs) + 2 * f - x0, Math.max(...ys) + 2 * f - y0, f);
  // source pixel centre ox + (f-1)/2 + f*u' is the shrunk image's pixel u'
  const cx = ox + (f - 1) / 2;
  const cy = oy + (f - 1) / 2;
  try {
    return warpAffine(image, [a * f, b * f, a * cx + b * cy + tx, c * f, d * f, c * cx + d * cy + ty], w, h);
  } finally {
    image.data.fill(0);
  }
}

/** 2x3 affine matrix [a, b, tx, c, d, ty]: dst = [a b; c d] * src + t. */
export type Affine = [number, number, number, number, number, number];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation) mapping `src` points onto
 * `dst` points (Umeyama 1991, 2-D closed form).
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  let msx = 0;
  let msy = 0;
  let mdx = 0;
  let mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i]![0];
    msy += src[i]![1];
    mdx += dst[i]![0];
    mdy += dst[i]![1];
  }
  msx /= n;
  msy /= n;
  mdx /= n;
  mdy /= n;
  let sxx = 0; // sum of (dst . src) terms for the rotation
  let sxy = 0;
  let varS = 0;
  for (let i = 0; i < n; i++) {
    const ax = src[i]![0] - msx;
    const ay = src[i]![1] - msy;
    const bx = dst[i]![0] - mdx;
    const by = dst[i]![1] - mdy;
    sxx += ax * bx + ay * by;
    sxy += ax * by - ay * bx;
    varS += ax * ax + ay * ay;
  }
  const a = sxx / varS; // s*cos
  const b = sxy / varS; // s*sin
  return [a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy)];
}

/** Warp `src` into a w x h RGB image through the inverse of `m` (dst = m * src), bilinear, black outside. */
export function warpAffine(src: RgbImage, m: Affine, w: number, h: number): RgbImage {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const out = new Uint8Array(w * h * 3);
  const sd = src.data;
  const sw = src.width;
  const sh = src.height;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - tx;
      const dy = y - ty;
      const fx = ia * dx + ib * dy;
      const fy = ic * dx + id * dy;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const o = (y * w + x) * 3;
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) continue;
      const wx = fx - x0;
      const wy = fy - y0;
      for (let ch = 0; ch < 3; ch++) {
        const v00 = x0 >= 0 && y0 >= 0 ? sd[(y0 * sw + x0) * 3 + ch]! : 0;
        const v01 = x0 + 1 < sw && y0 >= 0 ? sd[(y0 * sw + x0 + 1) * 3 + ch]! : 0;
        const v10 = x0 >= 0 && y0 + 1 < sh ? sd[((y0 + 1) * sw + x0) * 3 + ch]! : 0;
        const v11 = x0 + 1 < sw && y0 + 1 < sh ? sd[((y0 + 1) * sw + x0 + 1) * 3 + ch]! : 0;
        const top = v00 + (v01 - v00) * wx;
        const bot = v10 + (v11 - v10) * wx;
        out[o + ch] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width: w, height: h, data: out };
}

/** Mirror an image left-right (test-time augmentation). */
export function flipHorizontal(src: RgbImage): RgbImage {
  const out = new Uint8Array(src.data.length);
  const w = src.width;
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = (y * w + (w - 1 - x)) * 3;
      out[d] = src.data[s]!;
      out[d + 1] = src.data[s + 1]!;
      out[d + 2] = src.data[s + 2]!;
    }
  }
  return { width: w, height: src.height, data: out };
}

/** Mean grey level and variance of the 4-neighbour Laplacian (a standard sharpness measure). */
export function greyStats(img: RgbImage): { brightness: number; sharpness: number } {
  const { width: w, height: h, data } = img;
  const g = new Float32Array(w * h);
  let sum = 0;
  for (let i = 0, p = 0; i < w * h; i++, p += 3) {
    const v = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
    g[i] = v;
    sum += v;
  }
  let n = 0;
  let s1 = 0;
  let s2 = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = g[i - 1]! + g[i + 1]! + g[i - w]! + g[i + w]! - 4 * g[i]!;
      s1 += lap;
      s2 += lap * lap;
      n++;
    }
  }
  const mean = n ? s1 / n : 0;
  return { brightness: sum / (w * h), sharpness: n ? s2 / n - mean * mean : 0 };
}

export function l2normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
  return v;
}
