/**
 * Crash safety of the embedded store: a child process writes committed records in a loop and is killed
 * with SIGKILL mid-write, several times. After each kill the store must reopen (taking over the stale
 * lock), hold every record the child reported committed, contain no half-written record, keep an intact
 * audit chain, and have a readable sealed file for every biometric row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import { systemClock } from '../../src/governance/model.ts';
import { BiometricStore } from '../../src/store/biometric-store.ts';
import { createDataKey } from '../../src/store/crypto.ts';
import { openStore } from '../../src/store/open-store.ts';
import { PROJECT_ROOT } from '../../src/config.ts';

const ROUNDS = 4;

async function runAndKill(home: string, key: string, killAfterMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/crash-writer.ts'), home, key], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let last = 0;
  let buf = '';
  let err = '';
  let readyAt = 0;
  child.stderr.on('data', (d) => (err += String(d)));
  child.stdout.on('data', (d) => {
    buf += String(d);
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      if (l === 'ready') readyAt = Date.now();
      else last = Number(l);
    }
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const t0 = Date.now();
  // kill mid-write, but only once the writer has committed something (on a loaded machine its first
  // commit can take longer than killAfterMs)
  while ((!readyAt || Date.now() - readyAt < killAfterMs || last === 0) && Date.now() - t0 < 60_000 && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 5));
  assert.equal(child.exitCode, null, `the writer died by itself: ${err}`);
  child.kill('SIGKILL');
  await exited;
  return last;
}

test('embedded store: SIGKILL mid-write loses no committed record and leaves a consistent store', { timeout: 240_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-crash-'));
  const keyBytes = randomBytes(32);
  const key = keyBytes.toString('base64');
  const figures: Record<string, number>[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const reported = await runAndKill(home, key, 400 + Math.floor(Math.random() * 900));
      const t0 = Date.now();
      const store = await openStore({ home }); // the dead child's lock is stale and must be taken over
      const reopenMs = Date.now() - t0;
      try {
        const audit = new AuditTrail(systemClock);
        const users = await store.db.query<{ n: number; max: number }>(`select count(*)::int n, coalesce(max(substr(id, 2)::int), 0) max from users`);
        const { n, max } = users[0]!;
        assert.ok(reported > 0, 'the writer committed something before it was killed');
        assert.ok(max >= reported, `record ${reported} was reported committed but the store only has up to ${max}`);
        assert.equal(n, max, 'no gaps: records 1..max all present');
        const v = await audit.verify(store.db);
        assert.equal(v.ok, true, JSON.stringify(v));
        const byAction = await store.db.query<{ action: string; n: number }>('select action, count(*)::int n from audit_log group by action');
        const count = (a: string) => byAction.find((x) => x.action === a)?.n ?? 0;
        assert.equal(count('crash.write'), n, 'every record has its audit entry and no entry lacks its record');
        assert.equal(count('biometric.image.write'), Math.floor(n / 3), 'every blob write is audited, in the same transaction');
        const bio = new BiometricStore({ key: createDataKey(keyBytes, 'test'), home, clock: systemClock, audit });
        const blobs = await store.db.query<{ id: string; owner_id: string }>('select id, owner_id from biometric_blobs');
        assert.equal(blobs.length, Math.floor(n / 3));
        for (const b of blobs) {
          const img = await store.tx((_r, tx) => bio.getImage(tx, b.id, { actor: 'test', reason: 'crash check' }));
          assert.equal(img.length, 20_000);
        }
        const orphans = await bio.reconcile(store.db, 0);
        assert.ok(orphans <= 1, `at most the one file being written when killed is an orphan (found ${orphans})`);
        figures.push({ round, reportedCommitted: reported, recordsFound: n, blobs: blobs.length, orphanFilesRemoved: orphans, reopenMs });
      } finally {
        await store.close();
      }
    }
    console.log(JSON.stringify({ crashRounds: figures }));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('embedded store: a second process cannot open a store that is in use', async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-lock-'));
  const store = await openStore({ home });
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('${join(PROJECT_ROOT, 'src/store/open-store.ts')}').then(m => m.openStore({ home: '${home}' })).then(() => process.exit(0), (e) => { console.log(e.code); process.exit(1); })`], { cwd: PROJECT_ROOT });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 1);
    assert.match(out, /STORE_LOCKED/);
  } finally {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
});
