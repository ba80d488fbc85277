/**
 * Retrospective search with the real engine on real faces: a custody-like gallery of 200 LFW identities
 * (the first photo of each), searched with a different photo of enrolled people; de-duplication and the
 * bad-image report; a rerun adds nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../src/config.ts';
import { defaultEngine } from '../../src/governance/engine-provider.ts';
import type { FaceEngine } from '../../src/engine/port.ts';
import type { Principal } from '../../src/governance/model.ts';
import type { ImageSource, SourceImage } from '../../src/search/image-source.ts';
import type { ImportReport } from '../../src/search/galleries.ts';
import { makeRig, type TestRig } from '../helpers/governance.ts';
import { ds, identityFolders } from '../helpers/datasets.ts';

const IDENTITIES = 200;
const PROBES = 100;
let rig: TestRig;
let engine: FaceEngine;
let admin: Principal;
let inv: Principal;
const people = identityFolders(ds('lfw-devtrain'))
  .filter((p) => p.files.length >= 2)
  .slice(0, IDENTITIES);
const image = (path: string, ref: string, subjectKey: string): SourceImage => ({ ref, subjectKey, read: async () => new Uint8Array(await readFile(path)) });

const gallerySource: ImageSource = {
  async list() {
    const list = people.map((p) => image(p.files[0]!, `${p.identity}/${p.files[0]!.split('/').pop()!}`, p.identity));
    // the same content under another name, and a file that is not an image
    list.push(image(people[0]!.files[0]!, 'copies/duplicate-of-first.jpg', 'copies'));
    list.push({ ref: 'broken/truncated.jpg', subjectKey: 'broken', read: async () => (await readFile(people[1]!.files[0]!)).subarray(0, 300) });
    list.push({ ref: 'broken/not-an-image.jpg', subjectKey: 'broken', read: async () => new TextEncoder().encode('this is a text file') });
    return list;
  },
};

let first: ImportReport;

before(async () => {
  engine = await defaultEngine(loadConfig());
  rig = await makeRig({ engine });
  const users = rig.services.users;
  await users.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
  admin = await users.checkPassword('admin', 'admin-password-1', 'test');
  await users.create(admin, { username: 'inv', displayName: 'I', roles: ['INVESTIGATOR'], password: 'inv-password-123' });
  inv = await users.checkPassword('inv', 'inv-password-123', 'test');
  await rig.services.galleries.create(admin, { name: 'custody', accessClass: 'LOCAL', description: 'LFW identities standing in for custody images' });
  first = await rig.services.galleries.importImages(admin, 'custody', gallerySource);
});
after(async () => rig.close());

test('import: every image enrolled or accounted for; duplicates and bad images reported, the import went on', () => {
  const r = first;
  assert.equal(r.found, IDENTITIES + 3);
  assert.deepEqual(r.duplicates, [{ ref: 'copies/duplicate-of-first.jpg', sameAs: `${people[0]!.identity}/${people[0]!.files[0]!.split('/').pop()!}` }]);
  assert.deepEqual(r.bad.map((b) => [b.ref, b.code]).sort(), [
    ['broken/not-an-image.jpg', 'IMAGE_UNREADABLE'],
    ['broken/truncated.jpg', 'IMAGE_UNREADABLE'],
  ]);
  assert.equal(r.enrolled + r.fta.length, IDENTITIES, JSON.stringify(r.fta));
  assert.ok(r.fta.length <= 4, `at most 2% failures to enrol on LFW, got ${r.fta.length}`);
  assert.deepEqual(r.totals, { ENROLLED: r.enrolled, BAD: 2, ...(r.fta.length ? { FTA: r.fta.length } : {}) });
  console.log(JSON.stringify({ import: { enrolled: r.enrolled, fta: r.fta.length, seconds: r.seconds, imagesPerSecond: r.imagesPerSecond, multiFace: r.multiFace } }));
});

test('a rerun imports nothing twice', async () => {
  const again = await rig.services.galleries.importImages(admin, 'custody', gallerySource);
  assert.equal(again.enrolled, 0);
  assert.equal(again.alreadyImported, IDENTITIES + 3, 'every enrolled, FTA and bad image is known by its content (the duplicate too)');
  assert.deepEqual(again.totals, first.totals);
  const [row] = await rig.db.query<{ n: number }>(`select count(*)::int as n from templates where kind = 'gallery'`);
  assert.equal(row!.n, first.enrolled, 'one template per enrolled image');
});

test('a different photo of an enrolled person finds them at rank 1', async () => {
  const fta = new Set(first.fta.map((f) => f.ref.split('/')[0]));
  const probes = people.filter((p) => !fta.has(p.identity)).slice(0, PROBES);
  let rank1 = 0;
  const misses: string[] = [];
  for (const p of probes) {
    const probe = new Uint8Array(await readFile(p.files[1]!));
    let out;
    try {
      out = await rig.services.searches.search(inv, { gallery: 'custody', probe, caseRef: 'OP-LFW-1', offence: 'ROBBERY', top: 20, face: 1 });
    } catch (e) {
      misses.push(`${p.identity}: ${(e as Error).message}`);
      continue;
    }
    assert.equal(out.status, 'RELEASED');
    assert.equal(out.candidates!.length, 20);
    assert.deepEqual(
      out.candidates!.map((c) => c.rank),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    for (let i = 1; i < 20; i++) assert.ok(out.candidates![i - 1]!.score >= out.candidates![i]!.score);
    if (out.candidates![0]!.subjectKey === p.identity) rank1++;
    else misses.push(`${p.identity} -> ${out.candidates![0]!.subjectKey}`);
  }
  console.log(JSON.stringify({ search: { probes: probes.length, rank1, misses } }));
  assert.ok(rank1 / probes.length >= 0.95, `rank-1 ${rank1}/${probes.length}; misses: ${misses.join('; ')}`);
  assert.equal(probes[0]!.identity, people[0]!.identity);
});
