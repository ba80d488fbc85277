-- Sealed blobs (face images, alert crops, search probes, evaluation caches: already encrypted by the
-- biometric store) kept in the database rather than under <home>/blobs, the default when DATABASE_URL is
-- set (src/store/sealed-blobs.ts), so every server and CLI on one PostgreSQL sees the same images. Written
-- and read only by src/store/biometric-store.ts. No foreign key: a blob is written just before its row in
-- biometric_blobs, in the same transaction.
create table biometric_blob_data (
  id text primary key,
  sealed bytea not null,
  written_at timestamptz not null
);
