import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';

/** The shared datasets folder (OPENLFR_DATASETS, default ../shared/datasets). Tests fail loudly if it is missing. */
export const DATASETS = loadConfig().datasets;
if (!existsSync(DATASETS)) throw new Error(`datasets not found at ${DATASETS}: set OPENLFR_DATASETS`);

export const ds = (...parts: string[]): string => join(DATASETS, ...parts);

/** Identity folders under `dir`, each with its image files sorted by name. */
export function identityFolders(dir: string): Array<{ identity: string; files: string[] }> {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({
      identity: d.name,
      files: readdirSync(join(dir, d.name))
        .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
        .sort()
        .map((f) => join(dir, d.name, f)),
    }))
    .sort((a, b) => a.identity.localeCompare(b.identity));
}
