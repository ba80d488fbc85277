/** Service rules not reached through the API routes: sessions expiring, disabled users, interrupted destruction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeRig, pngBytes } from '../helpers/governance.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { SYSTEM_SWEEP } from '../../src/governance/model.ts';
import { BiometricStore } from '../../src/store/biometric-store.ts';
import { AuditTrail } from '../../src/governance/audit-trail.ts';

const code = (c: string) => (e: unknown) => e instanceof OpenLfrError && e.code === c;

/** An ADMIN (admin / admin-password-1) and an OPERATOR (op / op-password-123). */
async function adminAndOperator(rig: Awaited<ReturnType<typeof makeRig>>) {
  const u = rig.services.users;
  await u.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
  const admin = await u.checkPassword('admin', 'admin-password-1', 'test');
  await u.create(admin, { username: 'op', displayName: 'O', roles: ['OPERATOR'], password: 'op-password-123' });
  return { u, admin };
}

test('sessions expire with the clock; disabling a user revokes their sessions and blocks login', async () => {
  const rig = await makeRig();
  try {
    const { u, admin } = await adminAndOperator(rig);
    const s = await u.login('op', 'op-password-123');
    assert.equal((await u.authenticate(s.token)).kind, 'user');
    rig.clock.advance(12 * 3600_000 + 1);
    await assert.rejects(u.authenticate(s.token), code('UNAUTHENTICATED'));
    const s2 = await u.login('op', 'op-password-123');
    await assert.rejects(u.setDisabled({ kind: 'user', user: (await u.checkPassword('op', 'op-password-123', 't') as { kind: 'user'; user: never }).user }, 'admin', true, 'x'), code('FORBIDDEN'));
    await u.setDisabled(admin, 'op', true, 'left the unit');
    await assert.rejects(u.authenticate(s2.token), code('UNAUTHENTICATED'));
    await assert.rejects(u.login('op', 'op-password-123'), code('AUTH_FAILED'));
    await assert.rejects(u.create(admin, { username: 'op', displayName: 'dup', roles: ['OPERATOR'], password: 'op-password-123' }), code('CONFLICT'));
  } finally {
    await rig.close();
  }
});

test('account lifecycle: roles change for the next request, never your own; the last ADMIN stays; a password change ends every session', async () => {
  const rig = await makeRig();
  try {
    const { u, admin } = await adminAndOperator(rig);
    const s = await u.login('op', 'op-password-123');
    // a posting: the operator becomes a watchlist manager; the open session sees the new roles at once
    const changed = await u.setRoles(admin, 'op', { roles: ['WATCHLIST_MANAGER'] }, 'posted to the watchlist team');
    assert.deepEqual(changed.roles, ['WATCHLIST_MANAGER']);
    const p = await u.authenticate(s.token);
    assert.deepEqual(p.kind === 'user' && p.user.roles, ['WATCHLIST_MANAGER']);
    // rules: the AO rank, no reason, yourself, the last ADMIN
    await assert.rejects(u.setRoles(admin, 'op', { roles: ['AUTHORISING_OFFICER'] }, 'promoted to superintendent'), code('RULE_VIOLATION'));
    await assert.rejects(u.setRoles(admin, 'op', { roles: ['OPERATOR'] }, ''), code('BAD_REQUEST'));
    await assert.rejects(u.setRoles(admin, 'admin', { roles: ['ADMIN', 'AUTHORISING_OFFICER'], rank: 'SUPERINTENDENT' }, 'I authorise myself'), code('RULE_VIOLATION'));
    await assert.rejects(u.setDisabled(admin, 'admin', true, 'going on leave'), code('RULE_VIOLATION'));
    await u.create(admin, { username: 'admin2', displayName: 'B', roles: ['ADMIN'], password: 'admin-password-2' });
    const admin2 = await u.checkPassword('admin2', 'admin-password-2', 'test');
    await u.setDisabled(admin2, 'admin', true, 'left the force');
    await assert.rejects(u.setRoles(admin2, 'op', { roles: ['ADMIN'] }, 'x'), code('BAD_REQUEST'), 'a reason is at least 5 characters');
    await assert.rejects(u.setDisabled(admin2, 'admin2', true, 'going on leave'), code('RULE_VIOLATION'));
    await assert.rejects(u.setRoles(admin2, 'nobody', { roles: ['OPERATOR'] }, 'a posting'), code('NOT_FOUND'));
    // a non-ADMIN cannot manage accounts; the operator changes their own password with the current one
    await assert.rejects(u.setRoles(p, 'admin2', { roles: ['AUDITOR'] }, 'a posting'), code('FORBIDDEN'));
    await assert.rejects(u.setPassword(p, 'admin2', { newPassword: 'new-password-123', reason: 'forgotten it' }), code('FORBIDDEN'));
    await assert.rejects(u.setPassword(p, 'op', { newPassword: 'new-password-123', currentPassword: 'wrong-password-1' }), code('AUTH_FAILED'));
    await assert.rejects(u.setPassword(p, 'op', { newPassword: 'short', currentPassword: 'op-password-123' }), code('BAD_REQUEST'));
    await u.setPassword(p, 'op', { newPassword: 'new-password-123', currentPassword: 'op-password-123' });
    await assert.rejects(u.authenticate(s.token), code('UNAUTHENTICATED'), 'the session of the old password has ended');
    await assert.rejects(u.login('op', 'op-password-123'), code('AUTH_FAILED'));
    await u.login('op', 'new-password-123');
    // an ADMIN reset needs a reason
    await assert.rejects(u.setPassword(admin2, 'op', { newPassword: 'reset-password-1' }), code('BAD_REQUEST'));
    await u.setPassword(admin2, 'op', { newPassword: 'reset-password-1', reason: 'locked out, identity checked in person' });
    await u.login('op', 'reset-password-1');
    const trail = await rig.db.query<{ action: string; actor: string; details: string }>(`select action, actor, details from audit_log where action like 'user.%' order by seq`);
    assert.deepEqual(trail.map((t) => t.action), ['user.create', 'user.create', 'user.roles', 'user.create', 'user.disable', 'user.password.change', 'user.password.reset']);
    assert.match(trail[2]!.details, /"from":\{"rank":null,"roles":\["OPERATOR"\]\},"rowState":\[\{"id":"usr_[^"]+","sha256":"[0-9a-f]{64}","table":"users"\}\],"to":\{"rank":null,"roles":\["WATCHLIST_MANAGER"\]\}/);
    assert.ok(trail.every((t) => !/password-1|password-123/.test(t.details)), 'no password in the trail');
  } finally {
    await rig.close();
  }
});

test('a destruction interrupted after the biometrics went but before the entries were stripped is finished by the next sweep', async () => {
  const rig = await makeRig();
  try {
    const { users, deployments, watchlists } = rig.services;
    await users.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
    const admin = await users.checkPassword('admin', 'admin-password-1', 'test');
    await users.create(admin, { username: 'op', displayName: 'O', roles: ['OPERATOR'], password: 'op-password-123' });
    await users.create(admin, { username: 'wm', displayName: 'W', roles: ['WATCHLIST_MANAGER'], password: 'wm-password-123' });
    const op = await users.checkPassword('op', 'op-password-123', 't');
    const wm = await users.checkPassword('wm', 'wm-password-123', 't');
    const d = await deployments.create(op, {
      name: 'd', purpose: 'Locate wanted persons', useCase: 'u', locations: [{ name: 'L', reason: 'expected there' }], cameras: ['c'],
      startsAt: new Date('2026-06-01T10:00:00Z'), endsAt: new Date('2026-06-01T12:00:00Z'), threshold: 0.6, dpiaRef: 'D', policyRefs: ['P'],
    });
    const e = await watchlists.enrol(wm, d.id, {
      sourceRecordId: 'R1', category: 'MISSING_AT_RISK', reason: 'Missing since Monday, vulnerable', legalBasis: 'Common law policing purpose: protect life',
      imageSource: 'family photo', captureDate: '2026-05-01', under18: false, image: await pngBytes(),
    });
    // The crash: the biometric store destroyed the data, the process died before the entries were stripped.
    const bio = new BiometricStore({ key: rig.services.key, home: rig.home, clock: rig.clock, audit: new AuditTrail(rig.clock) });
    await bio.destroy(rig.db, [e.id], { actor: 'system:retention-sweep', reason: 'test' });
    await rig.db.query(`update deployments set state = 'CANCELLED' where id = $1`, [d.id]);
    const r = await deployments.sweep();
    assert.deepEqual(r.destroyed.map((x) => [x.deploymentId, x.images, x.templates, x.entries]), [[d.id, 0, 0, 1]]);
    const [entry] = await watchlists.list(SYSTEM_SWEEP, d.id);
    assert.equal(entry!.reason, null);
    assert.ok(entry!.destroyedAt);
    assert.equal(readdirSync(join(rig.home, 'blobs'), { recursive: true }).filter((f) => String(f).endsWith('.sealed')).length, 0);
    assert.equal((await rig.services.audit.verify({ kind: 'system', name: 'audit-verifier' })).ok, true);
  } finally {
    await rig.close();
  }
});

test('five wrong passwords lock the account for 15 minutes (even the right password is refused), audited; the lock ends with the clock', async () => {
  const rig = await makeRig();
  try {
    const { u, admin } = await adminAndOperator(rig);
    for (let i = 0; i < 4; i++) await assert.rejects(u.login('op', `guess-number-${i}`), code('AUTH_FAILED'));
    const s = await u.login('op', 'op-password-123');
    assert.ok(s.token, 'four failures do not lock, and a success clears the count');
    for (let i = 0; i < 5; i++) await assert.rejects(u.login('op', `guess-again-${i}`), code('AUTH_FAILED'));
    await assert.rejects(u.login('op', 'op-password-123'), (e: unknown) => e instanceof OpenLfrError && e.code === 'AUTH_THROTTLED' && e.status === 429 && (e.details?.['retryAfterSec'] as number) > 800);
    await assert.rejects(u.checkPassword('op', 'op-password-123', 'cli'), code('AUTH_THROTTLED'), 'the CLI path is throttled too');
    assert.ok(await u.login('admin', 'admin-password-1'), 'another account is not affected');
    const locked = await rig.services.audit.list(admin, { action: 'auth.locked' });
    assert.equal(locked.length, 1);
    assert.equal(locked[0]!.target, 'user:op');
    rig.clock.advance(15 * 60_000 + 1000);
    assert.ok(await u.login('op', 'op-password-123'), 'the lock ends');
    // failures spread wider than the window never add up to a lock
    for (let i = 0; i < 8; i++) {
      await assert.rejects(u.login('op', `slow-guess-${i}`), code('AUTH_FAILED'));
      rig.clock.advance(4 * 60_000);
    }
    assert.ok(await u.login('op', 'op-password-123'));
  } finally {
    await rig.close();
  }
});
