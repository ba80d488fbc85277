/** Decode an image file held in memory into 8-bit RGB pixels (EXIF orientation applied), within limits. */
import sharp from 'sharp';
import { OpenLfrError } from '../errors.ts';
import type { RgbImage } from '../engine/port.ts';

export interface DecodeLimits {
  maxImageBytes: number;
  maxImagePixels: number;
}

export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits): Promise<RgbImage> {
  if (bytes.length === 0) throw new OpenLfrError('IMAGE_EMPTY');
  if (bytes.length > limits.maxImageBytes) throw new OpenLfrError('IMAGE_TOO_LARGE', `The image file is larger than ${limits.maxImageBytes} bytes`);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxImagePixels, failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    const msg = (e as Error).message;
    if (/pixel limit/i.test(msg)) throw new OpenLfrError('IMAGE_TOO_LARGE', `The image has more than ${limits.maxImagePixels} pixels`, undefined, { cause: e });
    throw new OpenLfrError('IMAGE_UNREADABLE', undefined, undefined, { cause: e });
  }
}
