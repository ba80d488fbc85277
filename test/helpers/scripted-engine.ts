/** A scripted FaceEngine for unit tests: each detect() returns the faces planned for it. */
import type { AnalysedFace, Face, FaceEngine, FaceQuality, RgbImage } from '../../src/engine/port.ts';

export const GOOD_QUALITY: FaceQuality = { interEyePx: 80, yawDeg: 3, pitchDeg: -2, rollDeg: 1, sharpness: 300, brightness: 120 };

export function fakeFace(engineId: string, quality: Partial<FaceQuality> = {}, seed = 1): Face {
  return {
    engineId,
    box: { x: 10, y: 10, width: 100, height: 120 },
    landmarks5: [[40, 50], [80, 50], [60, 70], [45, 90], [75, 90]],
    score: 0.99,
    quality: { ...GOOD_QUALITY, ...quality },
    chip: { width: 2, height: 2, data: new Uint8Array(12).fill(seed) },
  };
}

export class FakeEngine implements FaceEngine {
  readonly info = { name: 'fake', dims: 4, models: [], provenance: 'unit-test fake' };
  private queue: Face[][] = [];
  closed = false;
  constructor(readonly id = 'fake:test=000000000000') {}
  /** The faces the next detect() will return. */
  plan(...faces: Face[][]): void {
    this.queue.push(...faces);
  }
  async detect(_image: RgbImage): Promise<Face[]> {
    return this.queue.shift() ?? [fakeFace(this.id)];
  }
  async embed(face: Face): Promise<Float32Array> {
    const v = new Float32Array([face.chip.data[0]!, 1, 2, 3]);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  }
  async analyse(image: RgbImage): Promise<AnalysedFace[]> {
    const faces = await this.detect(image);
    return Promise.all(faces.map(async (face) => ({ face, embedding: await this.embed(face) })));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
