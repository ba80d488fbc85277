-- Camera sources (issue 14, finding 6). The ADMIN's allow-list of stream hosts and URL prefixes
-- (src/governance/camera-sources.ts): a deployment's stream URLs must match one, at edit and at go-live.
create table camera_source_allowlist (
  entry text primary key,
  kind text not null check (kind in ('host', 'prefix')),
  reason text not null,
  added_by text not null,
  added_at timestamptz not null
);
-- Cameras whose URL carries credentials: `deployments.cameras` holds them redacted (rtsp://user:***@host/...);
-- the full list is sealed here with the data key (context deployment-cameras:<id>), for the live pipeline only.
create table deployment_camera_secrets (
  deployment_id text primary key references deployments(id),
  sealed bytea not null,
  updated_at timestamptz not null
);
