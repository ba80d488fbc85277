/**
 * Issue 14, finding 8: required text given as zero-width characters or dots, and source ids that differ only
 * in case. One helper (src/governance/required-text.ts) normalises every required-text field in the services,
 * so the API, the CLI and the console get the same answer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/api/app.ts';
import { normaliseSourceId, normaliseText, requiredText } from '../../src/governance/required-text.ts';
import { OpenLfrError } from '../../src/errors.ts';
import { makeRig, pngBytes, type TestRig } from '../helpers/governance.ts';
import { client, type ApiResult } from '../helpers/api-client.ts';
import type { Rank, Role } from '../../src/governance/model.ts';

const ZW = '\u200b\u200c\u200d\u2060\ufeff';
/** Text that is long enough by length but says nothing: invisible characters, dots, digits, one letter repeated. */
const EMPTY_TEXTS = [ZW.repeat(4), '..........', '. . . . . . . .', `${ZW}a${ZW}.........`, '1234567890 12', 'x.x.x.x.x.x.x', `\u00ad\u200e\u200f${'\u202e'.repeat(8)}`];

let rig: TestRig;
let call: ReturnType<typeof client>;
const tok: Record<string, string> = {};
let png: string;

const expectError = (r: ApiResult, status: number, code: string, msg?: RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  if (msg) assert.match(String(r.body.message), msg);
};

before(async () => {
  rig = await makeRig();
  call = client(createApp(rig.services));
  png = Buffer.from(await pngBytes()).toString('base64');
  await rig.services.users.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: 'admin-password-1' });
  tok.admin = (await call('POST', '/api/v1/sessions', null, { username: 'admin', password: 'admin-password-1' })).body.token as string;
  const people: [string, Role[], Rank | null][] = [
    ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
    ['wm1', ['WATCHLIST_MANAGER'], null],
    ['op', ['OPERATOR'], null],
  ];
  for (const [username, roles, rank] of people) {
    const r = await call('POST', '/api/v1/users', tok.admin, { username, displayName: username, roles, rank, password: `${username}-password-1` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    tok[username] = (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  }
});
after(async () => rig.close());

const deploymentBody = (over: Record<string, unknown> = {}) => ({
  name: 'Queen Street, match day',
  purpose: 'Locate people wanted on warrant expected among the crowd',
  useCase: 'Locate wanted persons',
  locations: [{ name: 'Queen Street', reason: 'Intelligence places two wanted subjects here on match days' }],
  cameras: ['van-1'],
  startsAt: '2026-06-01T10:00:00Z',
  endsAt: '2026-06-01T16:00:00Z',
  threshold: 0.6,
  dpiaRef: 'DPIA-2026-014',
  policyRefs: ['LFR-POLICY-v3'],
  ...over,
});

const entryBody = (over: Record<string, unknown> = {}) => ({
  sourceRecordId: 'PNC-1',
  category: 'WANTED_BY_COURT',
  reason: 'Failed to appear: warrant issued by Cardiff Crown Court',
  legalBasis: 'Warrant not backed for bail, Magistrates Courts Act 1980 s.97',
  imageSource: 'custody imaging system',
  captureDate: '2026-03-02',
  under18: false,
  imageBase64: png,
  ...over,
});

test('required text: the helper normalises (NFKC, format characters out, spaces collapsed) and demands real words; ids are case-folded', () => {
  assert.equal(normaliseText(`  Ｎｅｃｅｓｓａｒｙ${ZW} and\u00a0\u00a0proportionate\n\t `), 'Necessary and proportionate');
  for (const t of EMPTY_TEXTS) assert.throws(() => requiredText(t, 'note', { min: 10 }), (e) => e instanceof OpenLfrError && e.code === 'BAD_REQUEST' && e.details?.field === 'note', JSON.stringify(t));
  assert.throws(() => requiredText('Proportionate', 'note', { min: 10 }), /2 words/, 'one word is not enough for a 10-character field');
  assert.equal(requiredText('Arrested', 'note', { min: 3 }), 'Arrested', 'one word is enough for a short field');
  assert.equal(requiredText('Necessary, proportionate', 'note', { min: 10 }), 'Necessary, proportionate');
  assert.equal(requiredText('Nécessaire et proportionné', 'note', { min: 10 }), 'Nécessaire et proportionné', 'letters of any script');
  assert.equal(normaliseSourceId('pnc-1'), 'PNC-1');
  assert.equal(normaliseSourceId(`ＰＮＣ－１${ZW}`), 'PNC-1');
  assert.equal(normaliseSourceId(' PNC 1 '), 'PNC1');
  assert.throws(() => normaliseSourceId(ZW), (e) => e instanceof OpenLfrError && e.code === 'BAD_REQUEST');
});

test('required text: an authority note, grounds, a rationale, a reason and a justification of invisible characters or dots are refused through the API', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  for (const t of EMPTY_TEXTS.slice(0, 3)) {
    expectError(await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ purpose: t.padEnd(12, '.') })), 400, 'BAD_REQUEST', /purpose/);
    expectError(await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ locations: [{ name: 'Queen Street', reason: t.padEnd(12, '.') }] })), 400, 'BAD_REQUEST', /locations\.0\.reason/);
  }
  const id = (await call('POST', '/api/v1/deployments', tok.op, deploymentBody())).body.id as string;
  assert.ok(id);
  for (const t of EMPTY_TEXTS) {
    expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ category: 'WANTED_BY_POLICE_SUSPECT', grounds: t })), 422, 'RULE_VIOLATION', /grounds/);
    expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ reason: t })), 400, 'BAD_REQUEST', /reason/);
    expectError(await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ under18: true, category: 'MISSING_AT_RISK', riskRationale: t })), 422, 'RULE_VIOLATION', /riskRationale/);
  }
  assert.equal((await call('POST', `/api/v1/deployments/${id}/request`, tok.op, { note: 'for match day' })).status, 200);
  for (const t of EMPTY_TEXTS) expectError(await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: t }), 400, 'BAD_REQUEST', /note.*words/);
  assert.equal((await call('GET', `/api/v1/deployments/${id}`, tok.op)).body.state, 'DRAFT');
  // an account change's reason
  expectError(await call('PUT', '/api/v1/users/op/roles', tok.admin, { roles: ['OPERATOR'], reason: ZW.repeat(3) }), 400, 'BAD_REQUEST', /reason/);
  // a justification for a RESTRICTED gallery (the search gate's rule goes through the same helper)
  const { checkJustification } = await import('../../src/search/gate.ts');
  for (const t of EMPTY_TEXTS) assert.throws(() => checkJustification(Array(5).fill(t).join(' '), 40), (e) => e instanceof OpenLfrError && e.code === 'SEARCH_JUSTIFICATION_REQUIRED');
  // the note that passes is stored normalised
  const ok = await call('POST', `/api/v1/deployments/${id}/authorise`, tok.supt, { note: `Necessary${ZW} and   proportionate` });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.authorityNote, 'Necessary and proportionate');
});

test('required text: PNC-1 and pnc-1 (and the full-width form) are one subject, on the watchlist and in a subject-access lookup', async () => {
  rig.clock.set('2026-06-01T08:00:00Z');
  const id = (await call('POST', '/api/v1/deployments', tok.op, deploymentBody({ name: 'Second deployment' }))).body.id as string;
  const refs: string[] = [];
  for (const src of ['PNC-1', 'pnc-1', `ＰＮＣ－１${ZW}`]) {
    const e = await call('POST', `/api/v1/deployments/${id}/watchlist`, tok.wm1, entryBody({ sourceRecordId: src }));
    assert.equal(e.status, 201, JSON.stringify(e.body));
    refs.push(String(e.body.subjectRef));
  }
  assert.equal(new Set(refs).size, 1, `one subject, got ${refs.join(', ')}`);
  assert.equal(rig.services.oversight.refOf({ sourceRecordId: 'pnc-1' }), refs[0]);
});
