/** The gate's rules one by one, on made-up facts (no store, no engine). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCaseRef, checkJustification, checkOffence, checkRestricted, releaseDue, type RestrictedFacts } from '../../src/search/gate.ts';
import type { Gallery, SearchAuthority } from '../../src/search/model.ts';
import { DEFAULT_SERIOUS_OFFENCES } from '../../src/config.ts';

const gal = (id: string, accessClass: Gallery['accessClass']): Gallery => ({ id, name: id, accessClass, description: 'x', engineId: 'e', revision: 1, createdBy: 'u', createdAt: new Date(0), retiredAt: null, retiredReason: null });
const JUST = 'Murder of a shopkeeper; CCTV still is the only lead; no LOCAL candidate resembles the suspect.';
const authority = (over: Partial<SearchAuthority> = {}): SearchAuthority => ({
  id: 'a1',
  caseRef: 'OP-7',
  galleryId: 'passport',
  offence: 'MURDER',
  justification: JUST,
  requestedBy: 'inv',
  requestedAt: new Date(0),
  authorisedBy: 'supt',
  authorisedAt: new Date(0),
  authorityNote: 'necessary and proportionate',
  usedBySearch: null,
  ...over,
});
const facts = (over: Partial<RestrictedFacts> = {}): RestrictedFacts => ({
  caseRef: 'OP-7',
  offence: 'MURDER',
  gallery: gal('passport', 'RESTRICTED'),
  localGalleries: [gal('custody', 'LOCAL'), gal('custody-2', 'LOCAL')],
  searchedForCase: new Set(['custody', 'custody-2']),
  authorityId: 'a1',
  authority: authority(),
  searcherId: 'inv',
  minJustificationChars: 50,
  ...over,
});
const code = (fn: () => unknown, c: string, msg?: RegExp) =>
  assert.throws(fn, (e: Error & { code?: string }) => {
    assert.equal(e.code, c, e.message);
    if (msg) assert.match(e.message, msg);
    return true;
  });

test('a case reference is required and well formed', () => {
  code(() => checkCaseRef(undefined), 'SEARCH_CASE_REQUIRED');
  code(() => checkCaseRef('   '), 'SEARCH_CASE_REQUIRED');
  code(() => checkCaseRef('x'), 'SEARCH_CASE_REQUIRED');
  code(() => checkCaseRef("OP-1'; drop table"), 'SEARCH_CASE_REQUIRED');
  assert.equal(checkCaseRef('  OP/2026/0142 '), 'OP/2026/0142');
});

test('the offence must be on the configured list of serious offences', () => {
  const list = [...DEFAULT_SERIOUS_OFFENCES];
  for (const c of ['MURDER', 'RAPE', 'ROBBERY', 'KIDNAP', 'TERRORISM', 'FIREARMS', 'CHILD_SEXUAL_EXPLOITATION', 'SERIOUS_VIOLENCE']) assert.ok(list.includes(c as never), c);
  assert.equal(checkOffence(' murder ', list), 'MURDER');
  code(() => checkOffence('SHOPLIFTING', list), 'SEARCH_OFFENCE_NOT_SERIOUS', /SHOPLIFTING is not one of/);
  code(() => checkOffence('', list), 'SEARCH_OFFENCE_NOT_SERIOUS', /No offence given/);
  code(() => checkOffence('MURDER', ['RAPE']), 'SEARCH_OFFENCE_NOT_SERIOUS');
});

test('a justification has a minimum length', () => {
  code(() => checkJustification('because', 50), 'SEARCH_JUSTIFICATION_REQUIRED', /at least 50/);
  assert.equal(checkJustification(` ${JUST} `, 50), JUST);
});

test('RESTRICTED: passes when every rule is met', () => {
  assert.doesNotThrow(() => checkRestricted(facts()));
});

test('RESTRICTED: every LOCAL gallery must have been searched for the same case first', () => {
  code(() => checkRestricted(facts({ localGalleries: [] })), 'SEARCH_LOCAL_FIRST', /No LOCAL gallery/);
  code(() => checkRestricted(facts({ searchedForCase: new Set() })), 'SEARCH_LOCAL_FIRST', /custody, custody-2/);
  code(() => checkRestricted(facts({ searchedForCase: new Set(['custody']) })), 'SEARCH_LOCAL_FIRST', /not yet searched: custody-2/);
});

test('RESTRICTED: a granted, unused authority for this case, gallery and searcher, from someone else', () => {
  code(() => checkRestricted(facts({ authorityId: null })), 'SEARCH_AUTHORITY_REQUIRED', /second person/);
  code(() => checkRestricted(facts({ authority: undefined })), 'SEARCH_AUTHORITY_REQUIRED', /No authority/);
  code(() => checkRestricted(facts({ authority: authority({ galleryId: 'other' }) })), 'SEARCH_AUTHORITY_REQUIRED', /another gallery/);
  code(() => checkRestricted(facts({ authority: authority({ caseRef: 'OP-8' }) })), 'SEARCH_AUTHORITY_REQUIRED', /case OP-8/);
  code(() => checkRestricted(facts({ offence: 'ROBBERY' })), 'SEARCH_AUTHORITY_REQUIRED', /offence MURDER, not ROBBERY/);
  code(() => checkRestricted(facts({ authority: authority({ requestedBy: 'someone-else' }) })), 'SEARCH_AUTHORITY_REQUIRED', /another searcher/);
  code(() => checkRestricted(facts({ authority: authority({ authorisedBy: null }) })), 'SEARCH_AUTHORITY_REQUIRED', /not yet granted/);
  code(() => checkRestricted(facts({ authority: authority({ authorisedBy: 'inv' }) })), 'SEARCH_AUTHORITY_REQUIRED', /granted by the searcher/);
  code(() => checkRestricted(facts({ authority: authority({ usedBySearch: 'srch_1' }) })), 'SEARCH_AUTHORITY_REQUIRED', /has been used/);
  code(() => checkRestricted(facts({ authority: authority({ justification: 'short' }) })), 'SEARCH_JUSTIFICATION_REQUIRED');
});

test('release needs the required number of different reviewers, not counting the searcher', () => {
  assert.equal(releaseDue([], 'inv', 2), false);
  assert.equal(releaseDue(['r1'], 'inv', 2), false);
  assert.equal(releaseDue(['r1', 'r1'], 'inv', 2), false);
  assert.equal(releaseDue(['r1', 'inv'], 'inv', 2), false);
  assert.equal(releaseDue(['r1', 'r2'], 'inv', 2), true);
  assert.equal(releaseDue(['r1', 'r2'], 'inv', 3), false);
});
