/**
 * The search index gives exactly the brute-force answer: (1) a gallery index rebuilt from the
 * biometric store (templates sealed, grouped, loaded and audited), reduced to one candidate per
 * subject, and kept current after more templates arrive; (2) the exact matcher at scale (200,000
 * templates). The brute force here is independent: double precision, a full sort.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuditTrail } from '../../src/governance/audit-trail.ts';
import { ExactMatcher } from '../../src/match/exact.ts';
import { searchSubjects } from '../../src/match/port.ts';
import { fillTemplates, galleryChunk, prng, CHUNK_ROWS } from '../../src/match/synthetic.ts';
import { BiometricStore } from '../../src/store/biometric-store.ts';
import { makeSearchRepos } from '../../src/store/repositories/search.ts';
import { GalleryIndexes, galleryGroup } from '../../src/search/gallery-index.ts';
import type { Gallery } from '../../src/search/model.ts';
import { loadConfig } from '../../src/config.ts';
import { makeRig, type TestRig } from '../helpers/governance.ts';

const DIMS = 512;
let rig: TestRig;
let biometrics: BiometricStore;
let gallery: Gallery;
const stored: { subject: string; vector: Float32Array }[] = [];

function bruteSubjects(q: Float32Array, k: number): { subject: string; score: number }[] {
  const best = new Map<string, number>();
  for (const t of stored) {
    let s = 0;
    for (let j = 0; j < DIMS; j++) s += q[j]! * t.vector[j]!;
    if (!best.has(t.subject) || s > best.get(t.subject)!) best.set(t.subject, s);
  }
  return [...best.entries()]
    .map(([subject, score]) => ({ subject, score }))
    .sort((a, b) => b.score - a.score || (a.subject < b.subject ? -1 : 1))
    .slice(0, k);
}

async function addTemplates(n: number, seed: number): Promise<void> {
  const data = new Float32Array(n * DIMS);
  fillTemplates(data, DIMS, prng(seed));
  const rand = prng(seed + 1);
  await rig.db.transaction(async (tx) => {
    const repos = makeSearchRepos(tx);
    for (let i = 0; i < n; i++) {
      const subject = `S${Math.floor(rand() * (n / 3))}`; // about three templates per subject
      const vector = data.slice(i * DIMS, (i + 1) * DIMS);
      const item = { id: `gli_${randomUUID()}`, galleryId: gallery.id, contentHash: randomUUID(), sourceRef: `${subject}/${i}.jpg`, subjectKey: subject, status: 'ENROLLED' as const, faces: 1, problem: null, createdAt: rig.clock.now() };
      await repos.items.insert(item);
      await biometrics.putTemplate(tx, 'gallery', item.id, 'synthetic', vector, { actor: 'test', reason: 'scale check' }, galleryGroup(gallery.id));
      stored.push({ subject, vector });
    }
    await repos.galleries.bump(gallery.id, 'synthetic');
  });
  gallery = (await makeSearchRepos(rig.db).galleries.byId(gallery.id))!;
}

before(async () => {
  rig = await makeRig();
  biometrics = new BiometricStore({ key: rig.services.key, home: rig.home, clock: rig.clock, audit: new AuditTrail(rig.clock) });
  const admin = await rig.services.users.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
  gallery = await rig.services.galleries.create({ kind: 'user', user: admin }, { name: 'scale', accessClass: 'LOCAL', description: 'synthetic templates' });
});
after(async () => rig.close());

test('the index rebuilt from the store, per subject, equals brute force; and it follows new templates', async () => {
  await addTemplates(600, 11);
  const indexes = new GalleryIndexes({ db: rig.db, biometrics, match: loadConfig({}, {}).match });
  const who = { actor: 'test', reason: 'scale check' };
  const probes = new Float32Array(10 * DIMS);
  fillTemplates(probes, DIMS, prng(99));
  const check = async () => {
    const idx = await indexes.get(gallery, who);
    assert.equal(idx.items.size, stored.length);
    for (let p = 0; p < 10; p++) {
      // half the probes sit next to a stored template
      const q = probes.slice(p * DIMS, (p + 1) * DIMS);
      if (p % 2 === 0) {
        const t = stored[(p * 97) % stored.length]!.vector;
        let sq = 0;
        for (let j = 0; j < DIMS; j++) sq += (q[j] = q[j]! * 0.3 + t[j]!) ** 2;
        for (let j = 0; j < DIMS; j++) q[j] = q[j]! / Math.sqrt(sq);
      }
      const got = await searchSubjects(idx.matcher!, q, 20, (id) => idx.items.get(id)?.subjectKey);
      const want = bruteSubjects(q, 20);
      assert.deepEqual(got.map((h) => h.subject), want.map((h) => h.subject), `probe ${p}`);
      got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i]!.score) < 1e-5));
    }
  };
  await check();
  await addTemplates(100, 12);
  await check();
  await indexes.close();
  const loads = await rig.db.query<{ details: string }>(`select details from audit_log where action = 'biometric.template.read' order by seq`);
  assert.deepEqual(
    loads.map((l) => (JSON.parse(l.details) as { templates: number }).templates),
    [600, 100],
    'each load is an audited read; the second loads only the new templates',
  );
});

test('exact matcher at 200,000 templates equals brute force', async () => {
  const size = 200_000;
  const dims = 128;
  const m = new ExactMatcher(dims, { initialCapacity: size });
  const all = new Float32Array(size * dims);
  for (let c = 0; c * CHUNK_ROWS < size; c++) {
    const chunk = galleryChunk(7, c, size, dims);
    all.set(chunk, c * CHUNK_ROWS * dims);
    await m.add(
      Array.from({ length: chunk.length / dims }, (_, i) => `t${c * CHUNK_ROWS + i}`),
      chunk,
    );
  }
  const q = new Float32Array(dims);
  for (let p = 0; p < 4; p++) {
    fillTemplates(q, dims, prng(1000 + p));
    const scores = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let j = 0; j < dims; j++) s += q[j]! * all[i * dims + j]!;
      scores[i] = s;
    }
    const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || (`t${a}` < `t${b}` ? -1 : 1));
    const got = await m.search(q, 50);
    assert.deepEqual(got.map((h) => h.id), order.slice(0, 50).map((i) => `t${i}`), `probe ${p}`);
  }
  await m.close();
});
