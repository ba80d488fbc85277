/**
 * Issue 14, finding 12: passwords were checked for length only, and a password typed as a username was kept
 * in the audit trail. Now: at least 12 characters and a zxcvbn score of 3 or more (common-password lists,
 * words, patterns, the account's own names); a failed login for an unknown username records a keyed hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/api/app.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { checkPasswordStrength } from '../../src/governance/password-policy.ts';
import { DEMO_USERS } from '../../src/demo/live-demo.ts';
import { makeRig } from '../helpers/governance.ts';
import { client } from '../helpers/api-client.ts';

const weak = (c = 'PASSWORD_WEAK') => (e: unknown) => e instanceof OpenLfrError && e.code === c;
const COMMON = ['password1234', 'Password123!', 'qwertyuiop123', '123456789012', 'aaaaaaaaaaaa', 'iloveyou2026', 'abcdefghijkl', 'letmein12345'];

test('passwords: common passwords, patterns and the account name are refused at creation, reset and change; the fixtures pass', async () => {
  for (const p of COMMON) assert.throws(() => checkPasswordStrength(p, ['jsmith']), weak(), p);
  assert.throws(() => checkPasswordStrength('short-pw', []), weak('BAD_REQUEST'));
  assert.throws(() => checkPasswordStrength('jsmith-jsmith-1', ['jsmith']), weak(), 'built on the username');
  // what tests, the demo and the docs use still passes
  for (const p of ['admin-password-1', 'op-password-123', 'wm-password-123', 'demo-password-not-secret', 'correct horse battery staple']) checkPasswordStrength(p, ['op']);
  assert.ok(DEMO_USERS.length > 0);

  const rig = await makeRig();
  try {
    const u = rig.services.users;
    await assert.rejects(u.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'password1234' }), weak());
    await u.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
    const admin = await u.checkPassword('admin', 'admin-password-1', 'test');
    const call = client(createApp(rig.services));
    const token = (await call('POST', '/api/v1/sessions', null, { username: 'admin', password: 'admin-password-1' })).body.token as string;
    for (const p of COMMON) {
      const r = await call('POST', '/api/v1/users', token, { username: 'jsmith', displayName: 'J Smith', roles: ['OPERATOR'], password: p });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.code, 'PASSWORD_WEAK');
      assert.match(String(r.body.message), /too easy to guess/);
    }
    await u.create(admin, { username: 'jsmith', displayName: 'J Smith', roles: ['OPERATOR'], password: 'op-password-123' });
    await assert.rejects(u.setPassword(admin, 'jsmith', { newPassword: 'Password123!', reason: 'forgotten password' }), weak());
    const op = await u.checkPassword('jsmith', 'op-password-123', 'test');
    await assert.rejects(u.setPassword(op, 'jsmith', { newPassword: 'qwertyuiop123', currentPassword: 'op-password-123' }), weak());
    await u.setPassword(op, 'jsmith', { newPassword: 'new-password-123', currentPassword: 'op-password-123' });
  } finally {
    await rig.close();
  }
});

test('passwords: a password typed as the username is not kept in the audit trail or the throttle; the attempts are still counted', async () => {
  const rig = await makeRig();
  try {
    const u = rig.services.users;
    await u.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
    const admin = await u.checkPassword('admin', 'admin-password-1', 'test');
    const secret = 'Tr0ub4dor&3-horse-staple';
    for (let i = 0; i < 5; i++) await assert.rejects(u.checkPassword(secret, 'admin', 'api login'), weak('AUTH_FAILED'));
    // the sixth is throttled: the guesses were counted under the hash
    await assert.rejects(u.checkPassword(secret, 'admin', 'api login'), weak('AUTH_THROTTLED'));
    await assert.rejects(u.checkPassword('admin', 'wrong-password-1', 'api login'), weak('AUTH_FAILED'));
    const failed = await rig.services.audit.list(admin, { action: 'auth.failed' });
    assert.equal(failed.length, 6);
    const targets = failed.map((f) => f.target);
    assert.ok(targets.includes('user:admin'), 'a known account is named');
    const unknown = targets.filter((t) => t !== 'user:admin');
    assert.equal(new Set(unknown).size, 1, 'one hash for the same text');
    assert.match(unknown[0]!, /^user:\(unknown\):[A-Za-z0-9_-]{16}$/);
    const everything = JSON.stringify(await rig.services.audit.list(admin, {})) + JSON.stringify(await rig.db.query('select * from login_throttle'));
    assert.ok(!everything.includes(secret) && !everything.includes('Tr0ub4dor'), 'the typed text is nowhere in the audit trail or the throttle table');
  } finally {
    await rig.close();
  }
});
