/**
 * A fake engine for the evaluation runner's unit tests: an "image" file is JSON naming its faces (box and
 * embedding), so every score is known in advance. Real-engine runs are in test/medium.
 */
import type { AnalysedFace, FaceEngine, RgbImage } from '../../src/engine/port.ts';
import { OpenLfrError } from '../../src/errors.ts';

interface FakeFace {
  box: [number, number, number, number];
  emb: number[];
}
const faces = new WeakMap<RgbImage, FakeFace[]>();

export function fakeImageFile(list: FakeFace[], size = 100): string {
  return JSON.stringify({ size, faces: list });
}

/** A unit vector in `dims` dimensions at angle `deg` from the first axis towards axis `axis`. */
export function unit(dims: number, axis: number, deg = 90): number[] {
  const v = new Array<number>(dims).fill(0);
  const r = (deg * Math.PI) / 180;
  v[0] = Math.cos(r);
  v[axis] = (v[axis] ?? 0) + Math.sin(r);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export async function fakeDecode(bytes: Uint8Array): Promise<RgbImage> {
  let parsed: { size: number; faces: FakeFace[] };
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OpenLfrError('IMAGE_UNREADABLE');
  }
  const img: RgbImage = { width: parsed.size, height: parsed.size, data: new Uint8Array(3) };
  faces.set(img, parsed.faces);
  return img;
}

export class FakeEngine implements FaceEngine {
  readonly id: string;
  readonly info;
  calls = 0;
  constructor(dims = 4, name = 'fake') {
    this.info = { name, dims, models: [{ role: 'embedder', file: 'none', sha256: '0'.repeat(64) }], provenance: 'test fake' };
    this.id = `${name}:embedder=000000000000`;
  }
  async detect(): Promise<never[]> {
    return [];
  }
  async embed(): Promise<Float32Array> {
    throw new OpenLfrError('INTERNAL', 'not used');
  }
  async analyse(image: RgbImage): Promise<AnalysedFace[]> {
    this.calls++;
    return (faces.get(image) ?? []).map((f) => ({
      face: {
        engineId: this.id,
        box: { x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] },
        landmarks5: [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
        ],
        score: 0.99,
        quality: { interEyePx: f.box[2] / 2.5, yawDeg: 0, pitchDeg: 0, rollDeg: 0, sharpness: 100, brightness: 128 },
        chip: { width: 1, height: 1, data: new Uint8Array(3) },
      },
      embedding: Float32Array.from(f.emb),
    }));
  }
  async close(): Promise<void> {}
}
