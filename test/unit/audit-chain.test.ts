/** The audit chain names the first bad entry after an edit, a deletion, a reordering or a truncation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openPglite } from '../../src/store/pglite-db.ts';
import { ManualClock } from '../helpers/governance.ts';

async function chainOf(n: number): Promise<{ db: Db; trail: AuditTrail }> {
  const db = await openPglite(undefined);
  await migrate(db);
  const clock = new ManualClock();
  const trail = new AuditTrail(clock);
  for (let i = 1; i <= n; i++) {
    clock.advance(1000);
    await db.transaction((tx) => trail.append(tx, { actor: 'user:a', action: 'thing.do', target: `thing:${i}`, reason: `because ${i}`, details: { i } }));
  }
  // The attacker: with the append-only triggers switched off (as a database superuser could).
  await db.exec('alter table audit_log disable trigger user; alter table audit_head disable trigger user;');
  return { db, trail };
}

test('audit chain: an intact chain verifies', async () => {
  const { db, trail } = await chainOf(6);
  const v = await trail.verify(db);
  assert.equal(v.ok, true);
  assert.equal(v.entries, 6);
  await db.close();
});

test('audit chain: an edited entry is named', async () => {
  const { db, trail } = await chainOf(6);
  await db.query(`update audit_log set reason = 'nothing to see' where seq = 4`);
  const v = await trail.verify(db);
  assert.equal(v.ok, false);
  assert.equal(v.firstBad?.seq, 4);
  assert.match(v.firstBad!.problem, /altered/);
  await db.close();
});

test('audit chain: an edit that also recomputes that entry’s hash is caught at the next entry', async () => {
  const { db, trail } = await chainOf(6);
  const [e] = await db.query<Record<string, unknown>>('select * from audit_log where seq = 3');
  const { hashEntry } = await import('../../src/governance/audit-trail.ts');
  const forged = { seq: 3, at: String(e!.at), actor: 'user:someone-else', action: String(e!.action), target: String(e!.target), reason: String(e!.reason), details: String(e!.details), prevHash: String(e!.prev_hash) };
  await db.query('update audit_log set actor = $1, hash = $2 where seq = 3', [forged.actor, hashEntry(forged)]);
  const v = await trail.verify(db);
  assert.equal(v.firstBad?.seq, 4);
  assert.match(v.firstBad!.problem, /does not link/);
  await db.close();
});

test('audit chain: a deleted entry is named', async () => {
  const { db, trail } = await chainOf(6);
  await db.query('delete from audit_log where seq = 2');
  const v = await trail.verify(db);
  assert.equal(v.ok, false);
  assert.equal(v.firstBad?.seq, 3);
  assert.match(v.firstBad!.problem, /entry 2 is missing/);
  await db.close();
});

test('audit chain: reordered entries are named', async () => {
  const { db, trail } = await chainOf(6);
  await db.exec('update audit_log set seq = -1 where seq = 3; update audit_log set seq = 3 where seq = 5; update audit_log set seq = 5 where seq = -1;');
  const v = await trail.verify(db);
  assert.equal(v.ok, false);
  assert.equal(v.firstBad?.seq, 3);
  await db.close();
});

test('audit chain: cutting entries off the end is detected by the head', async () => {
  const { db, trail } = await chainOf(6);
  await db.query('delete from audit_log where seq > 4');
  const v = await trail.verify(db);
  assert.equal(v.ok, false);
  assert.equal(v.firstBad?.seq, 5);
  assert.match(v.firstBad!.problem, /ends at entry 4 but the head records 6/);
  await db.close();
});

test('audit chain: a rewritten head is detected', async () => {
  const { db, trail } = await chainOf(3);
  await db.query(`update audit_head set head_hash = 'forged'`);
  const v = await trail.verify(db);
  assert.equal(v.ok, false);
  assert.match(v.firstBad!.problem, /head/);
  await db.close();
});

test('audit chain: a chain rewritten and re-hashed from an entry on passes the walk, but not a published anchor', async () => {
  const { db, trail } = await chainOf(6);
  const { hashEntry, parseAnchor } = await import('../../src/governance/audit-trail.ts');
  const published = await trail.anchor(db); // printed in a transparency report at seq 6
  assert.equal(published.seq, 6);
  const early = (await trail.verify(db)).ok && (await db.query<Record<string, unknown>>('select hash from audit_log where seq = 3'))[0]!.hash;
  // the attacker rewrites entry 3 and recomputes every hash after it, and the head
  const rows = await db.query<Record<string, unknown>>('select * from audit_log order by seq');
  let prev = String(rows[1]!.hash);
  for (const r of rows.slice(2)) {
    const rec = { seq: Number(r.seq), at: String(r.at), actor: r.seq === 3 ? 'user:someone-else' : String(r.actor), action: String(r.action), target: String(r.target), reason: String(r.reason), details: String(r.details), prevHash: prev };
    const hash = hashEntry(rec);
    await db.query('update audit_log set actor = $1, prev_hash = $2, hash = $3 where seq = $4', [rec.actor, prev, hash, rec.seq]);
    prev = hash;
  }
  await db.query('update audit_head set head_hash = $1 where id = 1', [prev]);
  assert.equal((await trail.verify(db)).ok, true, 'a consistent rewrite passes the walk: this is what the anchor is for');
  const v = await trail.verify(db, [published]);
  assert.equal(v.ok, false);
  assert.equal(v.firstBad?.seq, 6);
  assert.match(v.firstBad!.problem, /published hash/);
  assert.equal((await trail.verify(db, [{ seq: 2, hash: String(rows[1]!.hash) }])).ok, true, 'an anchor before the rewrite still holds');
  assert.equal((await trail.verify(db, [parseAnchor(`3:${String(early)}`)])).ok, false);
  assert.match((await trail.verify(db, [{ seq: 9, hash: 'a'.repeat(64) }])).firstBad!.problem, /no longer in the chain/);
  assert.throws(() => parseAnchor('3:xyz'), /anchor/);
  await db.close();
});
