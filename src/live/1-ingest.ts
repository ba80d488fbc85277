/**
 * Stage 1, ingest: video files, RTSP/HTTP streams (through ffmpeg) and folders of stills, decoded to
 * raw RGB frames in memory. Frames never touch disk. ffmpeg is the system one when installed,
 * otherwise the static binary shipped in the npm package @ffmpeg-installer/linux-x64.
 *
 * Back-pressure: in `asap` mode (files for tests and benchmarks) the reader pauses while the
 * pipeline is busy; in `realtime` mode (cameras, or files played at their own speed with -re) frames
 * that arrive while the queue is full are dropped and counted, so memory stays flat.
 */
import { spawn, spawnSync } from 'node:child_process';
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
  image: RgbImage;
}

export interface SourceStats {
  framesDecoded: number;
  framesDropped: number;
  reconnects: number;
  /** Set when the source ended because of an error (corrupt or truncated file, lost stream). */
  error?: string;
}

export interface FrameSource extends AsyncIterable<Frame> {
  readonly label: string;
  readonly stats: SourceStats;
  stop(): void;
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
  /** Streams: reconnect after a drop, with exponential back-off up to this many attempts. */
  maxReconnects?: number;
  /** Scale frames down so they are at most this wide (0 = native). */
  maxWidth?: number;
}

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
  async waitForSpace(): Promise<void> {
    while (this.full && !this.ended) await new Promise<void>((r) => this.spaceWaiters.push(r));
  }
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w(null);
    for (const w of this.spaceWaiters.splice(0)) w();
  }
  async next(): Promise<Frame | null> {
    const f = this.items.shift();
    this.spaceWaiters.shift()?.();
    if (f) return f;
    if (this.ended) return null;
    return new Promise((r) => this.waiters.push(r));
  }
}

export async function openVideo(src: string, options: VideoSourceOptions = {}): Promise<FrameSource> {
  const info = await probeVideo(src);
  const pace = options.pace ?? (isStream(src) ? 'realtime' : 'asap');
  const scale = options.maxWidth && info.width > options.maxWidth ? options.maxWidth / info.width : 1;
  const width = Math.round((info.width * scale) / 2) * 2;
  const height = Math.round((info.height * scale) / 2) * 2;
  const frameBytes = width * height * 3;
  const stats: SourceStats = { framesDecoded: 0, framesDropped: 0, reconnects: 0 };
  const queue = new FrameQueue(options.queue ?? 4);
  let stopped = false;
  let child: ReturnType<typeof spawn> | null = null;

  const runOnce = async (startIndex: number): Promise<{ ok: boolean; stderr: string; frames: number }> => {
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
    if (pace === 'realtime' && !isStream(src)) args.push('-re');
    if (/^rtsps?:/i.test(src)) args.push('-rtsp_transport', 'tcp');
    if (isStream(src)) args.push('-rw_timeout', '10000000');
    args.push('-i', src, '-an', '-sn', '-dn');
    if (scale !== 1) args.push('-vf', `scale=${width}:${height}`);
    args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
    const proc = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
    let buf = Buffer.allocUnsafe(frameBytes);
    let filled = 0;
    let frames = 0;
    for await (const chunk of proc.stdout! as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        chunk.copy(buf, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          const index = startIndex + frames++;
          stats.framesDecoded++;
          const frame: Frame = { index, ptsSec: index / info.fps, decodedAt: performance.now(), image: { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset, frameBytes) } };
          if (pace === 'realtime' && queue.full) {
            stats.framesDropped++;
            buf.fill(0); // a dropped frame is overwritten before its memory is reused
          } else {
            if (pace === 'asap') await queue.waitForSpace();
            queue.push(frame);
            buf = Buffer.allocUnsafe(frameBytes);
          }
          filled = 0;
          if (stopped) break;
        }
      }
      if (stopped) break;
    }
    if (stopped) proc.kill('SIGKILL');
    const code = await exited;
    buf.fill(0);
    return { ok: code === 0 && !/error|invalid|corrupt/i.test(stderr), stderr, frames };
  };

  const pump = async () => {
    let index = 0;
    let attempt = 0;
    try {
      for (;;) {
        const r = await runOnce(index);
        index += r.frames;
        if (stopped) break;
        if (r.ok && !isStream(src)) break;
        if (!isStream(src)) {
          stats.error = `${src}: ${r.frames + index === 0 ? 'not decodable' : 'decoding stopped early'} (${lastLine(r.stderr) || 'ffmpeg failed'})`;
          break;
        }
        // a live stream dropped: reconnect with exponential back-off
        if (r.frames > 0) attempt = 0;
        if (attempt >= (options.maxReconnects ?? 8)) {
          stats.error = `${src}: stream lost after ${stats.reconnects} reconnects (${lastLine(r.stderr)})`;
          break;
        }
        await sleep(Math.min(30_000, 500 * 2 ** attempt++));
        if (stopped) break;
        stats.reconnects++;
      }
    } catch (err) {
      stats.error = `${src}: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      queue.end();
    }
  };
  let started = false;

  return {
    label: src,
    stats,
    stop() {
      stopped = true;
      child?.kill('SIGKILL');
      queue.end();
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
        // the consumer stopped early (break, error): end ffmpeg too
        stopped = true;
        child?.kill('SIGKILL');
        queue.end();
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
  const stats: SourceStats = { framesDecoded: 0, framesDropped: 0, reconnects: 0 };
  let stopped = false;
  return {
    label: dir,
    stats,
    stop() {
      stopped = true;
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
    },
  };
}
