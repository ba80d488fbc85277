-- The reference check at enrolment (src/governance/reference-check.ts): the new photo's best score against
-- the subject's other photos on the watchlist and against every other subject, the bar used, and the
-- officer's reason when a failed check was overridden. Cleared with the other details when the watchlist is
-- destroyed. No biometric data: two scores and pseudonymous subject references.
alter table watchlist_entries add column reference_check jsonb;
