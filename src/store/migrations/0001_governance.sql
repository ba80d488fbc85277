-- Governance core: people, deployments, watchlists, biometric records, calibrations, audit trail.
-- PostgreSQL dialect; runs unchanged on PGlite (embedded) and on a PostgreSQL server.

create table users (
  id text primary key,
  username text not null unique,
  display_name text not null,
  password_hash text not null,
  roles jsonb not null,
  rank text,
  disabled boolean not null default false,
  created_at timestamptz not null,
  created_by text
);

create table sessions (
  token_hash text primary key,
  user_id text not null references users(id),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_user on sessions(user_id);

create table deployments (
  id text primary key,
  name text not null,
  purpose text not null,
  use_case text not null,
  locations jsonb not null,
  cameras jsonb not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  threshold double precision not null,
  dpia_ref text not null,
  policy_refs jsonb not null,
  state text not null check (state in ('DRAFT', 'AUTHORISED', 'LIVE', 'CLOSED', 'CANCELLED')),
  created_by text not null references users(id),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  public_notice_by text references users(id),
  public_notice_at timestamptz,
  public_notice_note text,
  requested_by text references users(id),
  requested_at timestamptz,
  authorised_by text references users(id),
  authorised_at timestamptz,
  authority_note text,
  live_by text references users(id),
  live_at timestamptz,
  engine_id text,
  floor double precision,
  floor_source text,
  closed_by text,
  closed_at timestamptz,
  close_reason text,
  watchlist_frozen_at timestamptz,
  watchlist_destroyed_at timestamptz,
  check (ends_at > starts_at)
);
create index deployments_state on deployments(state);

create table watchlist_entries (
  id text primary key,
  deployment_id text not null references deployments(id),
  subject_ref text not null,
  category text not null check (category in
    ('WANTED_BY_COURT', 'WANTED_BY_POLICE_SUSPECT', 'BAIL_OR_COURT_ORDER', 'MISSING_AT_RISK', 'RISK_OF_HARM')),
  -- The fields below are cleared when the watchlist is destroyed; subject_ref and category remain.
  reason text,
  grounds text,
  legal_basis text,
  image_source text,
  capture_date date,
  under18 boolean,
  risk_rationale text,
  quality jsonb,
  enrolled_by text not null references users(id),
  enrolled_at timestamptz not null,
  reviewed_by text references users(id),
  reviewed_at timestamptz,
  destroyed_at timestamptz,
  check (reviewed_by is null or reviewed_by <> enrolled_by)
);
create index watchlist_entries_deployment on watchlist_entries(deployment_id);
create index watchlist_entries_subject on watchlist_entries(subject_ref);

-- Biometric records. Written and read only by src/store/biometric-store.ts.
-- Encrypted image files live under $OPENLFR_HOME/blobs; this row points at one.
create table biometric_blobs (
  id text primary key,
  kind text not null check (kind in ('watchlist_image', 'alert_crop', 'probe_image')),
  owner_id text not null,
  size_bytes integer not null,
  created_at timestamptz not null
);
create index biometric_blobs_owner on biometric_blobs(owner_id);

-- Templates (embeddings), sealed with AES-256-GCM (hence bytea, not a pgvector column).
create table templates (
  id text primary key,
  kind text not null check (kind in ('watchlist', 'alert', 'probe')),
  owner_id text not null,
  engine_id text not null,
  dims integer not null,
  sealed bytea not null,
  created_at timestamptz not null
);
create index templates_owner on templates(owner_id);

-- Measured operating points (written by the evaluation issue); the latest per engine sets the floor.
create table calibrations (
  id text primary key,
  engine_id text not null,
  dataset_fingerprint text not null,
  created_at timestamptz not null,
  threshold double precision not null,
  figures jsonb not null
);
create index calibrations_engine on calibrations(engine_id, created_at);

-- Append-only, hash-chained audit log. Every column is text so the hash is over exactly what is stored.
create table audit_log (
  seq bigint primary key,
  at text not null,
  actor text not null,
  action text not null,
  target text not null,
  reason text not null,
  details text not null,
  prev_hash text not null,
  hash text not null unique
);

-- The chain head: count and hash of the last entry, so cutting entries off the end is detected.
create table audit_head (
  id integer primary key check (id = 1),
  count bigint not null,
  head_hash text not null
);
insert into audit_head (id, count, head_hash) values (1, 0, 'GENESIS');

create function openlfr_audit_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'P0001';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function openlfr_audit_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function openlfr_audit_append_only();

create function openlfr_audit_head_forward() returns trigger language plpgsql as $$
begin
  if tg_op <> 'UPDATE' or new.count <> old.count + 1 then
    raise exception 'audit_head only moves forward one entry at a time' using errcode = 'P0001';
  end if;
  return new;
end $$;
create trigger audit_head_forward before update or delete on audit_head
  for each row execute function openlfr_audit_head_forward();
create trigger audit_head_no_truncate before truncate on audit_head
  for each statement execute function openlfr_audit_append_only();
