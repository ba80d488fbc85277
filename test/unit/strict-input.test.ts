/**
 * Issue 14, finding 1: input that reaches the store. A deployment edit may carry only the drafting fields,
 * whoever the caller (CLI file, API body, code); the repositories write only a table's fixed column list,
 * so no key of a caller's object ever becomes SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { TABLES } from '../../src/store/repositories/tables.ts';
import { snake } from '../../src/store/repositories/rows.ts';
import { makeRig } from '../helpers/governance.ts';

const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;

const draft = {
  name: 'Queen Street, match day',
  purpose: 'Locate people wanted on warrant expected in the crowd',
  useCase: 'Locate wanted persons',
  locations: [{ name: 'Queen Street', reason: 'Intelligence places wanted subjects here on match days' }],
  cameras: ['van-1'],
  startsAt: new Date('2026-06-01T10:00:00Z'),
  endsAt: new Date('2026-06-01T16:00:00Z'),
  threshold: 0.6,
  dpiaRef: 'DPIA-2026-014',
  policyRefs: ['LFR-POLICY-v3'],
};

const INJECTED_NAME = "name = (select password_hash from users where username = 'admin'), purpose";
const INJECTED_THRESHOLD = 'threshold = 0.01 where true --';

test('strict input: the service refuses a state, an authoriser or an SQL-shaped key in a deployment edit; the repository refuses keys off its column list', async () => {
  const rig = await makeRig();
  try {
    const u = rig.services.users;
    await u.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
    const admin = await u.checkPassword('admin', 'admin-password-1', 'test');
    await u.create(admin, { username: 'op', displayName: 'O', roles: ['OPERATOR'], password: 'op-password-123' });
    const op = await u.checkPassword('op', 'op-password-123', 'test');
    const dep = await rig.services.deployments.create(op, draft);
    const attacks: Record<string, unknown>[] = [
      { state: 'AUTHORISED', authorisedBy: admin.kind === 'user' ? admin.user.id : 'x', authorisedAt: new Date() },
      { name: 'edited', requestedBy: 'someone' },
      { [INJECTED_NAME]: 'x' },
      { [INJECTED_THRESHOLD]: 1 },
      { threshold: '0.01' },
      { locations: [{ name: 'Queen Street', reason: 'a reason long enough', state: 'LIVE' }] },
    ];
    for (const patch of attacks) await assert.rejects(rig.services.deployments.update(op, dep.id, patch as never), code('BAD_REQUEST'), JSON.stringify(patch));
    await assert.rejects(rig.services.deployments.create(op, { ...draft, state: 'LIVE', liveAt: new Date() } as never), code('BAD_REQUEST'));
    const after = await rig.services.deployments.get(op, dep.id);
    assert.equal(after.state, 'DRAFT');
    assert.equal(after.name, draft.name);
    assert.equal(after.authorisedBy, null);
    assert.equal(after.threshold, 0.6);
    // the repository itself: a key that is not one of the table's columns never becomes SQL
    for (const key of [INJECTED_NAME, INJECTED_THRESHOLD, 'createdBy']) {
      await assert.rejects(rig.services.store.repos.deployments.update(dep.id, { [key]: 'x' } as never), code('INTERNAL'), key);
    }
    assert.equal((await rig.services.deployments.get(op, dep.id)).threshold, 0.6);
    // a legitimate edit still works
    assert.equal((await rig.services.deployments.update(op, dep.id, { name: 'Queen Street, cup final' })).name, 'Queen Street, cup final');
  } finally {
    await rig.close();
  }
});

test('strict input: every fixed column list names only real columns of the migrated schema', async () => {
  const rig = await makeRig();
  try {
    for (const t of Object.values(TABLES)) {
      const cols = (await rig.db.query<{ column_name: string }>('select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1', [t.name])).map((r) => r.column_name);
      assert.ok(cols.length > 0, t.name);
      for (const c of t.columns) assert.ok(cols.includes(snake(c)), `${t.name}.${snake(c)}`);
    }
  } finally {
    await rig.close();
  }
});

test('strict input: `deployment update --file` with injected keys is refused by the CLI with the API schema; nothing changes', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-strict-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, OPENLFR_HOME: home, OPENLFR_KEY: randomBytes(32).toString('base64') };
  const run = (as: string | null, args: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/openlfr.mjs'), ...args, ...(as ? ['--as', as] : [])], {
      env: { ...env, ...extra, ...(as ? { OPENLFR_PASSWORD: `${as}-strict-pw-2026` } : {}) },
      encoding: 'utf8',
      cwd: home,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  try {
    for (const [who, role] of [['admin', 'ADMIN'], ['op', 'OPERATOR']] as const) {
      const r = run(who === 'admin' ? null : 'admin', ['user', 'add', '--username', who, '--role', role, '--password-env', 'NEWPW'], { NEWPW: `${who}-strict-pw-2026` });
      assert.equal(r.code, 0, r.err);
    }
    const file = join(home, 'dep.json');
    writeFileSync(file, JSON.stringify({ ...draft, startsAt: '2026-06-01T10:00:00Z', endsAt: '2026-06-01T16:00:00Z' }));
    const created = run('op', ['deployment', 'create', '--file', file]);
    assert.equal(created.code, 0, created.err);
    const id = String((JSON.parse(created.out) as { id: string }).id);
    for (const patch of [{ state: 'AUTHORISED', authorisedBy: 'usr_x' }, { [INJECTED_NAME]: 'x' }, { [INJECTED_THRESHOLD]: 1 }]) {
      writeFileSync(file, JSON.stringify(patch));
      const r = run('op', ['deployment', 'update', id, '--file', file]);
      assert.notEqual(r.code, 0, JSON.stringify(patch));
      assert.match(r.err, /openlfr: BAD_REQUEST: Invalid request: .*Unrecognized key/, r.err);
    }
    const shown = JSON.parse(run('op', ['deployment', 'show', id]).out) as { state: string; name: string; threshold: number; authorisedBy: string | null };
    assert.deepEqual([shown.state, shown.name, shown.threshold, shown.authorisedBy], ['DRAFT', draft.name, 0.6, null]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
