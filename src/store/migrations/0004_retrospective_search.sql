-- Retrospective search: galleries of enrolled templates, searches behind the gate, authorities for
-- RESTRICTED galleries, reviews before release. Probe images and gallery templates are biometric and
-- live in biometric_blobs / templates (written only by src/store/biometric-store.ts).

-- Gallery templates are grouped so that a whole gallery loads (and is audited) as one read.
alter table templates drop constraint templates_kind_check;
alter table templates add constraint templates_kind_check check (kind in ('watchlist', 'alert', 'probe', 'gallery'));
alter table templates add column owner_group text;
create index templates_group on templates(owner_group) where owner_group is not null;

create table galleries (
  id text primary key,
  name text not null unique,
  access_class text not null check (access_class in ('LOCAL', 'RESTRICTED')),
  description text not null,
  -- the engine whose templates the gallery holds (set by the first import)
  engine_id text,
  -- bumped by every change of the gallery's templates, so a search index knows it is stale
  revision bigint not null default 0,
  created_by text not null references users(id),
  created_at timestamptz not null
);

-- One row per distinct image content offered to a gallery: enrolled, failed to enrol (FTA) or unreadable.
-- The content hash makes an import idempotent: a rerun (after a crash or Ctrl-C) skips what is done.
create table gallery_items (
  id text primary key,
  gallery_id text not null references galleries(id),
  content_hash text not null,
  source_ref text not null,
  subject_key text not null,
  status text not null check (status in ('ENROLLED', 'FTA', 'BAD')),
  faces integer,
  problem text,
  created_at timestamptz not null,
  unique (gallery_id, content_hash)
);
create index gallery_items_gallery on gallery_items(gallery_id, status);

-- A second person's authority to search a RESTRICTED gallery for one case (single use).
create table search_authorities (
  id text primary key,
  case_ref text not null,
  gallery_id text not null references galleries(id),
  offence text not null,
  justification text not null,
  requested_by text not null references users(id),
  requested_at timestamptz not null,
  authorised_by text references users(id),
  authorised_at timestamptz,
  authority_note text,
  used_by_search text,
  check (authorised_by is null or authorised_by <> requested_by)
);

-- Every search attempt: done (RELEASED or WITHHELD until reviewed) or REFUSED by the gate.
-- Refusals keep no probe. When the retention period ends the probe and the result are deleted
-- (purged_at); the non-biometric facts stay for the figures.
create table searches (
  id text primary key,
  case_ref text,
  offence text,
  gallery_name text not null,
  gallery_id text references galleries(id),
  access_class text,
  searched_by text not null,
  created_at timestamptz not null,
  status text not null check (status in ('RELEASED', 'WITHHELD', 'REFUSED')),
  refusal_code text,
  refusal_reason text,
  authority_id text references search_authorities(id),
  top_k integer,
  faces_in_probe integer,
  face_chosen integer,
  gallery_size integer,
  result jsonb,
  released_at timestamptz,
  retain_until timestamptz,
  purged_at timestamptz,
  check (status <> 'REFUSED' or refusal_code is not null)
);
create index searches_case on searches(case_ref, access_class, status);
create index searches_retention on searches(retain_until) where purged_at is null;

create table search_reviews (
  search_id text not null references searches(id),
  reviewer text not null references users(id),
  note text not null,
  at timestamptz not null,
  primary key (search_id, reviewer)
);
