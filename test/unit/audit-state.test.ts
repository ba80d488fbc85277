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
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import { storeOn } from '../../src/store/open-store.ts';
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

before(async () => {
  rig = await makeRig();
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

test('audit state: a store upgraded with rows gets one baseline entry at start; a later edit is still found', async () => {
  // what migration 0022 does on a store that had rows: a baseline is due
  await rig.db.exec('update audit_state_baseline set due = true where id = 1');
  const trail = new AuditTrail(rig.clock);
  assert.equal(await trail.baselineIfDue(storeOn(rig.db)), true);
  assert.equal(await trail.baselineIfDue(storeOn(rig.db)), false, 'once');
  const [b] = await rig.db.query<{ actor: string; details: string }>("select actor, details from audit_log where action = 'audit.state-baseline'");
  assert.equal(b!.actor, 'system:audit-verifier');
  assert.ok((JSON.parse(b!.details) as { rowState: unknown[] }).rowState.length >= 9);
  assert.equal((await verify()).ok, true);
  const [d] = await rig.db.query<{ purpose: string }>('select purpose from deployments where id = $1', [dep.id]);
  await attack(`update deployments set purpose = 'something else' where id = '${dep.id}'`, `update deployments set purpose = '${d!.purpose.replaceAll("'", "''")}' where id = '${dep.id}'`, /deployments row/);
});
