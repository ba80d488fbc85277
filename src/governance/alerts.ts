/**
 * Alerts: a possible match from the live pipeline, stored for a person to judge (R6, R13, R14).
 * Nothing here, or anywhere in OpenLFR, acts on an alert by itself: it stays PENDING until an operator
 * decides "not a match, dismiss" or "possible match, send for engagement", and only an engagement
 * officer records what happened. Every decision and every view of a face is audited.
 */
import { randomUUID } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';
import { optionalText, requiredText } from './required-text.ts';
import type { RgbImage } from '../engine/port.ts';
import { encodeJpeg } from '../ingest/image.ts';
import { requirePermission, userIdOf } from './access.ts';
import { refuse, type GovernanceDeps } from './deps.ts';
import { actorOf, type Alert, type AlertStatus, type Category, type OperatorDecision, type Outcome, type Principal } from './model.ts';

export interface RaiseInput {
  deploymentId: string;
  camera: string;
  trackId: number;
  subjectRef: string;
  /** The watchlist entry whose photo matched best; the subject's first entry when not given. */
  entryId?: string | undefined;
  score: number;
  threshold: number;
  videoTimeSec: number;
  shotsFused: number;
  crop: RgbImage;
}

export interface AlertDetail extends Alert {
  /** The watchlist entry's recorded reason (null once the watchlist is destroyed). */
  reason: string | null;
  legalBasis: string | null;
  /** Always "possible match": the system never identifies anyone. */
  wording: 'possible match';
}

const HIGH_PRIORITY: readonly Category[] = ['MISSING_AT_RISK', 'RISK_OF_HARM'];

export class AlertService {
  constructor(private readonly d: GovernanceDeps) {}

  private async load(id: string): Promise<Alert> {
    const a = await this.d.store.repos.alerts.byId(id);
    if (!a) throw new OpenLfrError('NOT_FOUND', `No alert ${id}`);
    return a;
  }

  /** Store a possible match (the live pipeline's system principal only). The crop is sealed by the biometric store. */
  async raise(p: Principal, i: RaiseInput): Promise<Alert> {
    requirePermission(p, 'alert.raise');
    const dep = await this.d.store.repos.deployments.byId(i.deploymentId);
    if (dep?.state !== 'LIVE') throw new OpenLfrError('DEPLOYMENT_STATE', `Deployment ${i.deploymentId} is not live: no alert can be raised`);
    const entries = (await this.d.store.repos.watchlist.byDeployment(i.deploymentId)).filter((e) => e.subjectRef === i.subjectRef && !e.destroyedAt);
    const entry = i.entryId === undefined ? entries[0] : entries.find((e) => e.id === i.entryId);
    if (!entry) throw new OpenLfrError('NOT_FOUND', `No live watchlist entry ${i.entryId ?? ''} for subject ${i.subjectRef}`);
    const jpeg = await encodeJpeg(i.crop, 90);
    const alert: Alert = {
      id: `alr_${randomUUID()}`,
      deploymentId: i.deploymentId,
      camera: i.camera,
      trackId: i.trackId,
      entryId: entry.id,
      subjectRef: i.subjectRef,
      category: entry.category,
      priority: HIGH_PRIORITY.includes(entry.category) ? 'HIGH' : 'NORMAL',
      score: i.score,
      threshold: i.threshold,
      videoTimeSec: i.videoTimeSec,
      shotsFused: i.shotsFused,
      createdAt: this.d.clock.now(),
      status: 'PENDING',
      operatorId: null,
      operatorDecision: null,
      operatorNote: null,
      operatorAt: null,
      outcome: null,
      outcomeBy: null,
      outcomeNote: null,
      outcomeAt: null,
      biometricsDeletedAt: null,
    };
    try {
      await this.d.store.tx(async (r, tx) => {
        await r.alerts.insert(alert);
        await this.d.biometrics.putImage(tx, 'alert_crop', alert.id, jpeg, { actor: actorOf(p), reason: `probe crop of possible match ${alert.id}` });
        await this.d.audit.append(tx, {
          actor: actorOf(p),
          action: 'alert.raise',
          target: `alert:${alert.id}`,
          reason: `possible match on camera ${i.camera}: score ${i.score.toFixed(3)} >= threshold ${i.threshold}`,
          details: { deploymentId: i.deploymentId, subjectRef: i.subjectRef, score: i.score, threshold: i.threshold, camera: i.camera },
        });
      });
    } finally {
      jpeg.fill(0);
    }
    this.d.events.emit('alert', { deploymentId: i.deploymentId, alertId: alert.id });
    return alert;
  }

  async list(p: Principal, deploymentId: string, filter: { status?: AlertStatus } = {}): Promise<Alert[]> {
    requirePermission(p, 'alert.read');
    return this.d.store.repos.alerts.byDeployment(deploymentId, filter.status);
  }

  async get(p: Principal, id: string): Promise<AlertDetail> {
    requirePermission(p, 'alert.read');
    const a = await this.load(id);
    const e = await this.d.store.repos.watchlist.byId(a.entryId);
    return { ...a, reason: e?.reason ?? null, legalBasis: e?.legalBasis ?? null, wording: 'possible match' };
  }

  /** The captured face (JPEG), for the operator's side-by-side comparison. Audited. */
  async probeImage(p: Principal, id: string): Promise<Uint8Array> {
    requirePermission(p, 'alert.image');
    const a = await this.load(id);
    if (a.biometricsDeletedAt) throw new OpenLfrError('NOT_FOUND', `The captured image of alert ${id} was deleted under the retention rules`);
    const [blob] = await this.d.biometrics.imageIds(this.d.store.db, a.id);
    if (!blob) throw new OpenLfrError('NOT_FOUND', `The captured image of alert ${id} is gone`);
    return this.d.store.tx((_r, tx) => this.d.biometrics.getImage(tx, blob, { actor: actorOf(p), reason: `operator compares possible match ${id}` }));
  }

  /** The watchlist image the alert matched (JPEG or PNG as enrolled). Audited. */
  async watchlistImage(p: Principal, id: string): Promise<Uint8Array> {
    requirePermission(p, 'alert.image');
    const a = await this.load(id);
    const [blob] = await this.d.biometrics.imageIds(this.d.store.db, a.entryId);
    if (!blob) throw new OpenLfrError('NOT_FOUND', `The watchlist image of alert ${id} was destroyed with the watchlist`);
    return this.d.store.tx((_r, tx) => this.d.biometrics.getImage(tx, blob, { actor: actorOf(p), reason: `operator compares possible match ${id}` }));
  }

  /** The operator's decision on a pending alert. */
  async decide(p: Principal, id: string, decision: OperatorDecision, note = ''): Promise<Alert> {
    requirePermission(p, 'alert.decide');
    const now = this.d.clock.now();
    const status: AlertStatus = decision === 'DISMISS' ? 'DISMISSED' : 'ENGAGED';
    const patch = { status, operatorId: userIdOf(p), operatorDecision: decision, operatorNote: optionalText(note), operatorAt: now };
    const a = await this.d.store.tx(async (r, tx) => {
      const cur = await r.alerts.byId(id, true);
      if (!cur) throw new OpenLfrError('NOT_FOUND', `No alert ${id}`);
      if (cur.status !== 'PENDING') throw new OpenLfrError('CONFLICT', `Alert ${id} was already decided (${cur.status})`);
      if (cur.biometricsDeletedAt) throw new OpenLfrError('CONFLICT', `Alert ${id} expired undecided: its captured face was deleted under the retention rules, so it cannot be judged; it is counted as unjudged`);
      await r.alerts.update(id, patch);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: `alert.decide.${decision.toLowerCase()}`,
        target: `alert:${id}`,
        reason: optionalText(note) ?? (decision === 'DISMISS' ? 'not a match' : 'possible match, sent for engagement'),
        details: { decision },
      });
      return { ...cur, ...patch };
    });
    this.d.events.emit('alert', { deploymentId: a.deploymentId, alertId: id });
    return a;
  }

  /** The engagement officer's outcome, after their own assessment. A note is required. */
  async outcome(p: Principal, id: string, outcome: Outcome, note: string): Promise<Alert> {
    requirePermission(p, 'alert.outcome');
    note = requiredText(note, 'note', { min: 3, what: 'say briefly what the engagement found' });
    const decided = await this.d.store.repos.alerts.byId(id);
    if (decided?.operatorId && decided.operatorId === userIdOf(p)) {
      return refuse(this.d, p, 'alert.outcome', `alert:${id}`, new OpenLfrError('SEPARATION_OF_DUTIES', 'You decided this alert as the operator; the outcome of the engagement must be recorded by another officer', { rule: 'decide-and-record' }));
    }
    const now = this.d.clock.now();
    const patch = { status: 'CLOSED' as const, outcome, outcomeBy: userIdOf(p), outcomeNote: note, outcomeAt: now };
    const a = await this.d.store.tx(async (r, tx) => {
      const cur = await r.alerts.byId(id, true);
      if (!cur) throw new OpenLfrError('NOT_FOUND', `No alert ${id}`);
      if (cur.status !== 'ENGAGED') throw new OpenLfrError('CONFLICT', `Alert ${id} is ${cur.status}: an outcome needs an operator's "send for engagement" first`);
      if (cur.operatorId === userIdOf(p)) throw new OpenLfrError('SEPARATION_OF_DUTIES', 'You decided this alert as the operator; another officer must record the outcome', { rule: 'decide-and-record' });
      await r.alerts.update(id, patch);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'alert.outcome', target: `alert:${id}`, reason: note, details: { outcome } });
      return { ...cur, ...patch };
    });
    this.d.events.emit('alert', { deploymentId: a.deploymentId, alertId: id });
    return a;
  }

  /** Live counters per camera plus the number of alerts waiting for a decision. */
  async counters(p: Principal, deploymentId: string) {
    requirePermission(p, 'alert.read');
    const cameras = await this.d.store.repos.counters.byDeployment(deploymentId);
    const pending = await this.d.store.repos.alerts.countPending(deploymentId);
    return { deploymentId, cameras, pending };
  }
}
