/**
 * The scale-out design's SQL (docs/sql/pgvector-gallery.sql), run on PGlite's PostgreSQL 17 with
 * pgvector 0.8.1, checked against the exact matcher on the same 3,000 synthetic face-like templates:
 *  - an exact scan in SQL (indexes off) returns the exact matcher's top-20 (halfvec rounding allowed);
 *  - the partitioned HNSW indexes are really used (Merge Append of per-partition index scans) and
 *    reach recall@20 >= 0.9 against the exact matcher;
 *  - an IVFFlat index on the same data does too (the alternative the design document weighs).
 * This is the only database code of the matching layer: the design is tested here, not shipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { PROJECT_ROOT } from '../../src/config.ts';
import { ExactMatcher } from '../../src/match/exact.ts';
import { galleryChunk, galleryRowsOf, syntheticProbes } from '../../src/match/synthetic.ts';

const N = 3000;
const DIMS = 512;
const K = 20;
const PROBES = 12;

const literal = (v: Float32Array) => `[${Array.from(v).join(',')}]`;

test('pgvector in PGlite: the scale-out schema agrees with the exact matcher', async () => {
  const data = galleryChunk(11, 0, N, DIMS);
  const exact = new ExactMatcher(DIMS);
  await exact.add(Array.from({ length: N }, (_, i) => String(i)), data);
  const { probes } = syntheticProbes(11, PROBES, DIMS, N, galleryRowsOf(11, N, DIMS));
  const probe = (p: number) => probes.subarray(p * DIMS, (p + 1) * DIMS);
  const truth = await exact.searchBatch(probes, K);

  const db = await PGlite.create({ extensions: { vector } });
  try {
    const [schema, indexes] = readFileSync(join(PROJECT_ROOT, 'docs', 'sql', 'pgvector-gallery.sql'), 'utf8').split(/^-- @indexes.*$/m);
    await db.exec(schema!);
    const version = await db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    assert.equal(version.rows[0]?.extversion, '0.8.1');

    // bulk load, then build the indexes (as a gallery import does)
    await db.transaction(async (tx) => {
      for (let i = 0; i < N; i += 500) {
        const ids: number[] = [];
        const vecs: string[] = [];
        for (let r = i; r < Math.min(N, i + 500); r++) {
          ids.push(r);
          vecs.push(literal(data.subarray(r * DIMS, (r + 1) * DIMS)));
        }
        await tx.query(
          `INSERT INTO gallery_template (gallery_id, template_id, subject_id, embedding)
           SELECT 1, id, id, v::halfvec(512) FROM unnest($1::bigint[], $2::text[]) AS u(id, v)`,
          [ids, vecs],
        );
      }
    });
    await db.exec(`${indexes!}; ANALYZE gallery_template;`);
    const parts = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'gallery_template_g1'::regclass");
    assert.equal(parts.rows[0]?.n, 4);

    const search = `SELECT template_id::int AS id, -(embedding <#> $1::halfvec(512)) AS score
                      FROM gallery_template WHERE gallery_id = 1
                     ORDER BY embedding <#> $1::halfvec(512) LIMIT ${K}`;
    const run = async (p: number) => (await db.query<{ id: number; score: number }>(search, [literal(probe(p))])).rows;

    // 1. exact in SQL: indexes off, the planner scans and sorts
    await db.exec('SET enable_indexscan = off; SET enable_bitmapscan = off');
    let agree = 0;
    for (let p = 0; p < PROBES; p++) {
      const rows = await run(p);
      const want = truth[p]!;
      assert.equal(rows.length, K);
      const wantScore = new Map(want.map((h) => [Number(h.id), h.score]));
      for (const r of rows) if (wantScore.has(r.id)) assert.ok(Math.abs(r.score - wantScore.get(r.id)!) < 2e-3, 'halfvec score within rounding');
      agree += rows.filter((r) => wantScore.has(r.id)).length;
      assert.equal(rows[0]!.id, Number(want[0]!.id), 'the best hit is the same');
    }
    assert.ok(agree / (K * PROBES) >= 0.97, `exact SQL scan vs exact matcher: ${agree / (K * PROBES)} (only halfvec rounding at the cut may differ)`);

    // 2. HNSW: one index scan per partition, merged. At 3,000 rows scanning and sorting is cheaper,
    //    so the planner is told not to scan or sort here; at gallery sizes the index is its own choice.
    await db.exec(`RESET enable_indexscan; SET enable_seqscan = off; SET enable_sort = off;
                   SET hnsw.ef_search = 100; SET hnsw.iterative_scan = relaxed_order`);
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${search}`, [literal(probe(0))])).rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(plan, /Merge Append/);
    assert.equal((plan.match(/Index Scan using gallery_template_g1_p\d_embedding_idx/g) ?? []).length, 4, plan);
    let found = 0;
    for (let p = 0; p < PROBES; p++) {
      const got = new Set((await run(p)).map((r) => r.id));
      found += truth[p]!.filter((h) => got.has(Number(h.id))).length;
    }
    const hnswRecall = found / (K * PROBES);
    assert.ok(hnswRecall >= 0.9, `pgvector HNSW recall@20 ${hnswRecall}`);

    // 3. IVFFlat on an unpartitioned copy (lists ~ sqrt(rows), probes = lists / 5)
    await db.exec(`CREATE TABLE flat_template AS SELECT template_id, embedding FROM gallery_template;
                   CREATE INDEX ON flat_template USING ivfflat (embedding halfvec_ip_ops) WITH (lists = 50);
                   ANALYZE flat_template; SET ivfflat.probes = 10; RESET enable_seqscan; RESET enable_sort;`);
    const ivfSearch = `SELECT template_id::int AS id FROM flat_template ORDER BY embedding <#> $1::halfvec(512) LIMIT ${K}`;
    const ivfPlan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${ivfSearch}`, [literal(probe(0))])).rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(ivfPlan, /Index Scan using flat_template_embedding_idx/);
    found = 0;
    for (let p = 0; p < PROBES; p++) {
      const got = new Set((await db.query<{ id: number }>(ivfSearch, [literal(probe(p))])).rows.map((r) => r.id));
      found += truth[p]!.filter((h) => got.has(Number(h.id))).length;
    }
    const ivfRecall = found / (K * PROBES);
    assert.ok(ivfRecall >= 0.5, `pgvector IVFFlat recall@20 ${ivfRecall}`);
    console.log(`pgvector (PGlite) on ${N} face-like templates: HNSW recall@20 ${hnswRecall.toFixed(3)}, IVFFlat (10/50 lists) recall@20 ${ivfRecall.toFixed(3)}`);
  } finally {
    await db.close();
    await exact.close();
  }
});
