/**
 * The governance walk-through of docs/governance.md, run through the real `openlfr` CLI on a fresh
 * embedded store with the real engine: users, a watchlist, a deployment, every refusal, authority,
 * go-live, close, biometrics gone, `audit verify` passing, and then failing after one row is tampered with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { DATASETS as datasets } from '../helpers/datasets.ts';
import { openPglite } from '../../src/store/pglite-db.ts';


test('governance walk-through through the CLI', { timeout: 600_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-walk-'));
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OPENLFR_HOME: home,
    OPENLFR_DATASETS: datasets,
    OPENLFR_KEY: randomBytes(32).toString('base64'),
    OPENLFR_ENGINE_WORKERS: '1',
  };
  const pw = (u: string) => `${u}-walkthrough-pw`;
  const run = (as: string | null, args: string[], extraEnv: Record<string, string> = {}) => {
    const env = { ...baseEnv, ...extraEnv, ...(as ? { OPENLFR_PASSWORD: pw(as) } : {}) };
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), ...args, ...(as ? ['--as', as] : [])], { env, encoding: 'utf8', cwd: home });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
    return { code: r.status, out: r.stdout, err: r.stderr, json };
  };
  const ok = (as: string | null, args: string[], env?: Record<string, string>) => {
    const r = run(as, args, env);
    assert.equal(r.code, 0, `openlfr ${args.join(' ')} failed: ${r.err}`);
    return r.json;
  };
  const refused = (as: string | null, args: string[], code: string, msg?: RegExp, env?: Record<string, string>) => {
    const r = run(as, args, env);
    assert.equal(r.code, 2, `openlfr ${args.join(' ')} should have been refused with exit status 2 (README, Exit codes): ${r.code} ${r.err}`);
    assert.match(r.err, new RegExp(`openlfr: ${code}: `), r.err);
    if (msg) assert.match(r.err, msg);
  };
  try {
    // -- people
    ok(null, ['user', 'add', '--username', 'admin', '--role', 'ADMIN', '--password-env', 'NEWPW'], { NEWPW: pw('admin') });
    const people: [string, string[]][] = [
      ['supt', ['--role', 'AUTHORISING_OFFICER', '--rank', 'SUPERINTENDENT']],
      ['supt2', ['--role', 'AUTHORISING_OFFICER', '--rank', 'CHIEF_SUPERINTENDENT']],
      ['insp', ['--role', 'AUTHORISING_OFFICER', '--rank', 'INSPECTOR']],
      ['wm1', ['--role', 'WATCHLIST_MANAGER']],
      ['wm2', ['--role', 'WATCHLIST_MANAGER']],
      ['op', ['--role', 'OPERATOR']],
    ];
    // the second ADMIN: the only ADMIN of a store may create it alone; from then on AUTHORISING_OFFICER, ADMIN and a rank need both
    ok('admin', ['user', 'add', '--username', 'admin2', '--role', 'ADMIN', '--password-env', 'NEWPW'], { NEWPW: pw('admin2') });
    for (const [u, roles] of people) ok('admin', ['user', 'add', '--username', u, ...roles, '--password-env', 'NEWPW'], { NEWPW: pw(u) });
    const waiting = ok('admin2', ['user', 'grants']) as unknown as { grantee: string; roles: string[]; rank: string }[];
    assert.deepEqual(waiting.map((g) => g.grantee).sort(), ['insp', 'supt', 'supt2']);
    refused('admin', ['user', 'confirm-grant', 'supt', '--note', 'confirming my own request'], 'SEPARATION_OF_DUTIES', /second ADMIN/);
    for (const u of ['supt', 'supt2', 'insp']) ok('admin2', ['user', 'confirm-grant', u, '--note', 'rank checked against the HR record']);
    refused('op', ['user', 'add', '--username', 'x', '--role', 'ADMIN'], 'FORBIDDEN');

    // -- password guessing through separate CLI processes: the count lives in the store, so every invocation adds to it
    ok('admin', ['user', 'add', '--username', 'temp', '--role', 'OPERATOR', '--password-env', 'NEWPW'], { NEWPW: pw('temp') });
    const guess = (password: string) => run(null, ['user', 'list', '--as', 'temp'], { OPENLFR_PASSWORD: password, OPENLFR_LOGIN_MAX_FAILURES: '3' });
    for (let i = 0; i < 3; i++) assert.match(guess(`guess-number-${i}`).err, /openlfr: AUTH_FAILED: /);
    assert.match(guess(pw('temp')).err, /openlfr: AUTH_THROTTLED: /, 'the right password is refused while the account is locked, in a fourth process');
    // account changes through the CLI, each with a reason; never on your own account
    refused('admin', ['user', 'disable', 'admin', '--reason', 'going on leave'], 'RULE_VIOLATION', /your own/);
    assert.deepEqual(ok('admin', ['user', 'roles', 'temp', '--role', 'AUDITOR', '--reason', 'moved to professional standards']).roles, ['AUDITOR']);
    assert.equal(ok('admin', ['user', 'disable', 'temp', '--reason', 'left the force']).disabled, true);

    // -- a deployment and its watchlist
    const now = Date.now();
    const depFile = join(home, 'deployment.json');
    const dep = (startsAt: number, endsAt: number, threshold: number) => ({
      name: 'Queen Street, match day',
      purpose: 'Locate people wanted on warrant who are expected in the match-day crowd',
      useCase: 'Locate wanted persons',
      locations: [{ name: 'Queen Street, Cardiff', reason: 'Intelligence places the wanted subjects here on match days' }],
      cameras: ['van-1-north', 'van-1-south'],
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      threshold,
      dpiaRef: 'DPIA-2026-014',
      policyRefs: ['LFR-POLICY-v3', 'APP-LFR-2024'],
    });
    writeFileSync(depFile, JSON.stringify(dep(now - 60_000, now + 2 * 3600_000, 0.55)));
    const d1 = String(ok('op', ['deployment', 'create', '--file', depFile]).id);
    const enrol = (as: string, image: string, ...more: string[]) => [
      'watchlist', 'enrol', d1, '--image', join(datasets, image), '--source-record-id', `PNC-${image}`, '--reason', 'Failed to appear: warrant issued',
      '--legal-basis', 'Warrant of the Crown Court at Cardiff', '--image-source', 'custody imaging', '--capture-date', '2026-01-05', ...more,
    ];
    refused('op', enrol('op', 'hamilton/lin-manuel-miranda.png', '--category', 'WANTED_BY_COURT'), 'FORBIDDEN');
    refused('wm1', enrol('wm1', 'hamilton/lin-manuel-miranda.png', '--category', 'OTHER'), 'BAD_REQUEST', /no catch-all/);
    refused('wm1', enrol('wm1', 'hamilton/lin-manuel-miranda.png', '--category', 'WANTED_BY_POLICE_SUSPECT'), 'RULE_VIOLATION', /grounds/);
    refused('wm1', enrol('wm1', 'hamilton/lin-manuel-miranda.png', '--category', 'MISSING_AT_RISK', '--under18'), 'RULE_VIOLATION', /under 18/);
    refused('wm1', enrol('wm1', 'group-photos/group-1.jpg', '--category', 'WANTED_BY_COURT'), 'ENROLMENT_REJECTED', /faces were found/);
    const e1 = String(ok('wm1', enrol('wm1', 'hamilton/lin-manuel-miranda.png', '--category', 'WANTED_BY_COURT')).id);
    const e2 = String(ok('wm1', enrol('wm1', 'hamilton/alex-lacamoire.png', '--category', 'WANTED_BY_POLICE_SUSPECT', '--grounds', 'Identified by two witnesses to the robbery')).id);
    assert.equal(readdirSync(join(home, 'blobs'), { recursive: true }).filter((f) => String(f).endsWith('.sealed')).length, 2);

    // -- authority
    refused('op', ['deployment', 'go-live', d1], 'NOT_AUTHORISED');
    ok('op', ['deployment', 'request', d1, '--note', 'Match day, two wanted subjects expected']);
    refused('op', ['deployment', 'authorise', d1, '--note', 'operators cannot authorise'], 'FORBIDDEN');
    refused('insp', ['deployment', 'authorise', d1, '--note', 'an inspector is too junior'], 'AUTHORITY_RANK');
    assert.equal(ok('supt', ['deployment', 'authorise', d1, '--note', 'Necessary and proportionate: specific intelligence, limited hours']).state, 'AUTHORISED');

    // -- every go-live refusal, then go live
    refused('op', ['deployment', 'go-live', d1], 'PUBLIC_NOTICE_MISSING');
    ok('op', ['deployment', 'public-notice', d1, '--note', 'A-boards at both ends of Queen Street, leaflets handed out']);
    refused('op', ['deployment', 'go-live', d1], 'WATCHLIST_UNREVIEWED');
    refused('wm1', ['watchlist', 'review', e1, '--note', 'reviewing my own entry'], 'REVIEW_SELF');
    ok('wm2', ['watchlist', 'review', e1, '--note', 'Warrant checked on PNC today']);
    ok('wm2', ['watchlist', 'review', e2, '--note', 'Grounds checked with the investigating officer']);
    refused('op', ['deployment', 'go-live', d1], 'THRESHOLD_BELOW_FLOOR', /below the floor 0\.6 set by configured default/, { OPENLFR_THRESHOLD_FLOOR: '0.6' });

    // a second deployment: drafted and requested by an authorising officer, authorised by another, window not yet open
    writeFileSync(depFile, JSON.stringify(dep(now + 24 * 3600_000, now + 26 * 3600_000, 0.6)));
    const d2 = String(ok('supt', ['deployment', 'create', '--file', depFile]).id);
    ok('supt', ['deployment', 'request', d2, '--note', 'tomorrow']);
    refused('supt', ['deployment', 'authorise', d2, '--note', 'authorising my own request'], 'AUTHORITY_SELF');
    ok('supt2', ['deployment', 'authorise', d2, '--note', 'Necessary and proportionate for tomorrow']);
    refused('op', ['deployment', 'go-live', d2], 'OUTSIDE_WINDOW');
    ok('op', ['deployment', 'cancel', d2, '--reason', 'walk-through over']);

    const live = ok('op', ['deployment', 'go-live', d1]);
    assert.equal(live.state, 'LIVE');
    assert.match(String(live.floorSource), /configured default/);
    refused('wm1', enrol('wm1', 'hamilton/obama.jpg', '--category', 'WANTED_BY_COURT'), 'WATCHLIST_FROZEN');

    // -- close: biometrics destroyed, references kept
    const closed = ok('op', ['deployment', 'close', d1, '--reason', 'Operation ended']);
    assert.equal(closed.state, 'CLOSED');
    assert.ok(closed.watchlistDestroyedAt);
    const list = JSON.parse(run('op', ['watchlist', 'list', d1]).out) as Record<string, unknown>[];
    assert.equal(list.length, 2);
    for (const e of list) {
      assert.match(String(e.subjectRef), /^S-/);
      assert.ok(e.category);
      for (const k of ['reason', 'grounds', 'legalBasis', 'imageSource', 'captureDate', 'quality']) assert.equal(e[k], null, k);
    }
    assert.equal(readdirSync(join(home, 'blobs'), { recursive: true }).filter((f) => String(f).endsWith('.sealed')).length, 0, 'no image file left');

    // -- the audit trail verifies ...
    const v = ok(null, ['audit', 'verify', '--json']);
    assert.equal(v.ok, true);
    const entries = Number(v.entries);
    assert.ok(entries > 30);
    const actions = JSON.parse(run('admin', ['audit', 'list', '--limit', '1000']).out) as { action: string }[];
    for (const a of ['deployment.go-live.refused', 'deployment.authorise.refused', 'watchlist.enrol.refused', 'biometric.image.write', 'biometric.template.write', 'biometric.destroy', 'watchlist.destroy', 'deployment.close', 'cli.refused', 'user.grant.request', 'user.grant.confirm', 'user.grant.confirm.refused']) {
      assert.ok(actions.some((x) => x.action === a), `audit has ${a}`);
    }

    // -- ... and names the row someone tampered with
    const db = await openPglite(join(home, 'db'));
    await db.exec(`alter table audit_log disable trigger audit_log_no_update`);
    await db.query(`update audit_log set reason = 'nothing happened' where seq = 12`);
    await db.close();
    const broken = run(null, ['audit', 'verify', '--json']);
    assert.equal(broken.code, 3);
    assert.equal(broken.json.ok, false);
    assert.deepEqual((broken.json.firstBad as { seq: number }).seq, 12);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
