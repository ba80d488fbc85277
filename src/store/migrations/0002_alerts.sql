-- Live alerts (possible matches waiting for a person's decision) and per-camera live counters.
-- A face that matches no one leaves no row here: only counters survive it.

create table alerts (
  id text primary key,
  deployment_id text not null references deployments(id),
  camera text not null,
  track_id integer not null,
  -- the watchlist entry that matched (its biometrics are destroyed with the watchlist; the row stays)
  entry_id text not null references watchlist_entries(id),
  subject_ref text not null,
  category text not null,
  priority text not null check (priority in ('HIGH', 'NORMAL')),
  score double precision not null,
  threshold double precision not null,
  video_time_sec double precision not null,
  shots_fused integer not null,
  created_at timestamptz not null,
  status text not null check (status in ('PENDING', 'DISMISSED', 'ENGAGED', 'CLOSED')),
  operator_id text references users(id),
  operator_decision text check (operator_decision in ('DISMISS', 'ENGAGE')),
  operator_note text,
  operator_at timestamptz,
  outcome text check (outcome in ('IDENTITY_CONFIRMED', 'NOT_THE_PERSON', 'ARRESTED', 'NO_FURTHER_ACTION')),
  outcome_by text references users(id),
  outcome_note text,
  outcome_at timestamptz,
  -- when the crop was deleted under the retention rules (the facts above remain for the figures)
  biometrics_deleted_at timestamptz,
  check (status <> 'PENDING' or operator_decision is null),
  check (outcome is null or operator_decision = 'ENGAGE')
);
create index alerts_deployment on alerts(deployment_id, created_at desc);
create index alerts_status on alerts(status);

create table live_counters (
  deployment_id text not null references deployments(id),
  camera text not null,
  frames_decoded bigint not null default 0,
  frames_analysed bigint not null default 0,
  frames_dropped bigint not null default 0,
  faces_detected bigint not null default 0,
  tracks bigint not null default 0,
  alerts bigint not null default 0,
  updated_at timestamptz not null,
  primary key (deployment_id, camera)
);
