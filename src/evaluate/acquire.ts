/**
 * Acquisition: every image of a run through the engine once (or from the template cache), keeping the
 * outcome, failures included. All cores are used through the engine's worker pool: enough images are kept
 * in flight to keep every worker busy.
 *
 * The subject's face in an image with several faces: among the faces whose box contains the image centre,
 * the largest; if no box contains the centre, the largest face. (LFW images are cropped around the subject,
 * so the subject's face covers the centre; background faces rarely do.)
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { Box, FaceEngine, RgbImage, AnalysedFace } from '../engine/port.ts';
import { wipe } from '../engine/port.ts';
import { isOpenLfrError } from '../errors.ts';
import type { Template, TemplateCache } from './cache.ts';
import type { DatasetImage } from './dataset.ts';

/** Picks the subject's face (see the module comment); -1 when there is none. */
export function selectSubjectFace(boxes: readonly Box[], width: number, height: number): number {
  const cx = width / 2;
  const cy = height / 2;
  let best = -1;
  let bestCentral = false;
  let bestArea = -1;
  boxes.forEach((b, i) => {
    const central = b.x <= cx && cx <= b.x + b.width && b.y <= cy && cy <= b.y + b.height;
    const area = b.width * b.height;
    if ((central && !bestCentral) || (central === bestCentral && area > bestArea)) {
      best = i;
      bestCentral = central;
      bestArea = area;
    }
  });
  return best;
}

export type DecodeImage = (bytes: Uint8Array) => Promise<RgbImage>;

/** An optional change applied to each decoded image before analysis (for example a degradation); its id goes into the cache key. */
export interface ImageTransform {
  readonly id: string;
  /** Leave watchlist entries as they are and change searches only (they are acquired without the transform). */
  readonly searchesOnly?: boolean;
  apply(image: RgbImage, context: TransformContext): RgbImage | Promise<RgbImage>;
}

/** What a transform may know about the image it changes. */
export interface TransformContext {
  /** SHA-256 of the image file. */
  sha256: string;
}

export interface AcquiredImage {
  readonly image: DatasetImage;
  readonly sha256: string;
  readonly template: Template;
}

export interface AcquireOptions {
  engine: Pick<FaceEngine, 'analyse'>;
  decode: DecodeImage;
  cache: TemplateCache;
  /** Images in flight at once; twice the engine's workers keeps them all busy. */
  concurrency: number;
  transform?: ImageTransform;
  onProgress?: (done: number, total: number, fromCache: number) => void;
  /** Read an image file (injected for tests). */
  readBytes?: (path: string) => Promise<Uint8Array>;
  /** Persist the cache after this many newly analysed images, so an interrupted run keeps its work (default 1000). */
  flushEvery?: number;
}

export interface AcquireResult {
  images: Map<string, AcquiredImage>;
  fromCache: number;
  analysed: number;
}

function templateOf(faces: AnalysedFace[], image: RgbImage): Template {
  const i = selectSubjectFace(
    faces.map((f) => f.face.box),
    image.width,
    image.height,
  );
  const chosen = faces[i];
  const t: Template = chosen
    ? {
        status: 'face',
        faces: faces.length,
        embedding: Float32Array.from(chosen.embedding),
        box: [chosen.face.box.x, chosen.face.box.y, chosen.face.box.width, chosen.face.box.height],
        detectorScore: chosen.face.score,
        interEyePx: chosen.face.quality.interEyePx,
        quality: {
          yawDeg: chosen.face.quality.yawDeg,
          pitchDeg: chosen.face.quality.pitchDeg,
          sharpness: chosen.face.quality.sharpness,
          brightness: chosen.face.quality.brightness,
          embeddingNorm: chosen.embeddingNorm ?? null,
        },
      }
    : { status: 'no-face', faces: 0, embedding: null, box: null, detectorScore: null, interEyePx: null };
  for (const f of faces) {
    wipe(f.face.chip.data);
    wipe(f.embedding);
  }
  return t;
}

/** Acquires every image (deduplicated by content), from the cache where possible. */
export async function acquireAll(images: readonly DatasetImage[], options: AcquireOptions): Promise<AcquireResult> {
  const read = options.readBytes ?? ((p: string) => readFile(p));
  const out = new Map<string, AcquiredImage>();
  const pending = new Map<string, Promise<Template>>(); // same content in two files: analysed once
  let next = 0;
  let done = 0;
  let fromCache = 0;
  let analysed = 0;
  let sinceFlush = 0;

  const analyse = async (bytes: Uint8Array, sha256: string): Promise<Template> => {
    let decoded: RgbImage;
    try {
      decoded = await options.decode(bytes);
      if (options.transform) {
        const original = decoded;
        decoded = await options.transform.apply(original, { sha256 });
        if (decoded !== original) wipe(original.data);
      }
    } catch (e) {
      if (isOpenLfrError(e)) return { status: 'unreadable', faces: 0, embedding: null, box: null, detectorScore: null, interEyePx: null };
      throw e;
    }
    try {
      const faces = await options.engine.analyse(decoded);
      analysed++;
      return templateOf(faces, decoded);
    } catch (e) {
      // the engine refusing this image (too small, no face) is a failure to acquire; anything else stops the run
      if (isOpenLfrError(e) && e.code.startsWith('IMAGE_')) return { status: 'no-face', faces: 0, embedding: null, box: null, detectorScore: null, interEyePx: null };
      throw e;
    } finally {
      wipe(decoded.data);
    }
  };

  const worker = async () => {
    while (next < images.length) {
      const im = images[next++]!;
      const bytes = await read(im.abs);
      const sha = createHash('sha256').update(bytes).digest('hex');
      let template = options.cache.get(sha);
      if (template) fromCache++;
      else {
        let p = pending.get(sha);
        if (!p) {
          p = analyse(bytes, sha);
          pending.set(sha, p);
        }
        template = await p;
        options.cache.set(sha, template);
        if (++sinceFlush >= (options.flushEvery ?? 1000)) {
          sinceFlush = 0;
          await options.cache.flush();
        }
      }
      out.set(im.key, { image: im, sha256: sha, template });
      options.onProgress?.(++done, images.length, fromCache);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, images.length)) }, worker));
  return { images: out, fromCache, analysed };
}

/** Dataset fingerprint: SHA-256 of the sorted lines "<key>\t<content sha256>". */
export function datasetFingerprint(acquired: Iterable<AcquiredImage>): string {
  const lines = [...acquired].map((a) => `${a.image.key}\t${a.sha256}\n`).sort();
  const h = createHash('sha256');
  for (const l of lines) h.update(l);
  return h.digest('hex');
}
