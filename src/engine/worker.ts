/**
 * One engine worker (a thread or a child process): holds its own engine instance (no shared module
 * state) and answers requests from the pool. Errors go back as serialised OpenLfrErrors; the worker
 * never dies on bad input.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineConfig } from '../config.ts';
import { serialiseError } from '../errors.ts';
import { createLocalEngine } from './adapters.ts';
import type { Face, FaceEngine, RgbImage, DetectOptions } from './port.ts';

export type WorkerJob = { op: 'detect' | 'analyse'; image: RgbImage; options?: DetectOptions } | { op: 'embed'; face: Face };
/** Control messages: end after the work in hand (close), or die as a bug would (tests of the pool's recovery). */
export type WorkerControl = { op: 'shutdown' } | { op: 'crash' };
export type WorkerRequest = WorkerJob & { id: number };

export type WorkerResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ReturnType<typeof serialiseError> };

/** The channel to the pool: a worker thread's port, or a child process's IPC (advanced serialisation). */
interface Channel {
  postMessage(m: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(f: (m: WorkerRequest | WorkerControl) => void): void;
}
const port: Channel = parentPort
  ? { postMessage: (m, t) => parentPort!.postMessage(m, t), onMessage: (f) => void parentPort!.on('message', f) }
  : { postMessage: (m) => void process.send!(m), onMessage: (f) => void process.on('message', f as (m: unknown) => void) };
// a child process whose parent is gone has no one to answer: end it
if (!parentPort) process.on('disconnect', () => process.exit(0));
const { config } = (parentPort ? workerData : JSON.parse(process.env.OPENLFR_ENGINE_WORKER ?? '{}')) as { config: EngineConfig };

let engine: FaceEngine;
try {
  engine = await createLocalEngine(config);
  port.postMessage({ ready: true, id: engine.id, info: engine.info });
} catch (err) {
  port.postMessage({ ready: false, error: serialiseError(err) });
  process.exit(1);
}

/** Collect the ArrayBuffers of face chips and embeddings so they are moved, not copied. */
function transferables(result: unknown): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const visit = (v: unknown) => {
    if (v instanceof Float32Array || v instanceof Uint8Array) {
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !out.includes(v.buffer)) out.push(v.buffer);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(result);
  return out;
}

/** The work in hand: a native inference must never be interrupted (terminating a thread inside
 *  onnxruntime aborts the whole process), so shutdown and crash wait for it. */
let busy: Promise<unknown> = Promise.resolve();
/** Set by shutdown or crash: no new inference starts after it. */
let ending = false;

port.onMessage((msg) => {
  if (msg.op === 'shutdown') {
    ending = true;
    void busy.finally(async () => {
      await engine.close().catch(() => undefined);
      process.exit(0);
    });
    return;
  }
  if (msg.op === 'crash') {
    ending = true;
    void busy.finally(() =>
      setImmediate(() => {
        throw new Error('simulated engine worker crash');
      }),
    );
    return;
  }
  if (ending) return; // the pool fails this request when the thread exits
  busy = handle(msg);
});

async function handle(msg: WorkerRequest): Promise<void> {
  try {
    let result: unknown;
    if (msg.op === 'detect') result = await engine.detect(msg.image, msg.options);
    else if (msg.op === 'analyse') result = await engine.analyse(msg.image, msg.options);
    else if (msg.op === 'embed') result = await engine.embed(msg.face);
    port.postMessage({ id: msg.id, ok: true, result } satisfies WorkerResponse, transferables(result));
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: serialiseError(err) } satisfies WorkerResponse);
  }
}
