-- Two ADMINs for a grant of power (issue 14, item 3a): making someone an AUTHORISING_OFFICER or an ADMIN, or
-- recording a rank, is a pending grant until a second ADMIN (neither the one who asked nor the grantee) confirms
-- it. `previous_*` is the account as it was when the grant was asked for; a confirmation applies `roles`/`rank`
-- only if the account is still as it was.
create table user_grants (
  id text primary key,
  grantee_id text not null references users(id),
  previous_roles jsonb not null,
  previous_rank text,
  roles jsonb not null,
  rank text,
  reason text not null,
  requested_by text not null references users(id),
  requested_at timestamptz not null,
  status text not null default 'PENDING' check (status in ('PENDING', 'CONFIRMED', 'DECLINED', 'SUPERSEDED')),
  decided_by text references users(id),
  decided_at timestamptz,
  decision_note text,
  check (requested_by <> grantee_id),
  check (decided_by is null or (decided_by <> requested_by and decided_by <> grantee_id))
);
create unique index user_grants_one_pending on user_grants(grantee_id) where status = 'PENDING';
