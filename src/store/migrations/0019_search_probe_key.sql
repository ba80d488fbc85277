-- LOCAL first, of the same probe (issue 14): each search records a keyed hash of its probe image
-- (HMAC under the data key's pseudonym sub-key of the SHA-256 of the file's bytes; it cannot be turned back into
-- the image and matches nothing but the same file). A RESTRICTED search needs LOCAL searches for the same case
-- of the same probe and the same face; searches made before this change have none and do not count.
alter table searches add column probe_key text;
create index searches_case_probe on searches(case_ref, probe_key) where probe_key is not null;
