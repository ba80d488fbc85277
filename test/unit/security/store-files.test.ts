/**
 * Issue 14, finding 11 (docs/security.md): the store's files. A pre-existing home with mode 755 left the
 * database world-readable; a wrong data key was accepted silently; OPENLFR_DEMO=1 on a real store wrote a
 * throwaway key beside its data. Each attack is made on a real embedded store through `openServices` (what the
 * server and every CLI command call).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.ts';
import { OpenLfrError } from '../../../src/errors.ts';
import { openServices, type Services } from '../../../src/governance/services.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { FakeEngine } from '../../helpers/scripted-engine.ts';
import { pngBytes } from '../../helpers/governance.ts';

const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
const open = (home: string, o: { key?: string; demo?: boolean } = {}) =>
  openServices(loadConfig({ home, ...(o.key ? { key: o.key } : {}), ...(o.demo ? { demo: true } : {}) }, {}), async () => new FakeEngine());

async function auditActions(home: string, key: string, action: string): Promise<{ reason: string; details: unknown }[]> {
  const s = await open(home, { key });
  try {
    return await s.store.db.query<{ reason: string; details: unknown }>('select reason, details from audit_log where action = $1 order by seq', [action]);
  } finally {
    await s.close();
  }
}

async function enrolOne(s: Services): Promise<void> {
  await s.users.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
  const admin = await s.users.checkPassword('admin', 'admin-password-1', 't');
  await s.users.create(admin, { username: 'wm', displayName: 'W', roles: ['WATCHLIST_MANAGER'], password: 'wm-password-123' });
  const wm = await s.users.checkPassword('wm', 'wm-password-123', 't');
  await s.users.create(admin, { username: 'op', displayName: 'O', roles: ['OPERATOR'], password: 'op-password-123' });
  const op = await s.users.checkPassword('op', 'op-password-123', 't');
  const dep = await s.deployments.create(op, {
    name: 'd', purpose: 'Locate wanted persons in the crowd', useCase: 'wanted', locations: [{ name: 'L', reason: 'subjects expected here' }], cameras: ['c'],
    startsAt: new Date('2030-06-01T10:00:00Z'), endsAt: new Date('2030-06-01T12:00:00Z'), threshold: 0.6, dpiaRef: 'D', policyRefs: ['P'],
  });
  await s.watchlists.enrol(wm, dep.id, { sourceRecordId: 'R1', category: 'WANTED_BY_COURT', reason: 'Warrant issued for failing to appear', legalBasis: 'Warrant of the Crown Court', imageSource: 'custody', captureDate: '2026-01-05', under18: false, image: await pngBytes(7) });
}

test('store files: a home others can read (755, 750, 701) is refused before anything is opened; a new home is 0700, its lock and sealed files 0600', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'openlfr-storefiles-'));
  const key = randomBytes(32).toString('base64');
  try {
    for (const m of [0o755, 0o750, 0o701]) {
      const made = mkdtempSync(join(tmp, 'h-'));
      chmodSync(made, m);
      await assert.rejects(open(made, { key }), (e: unknown) => code('STORE_PERMISSIONS')(e) && /chmod 700/.test((e as Error).message), `mode ${m.toString(8)}`);
      assert.deepEqual(readdirSync(made), [], 'nothing was written into the readable home');
    }

    const home = join(tmp, 'fresh', 'home');
    const s = await open(home, { key });
    try {
      await enrolOne(s);
      assert.equal(mode(home), '700');
      assert.equal(mode(join(home, 'db.lock')), '600');
      const blobs = join(home, 'blobs');
      assert.equal(mode(blobs), '700');
      const sealed = readdirSync(blobs).flatMap((d) => readdirSync(join(blobs, d)).map((f) => join(blobs, d, f)));
      assert.equal(sealed.length, 1);
      for (const f of sealed) assert.equal(mode(f), '600');
    } finally {
      await s.close();
    }
    // the same home, later made readable by someone: refused
    chmodSync(home, 0o755);
    await assert.rejects(open(home, { key }), code('STORE_PERMISSIONS'));
    chmodSync(home, 0o700);
    await (await open(home, { key })).close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('store files: a wrong data key is refused at start (KEY_WRONG, audited, no key in the trail), also on a store from before the key check; the store key still opens it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-keycheck-'));
  const key = randomBytes(32).toString('base64');
  const wrong = randomBytes(32).toString('base64');
  try {
    const s = await open(home, { key });
    await enrolOne(s);
    await s.close();

    await assert.rejects(open(home, { key: wrong }), (e: unknown) => code('KEY_WRONG')(e) && /not the key this store was created with/.test((e as Error).message));
    const s2 = await open(home, { key });
    try {
      const img = await s2.store.db.query<{ id: string }>('select id from watchlist_entries');
      const wm = await s2.users.checkPassword('wm', 'wm-password-123', 't');
      assert.ok((await s2.watchlists.image(wm, img[0]!.id, 'checking the enrolment')).length > 0, 'the right key opens the sealed image');
    } finally {
      await s2.close();
    }
    // a store made before the key check (its row missing, data sealed): a wrong key given at the first start
    // after the upgrade does not open the data and is not recorded; the right one is
    const st = await openStore({ home });
    await st.db.query('delete from store_key_check');
    await st.close();
    await assert.rejects(open(home, { key: wrong }), (e: unknown) => code('KEY_WRONG')(e) && /does not open the data already sealed/.test((e as Error).message));
    await (await open(home, { key })).close();
    await assert.rejects(open(home, { key: wrong }), code('KEY_WRONG'));

    const refused = await auditActions(home, key, 'store.key.refused');
    assert.equal(refused.length, 3);
    const trail = JSON.stringify(await auditActions(home, key, 'store.key-check.recorded')) + JSON.stringify(refused);
    for (const k of [key, wrong]) assert.ok(!trail.includes(k), 'no key in the audit trail');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('store files: OPENLFR_DEMO=1 on a real store is refused and writes no key; a demo store reopens in demo mode', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'openlfr-demo-real-'));
  const key = randomBytes(32).toString('base64');
  try {
    const real = join(tmp, 'real');
    const s = await open(real, { key });
    await s.users.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
    await s.close();
    await assert.rejects(open(real, { demo: true }), code('DEMO_REAL_STORE'));
    assert.equal(existsSync(join(real, 'keys')), false, 'no demo key was written beside the data');
    await assert.rejects(open(real, { demo: true, key }), code('DEMO_REAL_STORE'), 'demo mode is refused even with the right key');
    assert.equal((await auditActions(real, key, 'store.demo.refused')).length, 2);

    // a store made before the key check (its row missing) that holds data counts as real
    const st = await openStore({ home: real });
    await st.db.query('delete from store_key_check');
    await st.close();
    await assert.rejects(open(real, { demo: true }), code('DEMO_REAL_STORE'));
    assert.equal(existsSync(join(real, 'keys')), false);

    const demo = join(tmp, 'demo');
    await (await open(demo, { demo: true })).close();
    assert.equal(mode(join(demo, 'keys', 'demo.key')), '600');
    await (await open(demo, { demo: true })).close();
    await assert.rejects(open(demo, { key }), code('KEY_WRONG'), 'a real key on the demo store is not its key');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
