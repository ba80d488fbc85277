/**
 * Deployments and their life cycle: DRAFT -> AUTHORISED -> LIVE -> CLOSED (or CANCELLED before going
 * live). Authority comes from an authorising officer of Superintendent rank or above who neither drafted
 * nor requested it. Go-live is refused without authority, outside the window, without signage, with an
 * empty or unreviewed watchlist, with templates from another engine, or with a threshold under the floor.
 * At go-live the watchlist freezes; at close, or when the window ends, its biometrics are destroyed.
 */
import { randomUUID } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';
import { hasAuthorityRank, requirePermission, userIdOf } from './access.ts';
import { refuse, type GovernanceDeps } from './deps.ts';
import { normaliseText, optionalText, requiredText } from './required-text.ts';
import { actorOf, SYSTEM_SWEEP, type Category, type Deployment, type DeploymentState, type Principal } from './model.ts';

/** What the person drafting a deployment fills in; the rest of the record is the life cycle's. */
export type DeploymentInput = Pick<Deployment, 'name' | 'purpose' | 'useCase' | 'locations' | 'cameras' | 'startsAt' | 'endsAt' | 'threshold' | 'dpiaRef' | 'policyRefs'>;

/** The frozen watchlist handed to the live pipeline: in memory only, grouped by subject. */
export interface FrozenWatchlist {
  deploymentId: string;
  engineId: string;
  threshold: number;
  endsAt: Date;
  /** Each subject with its entries and their templates (a subject enrolled with several photos has several). */
  subjects: { subjectRef: string; category: Category; entryIds: string[]; templates: { entryId: string; vector: Float32Array }[] }[];
}

export interface SweepResult {
  closed: string[];
  cancelled: string[];
  destroyed: { deploymentId: string; images: number; templates: number; entries: number }[];
  orphanFilesRemoved: number;
}

/** The only fields a person drafting or editing a deployment may set, whoever the caller (API, CLI, code). */
export const DEPLOYMENT_INPUT_FIELDS = ['name', 'purpose', 'useCase', 'locations', 'cameras', 'startsAt', 'endsAt', 'threshold', 'dpiaRef', 'policyRefs'] as const;

/**
 * Copy the drafting fields out of what a caller sent, refusing anything else (a `state`, an `authorisedBy`,
 * a key that is really SQL) and anything of the wrong type. Only the copy goes further.
 */
export function draftingFields(raw: unknown, partial: boolean): Partial<DeploymentInput> {
  const bad = (field: string, msg: string): never => {
    throw new OpenLfrError('BAD_REQUEST', `${field}: ${msg}`, { field });
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('(body)', 'an object of deployment fields');
  const o = raw as Record<string, unknown>;
  const stray = Object.keys(o).filter((k) => !(DEPLOYMENT_INPUT_FIELDS as readonly string[]).includes(k));
  if (stray.length) {
    throw new OpenLfrError('BAD_REQUEST', `Only the drafting fields can be set (${DEPLOYMENT_INPUT_FIELDS.join(', ')}); refused: ${stray.map((k) => JSON.stringify(k.slice(0, 60))).join(', ')}`, {
      field: stray[0]!.slice(0, 60),
      refused: stray.map((k) => k.slice(0, 60)),
    });
  }
  const str = (k: string, v: unknown): string => (typeof v === 'string' ? normaliseText(v) : bad(k, 'text'));
  const strs = (k: string, v: unknown): string[] => (Array.isArray(v) ? v.map((x, n) => str(`${k}.${n}`, x)) : bad(k, 'a list of text'));
  const date = (k: string, v: unknown): Date => (v instanceof Date ? v : bad(k, 'a date'));
  const out: Partial<DeploymentInput> = {};
  for (const k of DEPLOYMENT_INPUT_FIELDS) {
    if (!(k in o) || o[k] === undefined) {
      if (!partial) bad(k, 'required');
      continue;
    }
    const v = o[k];
    if (k === 'locations') {
      if (!Array.isArray(v)) bad(k, 'a list of { name, reason }');
      out.locations = (v as unknown[]).map((l, n) => {
        if (!l || typeof l !== 'object' || Object.keys(l).some((x) => x !== 'name' && x !== 'reason')) bad(`locations.${n}`, 'exactly { name, reason }');
        const r = l as Record<string, unknown>;
        return { name: str(`locations.${n}.name`, r.name), reason: str(`locations.${n}.reason`, r.reason) };
      });
    } else if (k === 'cameras' || k === 'policyRefs') out[k] = strs(k, v);
    else if (k === 'startsAt' || k === 'endsAt') out[k] = date(k, v);
    else if (k === 'threshold') out.threshold = typeof v === 'number' ? v : bad(k, 'a number');
    else out[k] = str(k, v);
  }
  return out;
}

function validateInput(i: DeploymentInput): void {
  const need = (ok: boolean, field: string, msg: string): void => {
    if (!ok) throw new OpenLfrError('BAD_REQUEST', `${field}: ${msg}`, { field });
  };
  need(i.name.trim().length > 0, 'name', 'required');
  requiredText(i.purpose, 'purpose', { min: 10, what: 'state the purpose' });
  need(i.useCase.trim().length > 0, 'useCase', 'required');
  need(i.locations.length > 0, 'locations', 'at least one location');
  for (const [n, l] of i.locations.entries()) {
    need(l.name.trim().length > 0, `locations.${n}.name`, 'required');
    requiredText(l.reason, `locations.${n}.reason`, { min: 10, what: 'say why watchlist subjects are expected there' });
  }
  need(i.cameras.length > 0 && i.cameras.every((c) => c.trim().length > 0), 'cameras', 'at least one camera');
  need(!Number.isNaN(i.startsAt.getTime()) && !Number.isNaN(i.endsAt.getTime()), 'startsAt', 'valid start and end times');
  need(i.endsAt.getTime() > i.startsAt.getTime(), 'endsAt', 'must be after startsAt');
  need(Number.isFinite(i.threshold) && i.threshold > -1 && i.threshold <= 1, 'threshold', 'a similarity score in (-1, 1]');
  need(i.dpiaRef.trim().length > 0, 'dpiaRef', 'reference of the data protection impact assessment');
  need(i.policyRefs.length > 0 && i.policyRefs.every((r) => r.trim().length > 0), 'policyRefs', 'at least one policy document reference');
}

/**
 * What withdrawing authority does to a deployment: back to DRAFT, the request and the authority cleared, so a
 * changed deployment must be requested and authorised again (the authorising officer sees the change).
 */
export const authorityWithdrawn = (at: Date) =>
  ({ state: 'DRAFT', requestedBy: null, requestedAt: null, authorisedBy: null, authorisedAt: null, authorityNote: null, updatedAt: at }) as const;

export class DeploymentService {
  constructor(private readonly d: GovernanceDeps) {}

  private async load(id: string): Promise<Deployment> {
    const dep = await this.d.store.repos.deployments.byId(id);
    if (!dep) throw new OpenLfrError('NOT_FOUND', `No deployment ${id}`);
    return dep;
  }

  private inState(dep: Deployment, states: DeploymentState[], doing: string): void {
    if (!states.includes(dep.state)) {
      throw new OpenLfrError('DEPLOYMENT_STATE', `Cannot ${doing} deployment ${dep.id}: it is ${dep.state} (needs ${states.join(' or ')})`, { state: dep.state });
    }
  }

  private emit(id: string, state: DeploymentState): void {
    this.d.events.emit('deployment', { id, state });
  }

  async create(p: Principal, raw: DeploymentInput): Promise<Deployment> {
    requirePermission(p, 'deployment.draft');
    const input = draftingFields(raw, false) as DeploymentInput;
    validateInput(input);
    const now = this.d.clock.now();
    const dep: Deployment = {
      ...input,
      id: `dep_${randomUUID()}`,
      state: 'DRAFT',
      createdBy: userIdOf(p)!,
      createdAt: now,
      updatedAt: now,
      editors: [userIdOf(p)!],
      publicNoticeBy: null,
      publicNoticeAt: null,
      publicNoticeNote: null,
      requestedBy: null,
      requestedAt: null,
      authorisedBy: null,
      authorisedAt: null,
      authorityNote: null,
      liveBy: null,
      liveAt: null,
      engineId: null,
      floor: null,
      floorSource: null,
      closedBy: null,
      closedAt: null,
      closeReason: null,
      watchlistFrozenAt: null,
      watchlistDestroyedAt: null,
    };
    await this.d.store.tx(async (r, tx) => {
      await r.deployments.insert(dep);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'deployment.create', target: `deployment:${dep.id}`, reason: dep.purpose, details: { ...input } });
    });
    this.emit(dep.id, dep.state);
    return dep;
  }

  /** Change a draft. Any change withdraws a pending request for authority. */
  async update(p: Principal, id: string, raw: Partial<DeploymentInput>): Promise<Deployment> {
    requirePermission(p, 'deployment.draft');
    const patch = draftingFields(raw, true);
    if (Object.keys(patch).length === 0) throw new OpenLfrError('BAD_REQUEST', 'Nothing to change: give one or more drafting fields', { field: '(body)' });
    const dep = await this.load(id);
    this.inState(dep, ['DRAFT'], 'edit');
    const next = { ...dep, ...patch };
    validateInput(next);
    const me = userIdOf(p)!;
    const changes = { ...patch, updatedAt: this.d.clock.now(), requestedBy: null, requestedAt: null, editors: dep.editors.includes(me) ? dep.editors : [...dep.editors, me] };
    await this.d.store.tx(async (r, tx) => {
      await r.deployments.update(id, changes);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'deployment.update', target: `deployment:${id}`, reason: 'draft edited', details: { ...patch } });
    });
    return { ...next, ...changes };
  }

  async requestAuthorisation(p: Principal, id: string, note: string): Promise<Deployment> {
    requirePermission(p, 'deployment.draft');
    const dep = await this.load(id);
    this.inState(dep, ['DRAFT'], 'request authority for');
    const at = this.d.clock.now();
    await this.d.store.tx(async (r, tx) => {
      await r.deployments.update(id, { requestedBy: userIdOf(p), requestedAt: at });
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'deployment.request', target: `deployment:${id}`, reason: optionalText(note) ?? 'authority requested' });
    });
    return { ...dep, requestedBy: userIdOf(p), requestedAt: at };
  }

  async authorise(p: Principal, id: string, note: string): Promise<Deployment> {
    requirePermission(p, 'deployment.authorise');
    const dep = await this.load(id);
    const target = `deployment:${id}`;
    try {
      this.inState(dep, ['DRAFT'], 'authorise');
      if (!hasAuthorityRank(p)) {
        throw new OpenLfrError('AUTHORITY_RANK', `Authority needs Superintendent rank or above; ${p.kind === 'user' ? p.user.username : 'this principal'} is ${p.kind === 'user' ? (p.user.rank ?? 'unranked') : 'not an officer'}`);
      }
      if (!dep.requestedBy) throw new OpenLfrError('DEPLOYMENT_STATE', 'Authority has not been requested for this deployment (request it first)');
      const me = userIdOf(p);
      if (dep.requestedBy === me || dep.createdBy === me) {
        throw new OpenLfrError('AUTHORITY_SELF', 'You drafted or requested this deployment; an independent authorising officer must authorise it');
      }
      if (dep.editors.includes(me!)) {
        throw new OpenLfrError('AUTHORITY_SELF', 'You edited this deployment; an authorising officer who did not change it must authorise it', { rule: 'editor-authorises' });
      }
      if ((await this.d.store.repos.watchlist.byDeployment(id)).some((e) => e.enrolledBy === me)) {
        throw new OpenLfrError('AUTHORITY_SELF', "You enrolled entries on this deployment's watchlist; an authorising officer who did not change it must authorise it", { rule: 'editor-authorises' });
      }
      if (dep.endsAt.getTime() <= this.d.clock.now().getTime()) throw new OpenLfrError('OUTSIDE_WINDOW', 'The deployment window has already ended');
      note = requiredText(note, 'note', { min: 10, what: 'record the reasons for authority' });
    } catch (e) {
      return refuse(this.d, p, 'deployment.authorise', target, e);
    }
    const at = this.d.clock.now();
    await this.d.store.tx(async (r, tx) => {
      await r.deployments.update(id, { state: 'AUTHORISED', authorisedBy: userIdOf(p), authorisedAt: at, authorityNote: note.trim(), updatedAt: at });
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'deployment.authorise', target, reason: note.trim(), details: { rank: p.kind === 'user' ? p.user.rank : null } });
    });
    this.emit(id, 'AUTHORISED');
    return { ...dep, state: 'AUTHORISED', authorisedBy: userIdOf(p), authorisedAt: at, authorityNote: note.trim() };
  }

  /** Confirm that public notice (signage) is in place for this deployment. */
  async confirmPublicNotice(p: Principal, id: string, note: string): Promise<Deployment> {
    requirePermission(p, 'deployment.operate');
    const dep = await this.load(id);
    this.inState(dep, ['DRAFT', 'AUTHORISED'], 'confirm public notice for');
    const at = this.d.clock.now();
    const text = optionalText(note) ?? 'signage in place';
    await this.d.store.tx(async (r, tx) => {
      await r.deployments.update(id, { publicNoticeBy: userIdOf(p), publicNoticeAt: at, publicNoticeNote: text });
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'deployment.public-notice', target: `deployment:${id}`, reason: text });
    });
    return { ...dep, publicNoticeBy: userIdOf(p), publicNoticeAt: at, publicNoticeNote: text };
  }

  async goLive(p: Principal, id: string): Promise<Deployment> {
    requirePermission(p, 'deployment.operate');
    const target = `deployment:${id}`;
    const dep = await this.load(id);
    const now = this.d.clock.now();
    let engineId: string;
    let floor;
    try {
      if (dep.state === 'DRAFT') throw new OpenLfrError('NOT_AUTHORISED', 'Go-live refused: the deployment has not been authorised');
      this.inState(dep, ['AUTHORISED'], 'go live with');
      if (now < dep.startsAt || now >= dep.endsAt) {
        throw new OpenLfrError('OUTSIDE_WINDOW', `Go-live refused: now (${now.toISOString()}) is outside the authorised window ${dep.startsAt.toISOString()} – ${dep.endsAt.toISOString()}`);
      }
      if (!dep.publicNoticeAt) throw new OpenLfrError('PUBLIC_NOTICE_MISSING', 'Go-live refused: confirm that public notice (signage) is in place first');
      const entries = (await this.d.store.repos.watchlist.byDeployment(id)).filter((e) => !e.destroyedAt);
      if (entries.length === 0) throw new OpenLfrError('WATCHLIST_EMPTY');
      const unseen = entries.filter((e) => dep.authorisedAt && e.enrolledAt > dep.authorisedAt).map((e) => e.id);
      if (unseen.length) {
        throw new OpenLfrError('NOT_AUTHORISED', `Go-live refused: ${unseen.length} watchlist entr${unseen.length === 1 ? 'y was' : 'ies were'} enrolled after authority was given; it must be authorised again`, { entries: unseen });
      }
      const unreviewed = entries.filter((e) => !e.reviewedBy).map((e) => e.id);
      if (unreviewed.length) {
        throw new OpenLfrError('WATCHLIST_UNREVIEWED', `Go-live refused: ${unreviewed.length} watchlist entr${unreviewed.length === 1 ? 'y is' : 'ies are'} not reviewed`, { entries: unreviewed });
      }
      engineId = (await this.d.engine()).id;
      const foreign = (await this.d.biometrics.templateEngines(this.d.store.db, entries.map((e) => e.id))).filter((t) => t.engineId !== engineId);
      if (foreign.length) {
        throw new OpenLfrError('WATCHLIST_ENGINE_MISMATCH', `Go-live refused: ${foreign.length} template(s) were made by another engine; re-enrol them with ${engineId}`, {
          entries: [...new Set(foreign.map((t) => t.ownerId))],
        });
      }
      floor = await this.d.floor.floorFor(engineId);
      if (dep.threshold < floor.floor) {
        throw new OpenLfrError('THRESHOLD_BELOW_FLOOR', `Go-live refused: threshold ${dep.threshold} is below the floor ${floor.floor} set by ${floor.source}`, {
          threshold: dep.threshold,
          floor: floor.floor,
          floorSource: floor.source,
          calibrationId: floor.calibrationId,
        });
      }
    } catch (e) {
      return refuse(this.d, p, 'deployment.go-live', target, e);
    }
    const patch = { state: 'LIVE' as const, liveBy: userIdOf(p), liveAt: now, engineId, floor: floor.floor, floorSource: floor.source, watchlistFrozenAt: now, updatedAt: now };
    await this.d.store.tx(async (r, tx) => {
      const fresh = await r.deployments.byId(id, true);
      if (fresh?.state !== 'AUTHORISED') throw new OpenLfrError('DEPLOYMENT_STATE', 'The deployment changed state during go-live');
      await r.deployments.update(id, patch);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: 'deployment.go-live',
        target,
        reason: 'all go-live checks passed; watchlist frozen',
        details: { engineId, threshold: dep.threshold, floor: floor.floor, floorSource: floor.source },
      });
    });
    this.emit(id, 'LIVE');
    return { ...dep, ...patch };
  }

  /** The frozen watchlist of a live deployment, decrypted into memory for matching (audited read). */
  async frozenWatchlist(p: Principal, id: string): Promise<FrozenWatchlist> {
    requirePermission(p, 'watchlist.frozen');
    const dep = await this.load(id);
    this.inState(dep, ['LIVE'], 'load the frozen watchlist of');
    const entries = (await this.d.store.repos.watchlist.byDeployment(id)).filter((e) => !e.destroyedAt && e.enrolledAt <= dep.watchlistFrozenAt!);
    const templates = await this.d.store.tx((_r, tx) =>
      this.d.biometrics.getTemplates(
        tx,
        entries.map((e) => e.id),
        { actor: actorOf(p), reason: `frozen watchlist of live deployment ${id} loaded for matching` },
      ),
    );
    const bySubject = new Map<string, FrozenWatchlist['subjects'][number]>();
    for (const e of entries) {
      const s = bySubject.get(e.subjectRef) ?? { subjectRef: e.subjectRef, category: e.category, entryIds: [], templates: [] };
      s.entryIds.push(e.id);
      s.templates.push(...templates.filter((t) => t.ownerId === e.id && t.engineId === dep.engineId).map((t) => ({ entryId: e.id, vector: t.vector })));
      bySubject.set(e.subjectRef, s);
    }
    return { deploymentId: id, engineId: dep.engineId!, threshold: dep.threshold, endsAt: dep.endsAt, subjects: [...bySubject.values()] };
  }

  /** End a live deployment; its watchlist biometrics are destroyed at once. */
  async close(p: Principal, id: string, reason: string): Promise<Deployment> {
    requirePermission(p, 'deployment.operate');
    return this.finish(p, id, ['LIVE'], 'CLOSED', optionalText(reason) ?? 'closed by operator');
  }

  /** Abandon a deployment that has not gone live; any watchlist biometrics are destroyed at once. */
  async cancel(p: Principal, id: string, reason: string): Promise<Deployment> {
    requirePermission(p, 'deployment.cancel');
    return this.finish(p, id, ['DRAFT', 'AUTHORISED'], 'CANCELLED', optionalText(reason) ?? 'cancelled');
  }

  private async finish(p: Principal, id: string, from: DeploymentState[], to: 'CLOSED' | 'CANCELLED', reason: string): Promise<Deployment> {
    const dep = await this.load(id);
    this.inState(dep, from, to === 'CLOSED' ? 'close' : 'cancel');
    const at = this.d.clock.now();
    const patch = { state: to, closedBy: actorOf(p), closedAt: at, closeReason: reason, updatedAt: at };
    await this.d.store.tx(async (r, tx) => {
      const fresh = await r.deployments.byId(id, true);
      if (!fresh || !from.includes(fresh.state)) throw new OpenLfrError('DEPLOYMENT_STATE', 'The deployment changed state meanwhile');
      await r.deployments.update(id, patch);
      await this.d.audit.append(tx, { actor: actorOf(p), action: to === 'CLOSED' ? 'deployment.close' : 'deployment.cancel', target: `deployment:${id}`, reason });
    });
    this.emit(id, to);
    await this.destroyWatchlist(id, p);
    return { ...dep, ...patch, watchlistDestroyedAt: (await this.load(id)).watchlistDestroyedAt };
  }

  /** Destroy a finished deployment's watchlist images and templates; keep subject references and categories. */
  private async destroyWatchlist(id: string, p: Principal): Promise<{ images: number; templates: number; entries: number }> {
    const entries = await this.d.store.repos.watchlist.byDeployment(id);
    const who = { actor: actorOf(p), reason: `watchlist of finished deployment ${id} destroyed` };
    const gone = await this.d.biometrics.destroy(this.d.store.db, entries.map((e) => e.id), who);
    const at = this.d.clock.now();
    const stripped = await this.d.store.tx(async (r, tx) => {
      const n = await r.watchlist.strip(id, at);
      await r.deployments.update(id, { watchlistDestroyedAt: at });
      await this.d.audit.append(tx, { ...who, action: 'watchlist.destroy', target: `deployment:${id}`, details: { ...gone, entries: n } });
      return n;
    });
    return { ...gone, entries: stripped };
  }

  /**
   * The retention sweep (run by the server on a timer, and at start): deployments whose window has ended
   * are closed (if live) or cancelled (if not), and every finished deployment's watchlist is destroyed.
   * Idempotent: an interrupted sweep is completed by the next one.
   */
  async sweep(): Promise<SweepResult> {
    const now = this.d.clock.now();
    const out: SweepResult = { closed: [], cancelled: [], destroyed: [], orphanFilesRemoved: 0 };
    for (const dep of await this.d.store.repos.deployments.endedOpen(now)) {
      const to = dep.state === 'LIVE' ? 'CLOSED' : 'CANCELLED';
      const reason = dep.state === 'LIVE' ? 'deployment window ended' : 'deployment window ended before go-live';
      const patch = { state: to, closedBy: 'system:retention-sweep', closedAt: now, closeReason: reason, updatedAt: now } as const;
      await this.d.store.tx(async (r, tx) => {
        await r.deployments.update(dep.id, patch);
        await this.d.audit.append(tx, { actor: actorOf(SYSTEM_SWEEP), action: to === 'CLOSED' ? 'deployment.close' : 'deployment.cancel', target: `deployment:${dep.id}`, reason });
      });
      this.emit(dep.id, to);
      (to === 'CLOSED' ? out.closed : out.cancelled).push(dep.id);
    }
    for (const dep of await this.d.store.repos.deployments.awaitingDestruction()) {
      out.destroyed.push({ deploymentId: dep.id, ...(await this.destroyWatchlist(dep.id, SYSTEM_SWEEP)) });
    }
    out.orphanFilesRemoved = await this.d.biometrics.reconcile(this.d.store.db);
    return out;
  }

  async get(p: Principal, id: string): Promise<Deployment> {
    requirePermission(p, 'deployment.read');
    return this.load(id);
  }

  async list(p: Principal, state?: DeploymentState): Promise<Deployment[]> {
    requirePermission(p, 'deployment.read');
    return this.d.store.repos.deployments.list(state);
  }
}
