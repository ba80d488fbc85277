/**
 * Loads the `@vladmandic/human` runtime for the Human engine adapter, strictly from disk.
 *
 * - Human is taken from its `dist/human.node-wasm.js` build (its export map does not expose that
 *   path, so it is resolved from the package folder). That build `require`s tfjs-core,
 *   tfjs-converter and tfjs-backend-wasm, which are pinned in package.json at the version Human was
 *   built against (checked here: a mismatch is refused).
 * - tfjs-core has no file loader under Node: `registerFileLoader` adds one for `file://` URLs that
 *   reads a graph model's JSON and weight shards from disk. Nothing is ever fetched from a network:
 *   model URLs are absolute `file://` paths and the wasm binaries come from the installed
 *   tfjs-backend-wasm package (Human's default `wasmPath` is a CDN URL; it is always overridden).
 *
 * Nothing here keeps model state: `require` caches the module per thread (as Node does for every
 * module), and the loader registration is remembered per tfjs instance so it is added only once.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Human, Config as HumanConfig } from '@vladmandic/human';
import { OpenLfrError } from '../../errors.ts';
import type { ModelFile } from '../port.ts';

const require = createRequire(import.meta.url);

export type HumanClass = new (config?: Partial<HumanConfig>) => Human;
export type Tfjs = Human['tf'];

/** The tfjs version Human 3.3.x is built against; the wasm binaries must come from the same release. */
export const TFJS_VERSION = '4.22.0';

export interface HumanRuntime {
  Human: HumanClass;
  /** Folder of the installed @vladmandic/human package. */
  packageDir: string;
  /** Human's own version string. */
  version: string;
  /** Folder holding tfjs-backend-wasm's `.wasm` files, with a trailing slash (Human's `wasmPath`). */
  wasmDir: string;
  /** The JS bundle that holds Human's pre-processing code (its hash is part of the engine id). */
  bundleFile: string;
}

function packageDirOf(name: string): string {
  // `require.resolve(name)` gives the package's main file; walk up to the folder holding package.json.
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new OpenLfrError('ENGINE_MODEL_MISSING', `Cannot find the folder of package ${name}`);
    dir = up;
  }
  return dir;
}

export function loadHumanRuntime(): HumanRuntime {
  let packageDir: string;
  let wasmPkgDir: string;
  try {
    packageDir = packageDirOf('@vladmandic/human');
    wasmPkgDir = packageDirOf('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    if (err instanceof OpenLfrError) throw err;
    throw new OpenLfrError('ENGINE_MODEL_MISSING', 'The Human engine needs @vladmandic/human and @tensorflow/tfjs-backend-wasm installed', undefined, { cause: err });
  }
  const bundleFile = join(packageDir, 'dist', 'human.node-wasm.js');
  const mod = require(bundleFile) as { Human: HumanClass };
  const wasmVersion = (JSON.parse(readFileSync(join(wasmPkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const probe = new mod.Human({ backend: 'wasm', modelBasePath: 'file:///nonexistent/', wasmPath: '/nonexistent/' });
  const tfVersion = probe.tf.version['tfjs-core'];
  if (tfVersion !== TFJS_VERSION || wasmVersion !== TFJS_VERSION) {
    throw new OpenLfrError('ENGINE_MODEL_MISSING', `Human needs tfjs ${TFJS_VERSION}; found tfjs-core ${tfVersion} and tfjs-backend-wasm ${wasmVersion}`);
  }
  return { Human: mod.Human, packageDir, version: probe.version, wasmDir: join(wasmPkgDir, 'dist') + '/', bundleFile };
}

/** Default folder of Human's model files: the `models/` folder inside the installed package. */
export function defaultModelsDir(runtime: HumanRuntime): string {
  return join(runtime.packageDir, 'models');
}

interface WeightsGroup {
  paths: string[];
}
interface GraphModelJson {
  weightsManifest?: WeightsGroup[];
}

function readModelJson(jsonPath: string): GraphModelJson {
  if (!existsSync(jsonPath)) throw new OpenLfrError('ENGINE_MODEL_MISSING', `Model file not found: ${jsonPath}`, { file: jsonPath });
  try {
    return JSON.parse(readFileSync(jsonPath, 'utf8')) as GraphModelJson;
  } catch (err) {
    throw new OpenLfrError('ENGINE_MODEL_MISSING', `Model file is not valid JSON: ${jsonPath}`, { file: jsonPath }, { cause: err });
  }
}

function weightPaths(jsonPath: string, json: GraphModelJson): string[] {
  const paths = (json.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => resolve(dirname(jsonPath), p)));
  for (const p of paths) {
    if (!existsSync(p)) throw new OpenLfrError('ENGINE_MODEL_MISSING', `Model weights not found: ${p}`, { file: p });
  }
  return paths;
}

/**
 * sha256 over a graph model's JSON followed by its weight shards in manifest order, so the hash
 * changes if either the topology or the weights change.
 */
export function hashGraphModel(role: string, jsonPath: string): ModelFile {
  const json = readModelJson(jsonPath);
  const h = createHash('sha256').update(readFileSync(jsonPath));
  for (const p of weightPaths(jsonPath, json)) h.update(readFileSync(p));
  return { role, file: jsonPath, sha256: h.digest('hex') };
}

/** sha256 over Human's JS bundle and the adapter's own pre-processing parameters (role `pipeline`). */
export function hashPipeline(bundleFile: string, parameters: string): ModelFile {
  if (!existsSync(bundleFile)) throw new OpenLfrError('ENGINE_MODEL_MISSING', `File not found: ${bundleFile}`, { file: bundleFile });
  return { role: 'pipeline', file: bundleFile, sha256: createHash('sha256').update(readFileSync(bundleFile)).update(parameters).digest('hex') };
}

const registered = new WeakSet<object>();

/** Registers (once per tfjs instance) a load handler for `file://` model URLs that reads from disk. */
export function registerFileLoader(tf: Tfjs): void {
  if (registered.has(tf.io)) return;
  registered.add(tf.io);
  tf.io.registerLoadRouter((url: string | string[]) => {
    if (typeof url !== 'string' || !url.startsWith('file://')) return null;
    const jsonPath = decodeURIComponent(new URL(url).pathname);
    return {
      load: async () => {
        const json = readModelJson(jsonPath);
        const paths = weightPaths(jsonPath, json);
        return tf.io.getModelArtifactsForJSON(json as Parameters<Tfjs['io']['getModelArtifactsForJSON']>[0], async (manifest: Parameters<Tfjs['io']['getWeightSpecs']>[0]) => {
          const buffers = paths.map((p) => {
            const b = readFileSync(p);
            return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
          });
          return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(buffers)];
        });
      },
    };
  });
}
