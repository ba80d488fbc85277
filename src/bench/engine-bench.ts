/**
 * `openlfr bench engine`: end-to-end face throughput (decode excluded; detect + landmarks + align +
 * embed included) over real photos with several faces, for one worker and for the full pool, plus
 * detection latency per frame at 640 and 1280 pixels wide.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { EngineConfig } from '../config.ts';
import { EnginePool } from '../engine/pool.ts';
import type { RgbImage } from '../engine/port.ts';
import { readImageFile } from '../ingest/image.ts';

export const BENCH_IMAGES = [
  'group-photos/group-1.jpg',
  'group-photos/group-2.jpg',
  'group-photos/group-3.jpg',
  'group-photos/group-4.jpg',
  'group-photos/group-5.jpg',
  'group-photos/stock-group-1.jpg',
  'group-photos/stock-group-2.jpg',
  'group-photos/selfie-many-people.jpg',
  'facenet-clip/multiface.jpg',
  'bbt/group_photos/bbt1.jpg',
  'bbt/group_photos/bbt2.jpg',
  'hamilton/two_people.jpg',
];

export interface EngineBenchResult {
  engine: string;
  engineId: string;
  cores: number;
  workers: number;
  images: number;
  facesPerRound: number;
  seconds: number;
  facesPerSecond: number;
  facesPerSecondOneWorker: number;
  speedup: number;
  msPerFaceP50: number;
  msDetectPerFrameP50: { w640: number; w1280: number };
  loadAverage1m: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

async function resizeTo(img: RgbImage, width: number): Promise<RgbImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** Throughput of `pool` over `images` for at least `minSeconds`, keeping 2 requests per worker in flight. */
async function throughput(pool: EnginePool, images: RgbImage[], minSeconds: number): Promise<{ faces: number; seconds: number; rounds: number }> {
  const t0 = performance.now();
  let faces = 0;
  let rounds = 0;
  do {
    let next = 0;
    const runners = Array.from({ length: pool.size * 2 }, async () => {
      while (next < images.length) {
        // not `faces += await ...`: that reads `faces` before the await and loses the other runners' counts
        const found = (await pool.analyse(images[next++]!)).length;
        faces += found;
      }
    });
    await Promise.all(runners);
    rounds++;
  } while ((performance.now() - t0) / 1000 < minSeconds);
  return { faces, seconds: (performance.now() - t0) / 1000, rounds };
}

/** Median of per-call latency, one call at a time. */
async function latencies(images: RgbImage[], call: (img: RgbImage) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (const img of images) {
    const t = performance.now();
    const faces = await call(img);
    out.push((performance.now() - t) / Math.max(1, faces));
  }
  return out;
}

export async function runEngineBench(config: EngineConfig, datasets: string, opts: { workers?: number; seconds?: number } = {}): Promise<EngineBenchResult> {
  const workers = opts.workers ?? config.workers;
  const seconds = opts.seconds ?? 8;
  const images = await Promise.all(BENCH_IMAGES.map((f) => readImageFile(join(datasets, f))));

  // One worker: per-face latency and the single-worker throughput the speed-up is measured against.
  const one = await EnginePool.start(config, 1);
  let single;
  let perFace: number[];
  let detect640: number[];
  let detect1280: number[];
  try {
    await one.analyse(images[0]!); // warm-up
    single = await throughput(one, images, seconds);
    perFace = await latencies(images, async (i) => (await one.analyse(i)).length);
    const frame = async (i: RgbImage) => (await one.detect(i), 1);
    detect640 = await latencies(await Promise.all(images.map((i) => resizeTo(i, 640))), frame);
    detect1280 = await latencies(await Promise.all(images.map((i) => resizeTo(i, 1280))), frame);
  } finally {
    await one.close();
  }

  const pool = await EnginePool.start(config, workers);
  let multi;
  try {
    await Promise.all(images.slice(0, workers).map((i) => pool.analyse(i))); // warm-up every worker
    multi = await throughput(pool, images, seconds);
  } finally {
    await pool.close();
  }

  const fps1 = single.faces / single.seconds;
  const fpsN = multi.faces / multi.seconds;
  return {
    engine: pool.info.name,
    engineId: pool.id,
    cores: availableParallelism(),
    workers,
    images: images.length,
    facesPerRound: single.faces / single.rounds,
    seconds: round(single.seconds + multi.seconds),
    facesPerSecond: round(fpsN),
    facesPerSecondOneWorker: round(fps1),
    speedup: round(fpsN / fps1),
    msPerFaceP50: round(median(perFace)),
    msDetectPerFrameP50: { w640: round(median(detect640)), w1280: round(median(detect1280)) },
    loadAverage1m: round(loadavg()[0]!),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
