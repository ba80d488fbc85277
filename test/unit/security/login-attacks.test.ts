/**
 * Issue 14, finding 5 (docs/security.md): the login attacks of the adversarial review, through the HTTP API.
 * 41 simultaneous guesses at one account, one address guessing across accounts, a 60 MiB unauthenticated body,
 * and a login body with fields it should not have.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../../src/api/app.ts';
import type { PasswordHasher } from '../../../src/governance/passwords.ts';
import { auditRepo } from '../../../src/store/repositories/audit.ts';
import { makeRig, plainHasher, type TestRig } from '../../helpers/governance.ts';

let rig: TestRig;
let verified = 0;
const countingHasher: PasswordHasher = {
  hash: plainHasher.hash,
  async verify(h, p) {
    verified++;
    await new Promise((r) => setTimeout(r, 5)); // a real hash takes time: the window the race needs
    return plainHasher.verify(h, p);
  },
};

before(async () => {
  rig = await makeRig({ hasher: countingHasher });
  await rig.services.users.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: 'admin-password-1' });
});
after(() => rig.close());

const login = (app: ReturnType<typeof createApp>, body: unknown, from = '192.0.2.1') =>
  app.request('/api/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }, { incoming: { socket: { remoteAddress: from } } });

test('login attack: 41 concurrent wrong passwords for one account are all counted first: 5 evaluated, 36 refused with AUTH_THROTTLED', async () => {
  const app = createApp(rig.services);
  verified = 0;
  const res = await Promise.all(Array.from({ length: 41 }, (_, i) => login(app, { username: 'admin', password: `guess-number-${i}` }, `198.51.100.${i}`)));
  const codes = await Promise.all(res.map(async (r) => ((await r.json()) as { code: string }).code));
  assert.equal(codes.filter((c) => c === 'AUTH_FAILED').length, 5);
  assert.equal(codes.filter((c) => c === 'AUTH_THROTTLED').length, 36);
  assert.equal(verified, 5, 'only 5 passwords were checked at all');
  const locked = await login(app, { username: 'admin', password: 'admin-password-1' });
  assert.equal(locked.status, 429, 'the right password is refused while the account is locked');
  rig.clock.advance(16 * 60_000);
  assert.equal((await login(app, { username: 'admin', password: 'admin-password-1' })).status, 201);
});

test('login attack: one address guessing a different account each time is locked by the per-source limit (30), other addresses are not', async () => {
  const app = createApp(rig.services);
  verified = 0;
  const codes: string[] = [];
  for (let i = 0; i < 35; i++) codes.push(((await (await login(app, { username: `spray${i}`, password: 'Winter2026!' }, '203.0.113.9')).json()) as { code: string }).code);
  assert.equal(codes.filter((c) => c === 'AUTH_FAILED').length, 30);
  const refused = await login(app, { username: 'admin', password: 'admin-password-1' }, '203.0.113.9');
  assert.equal(refused.status, 429);
  assert.equal(((await refused.json()) as { details: { scope: string } }).details.scope, 'source');
  assert.equal(verified, 30);
  assert.equal((await login(app, { username: 'admin', password: 'admin-password-1' }, '203.0.113.10')).status, 201, 'another address logs in');
  const audit = await auditRepo(rig.db).find({ action: 'auth.locked', target: 'source:203.0.113.9' });
  assert.equal(audit.length, 1, 'the source lock is in the audit trail');
});

test('login attack: a 60 MiB unauthenticated body is refused before it is parsed (REQUEST_TOO_LARGE), an image-sized body without a session too', async () => {
  const app = createApp(rig.services);
  verified = 0;
  const big = JSON.stringify({ username: 'admin', password: 'x'.repeat(60 * 1024 * 1024) });
  const r = await login(app, big);
  assert.equal(r.status, 413);
  assert.equal(((await r.json()) as { code: string }).code, 'REQUEST_TOO_LARGE');
  assert.equal(verified, 0);
  // a declared length over the limit is refused without reading anything
  let pulled = 0;
  const stream = new ReadableStream({ pull(c) { pulled += 65536; c.enqueue(new Uint8Array(65536)); if (pulled > 64 * 1024 * 1024) c.close(); } });
  const s = await app.request('/api/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(60 * 1024 * 1024) }, body: stream, duplex: 'half' } as RequestInit);
  assert.equal(s.status, 413);
  assert.ok(pulled <= 2 * 65536, `read ${pulled} bytes of a body it refused`);
  // a route that takes an image needs a session before its body is read
  const search = await app.request('/api/v1/searches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ probeBase64: 'A'.repeat(40 * 1024 * 1024) }) });
  assert.equal(search.status, 401);
  // every other route is bounded too
  const patch = await app.request('/api/v1/deployments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }) });
  assert.equal(patch.status, 413);
});

test('login attack: a login body with unknown fields is refused (strict schema)', async () => {
  const app = createApp(rig.services);
  const r = await login(app, { username: 'admin', password: 'admin-password-1', roles: ['ADMIN'] }, '192.0.2.77');
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { code: string }).code, 'BAD_REQUEST');
});
