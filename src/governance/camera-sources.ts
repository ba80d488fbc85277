/**
 * Camera sources (issue 14, finding 6): the ADMIN's allow-list of stream hosts and URL prefixes, the check of a
 * deployment's cameras against it and against the media roots (rules in ./camera-source-rules.ts), and the
 * credentials of camera URLs, sealed at rest.
 *
 * DeploymentService calls `check` when a draft is created or edited and again at go-live, so a source allowed
 * when drafted but taken off the list since cannot go live. A camera URL with credentials is kept in
 * `deployments.cameras` redacted (`rtsp://user:***@host/…`: what the API, the audit trail and the console show);
 * the full list is sealed with the data key in `deployment_camera_secrets`. The live pipeline gets the real
 * sources from `sources()` (the lead wires src/governance/live.ts to it); logs use `redactSource`.
 */
import { OpenLfrError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { cameraSourcesRepo, type AllowListRow } from '../store/repositories/camera-sources.ts';
import { requirePermission, userIdOf } from './access.ts';
import { checkCameraSources, parseAllowEntry, redactCamera, resolveFileSource, splitCamera, STREAM_SCHEMES, type AllowEntry } from './camera-source-rules.ts';
import type { GovernanceDeps } from './deps.ts';
import { actorOf, type Principal } from './model.ts';
import { requiredText } from './required-text.ts';

export { redactCamera, redactSource } from './camera-source-rules.ts';

const context = (deploymentId: string) => `deployment-cameras:${deploymentId}`;

export class CameraSourceService {
  constructor(private readonly d: Pick<GovernanceDeps, 'store' | 'audit' | 'clock' | 'key' | 'config'>) {}

  async list(p: Principal): Promise<AllowListRow[]> {
    requirePermission(p, 'camera.sources');
    return cameraSourcesRepo(this.d.store.db).list();
  }

  /** Add a host or URL prefix to the allow-list (ADMIN, with a reason; audited). */
  async add(p: Principal, input: { entry: string; reason: string }): Promise<AllowListRow> {
    requirePermission(p, 'camera.sources');
    const e = parseAllowEntry(input.entry);
    const reason = requiredText(input.reason, 'reason', { min: 10, what: 'say which camera this is and why it may be used' });
    const row: AllowListRow = { entry: e.value, kind: e.kind, reason, addedBy: userIdOf(p)!, addedAt: this.d.clock.now() };
    await this.d.store.tx(async (_r, tx) => {
      const repo = cameraSourcesRepo(tx);
      if (await repo.get(e.value)) throw new OpenLfrError('CONFLICT', `${e.value} is already on the allow-list`);
      await repo.insert(row);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'camera-source.allow', target: `camera-source:${e.value}`, reason, details: { kind: e.kind } });
    });
    return row;
  }

  /** Take an entry off the allow-list (ADMIN, with a reason; audited). Deployments using it can no longer go live. */
  async remove(p: Principal, entry: string, reason: string): Promise<void> {
    requirePermission(p, 'camera.sources');
    const e = parseAllowEntry(entry);
    const why = requiredText(reason, 'reason', { min: 10, what: 'say why the source may no longer be used' });
    await this.d.store.tx(async (_r, tx) => {
      if (!(await cameraSourcesRepo(tx).remove(e.value))) throw new OpenLfrError('NOT_FOUND', `${e.value} is not on the allow-list`);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'camera-source.remove', target: `camera-source:${e.value}`, reason: why });
    });
  }

  /** Refuse (CAMERA_SOURCE_REFUSED) any camera that is neither an allowed stream nor a file or folder under a media root. */
  async check(cameras: readonly string[], q: Queryable = this.d.store.db): Promise<void> {
    const allow: AllowEntry[] = (await cameraSourcesRepo(q).list()).map((r) => ({ kind: r.kind, value: r.entry }));
    checkCameraSources(cameras, { mediaRoots: this.d.config.governance.mediaRoots, allow });
  }

  /**
   * What to store for a draft's cameras: entries carrying credentials redacted; the full list sealed in the same
   * transaction (or the sealed list cleared when none carries any). An entry sent back redacted as it is shown
   * (the console edits the draft it was given) keeps the credential already held for it.
   */
  async keep(tx: Queryable, deploymentId: string, cameras: readonly string[]): Promise<string[]> {
    const repo = cameraSourcesRepo(tx);
    const held = await this.full(tx, deploymentId);
    const byRedacted = new Map(held.map((c) => [redactCamera(c), c]));
    const full = cameras.map((c) => (redactCamera(c) === c && byRedacted.has(c) ? byRedacted.get(c)! : c));
    const shown = full.map(redactCamera);
    if (shown.some((c, i) => c !== full[i])) await repo.putSecrets(deploymentId, this.d.key.seal(new TextEncoder().encode(JSON.stringify(full)), context(deploymentId)), this.d.clock.now());
    else await repo.clearSecrets(deploymentId);
    return shown;
  }

  /** The full camera entries of a deployment (credentials included), or [] when none were sealed. */
  private async full(q: Queryable, deploymentId: string): Promise<string[]> {
    const sealed = await cameraSourcesRepo(q).secrets(deploymentId);
    if (!sealed) return [];
    return JSON.parse(new TextDecoder().decode(this.d.key.open(sealed, context(deploymentId)))) as string[];
  }

  /**
   * The cameras of a deployment as the live pipeline must open them: the name, the real source (credentials
   * unsealed; a file or folder resolved under its media root) and the redacted form for logs and events. Checked
   * again here. For the live pipeline only (`live.operate`), never for display.
   */
  async sources(p: Principal, deploymentId: string): Promise<{ name: string; source: string; shown: string }[]> {
    requirePermission(p, 'live.operate');
    const dep = await this.d.store.repos.deployments.byId(deploymentId);
    if (!dep) throw new OpenLfrError('NOT_FOUND', `No deployment ${deploymentId}`);
    const held = await this.full(this.d.store.db, deploymentId);
    const full = held.length === dep.cameras.length ? held : dep.cameras;
    await this.check(full);
    return full.map((entry) => {
      const { name, source } = splitCamera(entry);
      const stream = STREAM_SCHEMES.some((s) => source.toLowerCase().startsWith(`${s}://`));
      return { name, source: stream ? source : resolveFileSource(entry, this.d.config.governance.mediaRoots), shown: splitCamera(redactCamera(entry)).source };
    });
  }
}
