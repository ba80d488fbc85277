/**
 * Issue 14, item 7: the audit chain protected only the trail, so SQL edits to deployments, alerts and users
 * passed `audit verify` and reached published reports. Now every entry that changes one of those rows
 * records a hash of the row after the change; verify replays the trail against the tables and names the
 * first difference, and no transparency record is published from a store that does not match.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/api/app.ts';
import { OpenLfrError } from '../../src/errors.ts';
import type { Alert } from '../../src/governance/model.ts';
import { AuditTrail, rowHash } from '../../src/governance/audit-trail.ts';
import { auditStateRepo } from '../../src/store/repositories/audit.ts';
import { storeOn } from '../../src/store/open-store.ts';
import { openPglite } from '../../src/store/pglite-db.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';
import type { Db, Queryable } from '../../src/store/db.ts';
import { client } from '../helpers/api-client.ts';
import { makeRig, type TestRig } from '../helpers/governance.ts';
import { judge, liveDeployment, people, raise, type People } from '../helpers/live-deployment.ts';

let rig: TestRig;
let p: People;
let dep: { id: string; subjectRefs: string[] };
let alert: Alert;
let call: ReturnType<typeof client>;
let audTok: string;
const verify = () => rig.services.audit.verify({ kind: 'system', name: 'audit-verifier' });
const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;

/** Runs once just before the next read of the alerts table by verify's replay (to commit a change in between). */
let beforeAlertsReplay: (() => Promise<void>) | null = null;
const REPLAY_ALERTS = /^select .* from alerts where id > \$1 order by id/;
/** The embedded store, with a hook on the statement that reads the alerts table for the replay. */
async function hookedDb(): Promise<Db> {
  const db = await openPglite(undefined);
  const hooked = (q: Queryable): Queryable['query'] =>
    async function query(sql, params) {
      const hook = beforeAlertsReplay;
      if (hook && REPLAY_ALERTS.test(sql)) {
        beforeAlertsReplay = null;
        await hook();
      }
      return q.query(sql, params);
    } as Queryable['query'];
  return { ...db, kind: db.kind, query: hooked(db), transaction: (fn) => db.transaction((tx) => fn({ ...tx, exec: tx.exec.bind(tx), query: hooked(tx) })), exec: db.exec.bind(db), close: db.close.bind(db) };
}

before(async () => {
  rig = await makeRig({ db: await hookedDb() });
  p = await people(rig.services);
  dep = await liveDeployment(rig.services, p, rig.clock);
  alert = await raise(rig.services, dep.id, dep.subjectRefs[0]!);
  await judge(rig.services, p, alert.id, 'DISMISS');
  call = client(createApp(rig.services));
  audTok = (await call('POST', '/api/v1/sessions', null, { username: 'aud', password: 'aud-password-1' })).body.token as string;
});
after(async () => rig.close());

/** Run an edit as raw SQL, check what verify and the reports say, then undo it and check the store matches again. */
async function attack(edit: string, undo: string, expect: RegExp): Promise<void> {
  await rig.db.exec(edit);
  const v = await verify();
  assert.equal(v.ok, false, `verify must fail after: ${edit}`);
  assert.match(v.firstBad!.problem, expect);
  await assert.rejects(rig.services.transparency.deployment(p.aud, dep.id), (e) => code('AUDIT_STORE_MISMATCH')(e) && expect.test((e as Error).message));
  const api = await call('GET', `/api/v1/reports/summary?from=2026-01-01&to=2027-01-01`, audTok);
  assert.equal(api.status, 409);
  assert.equal(api.body.code, 'AUDIT_STORE_MISMATCH');
  const viaApi = await call('GET', '/api/v1/audit/verify', audTok);
  assert.equal(viaApi.body.ok, false);
  assert.match((viaApi.body.firstBad as { problem: string }).problem, expect);
  assert.ok((viaApi.body.firstBad as { row?: { table: string } }).row?.table, 'the API names the row');
  await rig.db.exec(undo);
  assert.equal((await verify()).ok, true, `undone: ${undo}`);
}

test('audit state: an intact store verifies, every row of deployments, alerts and users checked; reports publish', async () => {
  const v = await verify();
  assert.equal(v.ok, true, JSON.stringify(v.firstBad));
  assert.ok(v.rowsChecked! >= 1 + 1 + 7, `rows checked: ${v.rowsChecked}`);
  assert.equal((await rig.services.transparency.deployment(p.aud, dep.id)).deploymentId, dep.id);
});

test('audit state: an alert edited with SQL (a dismissed false alert turned into an arrest) is named, and reports refuse', async () => {
  await attack(
    `update alerts set status = 'CLOSED', operator_decision = 'ENGAGE', outcome = 'ARRESTED' where id = '${alert.id}'`,
    `update alerts set status = 'DISMISSED', operator_decision = 'DISMISS', outcome = null where id = '${alert.id}'`,
    new RegExp(`alerts row ${alert.id} differs from its state recorded by audit entry \\d+: it was changed outside OpenLFR`),
  );
});

test('audit state: a deployment edited with SQL (threshold lowered below the floor after go-live) is named', async () => {
  const [row] = await rig.db.query<{ threshold: number }>('select threshold from deployments where id = $1', [dep.id]);
  await attack(`update deployments set threshold = 0.2 where id = '${dep.id}'`, `update deployments set threshold = ${row!.threshold} where id = '${dep.id}'`, new RegExp(`deployments row ${dep.id} differs`));
});

test('audit state: a user granted a role with SQL, a user inserted with SQL, an alert deleted with SQL: each named', async () => {
  const op = p.op.kind === 'user' ? p.op.user : null;
  await attack(`update users set roles = '["OPERATOR","ADMIN"]' where id = '${op!.id}'`, `update users set roles = '["OPERATOR"]' where id = '${op!.id}'`, new RegExp(`users row ${op!.id} differs`));
  await attack(
    `insert into users (id, username, display_name, password_hash, roles, created_at) values ('usr_mallory', 'mallory', 'M', 'x', '["ADMIN"]', now())`,
    `delete from users where id = 'usr_mallory'`,
    /users row usr_mallory is not in the audit trail: it was inserted outside OpenLFR/,
  );
  const [a] = await rig.db.query<Record<string, unknown>>('select * from alerts where id = $1', [alert.id]);
  const cols = Object.keys(a!);
  const lit = (v: unknown) => (v === null ? 'null' : v instanceof Date ? `'${v.toISOString()}'` : typeof v === 'number' || typeof v === 'boolean' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
  await attack(
    `delete from alerts where id = '${alert.id}'`,
    `insert into alerts (${cols.join(', ')}) values (${cols.map((c) => lit(a![c])).join(', ')})`,
    new RegExp(`alerts row ${alert.id} recorded by audit entry \\d+ is gone: it was deleted outside OpenLFR`),
  );
});

test('audit state: a store upgraded from before migration 0022 gets one baseline entry at first start; a later edit is still found', async () => {
  assert.equal((await rig.db.query<{ due: boolean }>('select due from audit_state_baseline'))[0]!.due, false, 'a store made after 0022 needs no baseline');
  // a store at migration 0021 with a user and its (state-less) audit entry, as written before this change
  const db = await openPglite(undefined);
  try {
    await migrate(db, listMigrations().filter((m) => m.version < 22));
    const trail = new AuditTrail(rig.clock);
    const store = storeOn(db);
    await db.exec(`insert into users (id, username, display_name, password_hash, roles, created_at) values ('usr_old', 'old', 'Old', 'x', '["ADMIN"]', now())`);
    await store.tx((_r, tx) => trail.append(tx, { actor: 'system:bootstrap', action: 'user.create', target: 'user:old', reason: 'first administrator of an empty store' }));
    assert.ok((await migrate(db)).includes(22));
    assert.equal((await db.query<{ due: boolean }>('select due from audit_state_baseline'))[0]!.due, true);
    const before = await trail.verifyStore(db);
    assert.equal(before.ok, false, 'before the baseline the row is unknown to the trail');
    assert.equal(await trail.baselineIfDue(store), true);
    assert.equal(await trail.baselineIfDue(store), false, 'once');
    const [b] = await db.query<{ actor: string; details: string }>("select actor, details from audit_log where action = 'audit.state-baseline'");
    assert.equal(b!.actor, 'system:audit-verifier');
    assert.deepEqual((JSON.parse(b!.details) as { rowState: { id: string }[] }).rowState.map((r) => r.id), ['usr_old']);
    assert.equal((await trail.verifyStore(db)).ok, true);
    await db.exec(`update users set roles = '["ADMIN","AUTHORISING_OFFICER"]', rank = 'SUPERINTENDENT' where id = 'usr_old'`);
    const v = await trail.verifyStore(db);
    assert.equal(v.ok, false);
    assert.match(v.firstBad!.problem, /users row usr_old differs from its state recorded by audit entry 2: it was changed outside OpenLFR/);
  } finally {
    await db.close();
  }
});

test('audit state: an alert raised while verify runs is seen whole or not at all (one snapshot): no false mismatch', async () => {
  // the alert's row and its entry are committed together; a verify that walked the chain before that commit
  // and read the alerts table after it would call the new row "inserted outside OpenLFR" (a false alarm).
  // Here the alert is raised exactly between the walk and the replay of the alerts table.
  let raised: Promise<Alert> | null = null;
  beforeAlertsReplay = async () => {
    raised = raise(rig.services, dep.id, dep.subjectRefs[0]!);
    await new Promise((r) => setTimeout(r, 300));
  };
  const v = await verify();
  assert.equal(beforeAlertsReplay, null, 'the hook ran');
  assert.equal(v.ok, true, JSON.stringify(v.firstBad));
  const a = await raised!;
  const after = await verify();
  assert.equal(after.ok, true, JSON.stringify(after.firstBad));
  assert.equal(after.rowsChecked, v.rowsChecked! + 1, `the next verify checks ${a.id} too`);
});

test('audit state: an edit followed by a forged "baseline due" flag is not legitimised at the next start', async () => {
  // the attacker edits a row, then sets the migration flag so that the next start would record the edited
  // state as the baseline; the trail already records states, so no baseline is taken, and the refusal is audited
  const [row] = await rig.db.query<{ threshold: number }>('select threshold from deployments where id = $1', [dep.id]);
  await rig.db.exec(`update deployments set threshold = 0.2 where id = '${dep.id}'`);
  await rig.db.exec('update audit_state_baseline set due = true where id = 1');
  const trail = new AuditTrail(rig.clock);
  assert.equal(await trail.baselineIfDue(storeOn(rig.db)), false);
  const v = await verify();
  assert.equal(v.ok, false);
  assert.match(v.firstBad!.problem, new RegExp(`deployments row ${dep.id} differs`));
  const [refused] = await rig.db.query<{ actor: string; reason: string }>("select actor, reason from audit_log where action = 'audit.state-baseline.refused'");
  assert.equal(refused!.actor, 'system:audit-verifier');
  assert.match(refused!.reason, /already records row states/);
  assert.equal((await rig.db.query<{ due: boolean }>('select due from audit_state_baseline'))[0]!.due, false);
  await rig.db.exec(`update deployments set threshold = ${row!.threshold} where id = '${dep.id}'`);
  assert.equal((await verify()).ok, true);
});

test('audit state: a caller cannot write a row state of its own into an entry (only the rows themselves are hashed)', async () => {
  const op = p.op.kind === 'user' ? p.op.user : null;
  // an entry carrying a forged rowState for a row it did not change, as if to bless a later SQL edit
  await rig.db.exec(`update users set display_name = 'Mallory' where id = '${op!.id}'`);
  const forged = [{ table: 'users', id: op!.id, sha256: rowHash(await auditStateRepo(rig.db).row('users', op!.id)) }];
  await storeOn(rig.db).tx((_r, tx) => new AuditTrail(rig.clock).append(tx, { actor: 'user:op', action: 'note', target: 'x', reason: 'r', details: { rowState: forged } }));
  const [e] = await rig.db.query<{ details: string }>("select details from audit_log where action = 'note'");
  assert.equal(e!.details, '{}');
  assert.match((await verify()).firstBad!.problem, new RegExp(`users row ${op!.id} differs`));
  await rig.db.exec(`update users set display_name = 'op' where id = '${op!.id}'`);
});
