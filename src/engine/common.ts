/** Helpers every engine adapter shares: input checks and the face-selection rule. */
import { OpenLfrError } from '../errors.ts';
import type { DetectOptions, Face, RgbImage } from './port.ts';

/** Refuse an RgbImage whose buffer does not match its stated size (it would read out of bounds). */
export function checkImage(image: RgbImage): void {
  const ok =
    image &&
    Number.isInteger(image.width) &&
    Number.isInteger(image.height) &&
    image.width > 0 &&
    image.height > 0 &&
    image.data instanceof Uint8Array &&
    image.data.length === image.width * image.height * 3;
  if (!ok) throw new OpenLfrError('BAD_REQUEST', 'image must be 8-bit RGB with data.length = width x height x 3');
}

/** Apply DetectOptions: drop faces under the inter-eye minimum, keep the largest `maxFaces`. */
export function selectFaces(faces: Face[], options: DetectOptions): Face[] {
  let out = faces;
  if (options.minInterEyePx) out = out.filter((f) => f.quality.interEyePx >= options.minInterEyePx!);
  out = [...out].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  if (options.maxFaces !== undefined) out = out.slice(0, options.maxFaces);
  return out;
}
