-- A gallery item can be removed (a custody image that must no longer be held: no further action, a review,
-- a court order). Its template goes from the biometric store; the row stays, as REMOVED with who and why, so
-- that its content hash keeps a later import of the same folder from enrolling the image again.
alter table gallery_items drop constraint gallery_items_status_check;
alter table gallery_items add constraint gallery_items_status_check
  check (status in ('ENROLLED', 'FTA', 'BAD', 'REMOVED'));
alter table gallery_items add column removed_at timestamptz;
alter table gallery_items add column removed_reason text;
