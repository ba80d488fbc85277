-- A gallery can be retired (the agreement to hold the images ended, an import was made in error): every
-- template is destroyed through the biometric store and its items marked REMOVED, and the gallery row stays,
-- with who-knows-when and why, so the searches made against it keep their record and the name is not reused.
alter table galleries add column retired_at timestamptz;
alter table galleries add column retired_reason text;
