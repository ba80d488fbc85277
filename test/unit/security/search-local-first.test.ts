/**
 * Issue 14, finding 10 (docs/security.md): LOCAL first was met by any probe (a LOCAL search of one image let a
 * RESTRICTED search of another through), and a retired LOCAL gallery, which can no longer be searched, blocked
 * every RESTRICTED search for ever. Through the search service on the real schema (PGlite) with the scripted
 * engine, which decides which faces each probe shows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OpenLfrError } from '../../../src/errors.ts';
import type { Principal } from '../../../src/governance/model.ts';
import type { ImageSource } from '../../../src/search/image-source.ts';
import { confirmGrants, makeRig, pngBytes, type TestRig } from '../../helpers/governance.ts';
import { fakeFace } from '../../helpers/scripted-engine.ts';

const code = (c: string, msg?: RegExp) => (e: unknown) => e instanceof OpenLfrError && e.code === c && (!msg || msg.test(e.message));
const JUST = 'Murder of a shopkeeper on 3 May; the CCTV still is the only lead and the custody search found no likely candidate.';

let rig: TestRig;
let admin: Principal;
let inv: Principal;
let supt: Principal;

function source(prefix: string, n: number, seed0: number): ImageSource & { seeds: number[] } {
  const seeds = Array.from({ length: n }, (_, i) => seed0 + i);
  return { seeds, async list() { return seeds.map((s, i) => ({ ref: `${prefix}/${i}.png`, subjectKey: `${prefix}-person-${i}`, read: () => pngBytes(s) })); } };
}
const shows = (...seeds: number[]) => rig.engine.plan(seeds.map((s) => fakeFace(rig.engine.id, {}, s)));

before(async () => {
  rig = await makeRig();
  const u = rig.services.users;
  await u.bootstrap({ username: 'admin', displayName: 'Admin', roles: ['ADMIN'], password: 'admin-password-1' });
  admin = await u.checkPassword('admin', 'admin-password-1', 'test');
  await u.create(admin, { username: 'inv', displayName: 'inv', roles: ['INVESTIGATOR'], password: 'inv-password-1' });
  await u.create(admin, { username: 'supt', displayName: 'supt', roles: ['AUTHORISING_OFFICER'], rank: 'SUPERINTENDENT', password: 'supt-password-1' });
  await confirmGrants(rig.services, admin); // a second ADMIN confirms the grant (issue 14, 3a)
  inv = await u.checkPassword('inv', 'inv-password-1', 'test');
  supt = await u.checkPassword('supt', 'supt-password-1', 'test');
  const g = rig.services.galleries;
  for (const [name, accessClass, prefix, n, seed] of [['custody', 'LOCAL', 'custody', 4, 10], ['old-custody', 'LOCAL', 'old', 3, 30], ['passport', 'RESTRICTED', 'passport', 5, 60]] as const) {
    await g.create(admin, { name, accessClass, description: `${name} images held for the test` });
    const src = source(prefix, n, seed);
    rig.engine.plan(...src.seeds.map((s) => [fakeFace(rig.engine.id, {}, s)]));
    await g.importImages(admin, name, src, { concurrency: 1 });
  }
});
after(() => rig.close());

async function authority(caseRef: string): Promise<string> {
  const a = await rig.services.searches.requestAuthority(inv, { gallery: 'passport', caseRef, offence: 'MURDER', justification: JUST });
  await rig.services.searches.authorise(supt, a.id, 'Necessary and proportionate: murder, no other lead');
  return a.id;
}

test('LOCAL first: the RESTRICTED search must be of the probe image and the face the LOCAL galleries were searched with', async () => {
  const s = rig.services.searches;
  const cctv = await pngBytes(201);
  const other = await pngBytes(202);
  // the LOCAL searches for the case are of another image
  for (const gallery of ['custody', 'old-custody']) {
    shows(63);
    await s.search(inv, { gallery, probe: other, caseRef: 'OP-21', offence: 'MURDER' });
  }
  const aid = await authority('OP-21');
  await assert.rejects(s.search(inv, { gallery: 'passport', probe: cctv, caseRef: 'OP-21', offence: 'MURDER', authorityId: aid }), code('SEARCH_LOCAL_FIRST', /not yet searched: custody, old-custody/));
  // the same image, but a different face of it than the LOCAL searches used
  for (const gallery of ['custody', 'old-custody']) {
    shows(12, 63);
    await s.search(inv, { gallery, probe: cctv, caseRef: 'OP-21', offence: 'MURDER', face: 1 });
  }
  shows(12, 63);
  await assert.rejects(s.search(inv, { gallery: 'passport', probe: cctv, caseRef: 'OP-21', offence: 'MURDER', authorityId: aid, face: 2 }), code('SEARCH_LOCAL_FIRST', /face 2 of this probe image/));
  const refused = await rig.db.query<{ n: number }>(`select count(*)::int as n from audit_log where action = 'search.refused' and details like '%SEARCH_LOCAL_FIRST%'`);
  assert.equal(refused[0]!.n, 2, 'both refusals audited');
  // the same image and face: allowed, and the authority is used by it
  shows(12, 63);
  const ok = await s.search(inv, { gallery: 'passport', probe: cctv, caseRef: 'OP-21', offence: 'MURDER', authorityId: aid, face: 1 });
  assert.equal(ok.status, 'WITHHELD');
});

test('LOCAL first: a retired LOCAL gallery no longer blocks RESTRICTED searches', async () => {
  const s = rig.services.searches;
  const still = await pngBytes(203);
  shows(11);
  await s.search(inv, { gallery: 'custody', probe: still, caseRef: 'OP-22', offence: 'MURDER' });
  const aid = await authority('OP-22');
  shows(11);
  await assert.rejects(s.search(inv, { gallery: 'passport', probe: still, caseRef: 'OP-22', offence: 'MURDER', authorityId: aid }), code('SEARCH_LOCAL_FIRST', /not yet searched: old-custody/));
  await rig.services.galleries.retire(admin, 'old-custody', 'The agreement for the old custody images has ended');
  shows(11);
  await assert.rejects(s.search(inv, { gallery: 'old-custody', probe: still, caseRef: 'OP-22', offence: 'MURDER' }), code('GALLERY_RETIRED'), 'a retired gallery cannot be searched');
  shows(11);
  const ok = await s.search(inv, { gallery: 'passport', probe: still, caseRef: 'OP-22', offence: 'MURDER', authorityId: aid });
  assert.equal(ok.status, 'WITHHELD', 'the LOCAL galleries in service were searched: the RESTRICTED search runs');
});
