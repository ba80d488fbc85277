/**
 * Stage 1, ingest: video files, RTSP/HTTP streams (through ffmpeg) and folders of stills, decoded to
 * raw RGB frames in memory. Frames never touch disk. ffmpeg is the system one when installed,
 * otherwise the static binary shipped in the npm package @ffmpeg-installer/linux-x64.
 *
 * Back-pressure: in `asap` mode (files for tests and benchmarks) the reader pauses while the
 * pipeline is busy; in `realtime` mode (cameras, or files played at their own speed with -re) frames
 * that arrive while the queue is full are dropped and counted, so memory stays flat and the decoder
 * never waits for the pipeline (a camera's frames are never queued behind it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenLfrError } from '../errors.ts';
import type { RgbImage } from '../engine/port.ts';
import { readImageFile, type ImageLimits } from '../ingest/image.ts';

export interface Frame {
  /** Decoded frame number from the start of the source (counting dropped frames). */
  index: number;
  /** Media time of the frame in seconds. */
  ptsSec: number;
  /** performance.now() when the frame was decoded (alert latency is measured from here). */
  decodedAt: number;
  /** Real-time sources: performance.now() at which the frame is due on the camera's clock. A frame that
   *  arrives early (a camera or server sending a burst on connection) may wait for the pipeline; one more
   *  than LATE_MS past its time is dropped instead. */
  dueAt?: number;
  image: RgbImage;
}

/** How late a real-time frame may be and still wait for a free slot rather than be dropped. */
export const LATE_MS = 150;

/** Real time: may this frame still wait for the pipeline (ms it may wait; 0 = drop it now)? */
export function mayWaitMs(frame: Frame): number {
  return frame.dueAt === undefined ? 0 : Math.max(0, frame.dueAt + LATE_MS - performance.now());
}

/**
 * A source's health: `connecting` (first connection not yet delivering), `up` (frames arriving),
 * `down` (lost, refused or hung; being retried with back-off), `ended` (a file or folder played to
 * its end), `failed` (gave up: a broken file, or a stream past its reconnection limit), `stopped`.
 */
export type SourceState = 'connecting' | 'up' | 'down' | 'ended' | 'failed' | 'stopped';

export interface SourceStats {
  framesDecoded: number;
  framesDropped: number;
  reconnects: number;
  state: SourceState;
  /** Date.now() when the state last changed. */
  since: number;
  /** The last reason a connection was lost or refused (kept after recovery, for the record). */
  lastError?: string;
  /** Set when the source ended because of an error (corrupt or truncated file, lost stream). */
  error?: string;
  /** Streams decimated by ffmpeg: how far the last frame was behind the camera, in seconds. */
  lagSec?: number;
  /** Times the stream was rejoined at its live edge because the decoder fell behind. */
  catchUps?: number;
}

export interface FrameSource extends AsyncIterable<Frame> {
  readonly label: string;
  readonly stats: SourceStats;
  stop(): void;
  /** Called on every change of state, with the reason for `down` and `failed`. */
  onState?(fn: (state: SourceState, detail?: string) => void): void;
}

let ffmpegPath: string | undefined;
/** The ffmpeg binary: the system one when on PATH, else the one shipped in an npm package. */
export function resolveFfmpeg(): string {
  if (ffmpegPath) return ffmpegPath;
  const sys = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  if (sys.status === 0) return (ffmpegPath = 'ffmpeg');
  try {
    const p = createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/ffmpeg');
    if (existsSync(p)) return (ffmpegPath = p);
  } catch {
    /* fall through */
  }
  throw new OpenLfrError('VIDEO_UNREADABLE', 'no ffmpeg found: install Debian package ffmpeg or run npm ci');
}

export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  durationSec: number | null;
}

const isStream = (src: string) => /^(rtsp|rtsps|rtmp|http|https|udp|tcp|srt):\/\//i.test(src);

/** Read width, height, frame rate and duration from ffmpeg's stream description (asynchronously: the
 *  source may be served by this very process, as in tests). */
export async function probeVideo(src: string): Promise<VideoInfo> {
  if (!isStream(src) && !existsSync(src)) throw new OpenLfrError('NOT_FOUND', `${src}: no such video`);
  const proc = spawn(resolveFfmpeg(), ['-hide_banner', '-nostdin', ...(isStream(src) ? ['-rw_timeout', '10000000'] : []), '-i', src], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  await new Promise((r) => proc.on('close', r));
  clearTimeout(timer);
  const v = /Stream #\S+.*Video: .*?(\d{2,5})x(\d{2,5})/.exec(err);
  if (!v) throw new OpenLfrError('VIDEO_UNREADABLE', `${src}: no decodable video stream (${lastLine(err)})`);
  const fps = /(\d+(?:\.\d+)?) fps/.exec(err) ?? /(\d+(?:\.\d+)?) tbr/.exec(err);
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(err);
  return {
    width: Number(v[1]),
    height: Number(v[2]),
    fps: fps ? Number(fps[1]) : 25,
    durationSec: d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null,
  };
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 200);
}

export interface VideoSourceOptions {
  /** `asap`: read as fast as the pipeline takes frames (no drops). `realtime`: drop when behind. */
  pace?: 'asap' | 'realtime';
  /** Frames held between the reader and the pipeline. */
  queue?: number;
  /** Streams: reconnect after a drop or a failed connection, with exponential back-off, at most this
   *  many times in a row (default: for ever, until stopped; a live deployment's camera never gives up). */
  maxReconnects?: number;
  /** Back-off between reconnection attempts: starts at `minMs`, doubles, capped at `maxMs`. */
  backoff?: { minMs: number; maxMs: number };
  /** A connection that delivers no frame for this long is treated as hung: killed and reconnected. */
  stallSec?: number;
  /** Scale frames down so they are at most this wide (0 = native). */
  maxWidth?: number;
  /** Let ffmpeg hand over only this many frames per second (the analysed rate): the frames the
   *  pipeline would skip are never converted to RGB nor copied through the pipe. */
  outputFps?: number;
  /** Files: start this many seconds in (a restarted camera resumes where it stopped). */
  startAtSec?: number;
  /** Streams with `outputFps`: when the decoder falls this far behind the camera (CPU short), the
   *  stream is rejoined at its live edge and the frames in between are counted as dropped. */
  maxLagSec?: number;
  /** Largest frame accepted from the decoder, in pixels (an absurd stream is refused, not allocated). */
  maxPixels?: number;
}

const DEFAULTS = { queue: 4, backoff: { minMs: 500, maxMs: 30_000 }, stallSec: 15, maxPixels: 8192 * 8192, maxLagSec: 3 };

/** A bounded hand-over queue between a producer and the pipeline. */
class FrameQueue {
  private items: Frame[] = [];
  private waiters: Array<(f: Frame | null) => void> = [];
  private spaceWaiters: Array<() => void> = [];
  ended = false;
  constructor(private readonly cap: number) {}
  get full(): boolean {
    return this.items.length >= this.cap;
  }
  push(f: Frame): void {
    const w = this.waiters.shift();
    if (w) w(f);
    else this.items.push(f);
  }
  /** Wait until there is room (or until `timeoutMs` has passed). */
  async waitForSpace(timeoutMs = Infinity): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (this.full && !this.ended) {
      const left = until - performance.now();
      if (left <= 0) return;
      await new Promise<void>((r) => {
        const t = Number.isFinite(left) ? setTimeout(r, left) : null;
        this.spaceWaiters.push(() => {
          if (t) clearTimeout(t);
          r();
        });
      });
    }
  }
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w(null);
    for (const w of this.spaceWaiters.splice(0)) w();
  }
  /** Stopped: what was not handed over is overwritten and dropped. */
  discard(): void {
    this.end();
    for (const f of this.items.splice(0)) f.image.data.fill(0);
  }
  async next(): Promise<Frame | null> {
    const f = this.items.shift();
    this.spaceWaiters.shift()?.();
    if (f) return f;
    if (this.ended) return null;
    return new Promise((r) => this.waiters.push(r));
  }
}

/**
 * Splits ffmpeg's `image2pipe` PPM output into frames. Each frame carries its own size in a short
 * header (`P6 <w> <h> 255`), so no probe is needed before a stream is opened, and a camera that
 * changes resolution mid-stream is followed.
 */
export class PpmSplitter {
  private head = Buffer.alloc(0);
  private body: Buffer | null = null;
  private filled = 0;
  private width = 0;
  private height = 0;
  constructor(
    private readonly maxPixels: number,
    private readonly onFrame: (width: number, height: number, data: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (!this.body) {
        const take = Math.min(64 - this.head.length, chunk.length - off);
        this.head = Buffer.concat([this.head, chunk.subarray(off, off + take)]);
        off += take;
        const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(this.head.toString('latin1'));
        if (!m) {
          if (this.head.length >= 64) throw new OpenLfrError('VIDEO_UNREADABLE', 'the decoder sent something that is not a frame');
          continue;
        }
        const w = Number(m[1]);
        const h = Number(m[2]);
        if (!(w > 0 && h > 0) || w * h > this.maxPixels || m[3] !== '255')
          throw new OpenLfrError('VIDEO_UNREADABLE', `a ${w}x${h} frame is larger than the ${this.maxPixels}-pixel limit or not 8-bit`);
        this.width = w;
        this.height = h;
        this.body = Buffer.allocUnsafe(w * h * 3);
        this.filled = 0;
        const head = this.head;
        this.head = Buffer.alloc(0);
        if (head.length > m[0].length) this.push(head.subarray(m[0].length));
        head.fill(0); // it held the first bytes of the picture too
        continue;
      }
      const n = Math.min(this.body.length - this.filled, chunk.length - off);
      chunk.copy(this.body, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === this.body.length) {
        const body = this.body;
        this.body = null;
        this.onFrame(this.width, this.height, body);
      }
    }
  }

  /** Overwrite a partly received frame (the connection ended mid-frame). */
  wipe(): void {
    this.body?.fill(0);
    this.body = null;
    this.head.fill(0);
    this.head = Buffer.alloc(0);
  }
}

/** ffmpeg's last useful error line, without its noise. */
function reason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Input|Output|Stream|Duration|Metadata|Press|frame=)/i.test(l));
  return (lines[lines.length - 1] ?? '').slice(0, 200);
}

/**
 * A video file, or a camera stream (RTSP, HTTP, ...), decoded by ffmpeg into RGB frames in memory.
 *
 * Streams are not probed before they are opened (a second connection breaks single-client camera
 * servers, and a camera that is down must not fail the deployment's start): the first connection
 * is the one that delivers frames. A stream's frames are time-stamped by the wall clock; a lost,
 * refused or hung connection (no frame for `stallSec`) is retried with back-off for as long as the
 * source is not stopped, and each change of state (`connecting` -> `up` -> `down` -> `up` ...) is
 * reported to `onState` listeners. Files are probed (for their frame rate) and play once.
 */
export async function openVideo(src: string, options: VideoSourceOptions = {}): Promise<FrameSource> {
  const stream = isStream(src);
  const info = stream ? null : await probeVideo(src);
  const pace = options.pace ?? (stream ? 'realtime' : 'asap');
  const outFps = options.outputFps && options.outputFps > 0 ? options.outputFps : null;
  const fps = outFps ?? info?.fps ?? 25;
  const backoff = options.backoff ?? DEFAULTS.backoff;
  const maxReconnects = options.maxReconnects ?? (stream ? Infinity : 0);
  const stallMs = (options.stallSec ?? DEFAULTS.stallSec) * 1000;
  const maxPixels = options.maxPixels ?? DEFAULTS.maxPixels;
  const startAt = !stream && options.startAtSec && options.startAtSec > 0 ? options.startAtSec : 0;
  const stats: SourceStats = { framesDecoded: 0, framesDropped: 0, reconnects: 0, state: 'connecting', since: Date.now() };
  const listeners: Array<(s: SourceState, detail?: string) => void> = [];
  const setState = (s: SourceState, detail?: string) => {
    if (detail) stats.lastError = detail;
    if (s === stats.state) return;
    stats.state = s;
    stats.since = Date.now();
    for (const l of listeners) l(s, detail);
  };
  const queue = new FrameQueue(options.queue ?? DEFAULTS.queue);
  const stopper = new AbortController();
  let child: ChildProcess | null = null;
  const t0 = performance.now();
  let lastPts = -Infinity;
  let rejoining = false;
  const maxLagSec = options.maxLagSec ?? DEFAULTS.maxLagSec;

  const filters: string[] = [];
  if (outFps) filters.push(`fps=${outFps}`);
  if (options.maxWidth) filters.push(`scale=w='min(iw,${options.maxWidth})':h=-2`);

  const runOnce = async (startIndex: number): Promise<{ code: number | null; stderr: string; frames: number; stalled: boolean; lagging: boolean }> => {
    const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
    if (pace === 'realtime' && !stream) args.push('-re');
    if (/^rtsps?:/i.test(src)) args.push('-rtsp_transport', 'tcp', '-timeout', '10000000');
    else if (stream) args.push('-rw_timeout', '10000000');
    // a live stream is read as it comes: a short probe (not ffmpeg's 5 s) and no input buffering
    if (stream) args.push('-analyzeduration', '1000000', '-probesize', '2000000', '-fflags', 'nobuffer');
    if (startAt) args.push('-ss', String(startAt));
    args.push('-i', src, '-an', '-sn', '-dn');
    if (filters.length) args.push('-vf', filters.join(','));
    args.push('-c:v', 'ppm', '-f', 'image2pipe', 'pipe:1');
    const proc = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 8000) stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
    let frames = 0;
    let lastFrameAt = performance.now();
    let stalled = false;
    let lagging = false;
    let connBase = NaN; // set at the connection's first frame (after ffmpeg has read the stream's header)
    const watchdog = setInterval(() => {
      if (performance.now() - lastFrameAt > stallMs) {
        stalled = true;
        proc.kill('SIGKILL');
      }
    }, Math.min(1000, stallMs / 2));
    const handOver: Frame[] = [];
    const splitter = new PpmSplitter(maxPixels, (width, height, data) => {
      const index = startIndex + frames++;
      lastFrameAt = performance.now();
      stats.framesDecoded++;
      // Files: media time. Streams decimated by ffmpeg (outputFps): the nominal time of the frame on a
      // clock that starts at the connection; its distance behind the wall clock is the decoder's lag.
      // Streams at their own rate: the wall clock.
      let ptsSec: number;
      if (!stream) ptsSec = startAt + index / fps;
      else if (outFps) {
        if (Number.isNaN(connBase)) {
          connBase = Math.max((lastFrameAt - t0) / 1000, lastPts + 1 / fps);
          // rejoined after falling behind: the frames the camera sent meanwhile were skipped, and count as dropped
          if (rejoining) stats.framesDropped += Math.max(0, Math.round((connBase - lastPts) * outFps) - 1);
          rejoining = false;
        }
        const nominal = connBase + (frames - 1) / outFps;
        stats.lagSec = Math.max(0, (lastFrameAt - t0) / 1000 - nominal);
        ptsSec = nominal;
      } else ptsSec = (lastFrameAt - t0) / 1000;
      lastPts = ptsSec;
      const dueAt = pace !== 'realtime' ? undefined : stream ? (outFps ? t0 + ptsSec * 1000 : lastFrameAt) : t0 + (ptsSec - startAt) * 1000;
      handOver.push({ index, ptsSec, decodedAt: lastFrameAt, ...(dueAt !== undefined ? { dueAt } : {}), image: { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) } });
    });
    try {
      for await (const chunk of proc.stdout! as AsyncIterable<Buffer>) {
        splitter.push(chunk);
        chunk.fill(0); // the decoder's bytes are frames: copied out, then overwritten
        if (outFps && stream && (stats.lagSec ?? 0) > maxLagSec) {
          // The decoder fell behind its camera (CPU short): rejoin the stream at its live edge rather
          // than analyse ever older frames; what was skipped is counted as dropped.
          lagging = true;
          stats.lagSec = 0;
          for (const f of handOver.splice(0)) {
            stats.framesDropped++; // decoded, never analysed
            f.image.data.fill(0);
          }
          break;
        }
        for (const frame of handOver.splice(0)) {
          if (stats.state !== 'up') setState('up');
          if (pace === 'realtime' && queue.full) await queue.waitForSpace(mayWaitMs(frame));
          if (pace === 'realtime' && queue.full) {
            stats.framesDropped++;
            frame.image.data.fill(0); // a dropped frame is overwritten at once
          } else {
            if (pace === 'asap') await queue.waitForSpace();
            if (stopper.signal.aborted) frame.image.data.fill(0);
            else queue.push(frame);
          }
        }
        if (stopper.signal.aborted) break;
      }
    } catch (err) {
      stderr += `\n${err instanceof Error ? err.message : String(err)}`;
    } finally {
      clearInterval(watchdog);
      splitter.wipe();
      for (const f of handOver.splice(0)) f.image.data.fill(0);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    const code = await exited;
    return { code, stderr, frames, stalled, lagging };
  };
  const pump = async () => {
    let index = 0;
    let attempt = 0;
    try {
      for (;;) {
        const r = await runOnce(index);
        index += r.frames;
        if (stopper.signal.aborted) break;
        const failed = r.code !== 0 || r.stalled || /error|invalid|corrupt/i.test(r.stderr);
        if (!stream) {
          if (failed) {
            stats.error = `${src}: ${index === 0 ? 'not decodable' : 'decoding stopped early'} (${reason(r.stderr) || 'ffmpeg failed'})`;
            setState('failed', stats.error);
          } else setState('ended');
          break;
        }
        if (r.lagging) {
          rejoining = true;
          stats.reconnects++;
          stats.catchUps = (stats.catchUps ?? 0) + 1;
          continue; // straight back, at the live edge
        }
        // a live stream ended, dropped, was refused or hung: reconnect with exponential back-off
        const why = r.stalled ? `no frame for ${stallMs / 1000} s: connection hung` : reason(r.stderr) || (r.code === 0 ? 'the stream ended' : `ffmpeg exit ${r.code}`);
        setState('down', why);
        if (r.frames > 0) attempt = 0;
        if (attempt >= maxReconnects) {
          stats.error = `${src}: stream lost after ${stats.reconnects} reconnects (${why})`;
          setState('failed', stats.error);
          break;
        }
        try {
          await sleep(Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt++), undefined, { signal: stopper.signal });
        } catch {
          break; // stopped while waiting
        }
        stats.reconnects++;
      }
    } catch (err) {
      stats.error = `${src}: ${err instanceof Error ? err.message : String(err)}`;
      setState('failed', stats.error);
    } finally {
      if (stopper.signal.aborted && stats.state !== 'failed') setState('stopped');
      queue.end();
    }
  };
  let started = false;
  const stop = () => {
    stopper.abort();
    child?.kill('SIGKILL');
    queue.discard();
  };

  return {
    label: src,
    stats,
    stop,
    onState(fn) {
      listeners.push(fn);
    },
    async *[Symbol.asyncIterator]() {
      if (!started) {
        started = true;
        void pump();
      }
      try {
        for (;;) {
          const f = await queue.next();
          if (!f) return;
          yield f;
        }
      } finally {
        stop(); // the consumer stopped early (break, error): end ffmpeg too
      }
    },
  };
}

/** A folder of still images, played as frames at `fps`. Unreadable images are counted, not fatal. */
export function openStills(dir: string, limits: ImageLimits, fps = 1): FrameSource {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new OpenLfrError('NOT_FOUND', `${dir}: no such folder`);
  const files = readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort();
  const stats: SourceStats = { framesDecoded: 0, framesDropped: 0, reconnects: 0, state: 'up', since: Date.now() };
  let stopped = false;
  return {
    label: dir,
    stats,
    stop() {
      stopped = true;
      if (stats.state === 'up') Object.assign(stats, { state: 'stopped', since: Date.now() });
    },
    async *[Symbol.asyncIterator]() {
      for (const [i, f] of files.entries()) {
        if (stopped) return;
        try {
          const image = await readImageFile(join(dir, f), limits);
          stats.framesDecoded++;
          yield { index: i, ptsSec: i / fps, decodedAt: performance.now(), image };
        } catch {
          stats.framesDropped++;
        }
      }
      if (stats.state === 'up') Object.assign(stats, { state: 'ended', since: Date.now() });
    },
  };
}
