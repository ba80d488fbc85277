/** `openlfr serve` starts the API on the embedded store, serves /openapi.json, logs in, and stops on SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';

test('openlfr serve: API up on the embedded store, refuses without a key, stops cleanly', { timeout: 120_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-serve-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, OPENLFR_HOME: home };
  try {
    const nokey = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), 'serve', '--port', '0'], { env, cwd: home });
    let nokeyErr = '';
    nokey.stderr.on('data', (d) => (nokeyErr += String(d)));
    const nokeyCode = await new Promise<number | null>((r) => nokey.on('exit', r));
    assert.notEqual(nokeyCode, 0);
    assert.match(nokeyErr, /KEY_MISSING/);

    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), 'serve', '--port', '0'], {
      env: { ...env, OPENLFR_KEY: randomBytes(32).toString('base64') },
      cwd: home,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    const t0 = Date.now();
    while (!/"listening"/.test(out) && Date.now() - t0 < 60_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    const url = (JSON.parse(out.split('\n').find((l) => l.includes('"listening"'))!) as { listening: string }).listening;
    assert.equal((await fetch(`${url}/health`)).status, 200);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(doc.paths['/api/v1/deployments']);
    const r = await fetch(`${url}/api/v1/deployments`);
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { code: string }).code, 'UNAUTHENTICATED');
    assert.ok(existsSync(join(home, 'db.lock')));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!existsSync(join(home, 'db.lock')), 'lock released on shutdown');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
