/**
 * Where an import's images come from. The folder source walks a directory tree (sorted, so a rerun
 * sees the same order); tests may give any other source.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { OpenLfrError } from '../errors.ts';

export interface SourceImage {
  /** Reference of the image in its source (path relative to the imported folder). */
  ref: string;
  /** Who the source files it under: the folder holding it, else the file's name without extension. */
  subjectKey: string;
  read(): Promise<Uint8Array>;
}

export interface ImageSource {
  list(): Promise<SourceImage[]>;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|tiff?|bmp|avif|heic)$/i;

export function folderSource(dir: string): ImageSource {
  return {
    async list() {
      let entries;
      try {
        entries = await readdir(dir, { recursive: true, withFileTypes: true });
      } catch (e) {
        throw new OpenLfrError('NOT_FOUND', `Cannot read the folder ${dir}: ${(e as Error).message}`);
      }
      return entries
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE_EXT.test(e.name))
        .map((e) => join(e.parentPath, e.name))
        .sort()
        .map((path) => {
          const ref = relative(dir, path).split(sep).join('/');
          const folder = dirname(ref);
          return { ref, subjectKey: folder === '.' ? basename(ref, extname(ref)) : folder, read: async () => new Uint8Array(await readFile(path)) };
        });
    },
  };
}
