-- Several API servers may share one PostgreSQL store: exactly one of them runs a LIVE deployment's cameras.
-- It holds a lease (renewed every few seconds, epoch milliseconds) that another server takes over once it
-- has expired, that is when its holder died or lost the database (src/governance/live.ts).
create table live_leases (
  deployment_id text primary key references deployments(id),
  holder text not null,
  expires_at bigint not null
);
-- How far into a recorded (file) source a camera's pipeline got, saved with the counters, so a camera
-- restarted (by this server or another) resumes there and raises no alert twice.
alter table live_counters add column position_sec double precision not null default 0;
