-- The evaluation harness's template cache (templates of a labelled dataset, per engine and dataset) is
-- biometric data: it is kept as a sealed blob of the biometric store like any other, one per cache key
-- (owner_id = 'evalcache:<engine+variant hash>-<dataset roots hash>'), written and read only by
-- src/store/biometric-store.ts, every access audited.
alter table biometric_blobs drop constraint biometric_blobs_kind_check;
alter table biometric_blobs add constraint biometric_blobs_kind_check
  check (kind in ('watchlist_image', 'alert_crop', 'probe_image', 'evaluation_templates'));
create index biometric_blobs_kind on biometric_blobs(kind, created_at);
