-- Issue 14, item 7: audit entries that change deployments, alerts, users or calibrations carry a hash of the row after the
-- change, and `audit verify` replays them against the tables. Rows written before this migration have no such
-- hash: the first start after it appends one `audit.state-baseline` entry with theirs (due = true here when
-- there are any). A fresh store has none, so no baseline is ever due.
create table audit_state_baseline (
  id integer primary key check (id = 1),
  due boolean not null
);
insert into audit_state_baseline (id, due)
select 1, exists (select 1 from users) or exists (select 1 from deployments) or exists (select 1 from alerts) or exists (select 1 from calibrations);
