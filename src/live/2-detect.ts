/**
 * Stage 2, detect: sample frames at the analysed rate and run detection on the shared engine pool,
 * several frames in flight, results handed on in frame order (the tracker needs order).
 * When every slot is busy: in `asap` mode wait; in `realtime` mode drop the frame and count it.
 */
import type { Face, FaceEngine } from '../engine/port.ts';
import type { Frame } from './1-ingest.ts';

export interface DetectedFrame {
  frame: Frame;
  faces: Face[];
}

export interface DetectStats {
  framesAnalysed: number;
  framesSkipped: number;
  framesDropped: number;
  facesDetected: number;
}

export async function* detectFrames(
  frames: AsyncIterable<Frame>,
  engine: FaceEngine & { size?: number },
  opts: { analysedFps: number; pace: 'asap' | 'realtime'; inflight?: number; stats: DetectStats },
): AsyncGenerator<DetectedFrame> {
  const inflight = Math.max(1, opts.inflight ?? (engine.size ?? 1) * 2);
  const interval = 1 / opts.analysedFps;
  let nextAt = 0;
  const pending: Array<Promise<DetectedFrame>> = [];
  for await (const frame of frames) {
    if (frame.ptsSec + 1e-6 < nextAt) {
      opts.stats.framesSkipped++;
      frame.image.data.fill(0); // not analysed: overwritten at once
      continue;
    }
    nextAt = Math.max(nextAt + interval, frame.ptsSec + interval * 0.5);
    if (pending.length >= inflight) {
      if (opts.pace === 'realtime') {
        opts.stats.framesDropped++;
        frame.image.data.fill(0);
        continue;
      }
      yield await pending.shift()!;
    }
    opts.stats.framesAnalysed++;
    pending.push(
      engine.detect(frame.image).then((faces) => {
        opts.stats.facesDetected += faces.length;
        return { frame, faces };
      }),
    );
    // hand on every result that is already complete, in order
    while (pending.length && (await isSettled(pending[0]!))) yield await pending.shift()!;
  }
  while (pending.length) yield await pending.shift()!;
}

const settled = Symbol('settled');
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  return (await Promise.race([p.then(() => settled, () => settled), Promise.resolve(null)])) === settled;
}
