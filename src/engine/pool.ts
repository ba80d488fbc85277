/**
 * A pool of engine workers, one engine instance each, shared by every caller (cameras, enrolment,
 * evaluation, search). The pool itself implements FaceEngine, so callers never know whether they talk
 * to one worker or many. A worker that dies is replaced and only its own request fails.
 *
 * Workers are threads or child processes (`engine.isolation`). Both scale on this 2-core machine
 * (`openlfr bench engine`: 165 faces/s with 2 threads, 151 with 2 processes; 1.73x and 1.78x one
 * worker). The ONNX engine runs in child processes by default all the same: a native fault inside
 * onnxruntime (we saw one abort the whole process when a thread was terminated mid-inference) then
 * costs one worker, which is replaced, instead of the server with every camera on it. Human's
 * WebAssembly backend has no native code and runs in threads.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EngineConfig } from '../config.ts';
import { OpenLfrError, reviveError } from '../errors.ts';
import type { AnalysedFace, DetectOptions, EngineInfo, Face, FaceEngine, RgbImage } from './port.ts';
import type { WorkerJob, WorkerResponse } from './worker.ts';
import { checkImage } from './common.ts';
import { fileURLToPath } from 'node:url';

const WORKER_URL = new URL('./worker-entry.mjs', import.meta.url);
const MAX_RESTARTS = 10;

interface Task {
  request: WorkerJob;
  transfer: ArrayBuffer[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** A thread or a child process, behind one small interface. */
interface WorkerHandle {
  post(msg: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(f: (m: unknown) => void): void;
  onError(f: (e: Error) => void): void;
  onExit(f: (code: number | null) => void): void;
  kill(): Promise<void>;
}

function threadWorker(config: EngineConfig): WorkerHandle {
  const w = new Worker(WORKER_URL, { workerData: { config }, execArgv: [] });
  return {
    post: (m, t) => w.postMessage(m, t),
    onMessage: (f) => void w.on('message', f),
    onError: (f) => void w.on('error', f),
    onExit: (f) => void w.on('exit', f),
    kill: async () => void (await w.terminate()),
  };
}

function processWorker(config: EngineConfig): WorkerHandle {
  const c: ChildProcess = fork(fileURLToPath(WORKER_URL), [], {
    serialization: 'advanced', // typed arrays cross as such
    execArgv: [],
    env: { ...process.env, OPENLFR_ENGINE_WORKER: JSON.stringify({ config }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (config.workerNice > 0 && c.pid) {
    try {
      setPriority(c.pid, config.workerNice);
    } catch {
      /* not permitted here: the worker keeps the server's priority */
    }
  }
  return {
    post: (m) => void c.send(m as never),
    onMessage: (f) => void c.on('message', f),
    onError: (f) => void c.on('error', f),
    onExit: (f) => void c.on('exit', (code) => f(code)),
    kill: async () => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}

export function isolationOf(config: EngineConfig): 'thread' | 'process' {
  return config.isolation === 'auto' ? (config.name === 'onnx' ? 'process' : 'thread') : config.isolation;
}

interface Slot {
  worker: WorkerHandle;
  task: (Task & { id: number }) | null;
}

export class EnginePool implements FaceEngine {
  id = '';
  info: EngineInfo = { name: '', dims: 0, models: [], provenance: '' };
  private readonly slots: Slot[] = [];
  /** Every live worker, ready or still loading, so close() can end them all. */
  private readonly workers = new Set<WorkerHandle>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private restarts = 0;
  private closed = false;

  private constructor(
    private readonly config: EngineConfig,
    readonly size: number,
  ) {}

  /** Start `size` workers (default: config.engine.workers) and wait until every one has loaded its models. */
  static async start(config: EngineConfig, size = config.workers): Promise<EnginePool> {
    const pool = new EnginePool(config, size);
    // A native addon that is not context-aware cannot be loaded again in a new thread once every
    // thread that loaded it has ended ("Module did not self-register"). Holding it in the main thread
    // keeps the library resident, so replacement workers and later pools can load it.
    if (config.name === 'onnx' && isolationOf(config) === 'thread') await import('onnxruntime-node');
    try {
      await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Requests waiting or running: callers use it for back-pressure (drop frames rather than queue them). */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.task).length;
  }

  detect(image: RgbImage, options?: DetectOptions): Promise<Face[]> {
    return this.submitImage('detect', image, options) as Promise<Face[]>;
  }

  analyse(image: RgbImage, options?: DetectOptions): Promise<AnalysedFace[]> {
    return this.submitImage('analyse', image, options) as Promise<AnalysedFace[]>;
  }

  embed(face: Face): Promise<Float32Array> {
    if (face.engineId !== this.id)
      return Promise.reject(new OpenLfrError('ENGINE_FACE_FOREIGN', `face was detected by ${face.engineId}, not ${this.id}`));
    const chip = { width: face.chip.width, height: face.chip.height, data: Uint8Array.from(face.chip.data) };
    return this.submit({ op: 'embed', face: { ...face, chip } }, [chip.data.buffer as ArrayBuffer]) as Promise<Float32Array>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new OpenLfrError('ENGINE_CLOSED'));
    // Ask every worker to finish the inference in hand and exit by itself: terminating a thread in the
    // middle of a native onnxruntime call aborts the whole process. terminate() is only the fallback.
    const exits = [...this.workers].map(
      (w) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(() => void w.kill().then(() => resolve()), 10_000);
          w.onExit(() => {
            clearTimeout(t);
            resolve();
          });
          w.post({ op: 'shutdown' });
        }),
    );
    await Promise.all(exits);
    for (const s of this.slots.splice(0)) s.task?.reject(new OpenLfrError('ENGINE_CLOSED'));
    this.workers.clear();
  }

  private submitImage(op: 'detect' | 'analyse', image: RgbImage, options?: DetectOptions): Promise<unknown> {
    try {
      checkImage(image);
    } catch (e) {
      return Promise.reject(e);
    }
    // Copy into a buffer we own and move it to the worker: the caller may reuse its frame buffer.
    const data = Uint8Array.from(image.data);
    return this.submit({ op, image: { width: image.width, height: image.height, data }, ...(options ? { options } : {}) }, [
      data.buffer as ArrayBuffer,
    ]);
  }

  private submit(request: WorkerJob, transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new OpenLfrError('ENGINE_CLOSED'));
    return new Promise((resolve, reject) => {
      const task = { request, transfer, resolve, reject };
      // An embedding is the last step before a possible alert, and there are few of them: it goes ahead
      // of waiting detections, so alert latency does not grow with the number of cameras.
      if (request.op === 'embed') {
        const i = this.queue.findIndex((t) => t.request.op !== 'embed');
        this.queue.splice(i < 0 ? this.queue.length : i, 0, task);
      } else this.queue.push(task);
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || this.queue.length === 0) continue;
      const task = this.queue.shift()!;
      const id = this.nextId++;
      slot.task = { ...task, id };
      slot.worker.post({ ...task.request, id }, task.transfer);
    }
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = isolationOf(this.config) === 'process' ? processWorker(this.config) : threadWorker(this.config);
      this.workers.add(worker);
      const slot: Slot = { worker, task: null };
      let ready = false;
      worker.onMessage((raw) => {
        const msg = raw as WorkerResponse | { ready: boolean; id?: string; info?: EngineInfo; error?: unknown };
        if ('ready' in msg) {
          if (!msg.ready) return reject(reviveError(msg.error));
          if (this.closed) {
            void worker.kill();
            return reject(new OpenLfrError('ENGINE_CLOSED'));
          }
          if (this.id && msg.id !== this.id) return reject(new OpenLfrError('ENGINE_WORKER_FAILED', `worker engine id ${msg.id} != ${this.id}`));
          this.id = msg.id!;
          this.info = msg.info!;
          ready = true;
          this.slots.push(slot);
          resolve();
          this.pump();
          return;
        }
        const task = slot.task;
        if (!task || task.id !== msg.id) return;
        slot.task = null;
        if (msg.ok) task.resolve(msg.result);
        else task.reject(reviveError(msg.error));
        this.pump();
      });
      const fail = (err: Error) => {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        if (!ready) return reject(err instanceof OpenLfrError ? err : new OpenLfrError('ENGINE_WORKER_FAILED', err.message));
        slot.task?.reject(new OpenLfrError('ENGINE_WORKER_FAILED', `engine worker died: ${err.message}`));
        slot.task = null;
        if (this.closed) return;
        if (++this.restarts > MAX_RESTARTS) {
          for (const t of this.queue.splice(0)) t.reject(new OpenLfrError('ENGINE_WORKER_FAILED', 'engine workers keep failing; pool stopped'));
          return;
        }
        this.spawn().catch(() => undefined);
      };
      worker.onError(fail);
      worker.onExit((code) => {
        this.workers.delete(worker);
        if (!this.closed) fail(new Error(`exit code ${code}`));
      });
    });
  }

  /** Test hook: make one worker die as a bug would (after the inference in hand). */
  crashOneWorkerForTest(): void {
    this.slots[0]?.worker.post({ op: 'crash' });
  }
}
