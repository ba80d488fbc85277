/**
 * Stage 2, detect: sample frames at the analysed rate and run detection on the shared engine pool,
 * several frames in flight, results handed on in frame order (the tracker needs order).
 *
 * A reader task pulls frames from the source on its own, so the source is drained while the
 * later stages work on a result. When every detection slot is busy: in `asap` mode the reader
 * waits (nothing is lost, the source pauses); in `realtime` mode a frame that is early on its
 * camera's clock (a burst on connection) may wait until it would be late (LATE_MS), otherwise it is
 * dropped, overwritten and counted, so a camera is never queued behind a busy engine and what is
 * analysed stays current.
 */
import type { Face, FaceEngine } from '../engine/port.ts';
import { mayWaitMs, type Frame } from './1-ingest.ts';

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

interface Entry {
  frame: Frame;
  faces: Face[] | null;
  error: unknown;
  done: boolean;
}

export async function* detectFrames(
  frames: AsyncIterable<Frame> & { stop?(): void },
  engine: FaceEngine & { size?: number; pending?: number },
  opts: { analysedFps: number; pace: 'asap' | 'realtime'; inflight?: number; stats: DetectStats },
): AsyncGenerator<DetectedFrame> {
  const inflight = Math.max(1, opts.inflight ?? (engine.size ?? 1) * 2);
  // Real time, several cameras on one pool: besides this camera's own slots, the pool's queue as a whole is
  // kept short (three requests a worker), so that when the cameras ask for more than the engine can do the
  // excess is dropped here, at once and counted, rather than waiting in the pool and arriving late.
  const poolCap = (engine.size ?? 1) * 3;
  const full = () => busy >= inflight || (opts.pace === 'realtime' && engine.pending !== undefined && engine.pending >= poolCap);
  const interval = 1 / opts.analysedFps;
  const order: Entry[] = [];
  let busy = 0;
  let readerDone = false;
  let readerError: unknown = null;
  let closed = false;
  // one waiter at a time on each side: the consumer (results) and the reader (a free slot)
  let wakeConsumer: (() => void) | null = null;
  let wakeReader: (() => void) | null = null;
  const notify = () => {
    const c = wakeConsumer;
    wakeConsumer = null;
    c?.();
    const r = wakeReader;
    wakeReader = null;
    r?.();
  };

  const reader = (async () => {
    let nextAt = 0;
    try {
      for await (const frame of frames) {
        if (closed) {
          frame.image.data.fill(0);
          break;
        }
        if (frame.ptsSec + 1e-6 < nextAt) {
          opts.stats.framesSkipped++;
          frame.image.data.fill(0); // not analysed: overwritten at once
          continue;
        }
        nextAt = Math.max(nextAt + interval, frame.ptsSec + interval * 0.5);
        if (full()) {
          // real time: an early frame (a burst on connection) may wait for a slot until it is late
          if (opts.pace === 'realtime') {
            for (let wait = mayWaitMs(frame); full() && wait > 0 && !closed; wait = mayWaitMs(frame)) {
              await new Promise<void>((r) => {
                const t = setTimeout(r, Math.min(wait, 20)); // a slot in the shared pool frees without telling us
                wakeReader = () => {
                  clearTimeout(t);
                  r();
                };
              });
            }
            if (full()) {
              opts.stats.framesDropped++;
              frame.image.data.fill(0);
              continue;
            }
          }
          while (busy >= inflight && !closed) await new Promise<void>((r) => (wakeReader = r));
          if (closed) {
            frame.image.data.fill(0);
            break;
          }
        }
        opts.stats.framesAnalysed++;
        busy++;
        const e: Entry = { frame, faces: null, error: null, done: false };
        order.push(e);
        engine.detect(frame.image).then(
          (faces) => {
            opts.stats.facesDetected += faces.length;
            e.faces = faces;
          },
          (err: unknown) => (e.error = err),
        ).finally(() => {
          e.done = true;
          busy--;
          notify();
        });
      }
    } catch (err) {
      readerError = err;
    } finally {
      readerDone = true;
      notify();
    }
  })();

  try {
    for (;;) {
      const head = order[0];
      if (head?.done) {
        order.shift();
        if (head.error) throw head.error;
        yield { frame: head.frame, faces: head.faces! };
        continue;
      }
      if (!head && readerDone) break;
      await new Promise<void>((r) => (wakeConsumer = r));
    }
    if (readerError) throw readerError;
  } finally {
    // the consumer stopped (end, error, break): stop reading, wait for what is in flight, wipe it
    closed = true;
    if (!readerDone) frames.stop?.(); // a source waiting for its next frame ends now
    notify();
    await reader;
    for (const e of order.splice(0)) {
      while (!e.done) await new Promise<void>((r) => (wakeConsumer = r));
      e.frame.image.data.fill(0);
      for (const f of e.faces ?? []) f.chip.data.fill(0);
    }
  }
}
