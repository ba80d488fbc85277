/**
 * The one contract every Matcher implementation passes (see src/match/port.ts). Each implementation
 * has a small test file that calls `matcherContract` with a factory.
 *
 * Results are checked against an independent brute force written here (double precision, plain
 * sort), on seeded random unit vectors. Approximate matchers must reach a stated recall instead of
 * identity, and every score they return must still be exact.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenLfrError, type ErrorCode } from '../../src/errors.ts';
import { searchSubjects, type Matcher, type SearchHit } from '../../src/match/port.ts';
import { fillTemplates, prng } from '../../src/match/synthetic.ts';

export interface ContractOptions {
  /** True for approximate indexes: results must reach `minRecall` instead of matching exactly. */
  approximate?: boolean;
  minRecall?: number;
}

export type MatcherFactory = (dims: number) => Matcher;

function randomUnit(rows: number, dims: number, seed: number): Float32Array {
  const out = new Float32Array(rows * dims);
  fillTemplates(out, dims, prng(seed), 'isotropic');
  return out;
}

function row(flat: Float32Array, i: number, dims: number): Float32Array {
  return flat.slice(i * dims, (i + 1) * dims);
}

/** Reference: score every template, sort by score desc then id asc. */
function bruteForce(ids: readonly string[], flat: Float32Array, dims: number, q: Float32Array, k: number): SearchHit[] {
  const all = ids.map((id, i) => {
    let s = 0;
    for (let j = 0; j < dims; j++) s += q[j]! * flat[i * dims + j]!;
    return { id, score: s };
  });
  return all.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
}

function isCode(code: ErrorCode) {
  return (e: unknown) => e instanceof OpenLfrError && e.code === code;
}

function assertRanked(hits: SearchHit[]): void {
  for (let i = 1; i < hits.length; i++) {
    const a = hits[i - 1]!;
    const b = hits[i]!;
    assert.ok(a.score > b.score || (a.score === b.score && a.id < b.id), `hits ${i - 1} and ${i} are out of order`);
  }
}

export function matcherContract(name: string, make: MatcherFactory, options: ContractOptions = {}): void {
  const approximate = options.approximate ?? false;
  const minRecall = options.minRecall ?? 0.9;

  describe(`Matcher contract: ${name}`, () => {
    test('an empty index answers with no hits, for one probe and for a batch', async () => {
      const m = make(16);
      assert.equal(m.size, 0);
      assert.equal(m.dims, 16);
      const q = randomUnit(2, 16, 1);
      assert.deepEqual(await m.search(row(q, 0, 16), 5), []);
      assert.deepEqual(await m.searchBatch(q, 5), [[], []]);
      await m.close();
    });

    for (const dims of [64, 37]) {
      test(`top-k agrees with brute force (${dims} dims, 3,000 templates, k=10)`, async () => {
        const n = 3000;
        const m = make(dims);
        assert.equal(m.approximate, approximate);
        const data = randomUnit(n, dims, 7 + dims);
        const ids = Array.from({ length: n }, (_, i) => `id${i}`);
        await m.add(ids.slice(0, 1000), data.subarray(0, 1000 * dims));
        await m.add(ids.slice(1000), Array.from({ length: n - 1000 }, (_, i) => row(data, 1000 + i, dims)));
        assert.equal(m.size, n);
        const probes = randomUnit(25, dims, 99);
        // half the probes are near a template, so the top hit is clearly separated
        for (let p = 0; p < 25; p += 2) for (let j = 0; j < dims; j++) probes[p * dims + j] = data[(p * 101) * dims + j]!;
        let found = 0;
        const batch = await m.searchBatch(probes, 10);
        assert.equal(batch.length, 25);
        for (let p = 0; p < 25; p++) {
          const q = row(probes, p, dims);
          const want = bruteForce(ids, data, dims, q, 10);
          const got = await m.search(q, 10);
          assert.deepEqual(batch[p], got, `batch result ${p} differs from the single search`);
          assertRanked(got);
          const exactScore = new Map(bruteForce(ids, data, dims, q, n).map((h) => [h.id, h.score]));
          for (const h of got) assert.ok(Math.abs(h.score - exactScore.get(h.id)!) < 1e-5, `score of ${h.id} is not its cosine`);
          if (!approximate) {
            assert.deepEqual(got.map((h) => h.id), want.map((h) => h.id), `probe ${p}`);
          } else {
            assert.equal(got.length, 10);
            const wantIds = new Set(want.map((h) => h.id));
            found += got.filter((h) => wantIds.has(h.id)).length;
            if (p % 2 === 0) assert.equal(got[0]!.id, `id${p * 101}`, 'a probe equal to a template finds it first');
          }
        }
        if (approximate) assert.ok(found / 250 >= minRecall, `recall@10 ${found / 250} below ${minRecall}`);
        await m.close();
      });
    }

    test('templates and probes given as views into a larger buffer are read at their offset', async () => {
      const dims = 16;
      const m = make(dims);
      const buf = randomUnit(40, dims, 17);
      const ids = Array.from({ length: 30 }, (_, i) => `v${i}`);
      await m.add(ids, buf.subarray(10 * dims, 40 * dims)); // rows 10..39 of the buffer
      for (const r of [12, 25, 39]) {
        const view = buf.subarray(r * dims, (r + 1) * dims);
        assert.equal((await m.search(view, 1))[0]!.id, `v${r - 10}`);
        const [batch] = await m.searchBatch(buf.subarray(r * dims, (r + 1) * dims), 1);
        assert.equal(batch![0]!.id, `v${r - 10}`);
      }
      const two = await m.searchBatch(buf.subarray(20 * dims, 22 * dims), 1);
      assert.deepEqual(two.map((h) => h[0]!.id), ['v10', 'v11']);
      await m.close();
    });

    test('ties are ranked by id, also where the tie straddles the cut', async () => {
      const dims = 32;
      const m = make(dims);
      const others = randomUnit(200, dims, 3);
      await m.add(Array.from({ length: 200 }, (_, i) => `z${i}`), others);
      const twin = row(randomUnit(1, dims, 4), 0, dims);
      await m.add(['c', 'a', 'd', 'b'], [twin, twin, twin, twin]);
      const all = await m.search(twin, 4);
      assertRanked(all);
      assert.deepEqual(all.map((h) => h.id), ['a', 'b', 'c', 'd']);
      assert.ok(all.every((h) => h.score === all[0]!.score && Math.abs(h.score - 1) < 1e-5));
      assert.deepEqual((await m.search(twin, 2)).map((h) => h.id), ['a', 'b']);
      assert.deepEqual((await m.searchBatch([twin, twin], 3)).map((r) => r.map((h) => h.id)), [['a', 'b', 'c'], ['a', 'b', 'c']]);
      await m.close();
    });

    test('identical templates stay findable one by one as their twins are removed', async () => {
      const dims = 32;
      const m = make(dims);
      await m.add(Array.from({ length: 300 }, (_, i) => `z${i}`), randomUnit(300, dims, 8));
      const twin = row(randomUnit(1, dims, 9), 0, dims);
      // in one batch and across batches
      await m.add(['t1', 't2'], [twin, twin]);
      await m.add(['t3'], [twin]);
      assert.deepEqual((await m.search(twin, 3)).map((h) => h.id), ['t1', 't2', 't3']);
      assert.equal(await m.remove(['t1']), 1);
      assert.deepEqual((await m.search(twin, 3)).map((h) => h.id).slice(0, 2), ['t2', 't3']);
      assert.equal(await m.remove(['t2', 't3']), 2);
      assert.ok(!(await m.search(twin, 5)).some((h) => h.id.startsWith('t')), 'removed twins are not returned');
      await m.add(['t4'], [twin]);
      assert.equal((await m.search(twin, 1))[0]!.id, 't4');
      assert.equal(m.size, 301);
      await m.close();
    });

    test('k larger than the index returns every template, ranked', async () => {
      const dims = 16;
      const m = make(dims);
      const data = randomUnit(7, dims, 5);
      const ids = ['g', 'f', 'e', 'd', 'c', 'b', 'a'];
      await m.add(ids, data);
      const q = row(randomUnit(1, dims, 6), 0, dims);
      const got = await m.search(q, 50);
      assert.deepEqual(got.map((h) => h.id), bruteForce(ids, data, dims, q, 50).map((h) => h.id));
      assert.equal(got.length, 7);
      await m.close();
    });

    test('minScore keeps only hits at or above the threshold', async () => {
      const dims = 24;
      const m = make(dims);
      const data = randomUnit(300, dims, 8);
      const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
      await m.add(ids, data);
      const q = row(data, 17, dims);
      const got = await m.search(q, 300, { minScore: 0.3 });
      const want = bruteForce(ids, data, dims, q, 300).filter((h) => h.score >= 0.3);
      assert.ok(want.length >= 2 && want.length < 300, 'the threshold splits the gallery');
      if (approximate) assert.ok(got.length >= want.length * minRecall && got.every((h) => h.score >= 0.3));
      else assert.deepEqual(got.map((h) => h.id), want.map((h) => h.id));
      assert.deepEqual(await m.search(q, 5, { minScore: 1.5 }), []);
      await m.close();
    });

    test('removed templates are never returned, and the rest still rank correctly', async () => {
      const dims = 48;
      const m = make(dims);
      const n = 500;
      const data = randomUnit(n, dims, 9);
      const ids = Array.from({ length: n }, (_, i) => `r${i}`);
      await m.add(ids, data);
      const gone = ids.filter((_, i) => i % 3 === 0 || i === n - 1);
      assert.equal(await m.remove([...gone, 'never-added']), gone.length);
      assert.equal(await m.remove(gone), 0, 'removing again removes nothing');
      assert.equal(m.size, n - gone.length);
      assert.equal(m.has('r0'), false);
      assert.equal(m.has('r1'), true);
      const keptIdx = ids.map((_, i) => i).filter((i) => !gone.includes(ids[i]!));
      const keptIds = keptIdx.map((i) => ids[i]!);
      const kept = new Float32Array(keptIdx.length * dims);
      keptIdx.forEach((i, r) => kept.set(row(data, i, dims), r * dims));
      for (let p = 0; p < 10; p++) {
        const q = row(data, p * 7, dims); // some of these probes are removed templates themselves
        const got = await m.search(q, 20);
        assert.ok(got.every((h) => !gone.includes(h.id)), 'a removed template came back');
        if (!approximate) assert.deepEqual(got.map((h) => h.id), bruteForce(keptIds, kept, dims, q, 20).map((h) => h.id));
      }
      // an id can be enrolled again after removal, with a new vector
      const fresh = row(randomUnit(1, dims, 10), 0, dims);
      await m.add(['r0'], [fresh]);
      assert.equal((await m.search(fresh, 1))[0]!.id, 'r0');
      // removing everything leaves a working empty index
      await m.remove([...keptIds, 'r0']);
      assert.equal(m.size, 0);
      assert.deepEqual(await m.search(fresh, 3), []);
      await m.close();
    });

    test('a wrong dimension is refused with MATCH_DIMENSION_MISMATCH, nothing added', async () => {
      const m = make(8);
      const good = row(randomUnit(1, 8, 11), 0, 8);
      const bad = row(randomUnit(1, 9, 12), 0, 9);
      await assert.rejects(m.add(['a', 'b'], [good, bad]), isCode('MATCH_DIMENSION_MISMATCH'));
      await assert.rejects(m.add(['a'], new Float32Array(9)), isCode('MATCH_DIMENSION_MISMATCH'));
      assert.equal(m.size, 0);
      await m.add(['a'], [good]);
      await assert.rejects(m.search(bad, 1), isCode('MATCH_DIMENSION_MISMATCH'));
      await assert.rejects(m.searchBatch(new Float32Array(12), 1), isCode('MATCH_DIMENSION_MISMATCH'));
      await m.close();
    });

    test('NaN, infinite, zero and unnormalised vectors are refused with MATCH_VECTOR_INVALID', async () => {
      const dims = 8;
      const m = make(dims);
      const good = row(randomUnit(1, dims, 13), 0, dims);
      const nan = good.slice();
      nan[3] = NaN;
      const inf = good.slice();
      inf[0] = Infinity;
      const zero = new Float32Array(dims);
      const long = good.map((x) => x * 2);
      for (const v of [nan, inf, zero, long]) {
        await assert.rejects(m.add(['ok', 'bad'], [good, v]), isCode('MATCH_VECTOR_INVALID'));
        await assert.rejects(m.add(['ok', 'bad'], Float32Array.from([...good, ...v])), isCode('MATCH_VECTOR_INVALID'));
        assert.equal(m.size, 0, 'a refused batch adds nothing');
      }
      await m.add(['ok'], [good]);
      for (const v of [nan, inf, zero, long]) {
        await assert.rejects(m.search(v, 1), isCode('MATCH_VECTOR_INVALID'));
        await assert.rejects(m.searchBatch([good, v], 1), isCode('MATCH_VECTOR_INVALID'));
      }
      await assert.rejects(m.search(Float64Array.from(good) as unknown as Float32Array, 1), isCode('MATCH_VECTOR_INVALID'));
      await m.close();
    });

    test('duplicate ids and bad k are refused with typed errors', async () => {
      const dims = 8;
      const m = make(dims);
      const v = randomUnit(3, dims, 14);
      await assert.rejects(m.add(['x', 'x'], v.subarray(0, 2 * dims)), isCode('MATCH_DUPLICATE_ID'));
      await m.add(['x'], v.subarray(0, dims));
      await assert.rejects(m.add(['y', 'x'], v.subarray(dims, 3 * dims)), isCode('MATCH_DUPLICATE_ID'));
      await assert.rejects(m.add([''], v.subarray(0, dims)), isCode('MATCH_BAD_ARGUMENT'));
      assert.equal(m.size, 1);
      for (const k of [0, -1, 1.5, NaN]) await assert.rejects(m.search(row(v, 0, dims), k), isCode('MATCH_BAD_ARGUMENT'));
      await m.close();
    });

    test('after close every call fails with MATCH_CLOSED; closing twice is fine', async () => {
      const m = make(8);
      const v = randomUnit(1, 8, 15);
      await m.add(['a'], v);
      await m.close();
      await m.close();
      await assert.rejects(m.search(v, 1), isCode('MATCH_CLOSED'));
      await assert.rejects(m.searchBatch(v, 1), isCode('MATCH_CLOSED'));
      await assert.rejects(m.add(['b'], v), isCode('MATCH_CLOSED'));
      await assert.rejects(m.remove(['a']), isCode('MATCH_CLOSED'));
    });

    test('several templates per subject: searchSubjects ranks subjects by their best template', async () => {
      const dims = 32;
      const m = make(dims);
      const base = randomUnit(60, dims, 16);
      const probe = row(base, 0, dims);
      // subject S has 30 templates all very close to the probe; T and U one each, a little further
      const near = (t: number) => {
        const v = probe.map((x, j) => x + 0.02 * (base[(1 + (t % 50)) * dims + j]! - x));
        let s = 0;
        for (const x of v) s += x * x;
        return v.map((x) => x / Math.sqrt(s));
      };
      const ids: string[] = [];
      const vecs: Float32Array[] = [];
      for (let t = 0; t < 30; t++) {
        ids.push(`S-${t}`);
        vecs.push(near(t));
      }
      const mix = (a: number) => {
        const v = probe.map((x, j) => x * a + base[55 * dims + j]! * (1 - a));
        let s = 0;
        for (const x of v) s += x * x;
        return v.map((x) => x / Math.sqrt(s));
      };
      ids.push('T-0', 'U-0', 'U-1');
      vecs.push(mix(0.8), mix(0.6), mix(0.1));
      await m.add(ids, vecs);
      await m.add(Array.from({ length: 50 }, (_, i) => `V${i}-0`), base.subarray(dims * 5, dims * 55));
      const subjectOf = (id: string) => id.split('-')[0];
      const top = await searchSubjects(m, probe, 3, subjectOf);
      assert.deepEqual(top.map((s) => s.subject), ['S', 'T', 'U']);
      assert.ok(top[0]!.score > 0.99 && top[0]!.templateId.startsWith('S-'));
      assert.equal(top[2]!.templateId, 'U-0', "a subject's best template gives its score");
      await m.close();
    });
  });
}
