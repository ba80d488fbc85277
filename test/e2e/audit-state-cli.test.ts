/**
 * Issue 14, item 7, through the real `openlfr` CLI on an embedded store on disk: rows of deployments and
 * users edited with SQL behind the application's back (the attack of the review), then `openlfr audit verify`
 * (exit 3, naming the row) and `openlfr report ...` (refused: nothing is published from a store that does
 * not match its audit trail; the refusal audited). Undone, the store verifies and reports again.
 * No face engine is needed: no image is analysed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { openPglite } from '../../src/store/pglite-db.ts';

test('audit verify and the reports after SQL edits of a deployment and a user behind the application (CLI)', { timeout: 300_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-audit-state-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, OPENLFR_HOME: home, OPENLFR_KEY: randomBytes(32).toString('base64') };
  const pw = (u: string) => `${u}-Audit-state-pw-7`;
  const run = (as: string | null, args: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), ...args, ...(as ? ['--as', as] : [])], {
      env: { ...env, ...extra, ...(as ? { OPENLFR_PASSWORD: pw(as) } : {}) },
      encoding: 'utf8',
      cwd: home,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (as: string | null, args: string[], extra?: Record<string, string>) => {
    const r = run(as, args, extra);
    assert.equal(r.code, 0, `openlfr ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  /** Run SQL on the store while no openlfr process has it open (what someone with database access can do). */
  const sql = async (...statements: string[]) => {
    const db = await openPglite(join(home, 'db'));
    try {
      for (const s of statements) await db.exec(s);
    } finally {
      await db.close();
    }
  };
  const one = async <T,>(q: string): Promise<T> => {
    const db = await openPglite(join(home, 'db'));
    try {
      return (await db.query(q))[0] as T;
    } finally {
      await db.close();
    }
  };
  try {
    ok(null, ['user', 'add', '--username', 'admin', '--role', 'ADMIN', '--password-env', 'NEWPW'], { NEWPW: pw('admin') });
    ok('admin', ['user', 'add', '--username', 'op', '--role', 'OPERATOR', '--password-env', 'NEWPW'], { NEWPW: pw('op') });
    ok('admin', ['user', 'add', '--username', 'aud', '--role', 'AUDITOR', '--password-env', 'NEWPW'], { NEWPW: pw('aud') });
    const now = Date.now();
    const depFile = join(home, 'deployment.json');
    writeFileSync(
      depFile,
      JSON.stringify({
        name: 'Queen Street, match day',
        purpose: 'Locate people wanted on warrant who are expected in the match-day crowd',
        useCase: 'Locate wanted persons',
        locations: [{ name: 'Queen Street, Cardiff', reason: 'Intelligence places the wanted subjects here on match days' }],
        cameras: ['van-1-north'],
        startsAt: new Date(now + 3600_000).toISOString(),
        endsAt: new Date(now + 3 * 3600_000).toISOString(),
        threshold: 0.62,
        dpiaRef: 'DPIA-2026-014',
        policyRefs: ['LFR-POLICY-v3'],
      }),
    );
    const depId = String((JSON.parse(ok('op', ['deployment', 'create', '--file', depFile])) as { id: string }).id);
    const intact = JSON.parse(ok(null, ['audit', 'verify', '--json'])) as { ok: boolean; rowsChecked: number };
    assert.equal(intact.ok, true);
    assert.equal(intact.rowsChecked, 4, '3 users and 1 deployment');
    assert.match(ok(null, ['audit', 'verify']), /audit trail intact: .*; 4 rows of deployments, alerts, users and calibrations match the trail/);
    assert.equal((JSON.parse(ok(null, ['report', 'deployment', depId])) as { deploymentId: string }).deploymentId, depId);

    const reportsRefused = (what: RegExp) => {
      for (const args of [['report', 'deployment', depId], ['report', 'summary', '--from', '2026-01-01', '--to', '2030-01-01'], ['report', 'searches']]) {
        const r = run(null, args);
        assert.equal(r.code, 2, `${args.join(' ')} must be refused`);
        assert.match(r.err, /openlfr: AUDIT_STORE_MISMATCH: Nothing is published from this store: /);
        assert.match(r.err, what);
        assert.equal(r.out, '', 'nothing published');
      }
    };

    // 1. the operator's draft: threshold lowered and the purpose rewritten with SQL
    const before = await one<{ threshold: number; purpose: string }>(`select threshold, purpose from deployments where id = '${depId}'`);
    await sql(`update deployments set threshold = 0.05, purpose = 'anything' where id = '${depId}'`);
    const broken = run(null, ['audit', 'verify', '--json']);
    assert.equal(broken.code, 3);
    const v = JSON.parse(broken.out) as { ok: boolean; firstBad: { problem: string; row: { table: string; id: string } } };
    assert.equal(v.ok, false);
    assert.deepEqual(v.firstBad.row, { table: 'deployments', id: depId });
    assert.match(v.firstBad.problem, new RegExp(`deployments row ${depId} differs from its state recorded by audit entry \\d+: it was changed outside OpenLFR`));
    const text = run(null, ['audit', 'verify']);
    assert.equal(text.code, 3);
    assert.match(text.out, new RegExp(`audit trail does NOT MATCH the store: deployments row ${depId} differs`));
    reportsRefused(new RegExp(`deployments row ${depId} differs`));
    await sql(`update deployments set threshold = ${before.threshold}, purpose = '${before.purpose.replaceAll("'", "''")}' where id = '${depId}'`);
    assert.equal((JSON.parse(ok(null, ['audit', 'verify', '--json'])) as { ok: boolean }).ok, true, 'undone: the store matches again');

    // 2. the operator made an ADMIN with SQL
    const op = await one<{ id: string }>(`select id from users where username = 'op'`);
    await sql(`update users set roles = '["OPERATOR","ADMIN"]' where id = '${op.id}'`);
    const roles = run(null, ['audit', 'verify', '--json']);
    assert.equal(roles.code, 3);
    assert.match((JSON.parse(roles.out) as { firstBad: { problem: string } }).firstBad.problem, new RegExp(`users row ${op.id} differs`));
    reportsRefused(new RegExp(`users row ${op.id} differs`));

    // every refusal to publish is in the trail (read by an auditor through the CLI)
    const trail = JSON.parse(ok('aud', ['audit', 'list', '--limit', '1000'])) as { action: string; actor: string; reason: string }[];
    const refusals = trail.filter((e) => e.action.startsWith('report.') && e.action.endsWith('.refused'));
    assert.deepEqual(refusals.map((e) => e.action).sort(), ['report.deployment.refused', 'report.deployment.refused', 'report.searches.refused', 'report.searches.refused', 'report.summary.refused', 'report.summary.refused']);
    assert.ok(refusals.every((e) => e.actor === 'system:transparency' || e.actor === 'system:transparency-report'), JSON.stringify(refusals.map((e) => e.actor)));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
