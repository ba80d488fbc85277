-- OpenLFR scale-out search schema for one PostgreSQL + pgvector shard (see docs/search-scale-out.md).
-- Executed as written by test/medium/pgvector-scaleout.test.ts against PGlite (PostgreSQL 17, pgvector 0.8.1).
--
-- A shard holds a slice of one or more galleries. Templates are stored as halfvec(512) (2 bytes per
-- dimension): the float32 template of record stays in the governance store, and the application
-- re-scores the few candidates it gets back. Each gallery is a list partition (so a search names its
-- gallery and the planner prunes every other one), hash-partitioned again on the template id so each
-- HNSW index stays small enough to build and vacuum in parallel. A search reads every hash
-- partition's index of its gallery and the planner merges them (Merge Append on the distance).
-- Production uses 16 hash partitions per gallery per shard; this file uses 4 so the test is quick.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE gallery_template (
  gallery_id   integer      NOT NULL,
  template_id  bigint       NOT NULL,
  subject_id   bigint       NOT NULL,
  embedding    halfvec(512) NOT NULL,
  PRIMARY KEY (gallery_id, template_id)
) PARTITION BY LIST (gallery_id);

-- gallery 1 (one such block per gallery, created when the gallery is created)
CREATE TABLE gallery_template_g1 PARTITION OF gallery_template FOR VALUES IN (1) PARTITION BY HASH (template_id);
CREATE TABLE gallery_template_g1_p0 PARTITION OF gallery_template_g1 FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE gallery_template_g1_p1 PARTITION OF gallery_template_g1 FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE gallery_template_g1_p2 PARTITION OF gallery_template_g1 FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE gallery_template_g1_p3 PARTITION OF gallery_template_g1 FOR VALUES WITH (MODULUS 4, REMAINDER 3);

-- @indexes: built after a bulk load (much faster than growing the graphs row by row); an index
-- declared on the parent is created on every partition, present and future.
-- Inner product on unit vectors: `<#>` returns the NEGATIVE dot product, so ORDER BY it ascending.
CREATE INDEX gallery_template_hnsw ON gallery_template
  USING hnsw (embedding halfvec_ip_ops) WITH (m = 16, ef_construction = 64);

-- The search (parameters: $1 probe as halfvec(512), $2 gallery id, k = 20):
--   SET hnsw.ef_search = 100;  SET hnsw.iterative_scan = relaxed_order;
--   SELECT template_id, subject_id, -(embedding <#> $1) AS score
--     FROM gallery_template WHERE gallery_id = $2
--    ORDER BY embedding <#> $1 LIMIT 20;
