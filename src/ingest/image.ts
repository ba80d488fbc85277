/**
 * Ingest for stills: bytes -> RgbImage (8-bit sRGB, interleaved) through sharp/libvips.
 * Handles JPEG, PNG, WebP (whatever the file is called), EXIF orientation, greyscale, alpha and 16-bit.
 * Every way a file can be bad ends in a typed OpenLfrError; nothing reaches disk.
 */
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { OpenLfrError } from '../errors.ts';
import type { RgbImage } from '../engine/port.ts';

export interface ImageLimits {
  /** Largest decoded size in pixels (width x height); a decompression bomb is refused before decoding. */
  maxPixels: number;
  /** Largest encoded size in bytes. */
  maxBytes: number;
  /** Smallest side in pixels that can hold a usable face. */
  minSide?: number;
}

export const DEFAULT_LIMITS: ImageLimits = { maxPixels: 50_000_000, maxBytes: 50 * 1024 * 1024, minSide: 16 };

// One libvips thread per call: concurrency comes from the engine pool and the callers, not from libvips.
sharp.concurrency(1);
sharp.cache(false);

export async function decodeImage(bytes: Uint8Array, limits: ImageLimits = DEFAULT_LIMITS, label = 'image'): Promise<RgbImage> {
  if (bytes.byteLength === 0) throw new OpenLfrError('IMAGE_EMPTY', `${label}: the file is empty`);
  if (bytes.byteLength > limits.maxBytes)
    throw new OpenLfrError('IMAGE_TOO_LARGE', `${label}: ${bytes.byteLength} bytes is over the limit of ${limits.maxBytes} bytes`);
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new OpenLfrError('IMAGE_UNREADABLE', `${label}: not a readable image (${reason(cause)})`, undefined, { cause });
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w * h > limits.maxPixels)
    throw new OpenLfrError('IMAGE_TOO_LARGE', `${label}: ${w}x${h} is ${w * h} pixels, over the limit of ${limits.maxPixels}`, {
      width: w,
      height: h,
    });
  const minSide = limits.minSide ?? 16;
  if (Math.min(w, h) < minSide)
    throw new OpenLfrError('IMAGE_TOO_SMALL', `${label}: ${w}x${h} is too small to hold a face (min side ${minSide} px)`, { width: w, height: h });
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error', sequentialRead: true })
      .rotate() // apply EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (cause) {
    throw new OpenLfrError('IMAGE_UNREADABLE', `${label}: the image could not be decoded (${reason(cause)})`, undefined, { cause });
  }
}

export async function readImageFile(path: string, limits: ImageLimits = DEFAULT_LIMITS): Promise<RgbImage> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (cause) {
    throw new OpenLfrError('NOT_FOUND', `${path}: no such file`, undefined, { cause });
  }
  if (size > limits.maxBytes) throw new OpenLfrError('IMAGE_TOO_LARGE', `${path}: ${size} bytes is over the limit of ${limits.maxBytes} bytes`);
  return decodeImage(await readFile(path), limits, path);
}

/** Encode an RgbImage (for example an alert crop) as JPEG, in memory. */
export async function encodeJpeg(image: RgbImage, quality = 90): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

function reason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!.slice(0, 200);
}
