-- The login throttle's state (src/governance/login-throttle.ts), shared by every process on the store: the
-- API server, a second server, and each CLI invocation, and kept across restarts. Recent failure times (epoch
-- milliseconds, within the window) and the end of a lock. Account names as typed (at most 64 characters),
-- including names that do not exist: rows idle past the window and not locked are deleted as failures come in.
create table login_throttle (
  account text primary key,
  failures jsonb not null,
  locked_until bigint not null default 0,
  updated_at bigint not null
);
create index login_throttle_updated on login_throttle(updated_at);
