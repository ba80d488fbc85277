/**
 * The storage contract: one suite, run against every Db implementation (embedded PGlite and a real
 * PostgreSQL server). It proves the same schema, queries and guarantees hold on both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../src/store/db.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';
import { makeRepos } from '../../src/store/repositories/governance.ts';
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import type { Deployment } from '../../src/governance/model.ts';
import { ManualClock } from '../helpers/governance.ts';
import { biometricsRepo } from '../../src/store/repositories/biometrics.ts';

export function storageContract(name: string, open: () => Promise<Db>): void {
  test(`${name}: migrations apply once, are recorded, and re-running applies nothing`, async () => {
    const db = await open();
    try {
      const first = await migrate(db);
      assert.deepEqual(first, listMigrations().map((m) => m.version));
      assert.deepEqual(await migrate(db), []);
      const rows = await db.query<{ version: number }>('select version from schema_migrations order by version');
      assert.deepEqual(rows.map((r) => r.version), first);
    } finally {
      await db.close();
    }
  });

  test(`${name}: records round-trip with the same types (dates, json, bytes, numbers)`, async () => {
    const db = await open();
    try {
      await migrate(db);
      const r = makeRepos(db);
      const now = new Date('2026-06-01T08:00:00.123Z');
      await r.users.insert({ id: 'u1', username: 'ann', displayName: 'Ann', roles: ['ADMIN', 'AUDITOR'], rank: null, createdAt: now, createdBy: null, passwordHash: 'h' });
      const u = await r.users.byId('u1');
      assert.deepEqual(u, { id: 'u1', username: 'ann', displayName: 'Ann', roles: ['ADMIN', 'AUDITOR'], rank: null, disabled: false, createdAt: now, createdBy: null });
      assert.equal(await r.users.count(), 1);
      const dep = {
        id: 'd1', name: 'N', purpose: 'purpose text', useCase: 'uc', locations: [{ name: 'L', reason: 'because' }], cameras: ['c1'],
        startsAt: now, endsAt: new Date(now.getTime() + 3600_000), threshold: 0.55, dpiaRef: 'DPIA-1', policyRefs: ['P1'], state: 'DRAFT',
        createdBy: 'u1', createdAt: now, updatedAt: now,
      } as Partial<Deployment> as Deployment;
      await r.deployments.insert(dep);
      const got = (await r.deployments.byId('d1'))!;
      assert.equal(got.threshold, 0.55);
      assert.deepEqual(got.locations, dep.locations);
      assert.deepEqual(got.startsAt, now);
      await r.deployments.update('d1', { state: 'AUTHORISED', authorisedBy: 'u1', authorisedAt: now });
      assert.equal((await r.deployments.byId('d1'))!.state, 'AUTHORISED');
      await assert.rejects(r.deployments.update('d1', { state: 'BOGUS' as never }), /check/i);
      const b = biometricsRepo(db);
      const sealed = new Uint8Array([0, 1, 2, 255]);
      await b.insertTemplate({ id: 't1', kind: 'watchlist', ownerId: 'e1', engineId: 'x', dims: 1, sealed, createdAt: now });
      const [t] = await b.templatesOf(['e1', 'e2']);
      assert.ok(t!.sealed instanceof Uint8Array);
      assert.deepEqual([...t!.sealed], [...sealed]);
      assert.equal(await b.deleteTemplates(['e1']), 1);
      const decided = { recordedBy: 'admin', approvedBy: null, approvedAt: null, decisionReason: null };
      await r.calibrations.insert({ id: 'c1', engineId: 'x', datasetFingerprint: 'fp', createdAt: now, threshold: 0.61, figures: { far: 0.001 }, status: 'ACTIVE', ...decided });
      await r.calibrations.insert({ id: 'c2', engineId: 'x', datasetFingerprint: 'fp2', createdAt: new Date(now.getTime() + 1), threshold: 0.63, figures: {}, status: 'ACTIVE', ...decided });
      await r.calibrations.insert({ id: 'c3', engineId: 'x', datasetFingerprint: 'fp3', createdAt: new Date(now.getTime() + 2), threshold: 0.4, figures: {}, status: 'PENDING', ...decided });
      assert.equal((await r.calibrations.latest('x'))!.id, 'c2', 'a pending calibration does not set the floor');
      assert.equal(await r.calibrations.decide('c3', { status: 'ACTIVE', approvedBy: 'ao', approvedAt: new Date(now.getTime() + 3), decisionReason: 'checked' }), true);
      assert.equal(await r.calibrations.decide('c3', { status: 'REJECTED', approvedBy: 'ao', approvedAt: new Date(now.getTime() + 4), decisionReason: 'again' }), false);
      assert.equal((await r.calibrations.latest('x'))!.id, 'c3', 'approved, it is the latest active');
      assert.equal(await r.calibrations.latest('y'), undefined);
    } finally {
      await db.close();
    }
  });

  test(`${name}: a transaction that throws leaves nothing behind`, async () => {
    const db = await open();
    try {
      await migrate(db);
      await assert.rejects(
        db.transaction(async (tx) => {
          await makeRepos(tx).users.insert({ id: 'u2', username: 'bob', displayName: 'B', roles: ['OPERATOR'], rank: null, createdAt: new Date(), createdBy: null, passwordHash: 'h' });
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await makeRepos(db).users.count(), 0);
    } finally {
      await db.close();
    }
  });

  test(`${name}: the audit log is append-only and its head only moves forward`, async () => {
    const db = await open();
    try {
      await migrate(db);
      const trail = new AuditTrail(new ManualClock());
      for (let i = 0; i < 3; i++) await db.transaction((tx) => trail.append(tx, { actor: 'user:a', action: 'x', target: `t:${i}`, reason: 'r' }));
      assert.deepEqual(await trail.verifyStore(db), { ok: true, entries: 3, headCount: 3, rowsChecked: 0, headHash: (await db.query<{ hash: string }>('select hash from audit_log where seq = 3'))[0]!.hash });
      await assert.rejects(db.query(`update audit_log set reason = 'changed' where seq = 2`), /append-only/);
      await assert.rejects(db.query('delete from audit_log where seq = 3'), /append-only/);
      await assert.rejects(db.exec('truncate audit_log'), /append-only/);
      await assert.rejects(db.query('update audit_head set count = 1'), /forward/);
      await assert.rejects(db.query('delete from audit_head'), /forward/);
      assert.equal((await trail.verify(db)).ok, true);
    } finally {
      await db.close();
    }
  });

  test(`${name}: concurrent appends stay one unbroken chain`, async () => {
    const db = await open();
    try {
      await migrate(db);
      const trail = new AuditTrail(new ManualClock());
      await Promise.all(Array.from({ length: 20 }, (_, i) => db.transaction((tx) => trail.append(tx, { actor: 'a', action: 'x', target: `t:${i}`, reason: 'r' }))));
      const v = await trail.verify(db);
      assert.equal(v.ok, true);
      assert.equal(v.entries, 20);
    } finally {
      await db.close();
    }
  });

  test(`${name}: verify replays the trail in one snapshot: a user and its entry committed during the replay are seen whole or not at all`, async () => {
    const db = await open();
    try {
      await migrate(db);
      const trail = new AuditTrail(new ManualClock());
      const addUser = (id: string) =>
        db.transaction(async (tx) => {
          await tx.query(`insert into users (id, username, display_name, password_hash, roles, created_at) values ($1, $1, $1, 'x', '["OPERATOR"]', now())`, [id]);
          await trail.append(tx, { actor: 'user:a', action: 'user.create', target: `user:${id}`, reason: 'account created', state: [{ table: 'users', id }] });
        });
      await addUser('usr_1');
      // a Db whose replay of the users table first lets another connection commit a new user and its entry
      let committing: Promise<void> | null = null;
      const racing: Db = {
        ...db,
        kind: db.kind,
        query: db.query.bind(db),
        exec: db.exec.bind(db),
        close: db.close.bind(db),
        transaction: (fn) =>
          db.transaction((tx) =>
            fn({
              exec: tx.exec.bind(tx),
              async query(sql, params) {
                if (!committing && /^select .* from users where id > \$1/.test(sql)) {
                  committing = addUser('usr_2');
                  await new Promise((r) => setTimeout(r, 300));
                }
                return tx.query(sql, params);
              },
            } as typeof tx),
          ),
      };
      const v = await trail.verifyStore(racing);
      assert.ok(committing, 'the race ran');
      assert.equal(v.ok, true, JSON.stringify(v.firstBad));
      await committing;
      const after = await trail.verifyStore(db);
      assert.equal(after.ok, true, JSON.stringify(after.firstBad));
      assert.equal(after.rowsChecked, 2);
      // and a row changed behind the trail is named
      await db.query(`update users set roles = '["ADMIN"]' where id = 'usr_2'`);
      assert.match((await trail.verifyStore(db)).firstBad!.problem, /users row usr_2 differs from its state recorded by audit entry 2/);
    } finally {
      await db.close();
    }
  });
}
