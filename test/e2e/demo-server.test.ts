/**
 * `openlfr demo` as a new user runs it (server mode, no flags): the clip plays at its own pace through
 * the live cameras path, and Lin-Manuel Miranda's possible match is in the alert queue the console shows,
 * on the first run, without pressing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { DEMO_PASSWORD } from '../../src/demo/live-demo.ts';

test('openlfr demo (server mode): the Hamilton possible match reaches the console queue on the first run', { timeout: 240_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-demo-'));
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), 'demo'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENLFR_HOME: home, OPENLFR_PORT: '0', ...(process.env.OPENLFR_DATASETS ? { OPENLFR_DATASETS: process.env.OPENLFR_DATASETS } : {}) },
    cwd: home,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  try {
    const t0 = Date.now();
    let m: RegExpExecArray | null = null;
    while (!(m = /running at (http:\/\/\S+)\s+\(deployment (\S+) is live/.exec(out)) && Date.now() - t0 < 120_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    assert.ok(m, `the demo started: ${out}\n${err}`);
    const [, url, deploymentId] = m;
    const session = await fetch(`${url}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: DEMO_PASSWORD }) });
    assert.equal(session.status, 201);
    const { token } = (await session.json()) as { token: string };
    const get = async <T>(path: string) => (await (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
    type Alert = { id: string; reason?: string | null; score: number; camera: string; status: string };
    let alerts: Alert[] = [];
    let lin: Alert | undefined;
    while (!lin && Date.now() - t0 < 150_000) {
      alerts = await get<Alert[]>(`/api/v1/deployments/${deploymentId}/alerts`);
      // the queue lists alerts; the one the operator opens says who is on the watchlist and why
      for (const a of alerts) {
        const full = await get<Alert>(`/api/v1/alerts/${a.id}`);
        if (/lin-manuel-miranda/.test(full.reason ?? '')) lin = full;
      }
      if (!lin) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(lin, `Lin-Manuel Miranda's possible match is in the queue: ${JSON.stringify(alerts)}\n${err.slice(-2000)}`);
    assert.equal(lin.status, 'PENDING', 'it waits for a person');
    const live = await get<{ cameras: Record<string, { framesAnalysed?: number; framesDropped?: number; state?: string }> }>(`/api/v1/deployments/${deploymentId}/live`);
    const cam = live.cameras['cam-1']!;
    assert.ok((cam.framesAnalysed ?? 0) > 20, `frames analysed after the first few: ${JSON.stringify(cam)}`);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err.slice(-2000));
    rmSync(home, { recursive: true, force: true });
  }
});
