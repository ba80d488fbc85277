/**
 * Multi-scale tiled detection for fixed-input detectors. A 320x240 detector sees a 1080p frame at 1/6
 * scale, where a face 60 px wide shrinks below the smallest anchor. So the frame is also looked at as
 * a pyramid: level k is the frame fitted into k overlapping detector windows per side (25% overlap).
 * Levels are built from the next larger one, so the full-resolution frame is read once.
 */
import { resizeRgb } from './imgproc.ts';
import type { RgbImage } from './port.ts';

export interface DetectionWindow {
  level: RgbImage;
  /** 1 for the whole-frame view, k for the k x k grid */
  grid: number;
  /** level pixels per source pixel */
  scale: number;
  /** window origin in level pixels (negative = padding) */
  x0: number;
  y0: number;
  /** the window's sides that lie inside the frame (detections touching them may be cut faces) */
  inner: { left: boolean; top: boolean; right: boolean; bottom: boolean };
}

const OVERLAP = 0.25;

/** Largest grid (1..maxGrid) that does not upscale the frame. */
export function autoGrid(width: number, height: number, tileW: number, tileH: number, maxGrid: number): number {
  let k = 1;
  for (let g = 2; g <= maxGrid; g++) {
    const span = g - OVERLAP * (g - 1);
    if (width >= tileW * span && height >= tileH * span * 0.75) k = g;
  }
  return k;
}

function positions(dim: number, tile: number): number[] {
  if (dim <= tile) return [-Math.floor((tile - dim) / 2)];
  const n = Math.ceil((dim - tile) / (tile * (1 - OVERLAP))) + 1;
  return Array.from({ length: n }, (_, i) => Math.round(((dim - tile) * i) / (n - 1)));
}

export function detectionWindows(src: RgbImage, tileW: number, tileH: number, grid: number): DetectionWindow[] {
  const out: DetectionWindow[] = [];
  let prev = src;
  for (let k = grid; k >= 1; k--) {
    const span = k - OVERLAP * (k - 1);
    const scale = Math.min((tileW * span) / src.width, (tileH * span) / src.height, 1);
    const w = Math.max(1, Math.round(src.width * scale));
    const h = Math.max(1, Math.round(src.height * scale));
    const level = w === prev.width && h === prev.height ? prev : resizeRgb(prev, w, h);
    prev = level;
    const xs = positions(w, tileW);
    const ys = positions(h, tileH);
    for (const y0 of ys)
      for (const x0 of xs)
        out.push({
          grid: k,
          level,
          scale: w / src.width,
          x0,
          y0,
          inner: { left: x0 > 0, top: y0 > 0, right: x0 + tileW < w, bottom: y0 + tileH < h },
        });
  }
  return out;
}
