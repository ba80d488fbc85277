-- Retention: alerts exported to a case (their crop leaves the retention clock) and the tombstones that make
-- the deletion of sealed files crash-safe.

-- An alert whose crop was exported to a case file. One export per alert; the case reference is what the
-- force's case system knows it by. No biometric data here.
create table alert_case_exports (
  alert_id text primary key references alerts(id),
  case_ref text not null check (length(case_ref) between 1 and 100),
  note text not null,
  exported_by text not null references users(id),
  exported_at timestamptz not null
);

-- Sealed image files whose row has been deleted but whose file may still be on disk. Written by the
-- biometric store in the same transaction as the row deletion; the file is removed afterwards and the
-- tombstone with it. A crash in between leaves the tombstone, and the next retention run finishes the job.
create table biometric_tombstones (
  blob_id text primary key,
  deleted_at timestamptz not null
);

-- the retention job looks for alerts whose crop is still held
create index alerts_crop_held on alerts(status) where biometrics_deleted_at is null;
