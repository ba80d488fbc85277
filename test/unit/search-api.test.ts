/**
 * Retrospective search through the HTTP API (services on a real in-memory store, scripted fake engine,
 * hand-driven clock): every gate refusal, withholding and release after two reviews, the counts, and
 * the retention sweep.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Principal, Rank, Role } from '../../src/governance/model.ts';
import type { ImageSource } from '../../src/search/image-source.ts';
import { client, type ApiResult } from '../helpers/api-client.ts';
import { makeRig, pngBytes, type TestRig } from '../helpers/governance.ts';
import { fakeFace } from '../helpers/scripted-engine.ts';

let rig: TestRig;
let call: ReturnType<typeof client>;
const tok: Record<string, string> = {};
const ids: Record<string, string> = {};
const JUST = 'Murder of a shopkeeper on 3 May; the CCTV still is the only lead and the custody search found no likely candidate.';

function expectError(r: ApiResult, status: number, code: string, msg?: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  if (msg) assert.match(String(r.body.message), msg);
}

/** `n` distinct images; image i shows one face whose template is made from seed 10 + i. */
function source(prefix: string, n: number, seed0: number): ImageSource & { seeds: number[] } {
  const seeds = Array.from({ length: n }, (_, i) => seed0 + i);
  return {
    seeds,
    async list() {
      return seeds.map((s, i) => ({ ref: `${prefix}/${i}.png`, subjectKey: `${prefix}-person-${i}`, read: () => pngBytes(s) }));
    },
  };
}

const admin = (): Principal => ({ kind: 'user', user: { id: ids.admin!, username: 'admin', displayName: 'a', roles: ['ADMIN'], rank: null, disabled: false, createdAt: new Date(), createdBy: null } });

async function importGallery(name: string, src: ReturnType<typeof source>) {
  rig.engine.plan(...src.seeds.map((s) => [fakeFace(rig.engine.id, {}, s)]));
  return rig.services.galleries.importImages(admin(), name, src, { concurrency: 1 });
}

let probe: string;
const searchBody = (over: Record<string, unknown> = {}) => ({ gallery: 'custody', probeBase64: probe, caseRef: 'OP-7', offence: 'MURDER', top: 3, ...over });
/** The next probe shows faces made from these seeds. */
const probeShows = (...seeds: number[]) => rig.engine.plan(seeds.map((s) => fakeFace(rig.engine.id, {}, s)));

before(async () => {
  rig = await makeRig();
  call = client(createApp(rig.services));
  probe = Buffer.from(await pngBytes(250)).toString('base64');
  const a = await rig.services.users.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: 'admin-password-1' });
  ids.admin = a.id;
  tok.admin = (await call('POST', '/api/v1/sessions', null, { username: 'admin', password: 'admin-password-1' })).body.token as string;
  const people: [string, Role[], Rank | null][] = [
    ['inv', ['INVESTIGATOR'], null],
    ['inv2', ['INVESTIGATOR'], null],
    ['supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
    ['insp', ['AUTHORISING_OFFICER'], 'INSPECTOR'],
    ['dual', ['INVESTIGATOR', 'AUTHORISING_OFFICER'], 'SUPERINTENDENT'],
    ['op', ['OPERATOR'], null],
    ['aud', ['AUDITOR'], null],
  ];
  for (const [username, roles, rank] of people) {
    const r = await call('POST', '/api/v1/users', tok.admin, { username, displayName: username, roles, rank, password: `${username}-password-1` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[username] = (r.body as { id: string }).id;
    tok[username] = (await call('POST', '/api/v1/sessions', null, { username, password: `${username}-password-1` })).body.token as string;
  }
});
after(async () => rig.close());

test('galleries: only an ADMIN creates them; the access class is LOCAL or RESTRICTED', async () => {
  expectError(await call('POST', '/api/v1/galleries', tok.inv, { name: 'custody', accessClass: 'LOCAL', description: 'Custody images' }), 403, 'FORBIDDEN');
  expectError(await call('POST', '/api/v1/galleries', tok.admin, { name: 'custody', accessClass: 'SECRET', description: 'Custody images' }), 400, 'BAD_REQUEST');
  for (const [name, accessClass] of [['custody', 'LOCAL'], ['custody-east', 'LOCAL'], ['passport', 'RESTRICTED']]) {
    const r = await call('POST', '/api/v1/galleries', tok.admin, { name, accessClass, description: `${name} images held for the test` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  expectError(await call('POST', '/api/v1/galleries', tok.admin, { name: 'custody', accessClass: 'LOCAL', description: 'again and again' }), 409, 'CONFLICT');
  const custody = await importGallery('custody', source('custody', 5, 10));
  assert.equal(custody.enrolled, 5);
  const east = await importGallery('custody-east', source('east', 3, 40));
  assert.equal(east.enrolled, 3);
  const passport = await importGallery('passport', source('passport', 6, 60));
  assert.equal(passport.enrolled, 6);
  const list = (await call('GET', '/api/v1/galleries', tok.inv)).body as unknown as { name: string; counts: Record<string, number> }[];
  assert.deepEqual(
    list.map((g) => [g.name, g.counts.ENROLLED]),
    [['custody', 5], ['custody-east', 3], ['passport', 6]],
  );
});

test('import: a rerun adds nothing; a face-less image is a failure to enrol; the largest face is enrolled', async () => {
  const again = await rig.services.galleries.importImages(admin(), 'custody', source('custody', 5, 10), { concurrency: 1 });
  assert.equal(again.enrolled, 0);
  assert.equal(again.alreadyImported, 5);
  rig.engine.plan([], [fakeFace(rig.engine.id, {}, 90), { ...fakeFace(rig.engine.id, {}, 91), box: { x: 0, y: 0, width: 300, height: 300 } }]);
  const r = await rig.services.galleries.importImages(admin(), 'custody', source('extra', 2, 200), { concurrency: 1 });
  assert.equal(r.enrolled, 1);
  assert.deepEqual(r.fta.map((f) => f.ref), ['extra/0.png']);
  assert.equal(r.multiFace, 1);
  // the enrolled template is the larger face's (seed 91): a probe showing seed 91 finds it with score 1
  probeShows(91);
  const s = await call('POST', '/api/v1/searches', tok.inv, searchBody({ caseRef: 'OP-0' }));
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const c = (s.body.candidates as { sourceRef: string; score: number }[])[0]!;
  assert.equal(c.sourceRef, 'extra/1.png');
  assert.equal(c.score, 1);
});

test('every gate refusal, through the API', async () => {
  expectError(await call('POST', '/api/v1/searches', tok.op, searchBody()), 403, 'FORBIDDEN');
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ caseRef: undefined })), 422, 'SEARCH_CASE_REQUIRED');
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ caseRef: ' ' })), 422, 'SEARCH_CASE_REQUIRED');
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ offence: undefined })), 422, 'SEARCH_OFFENCE_NOT_SERIOUS');
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ offence: 'SHOPLIFTING' })), 422, 'SEARCH_OFFENCE_NOT_SERIOUS', /MURDER/);
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'nope' })), 404, 'NOT_FOUND');
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ top: 500 })), 400, 'BAD_REQUEST');
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ probeBase64: Buffer.from('not an image').toString('base64') })), 400, 'IMAGE_UNREADABLE');
  probeShows();
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody()), 422, 'IMAGE_NO_FACE');
  // several faces: listed, and one must be chosen
  probeShows(12, 13);
  const many = await call('POST', '/api/v1/searches', tok.inv, searchBody());
  expectError(many, 422, 'PROBE_MANY_FACES', /2 faces/);
  assert.equal((many.body.details as { faces: unknown[] }).faces.length, 2);
  probeShows(12, 13);
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ face: 3 })), 400, 'BAD_REQUEST');

  // RESTRICTED before the LOCAL galleries were searched for this case
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'passport' })), 422, 'SEARCH_LOCAL_FIRST', /custody, custody-east/);
  probeShows(12, 13);
  const local = await call('POST', '/api/v1/searches', tok.inv, searchBody({ face: 2 }));
  assert.equal(local.status, 201, JSON.stringify(local.body));
  assert.equal(local.body.status, 'RELEASED');
  assert.match(String(local.body.notice), /leads .* not identifications/);
  const cands = local.body.candidates as { rank: number; subjectKey: string; score: number }[];
  assert.equal(cands.length, 3);
  assert.equal(cands[0]!.subjectKey, 'custody-person-3', 'face 2 (seed 13) is custody image 3');
  assert.deepEqual((local.body.probe as object), { faces: 2, chosen: 2 });
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'passport' })), 422, 'SEARCH_LOCAL_FIRST', /not yet searched: custody-east/);
  probeShows(40);
  assert.equal((await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'custody-east' }))).status, 201);

  // now the authority
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'passport' })), 403, 'SEARCH_AUTHORITY_REQUIRED', /second person/);
  expectError(await call('POST', '/api/v1/search-authorities', tok.inv, { gallery: 'passport', caseRef: 'OP-7', offence: 'MURDER', justification: 'needed' }), 422, 'SEARCH_JUSTIFICATION_REQUIRED');
  expectError(await call('POST', '/api/v1/search-authorities', tok.inv, { gallery: 'custody', caseRef: 'OP-7', offence: 'MURDER', justification: JUST }), 400, 'BAD_REQUEST', /LOCAL/);
  expectError(await call('POST', '/api/v1/search-authorities', tok.inv, { gallery: 'passport', caseRef: 'OP-7', offence: 'THEFT', justification: JUST }), 422, 'SEARCH_OFFENCE_NOT_SERIOUS');
  const req = await call('POST', '/api/v1/search-authorities', tok.inv, { gallery: 'passport', caseRef: 'OP-7', offence: 'MURDER', justification: JUST });
  assert.equal(req.status, 201, JSON.stringify(req.body));
  const aid = req.body.id as string;
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'passport', authorityId: aid })), 403, 'SEARCH_AUTHORITY_REQUIRED', /not yet granted/);
  expectError(await call('POST', `/api/v1/search-authorities/${aid}/authorise`, tok.inv, { note: 'I authorise myself' }), 403, 'FORBIDDEN');
  expectError(await call('POST', `/api/v1/search-authorities/${aid}/authorise`, tok.insp, { note: 'Necessary and proportionate' }), 403, 'AUTHORITY_RANK');
  // someone who holds both roles cannot authorise their own request
  const selfReq = await call('POST', '/api/v1/search-authorities', tok.dual, { gallery: 'passport', caseRef: 'OP-7', offence: 'MURDER', justification: JUST });
  expectError(await call('POST', `/api/v1/search-authorities/${selfReq.body.id as string}/authorise`, tok.dual, { note: 'Necessary and proportionate' }), 403, 'AUTHORITY_SELF');
  const granted = await call('POST', `/api/v1/search-authorities/${aid}/authorise`, tok.supt, { note: 'Necessary and proportionate: murder, no other lead' });
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  // the authority belongs to inv, for case OP-7 (the LOCAL searches for the case count whoever made them)
  expectError(await call('POST', '/api/v1/searches', tok.inv2, searchBody({ gallery: 'passport', authorityId: aid })), 403, 'SEARCH_AUTHORITY_REQUIRED', /another searcher/);
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'passport', caseRef: 'OP-8', authorityId: aid })), 422, 'SEARCH_LOCAL_FIRST');

  probeShows(63);
  const restricted = await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'passport', authorityId: aid }));
  assert.equal(restricted.status, 201, JSON.stringify(restricted.body));
  assert.equal(restricted.body.status, 'WITHHELD');
  assert.equal(restricted.body.candidates, null);
  ids.restricted = restricted.body.id as string;
  // single use
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ gallery: 'passport', authorityId: aid })), 403, 'SEARCH_AUTHORITY_REQUIRED', /has been used/);
});

type Summary = { id: string; caseRef: string; gallery: string; status: string; searchedBy: string; searchedByUsername: string | null; reviews: { done: number; required: number } | null; purgedAt: string | null };
type Worklist = { mine: Summary[]; toReview: Summary[] };
const worklist = async (who: string) => {
  const r = await call('GET', '/api/v1/searches', tok[who]);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as unknown as Worklist;
};
const reviewIds = async (who: string) => (await worklist(who)).toReview.map((s) => s.id);

test('worklists: own searches, results awaiting review and authorities, by permission, without candidates', async () => {
  for (const who of ['op', 'aud']) {
    for (const path of ['/api/v1/searches', '/api/v1/search-authorities', '/api/v1/search-offences']) expectError(await call('GET', path, tok[who]), 403, 'FORBIDDEN');
  }
  assert.deepEqual((await call('GET', '/api/v1/search-offences', tok.inv)).body.offences, loadConfig({}, {}).search.seriousOffences);
  assert.ok(((await call('GET', '/api/v1/search-offences', tok.supt)).body.offences as string[]).includes('MURDER'), 'an authorising officer sees them too');
  const readsBefore = ((await call('GET', '/api/v1/audit?action=search.result.read&limit=1000', tok.aud)).body as unknown as unknown[]).length;

  const inv = await worklist('inv');
  // OP-0 (import test), OP-7 on custody and custody-east, OP-7 on passport: the refusals are not listed
  assert.equal(inv.mine.length, 4, JSON.stringify(inv.mine));
  assert.ok(inv.mine.every((s) => s.searchedBy === ids.inv));
  assert.deepEqual(inv.mine.map((s) => s.caseRef).sort(), ['OP-0', 'OP-7', 'OP-7', 'OP-7']);
  const restricted = inv.mine.find((s) => s.id === ids.restricted)!;
  assert.deepEqual([restricted.gallery, restricted.status, restricted.reviews], ['passport', 'WITHHELD', { required: 2, done: 0 }]);
  assert.equal(inv.mine.find((s) => s.gallery === 'custody-east')!.reviews, null, 'LOCAL results need no review');
  assert.deepEqual(inv.toReview, [], 'never their own result to review');
  for (const s of inv.mine) {
    assert.deepEqual(Object.keys(s).sort(), ['accessClass', 'caseRef', 'createdAt', 'gallery', 'id', 'offence', 'purgedAt', 'reviews', 'searchedBy', 'searchedByUsername', 'status']);
  }
  assert.doesNotMatch(JSON.stringify(inv), /person-|candidates|sourceRef|score/, 'a summary carries no candidate');

  const inv2 = await worklist('inv2');
  assert.deepEqual(inv2.mine, [], "another investigator's searches are not theirs (their own refusals are not listed)");
  assert.deepEqual(inv2.toReview.map((s) => s.id), [ids.restricted]);
  const supt = await worklist('supt');
  assert.deepEqual(supt.mine, [], 'no search.run: no own searches');
  assert.deepEqual(supt.toReview, [], 'supt granted the authority of the one withheld search: not a reviewer of it (issue 14)');
  const insp = await worklist('insp');
  assert.deepEqual(insp.toReview.map((s) => [s.id, s.searchedByUsername]), [[ids.restricted, 'inv']]);
  const readsAfter = ((await call('GET', '/api/v1/audit?action=search.result.read&limit=1000', tok.aud)).body as unknown as unknown[]).length;
  assert.equal(readsAfter, readsBefore, 'listing is not a read of a result');

  type Auth = { id: string; requestedBy: string; requestedByUsername: string | null; authorisedBy: string | null; usedBySearch: string | null };
  const auths = async (who: string) => (await call('GET', '/api/v1/search-authorities', tok[who])).body as unknown as { mine: Auth[]; toAuthorise: Auth[] };
  const invA = await auths('inv');
  assert.deepEqual(invA.mine.map((a) => [a.requestedBy, !!a.authorisedBy, !!a.usedBySearch]), [[ids.inv, true, true]]);
  assert.deepEqual(invA.toAuthorise, [], 'an investigator authorises nothing');
  const dualA = await auths('dual');
  assert.equal(dualA.mine.length, 1);
  assert.deepEqual(dualA.toAuthorise, [], 'not their own request');
  const suptA = await auths('supt');
  assert.deepEqual(suptA.mine, []);
  assert.deepEqual(suptA.toAuthorise.map((a) => [a.id, a.requestedByUsername]), [[dualA.mine[0]!.id, 'dual']], "only the request not yet granted (inv's was)");
});

test('a RESTRICTED result is withheld until two different reviewers have looked at it', async () => {
  const id = ids.restricted!;
  const mine = await call('GET', `/api/v1/searches/${id}`, tok.inv);
  assert.equal(mine.body.status, 'WITHHELD');
  assert.equal(mine.body.candidates, null);
  expectError(await call('GET', `/api/v1/searches/${id}`, tok.inv2), 403, 'FORBIDDEN');
  expectError(await call('POST', `/api/v1/searches/${id}/reviews`, tok.inv, { note: 'My own candidates look right' }), 403, 'REVIEW_SELF');
  expectError(await call('POST', `/api/v1/searches/${id}/reviews`, tok.op, { note: 'Operators do not review' }), 403, 'FORBIDDEN');
  // issue 14: supt granted the authority for this search, so cannot be one of its reviewers
  expectError(await call('POST', `/api/v1/searches/${id}/reviews`, tok.supt, { note: 'Candidate 1 worth pursuing; 2 and 3 unlike' }), 403, 'SEPARATION_OF_DUTIES');
  assert.deepEqual(await reviewIds('supt'), [], 'not on the worklist of the officer who granted the authority');
  const first = await call('POST', `/api/v1/searches/${id}/reviews`, tok.insp, { note: 'Candidate 1 worth pursuing; 2 and 3 unlike' });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.status, 'WITHHELD');
  assert.equal((first.body.candidates as { sourceRef: string }[])[0]!.sourceRef, 'passport/3.png', 'the reviewer sees the candidates');
  expectError(await call('POST', `/api/v1/searches/${id}/reviews`, tok.insp, { note: 'Looked again, still fine' }), 409, 'CONFLICT');
  assert.deepEqual(await reviewIds('insp'), [], 'a reviewer does not see again what they reviewed');
  assert.deepEqual((await worklist('inv2')).toReview.map((s) => [s.id, s.reviews?.done]), [[id, 1]]);
  assert.equal((await call('GET', `/api/v1/searches/${id}`, tok.inv)).body.candidates, null, 'one review is not enough');
  const second = await call('POST', `/api/v1/searches/${id}/reviews`, tok.inv2, { note: 'Agree: candidate 1 only' });
  assert.equal(second.body.status, 'RELEASED');
  assert.deepEqual(await reviewIds('inv2'), [], 'released: nothing left to review');
  assert.equal((await worklist('inv')).mine.find((s) => s.id === id)!.status, 'RELEASED');
  const released = await call('GET', `/api/v1/searches/${id}`, tok.inv);
  assert.equal(released.body.status, 'RELEASED');
  assert.deepEqual(released.body.reviews, { required: 2, done: 2 });
  assert.equal((released.body.candidates as unknown[]).length, 3);
});

test('searches and refusals are counted per gallery and month, and audited', async () => {
  expectError(await call('GET', '/api/v1/reports/searches', tok.inv), 403, 'FORBIDDEN');
  const r = await call('GET', '/api/v1/reports/searches', tok.aud);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  type Row = { gallery: string; searches: number; refused: number };
  const byGallery = Object.fromEntries((r.body.perGallery as Row[]).map((g) => [g.gallery, g]));
  assert.deepEqual(byGallery.passport, { gallery: 'passport', accessClass: 'RESTRICTED', searches: 1, released: 1, withheld: 0, refused: 7 });
  assert.equal(byGallery.custody!.searches, 2);
  assert.equal(byGallery.custody!.refused, 10);
  assert.equal(byGallery.nope!.refused, 1);
  // the transparency summary of the period carries the same counts, restricted galleries included
  const summary = await call('GET', '/api/v1/reports/summary?from=2026-06-01&to=2026-07-01', tok.aud);
  assert.equal(summary.status, 200, JSON.stringify(summary.body));
  const inSummary = Object.fromEntries(((summary.body.retrospectiveSearches as { perGallery: Row[] }).perGallery).map((g) => [g.gallery, g]));
  assert.deepEqual(inSummary.passport, byGallery.passport);
  const month = (r.body.perMonth as { month: string; gallery: string; refusals: Record<string, number> }[]).find((m) => m.gallery === 'passport')!;
  assert.equal(month.month, '2026-06');
  assert.deepEqual(month.refusals, { SEARCH_AUTHORITY_REQUIRED: 4, SEARCH_LOCAL_FIRST: 3 });
  const refusedAudit = await call('GET', '/api/v1/audit?action=search.refused&limit=1000', tok.aud);
  assert.equal((refusedAudit.body as unknown as unknown[]).length, 18);
  const runAudit = await call('GET', '/api/v1/audit?action=search.run', tok.aud);
  assert.equal((runAudit.body as unknown as unknown[]).length, 4);
  const doc = await call('GET', '/openapi.json');
  for (const p of ['/api/v1/searches', '/api/v1/searches/{id}/reviews', '/api/v1/galleries', '/api/v1/search-authorities/{id}/authorise', '/api/v1/reports/searches']) {
    assert.ok((doc.body.paths as Record<string, unknown>)[p], p);
  }
});

test('retention: probes and results are deleted when due, by the sweep, audited; the counts remain', async () => {
  const blobs = await rig.db.query<{ id: string; owner_id: string }>(`select id, owner_id from biometric_blobs where kind = 'probe_image'`);
  assert.equal(blobs.length, 4, 'one probe per search, none for refusals');
  const file = (id: string) => join(rig.home, 'blobs', id.slice(0, 2), `${id}.sealed`);
  for (const b of blobs) assert.ok(existsSync(file(b.id)));
  rig.clock.advance(364 * 86_400_000);
  assert.deepEqual((await rig.services.searches.sweep()).purged, []);
  rig.clock.advance(2 * 86_400_000);
  const swept = await rig.services.searches.sweep();
  assert.equal(swept.purged.length, 4);
  for (const u of ['inv', 'aud']) tok[u] = (await call('POST', '/api/v1/sessions', null, { username: u, password: `${u}-password-1` })).body.token as string;
  assert.equal((await rig.db.query(`select id from biometric_blobs where kind = 'probe_image'`)).length, 0);
  for (const b of blobs) assert.ok(!existsSync(file(b.id)), 'the sealed file is gone');
  const gone = await call('GET', `/api/v1/searches/${ids.restricted!}`, tok.inv);
  assert.equal(gone.status, 200, JSON.stringify(gone.body));
  assert.equal(gone.body.candidates, null);
  assert.ok(gone.body.purgedAt);
  assert.deepEqual((await rig.services.searches.sweep()).purged, [], 'idempotent');
  const audit = await call('GET', '/api/v1/audit?action=search.purge', tok.aud);
  assert.equal((audit.body as unknown as unknown[]).length, 4);
  const r = await call('GET', '/api/v1/reports/searches', tok.aud);
  assert.equal((r.body.totals as { searches: number }).searches, 4);
  assert.equal((await rig.services.audit.verify({ kind: 'system', name: 'audit-verifier' })).ok, true);
});

test("removal: an ADMIN takes a person's images out of a gallery with a reason; searches stop finding them, a re-import skips them, all audited", async () => {
  for (const u of ['admin', 'inv', 'aud']) tok[u] = (await call('POST', '/api/v1/sessions', null, { username: u, password: u === 'admin' ? 'admin-password-1' : `${u}-password-1` })).body.token as string;
  const reason = 'Custody image review: no further action, the image may no longer be held';
  const path = '/api/v1/galleries/custody/removals';
  expectError(await call('POST', path, tok.inv, { subjectKey: 'custody-person-2', reason }), 403, 'FORBIDDEN');
  expectError(await call('POST', path, tok.admin, { subjectKey: 'custody-person-2', reason: 'because' }), 400, 'BAD_REQUEST', /reason/);
  expectError(await call('POST', path, tok.admin, { reason }), 400, 'BAD_REQUEST');
  expectError(await call('POST', path, tok.admin, { subjectKey: 'custody-person-2', sourceRef: 'custody/2.png', reason }), 400, 'BAD_REQUEST');
  expectError(await call('POST', path, tok.admin, { subjectKey: 'nobody-at-all', reason }), 404, 'NOT_FOUND');
  expectError(await call('POST', '/api/v1/galleries/nope/removals', tok.admin, { subjectKey: 'custody-person-2', reason }), 404, 'NOT_FOUND');

  const subjects = async () => {
    probeShows(12); // custody person 2's face
    const s = await call('POST', '/api/v1/searches', tok.inv, searchBody({ caseRef: 'OP-9', top: 10 }));
    assert.equal(s.status, 201, JSON.stringify(s.body));
    return (s.body.candidates as { subjectKey: string; score: number }[]).map((c) => c.subjectKey);
  };
  assert.equal((await subjects())[0], 'custody-person-2', 'found before the removal');

  const r = await call('POST', path, tok.admin, { subjectKey: 'custody-person-2', reason });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual([r.body.removed, r.body.templates], [1, 1]);
  assert.ok(!(await subjects()).includes('custody-person-2'), 'the search index dropped the template');
  expectError(await call('POST', path, tok.admin, { subjectKey: 'custody-person-2', reason }), 404, 'NOT_FOUND');

  const again = await rig.services.galleries.importImages(admin(), 'custody', source('custody', 5, 10), { concurrency: 1 });
  assert.deepEqual([again.enrolled, again.alreadyImported], [0, 5], 'the removed image is not enrolled again by a re-import');
  const custody = ((await call('GET', '/api/v1/galleries', tok.inv)).body as unknown as { name: string; counts: Record<string, number> }[]).find((g) => g.name === 'custody')!;
  assert.equal(custody.counts.REMOVED, 1);
  const [entry] = (await call('GET', '/api/v1/audit?action=gallery.remove', tok.aud)).body as unknown as { reason: string; actor: string }[];
  assert.equal(entry!.reason, reason);
  assert.match(entry!.actor, /admin/);
  const destroyed = (await call('GET', '/api/v1/audit?action=biometric.destroy', tok.aud)).body as unknown as { reason: string }[];
  assert.ok(destroyed.some((d) => d.reason === reason), 'the template destruction is audited with the same reason');
  assert.equal((await rig.services.audit.verify({ kind: 'system', name: 'audit-verifier' })).ok, true);
});

test("worklists: each investigator's own searches only, newest first, purged ones marked", async () => {
  tok.inv2 = (await call('POST', '/api/v1/sessions', null, { username: 'inv2', password: 'inv2-password-1' })).body.token as string;
  const made: string[] = [];
  for (const caseRef of ['OP-21', 'OP-22']) {
    rig.clock.advance(60_000);
    probeShows(11);
    const r = await call('POST', '/api/v1/searches', tok.inv2, searchBody({ caseRef }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body.id as string);
  }
  const inv2 = await worklist('inv2');
  assert.deepEqual(inv2.mine.map((s) => s.id), [made[1], made[0]], 'newest first');
  const inv = await worklist('inv');
  assert.ok(!inv.mine.some((s) => made.includes(s.id) || s.searchedBy !== ids.inv), "never another investigator's searches");
  assert.ok(inv.mine.find((s) => s.id === ids.restricted)!.purgedAt, 'the swept result is marked as deleted');
  assert.equal(inv.mine[0]!.caseRef, 'OP-9', 'the latest search first');
});

test('retirement: an ADMIN retires a whole gallery with a reason; every template is destroyed, searches and imports are refused, the record stays', async () => {
  for (const u of ['admin', 'inv', 'aud']) tok[u] = (await call('POST', '/api/v1/sessions', null, { username: u, password: u === 'admin' ? 'admin-password-1' : `${u}-password-1` })).body.token as string;
  const reason = 'The data-sharing agreement for these images ended on 31 May';
  const path = '/api/v1/galleries/custody/retire';
  probeShows(13);
  assert.equal((await call('POST', '/api/v1/searches', tok.inv, searchBody({ caseRef: 'OP-10' }))).status, 201, 'searchable before');
  const gallery = ((await call('GET', '/api/v1/galleries', tok.inv)).body as unknown as { id: string; name: string; retiredAt: string | null }[]).find((g) => g.name === 'custody')!;
  assert.equal(gallery.retiredAt, null);
  const held = async () => (await rig.db.query<{ n: number }>('select count(*)::int n from templates where owner_group = $1', [`gallery:${gallery.id}`]))[0]!.n;
  assert.ok((await held()) > 0);
  expectError(await call('POST', path, tok.inv, { reason }), 403, 'FORBIDDEN');
  expectError(await call('POST', path, tok.admin, { reason: 'ended' }), 400, 'BAD_REQUEST', /reason/);
  expectError(await call('POST', '/api/v1/galleries/nope/retire', tok.admin, { reason }), 404, 'NOT_FOUND');
  const r = await call('POST', path, tok.admin, { reason });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok((r.body.templates as number) > 0);
  assert.equal(await held(), 0, 'no template of the gallery is left');
  expectError(await call('POST', path, tok.admin, { reason }), 409, 'GALLERY_RETIRED');
  probeShows(13);
  expectError(await call('POST', '/api/v1/searches', tok.inv, searchBody({ caseRef: 'OP-10' })), 409, 'GALLERY_RETIRED');
  await assert.rejects(rig.services.galleries.importImages(admin(), 'custody', source('custody', 5, 10), { concurrency: 1 }), /GALLERY_RETIRED|retired/);
  const after = ((await call('GET', '/api/v1/galleries', tok.inv)).body as unknown as { name: string; retiredAt: string | null; retiredReason: string; counts: Record<string, number> }[]).find((g) => g.name === 'custody')!;
  assert.ok(after.retiredAt);
  assert.equal(after.retiredReason, reason);
  assert.equal(after.counts.ENROLLED ?? 0, 0);
  const [entry] = (await call('GET', '/api/v1/audit?action=gallery.retire', tok.aud)).body as unknown as { reason: string }[];
  assert.equal(entry!.reason, reason);
  const report = await call('GET', '/api/v1/reports/searches', tok.aud);
  assert.ok((report.body.perGallery as { gallery: string; searches: number }[]).some((g) => g.gallery === 'custody' && g.searches > 0), 'the searches made against it are still counted');
  assert.equal((await rig.services.audit.verify({ kind: 'system', name: 'audit-verifier' })).ok, true);
});
