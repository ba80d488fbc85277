/**
 * `openlfr gallery import` through the real CLI: killed with SIGKILL mid-way, then stopped with Ctrl-C
 * (SIGINT) mid-way, then run to the end. Nothing is lost and nothing is imported twice: every distinct
 * image is in the gallery once, every enrolled image has exactly one template, the audit chain holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { openPglite } from '../../src/store/pglite-db.ts';
import { DATASETS, ds, identityFolders } from '../helpers/datasets.ts';

const N = 90;

test('gallery import resumes after SIGKILL and Ctrl-C without losing or duplicating anything', { timeout: 300_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-import-'));
  const dir = join(home, 'images');
  const files = identityFolders(ds('lfw-devtrain'))
    .slice(400)
    .flatMap((p) => p.files.map((f) => ({ identity: p.identity, f })))
    .slice(0, N);
  for (const { identity, f } of files) {
    mkdirSync(join(dir, identity), { recursive: true });
    symlinkSync(f, join(dir, identity, f.split('/').pop()!));
  }
  symlinkSync(files[0]!.f, join(dir, 'same-content-again.jpg'));
  writeFileSync(join(dir, 'not-an-image.jpg'), 'text, not a JPEG');
  const total = N + 2;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OPENLFR_HOME: home,
    OPENLFR_DATASETS: DATASETS,
    OPENLFR_KEY: randomBytes(32).toString('base64'),
    OPENLFR_PASSWORD: 'admin-password-1',
  };
  const cli = (args: string[]) => spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), ...args], { env, encoding: 'utf8', cwd: home });
  try {
    assert.equal(cli(['user', 'add', '--username', 'admin', '--role', 'ADMIN', '--password-env', 'OPENLFR_PASSWORD']).status, 0);
    assert.equal(cli(['gallery', 'create', '--as', 'admin', '--name', 'custody', '--access', 'LOCAL', '--description', 'custody images']).status, 0);
    const importArgs = ['gallery', 'import', '--as', 'admin', '--gallery', 'custody', dir, '--json'];

    /** Start an import; send `signal` once its progress passes `after` images; resolve with its exit and output. */
    const interrupted = (signal: NodeJS.Signals, after: number) =>
      new Promise<{ code: number | null; signal: string | null; out: string; sawAt: number }>((resolve) => {
        const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), ...importArgs], { env, cwd: home });
        let out = '';
        let err = '';
        let sawAt = -1;
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const done = [...err.matchAll(/import: (\d+)\/\d+ images/g)].map((m) => Number(m[1]));
          if (sawAt < 0 && done.length && done[done.length - 1]! >= after) {
            sawAt = done[done.length - 1]!;
            child.kill(signal);
          }
        });
        child.on('exit', (code, sig) => resolve({ code, signal: sig, out, sawAt }));
      });

    const killed = await interrupted('SIGKILL', 18);
    assert.equal(killed.signal, 'SIGKILL', `the first run ended by itself: ${killed.out}`);
    const stopped = await interrupted('SIGINT', 54);
    assert.ok(stopped.sawAt >= 54, 'the second run was interrupted mid-way');
    assert.equal(stopped.code, 130, 'Ctrl-C: stops after the images in flight, exit 130');
    const second = JSON.parse(stopped.out) as { interrupted: boolean; alreadyImported: number; enrolled: number };
    assert.equal(second.interrupted, true);
    assert.ok(second.alreadyImported >= 1, 'the killed run had committed images, which the second run skipped');

    const last = cli(importArgs);
    assert.equal(last.status, 0, last.stderr);
    const third = JSON.parse(last.stdout) as { interrupted: boolean; found: number; enrolled: number; alreadyImported: number; duplicates: unknown[]; bad: { ref: string }[]; totals: Record<string, number> };
    assert.equal(third.interrupted, false);
    assert.equal(third.found, total);
    assert.equal(third.totals.ENROLLED! + (third.totals.FTA ?? 0) + (third.totals.BAD ?? 0), N + 1, 'every distinct image once: N images + the text file');
    assert.equal(third.totals.BAD, 1);
    console.log(JSON.stringify({ resume: { killedAt: killed.sawAt, stoppedAt: stopped.sawAt, second: { enrolled: second.enrolled, alreadyImported: second.alreadyImported }, third: { enrolled: third.enrolled, alreadyImported: third.alreadyImported }, totals: third.totals } }));

    const db = await openPglite(join(home, 'db'));
    try {
      const perItem = await db.query<{ n: number }>(
        `select count(t.id)::int as n from gallery_items g left join templates t on t.owner_id = g.id where g.status = 'ENROLLED' group by g.id`,
      );
      assert.equal(perItem.length, third.totals.ENROLLED);
      assert.ok(perItem.every((r) => r.n === 1), 'exactly one template per enrolled image');
      const [orphans] = await db.query<{ n: number }>(`select count(*)::int as n from templates t where kind = 'gallery' and not exists (select 1 from gallery_items g where g.id = t.owner_id)`);
      assert.equal(orphans!.n, 0, 'no template without its item');
    } finally {
      await db.close();
    }
    const verify = cli(['audit', 'verify', '--json']);
    assert.equal(verify.status, 0, verify.stdout);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
