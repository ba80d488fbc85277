/**
 * `openlfr inspect`: what the engine saw in one image, drawn for a person to look at (issue 15). For
 * evaluators working on public or test images: the detector boxes, the five alignment points (and the full
 * landmark set when the engine has one), the aligned chips the embedder was given, and the quality figures.
 *
 * This module renders in memory only (sharp, an SVG overlay composited on the image); the command decides
 * where the files go. Nothing is put in the OpenLFR store and nothing is audited as a biometric access,
 * because nothing is kept by OpenLFR: the files the command writes are the operator's own.
 */
import sharp from 'sharp';
import type { AnalysedFace, FaceEngine, Point, RgbImage } from '../engine/port.ts';
import { wipe } from '../engine/port.ts';

export interface InspectedFace {
  index: number;
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks5: Point[];
  landmarkCount: number;
  quality: AnalysedFace['face']['quality'];
  /** Length of the embedder's raw output (ONNX engine), a quality signal; null when the engine has none. */
  embeddingNorm: number | null;
}

export interface Inspection {
  engine: string;
  width: number;
  height: number;
  faces: InspectedFace[];
  /** The image with boxes, points and face numbers drawn on it (PNG). */
  overlayPng: Buffer;
  /** Each face's aligned chip, enlarged `CHIP_ZOOM` times with nearest-neighbour pixels so they stay visible (PNG). */
  chipPngs: Buffer[];
}

const CHIP_ZOOM = 3;
/** The five points in the order of `landmarks5`: left eye, right eye, nose, left and right mouth corner. */
const POINT_COLOURS = ['#00e5ff', '#00e5ff', '#ffea00', '#ff4081', '#ff4081'];

const raw = (img: RgbImage) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
const r1 = (x: number) => Math.round(x * 10) / 10;

/** The SVG overlay: one box per face with its number and score, the 5 points large, the others small. */
export function overlaySvg(width: number, height: number, faces: AnalysedFace[]): string {
  const u = Math.max(1, Math.round(Math.max(width, height) / 400)); // stroke unit that stays visible on big images
  const parts: string[] = [];
  for (const [i, { face }] of faces.entries()) {
    const { x, y, width: w, height: h } = face.box;
    parts.push(`<rect x="${r1(x)}" y="${r1(y)}" width="${r1(w)}" height="${r1(h)}" fill="none" stroke="#00ff00" stroke-width="${2 * u}"/>`);
    parts.push(
      `<text x="${r1(x)}" y="${r1(Math.max(12 * u, y - 3 * u))}" font-family="sans-serif" font-size="${12 * u}" fill="#00ff00" stroke="#000" stroke-width="${0.3 * u}">#${i + 1} ${face.score.toFixed(3)}</text>`,
    );
    for (const [px, py] of face.landmarks ?? []) parts.push(`<circle cx="${r1(px)}" cy="${r1(py)}" r="${u}" fill="#ffffff"/>`);
    for (const [k, [px, py]] of face.landmarks5.entries())
      parts.push(`<circle cx="${r1(px)}" cy="${r1(py)}" r="${2.5 * u}" fill="${POINT_COLOURS[k]}" stroke="#000" stroke-width="${0.5 * u}"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export async function inspectImage(engine: FaceEngine, image: RgbImage): Promise<Inspection> {
  const analysed = await engine.analyse(image);
  try {
    const overlayPng = await raw(image)
      .composite([{ input: Buffer.from(overlaySvg(image.width, image.height, analysed)), top: 0, left: 0 }])
      .png()
      .toBuffer();
    const chipPngs: Buffer[] = [];
    for (const { face } of analysed)
      chipPngs.push(await raw(face.chip).resize(face.chip.width * CHIP_ZOOM, face.chip.height * CHIP_ZOOM, { kernel: 'nearest' }).png().toBuffer());
    const faces = analysed.map(({ face, embeddingNorm }, i) => ({
      index: i + 1,
      box: { x: r1(face.box.x), y: r1(face.box.y), width: r1(face.box.width), height: r1(face.box.height) },
      score: Math.round(face.score * 1000) / 1000,
      landmarks5: face.landmarks5.map(([x, y]) => [r1(x), r1(y)] as Point),
      landmarkCount: face.landmarks?.length ?? 5,
      quality: face.quality,
      embeddingNorm: embeddingNorm ?? null,
    }));
    return { engine: engine.id, width: image.width, height: image.height, faces, overlayPng, chipPngs };
  } finally {
    // the templates are not wanted here: nothing is compared, nothing is kept
    for (const a of analysed) {
      wipe(a.embedding);
      wipe(a.face.chip.data);
    }
  }
}
