/**
 * Issue 14, finding 8: required text given as zero-width characters or dots, and source ids that differ only
 * in case. One helper (src/governance/required-text.ts) normalises every required-text field in the services,
 * so the API, the CLI and the console get the same answer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseSourceId, normaliseText, requiredText } from '../../src/governance/required-text.ts';
import { OpenLfrError } from '../../src/errors.ts';
import type { TestRig } from '../helpers/governance.ts';
import { apiRig, deploymentBody, entryBody as baseEntry, type Person } from '../helpers/api-rig.ts';
import { client, type ApiResult } from '../helpers/api-client.ts';

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

const PEOPLE: Person[] = [
  ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
  ['wm1', ['WATCHLIST_MANAGER'], null],
  ['op', ['OPERATOR'], null],
];

before(async () => {
  const r = await apiRig(PEOPLE);
  ({ rig, call, png } = r);
  Object.assign(tok, r.tok);
});
after(async () => rig.close());


const entryBody = (over: Record<string, unknown> = {}) => baseEntry(png, { sourceRecordId: 'PNC-1', ...over });

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
