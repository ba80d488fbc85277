/** `openlfr serve` starts the API on the embedded store, serves /openapi.json, logs in, and stops on SIGTERM. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

    const key = randomBytes(32).toString('base64');
    // an account, so a console can hold the push channel open while the server is stopped
    const password = `Serve-${randomBytes(9).toString('base64url')}-test`;
    const add = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), 'user', 'add', '--username', 'admin', '--role', 'ADMIN', '--password-env', 'PW'], {
      env: { ...env, OPENLFR_KEY: key, PW: password },
      cwd: home,
      encoding: 'utf8',
    });
    assert.equal(add.status, 0, add.stderr);
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), 'serve', '--port', '0'], {
      env: { ...env, OPENLFR_KEY: key },
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
    // a console connected to the push channel (Server-Sent Events) must not keep the server from stopping
    const session = await fetch(`${url}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    assert.equal(session.status, 201);
    const { token } = (await session.json()) as { token: string };
    const events = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
    assert.equal(events.status, 200);
    const reader = events.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /event: hello/);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(Date.now() - stoppedAt < 10_000, `stopped in ${Date.now() - stoppedAt} ms with a console connected`);
    await reader.cancel().catch(() => undefined);
    assert.ok(!existsSync(join(home, 'db.lock')), 'lock released on shutdown');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
