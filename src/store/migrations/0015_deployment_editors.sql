-- Who changed a deployment's drafting fields (issue 14, separation of duties): whoever drafted or edited a
-- deployment may not authorise it. A list of user ids, in order of first change.
alter table deployments add column editors jsonb not null default '[]';
update deployments set editors = jsonb_build_array(created_by);
