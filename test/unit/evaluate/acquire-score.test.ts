import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acquireAll, datasetFingerprint, selectSubjectFace } from '../../../src/evaluate/acquire.ts';
import { MemoryTemplateCache } from '../../../src/evaluate/cache.ts';
import { scoreAll } from '../../../src/evaluate/score.ts';
import type { DatasetImage } from '../../../src/evaluate/dataset.ts';
import { FakeEngine, fakeDecode, fakeImageFile, unit } from '../../helpers/fake-engine.ts';

test('subject face: the largest face covering the image centre, else the largest', () => {
  const box = (x: number, y: number, w: number, h: number) => ({ x, y, width: w, height: h });
  assert.equal(selectSubjectFace([box(0, 0, 40, 40), box(40, 40, 30, 30), box(35, 35, 20, 20)], 100, 100), 1, 'a bigger face in a corner loses to the central one');
  assert.equal(selectSubjectFace([box(0, 0, 10, 10), box(70, 70, 25, 25)], 100, 100), 1);
  assert.equal(selectSubjectFace([], 100, 100), -1);
});

test('acquire: every image once, failures kept, duplicates analysed once, warm run from cache only', async () => {
  const files: Record<string, string> = {
    '/d/A/1.jpg': fakeImageFile([{ box: [0, 0, 20, 20], emb: unit(4, 2) }, { box: [30, 30, 40, 40], emb: unit(4, 1) }]),
    '/d/A/2.jpg': fakeImageFile([]),
    '/d/B/1.jpg': 'not an image',
    '/d/C/1.jpg': fakeImageFile([{ box: [30, 30, 40, 40], emb: unit(4, 1) }, { box: [0, 0, 20, 20], emb: unit(4, 2) }]),
    '/d/C/2.jpg': fakeImageFile([{ box: [30, 30, 40, 40], emb: unit(4, 1) }, { box: [0, 0, 20, 20], emb: unit(4, 2) }]), // same bytes as C/1
  };
  const images: DatasetImage[] = Object.keys(files).map((abs) => {
    const rel = abs.slice(3);
    return { key: rel, rel, identity: rel.split('/')[0]!, abs };
  });
  const engine = new FakeEngine(4);
  const cache = new MemoryTemplateCache();
  const progress: number[] = [];
  let flushes = 0;
  const flush = cache.flush.bind(cache);
  cache.flush = async () => {
    flushes++;
    await flush();
  };
  const opts = { engine, decode: fakeDecode, cache, concurrency: 3, flushEvery: 2, readBytes: async (p: string) => Buffer.from(files[p]!), onProgress: (d: number) => progress.push(d) };
  const cold = await acquireAll(images, opts);
  assert.equal(engine.calls, 3, 'unreadable file not analysed; identical content analysed once');
  const a1 = cold.images.get('A/1.jpg')!.template;
  assert.equal(a1.status, 'face');
  assert.equal(a1.faces, 2);
  assert.deepEqual([...a1.embedding!], unit(4, 1).map(Math.fround), 'the central face is the subject');
  assert.equal(cold.images.get('A/2.jpg')!.template.status, 'no-face');
  assert.equal(cold.images.get('B/1.jpg')!.template.status, 'unreadable');
  assert.equal(progress.length, 5);
  assert.equal(flushes, 2, 'the cache is persisted every 2 newly analysed images (5 new entries)');
  const warm = await acquireAll(images, opts);
  assert.equal(engine.calls, 3, 'a warm run analyses nothing');
  assert.equal(warm.fromCache, 5);
  assert.equal(datasetFingerprint(warm.images.values()), datasetFingerprint(cold.images.values()));
  assert.match(datasetFingerprint(cold.images.values()), /^[0-9a-f]{64}$/);
});

test('score: blocked 1:N scores equal the naive computation; failed probes get no scores', () => {
  const d = 8;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const norm = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const W = Array.from({ length: 7 }, () => norm(Array.from({ length: d }, rnd)));
  const P = Array.from({ length: 9 }, () => norm(Array.from({ length: d }, rnd)));
  const wid = [0, 1, 1, 2, 3, 4, 5];
  const pid = [0, 1, 2, 9, 3, 4, 5, 1, 0];
  const failed = [0, 0, 0, 0, 1, 0, 0, 0, 0];
  const out = scoreAll({ dims: d, watchlist: Float32Array.from(W.flat()), watchlistIdentity: Int32Array.from(wid), probes: Float32Array.from(P.flat()), probeIdentity: Int32Array.from(pid), probeFailed: Uint8Array.from(failed), collectImpostor: true });
  let impostors = 0;
  P.forEach((p, i) => {
    if (failed[i]) {
      assert.equal(out.mateScore[i], -Infinity);
      assert.equal(out.nonMateScore[i], -Infinity);
      assert.equal(out.top1[i], -1);
      assert.equal(out.nonMateTop[i], -1);
      return;
    }
    const s = W.map((w) => w.reduce((acc, x, k) => acc + Math.fround(x) * Math.fround(p[k]!), 0));
    const mate = Math.max(-Infinity, ...s.filter((_, j) => wid[j] === pid[i]));
    const non = Math.max(-Infinity, ...s.filter((_, j) => wid[j] !== pid[i]));
    impostors += s.filter((_, j) => wid[j] !== pid[i]).length;
    assert.ok(Math.abs(out.mateScore[i]! - mate) < 1e-6 || (mate === -Infinity && out.mateScore[i] === -Infinity));
    assert.ok(Math.abs(out.nonMateScore[i]! - non) < 1e-6);
    assert.equal(out.top1[i], s.indexOf(Math.max(...s)));
    assert.equal(out.nonMateTop[i], s.indexOf(non), 'the entry behind the best score against someone else');
    assert.notEqual(wid[out.nonMateTop[i]!], pid[i]);
  });
  assert.equal(out.impostor.length, impostors);
});
