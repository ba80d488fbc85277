import { spawn } from 'node:child_process';
import { PGlite } from '@electric-sql/pglite';
const dir = '/tmp/gov/crashdb';
for (let round = 0; round < 4; round++) {
  const child = spawn(process.execPath, ['/work/wt-gov/child.mjs', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0, buf = '';
  child.stdout.on('data', (d) => { buf += d; const lines = buf.split('\n'); buf = lines.pop(); for (const l of lines) last = Number(l); });
  const t0 = Date.now();
  while (last < 200 * (round + 1) && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const t1 = Date.now();
  const db = await PGlite.create({ dataDir: dir });
  let r;
  try { r = (await db.query('select count(*)::int c, max(id) m, bool_and(sum = id*2) ok from t')).rows[0]; } catch (e) { r = String(e.message); }
  console.log(JSON.stringify({ round, reportedCommitted: last, rows: r, reopenMs: Date.now() - t1 }));
  await db.close();
}
