-- Issue 14, item 2: a calibration is recorded by a named person, and one that lowers the threshold floor
-- (or the enrolment reference bar) stays PENDING until a second named person approves it. Only ACTIVE
-- calibrations set the floor; the latest is the one made active last (approved_at, else created_at).
alter table calibrations add column status text not null default 'ACTIVE';
alter table calibrations add column recorded_by text;
alter table calibrations add column approved_by text;
alter table calibrations add column approved_at timestamptz;
alter table calibrations add column decision_reason text;
create index calibrations_pending on calibrations(created_at desc) where status = 'PENDING';
