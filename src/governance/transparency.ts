/**
 * Transparency records (R11): for each deployment, the columns UK forces publish today (date, location,
 * purpose, duration, watchlist size by category, threshold and the calibration behind it, faces seen,
 * alerts split true/false and confirmed/unconfirmed, false alert rates, engagements, arrests), built only
 * from non-biometric facts that survive the retention rules; and a summary across deployments.
 *
 * How recorded decisions map to the published columns (docs/retention-and-transparency.md):
 *   true alert        = CLOSED with IDENTITY_CONFIRMED or ARRESTED            (confirmed by engagement)
 *   false alert       = CLOSED with NOT_THE_PERSON (confirmed by engagement)
 *                     + DISMISSED by the operator (unconfirmed: nobody was stopped)
 *   unconfirmed       = ENGAGED with no outcome recorded, or CLOSED with NO_FURTHER_ACTION (the engagement
 *                       did not establish identity either way), plus DISMISSED
 *   unjudged          = PENDING (nobody decided; after the deployment ends these are expired by retention)
 */
import { OpenLfrError } from '../errors.ts';
import { requirePermission } from './access.ts';
import { requireMatchingStore, type GovernanceDeps } from './deps.ts';
import type { AuditAnchor } from './audit-trail.ts';
import { CATEGORIES, type Alert, type Category, type Deployment, type Principal } from './model.ts';
import { summarise, type SearchReport } from '../search/service.ts';
import type { SearchCount } from '../store/repositories/search.ts';

export interface AlertFigures {
  alerts: number;
  trueAlerts: number;
  falseAlerts: number;
  confirmedAlerts: number;
  unconfirmedAlerts: number;
  unjudgedAlerts: number;
  trueConfirmed: number;
  falseConfirmed: number;
  falseUnconfirmed: number;
  engagedUnconfirmed: number;
  engagements: number;
  arrests: number;
  /** False alerts per face seen (null when no face was seen). */
  falseAlertRatePerFaceSeen: number | null;
  /** False alerts per alert (null when there was no alert). */
  falseAlertRatePerAlert: number | null;
}

/** The pure mapping from recorded decisions to the published figures. */
export function alertFigures(alerts: readonly Pick<Alert, 'status' | 'operatorDecision' | 'outcome'>[], facesSeen: number): AlertFigures {
  const n = (f: (a: (typeof alerts)[number]) => boolean) => alerts.filter(f).length;
  const trueConfirmed = n((a) => a.status === 'CLOSED' && (a.outcome === 'IDENTITY_CONFIRMED' || a.outcome === 'ARRESTED'));
  const falseConfirmed = n((a) => a.status === 'CLOSED' && a.outcome === 'NOT_THE_PERSON');
  const falseUnconfirmed = n((a) => a.status === 'DISMISSED');
  const engagedUnconfirmed = n((a) => a.status === 'ENGAGED' || (a.status === 'CLOSED' && a.outcome === 'NO_FURTHER_ACTION'));
  const unjudged = n((a) => a.status === 'PENDING');
  const falseAlerts = falseConfirmed + falseUnconfirmed;
  return {
    alerts: alerts.length,
    trueAlerts: trueConfirmed,
    falseAlerts,
    confirmedAlerts: trueConfirmed + falseConfirmed,
    unconfirmedAlerts: falseUnconfirmed + engagedUnconfirmed,
    unjudgedAlerts: unjudged,
    trueConfirmed,
    falseConfirmed,
    falseUnconfirmed,
    engagedUnconfirmed,
    engagements: n((a) => a.operatorDecision === 'ENGAGE'),
    arrests: n((a) => a.outcome === 'ARRESTED'),
    falseAlertRatePerFaceSeen: facesSeen > 0 ? falseAlerts / facesSeen : null,
    falseAlertRatePerAlert: alerts.length > 0 ? falseAlerts / alerts.length : null,
  };
}

export interface DeploymentRecord extends AlertFigures {
  deploymentId: string;
  name: string;
  state: Deployment['state'];
  /** The day of the deployment (go-live, or the planned start if it never went live), UTC. */
  date: string;
  locations: string[];
  purpose: string;
  useCase: string;
  windowStart: Date;
  windowEnd: Date;
  liveFrom: Date | null;
  liveTo: Date | null;
  durationMinutes: number | null;
  cameras: number;
  watchlistSize: number;
  watchlistByCategory: Record<Category, number>;
  threshold: number;
  engineId: string | null;
  floor: number | null;
  floorSource: string | null;
  calibration: { id: string; createdAt: Date; datasetFingerprint: string; threshold: number } | null;
  /** Tracks: one per face that passed a camera and was analysed (the "faces seen" forces publish). */
  facesSeen: number;
  /** Face detections on analysed frames (several per person passing). */
  faceDetections: number;
  framesAnalysed: number;
  framesDropped: number;
  cropsHeld: number;
  cropsDeleted: number;
  exportedToCase: number;
  watchlistDestroyedAt: Date | null;
  dpiaRef: string;
  policyRefs: string[];
  generatedAt: Date;
  /** The audit trail's head when the record was made: once published, `openlfr audit verify --anchor <seq>:<hash>` shows the trail up to here was not rewritten. */
  auditAnchor: AuditAnchor;
}

export interface SummaryRecord {
  from: Date;
  to: Date;
  generatedAt: Date;
  deployments: DeploymentRecord[];
  totals: AlertFigures & { deployments: number; wentLive: number; durationMinutes: number; facesSeen: number; watchlistSize: number };
  /** Retrospective searches in the calendar months the period touches, per gallery (restricted ones
   *  included) and per month, with refusals. */
  retrospectiveSearches: SearchReport;
  auditAnchor: AuditAnchor;
}

const CAL_ID = /calibration (cal_[A-Za-z0-9-]+)/;

const month = (d: Date) => d.toISOString().slice(0, 7);

export class TransparencyService {
  constructor(
    private readonly d: GovernanceDeps,
    /** Counts of retrospective searches (no personal data), from the search part of the store. */
    private readonly searchCounts: () => Promise<SearchCount[]>,
  ) {}

  async deployment(p: Principal, id: string): Promise<DeploymentRecord> {
    requirePermission(p, 'report.read');
    await requireMatchingStore(this.d, p, 'report.deployment', `deployment:${id}`);
    const dep = await this.d.store.repos.deployments.byId(id);
    if (!dep) throw new OpenLfrError('NOT_FOUND', `No deployment ${id}`);
    return this.record(dep, await this.d.audit.anchor(this.d.store.db));
  }

  async summary(p: Principal, from: Date, to: Date): Promise<SummaryRecord> {
    requirePermission(p, 'report.read');
    await requireMatchingStore(this.d, p, 'report.summary', 'report:summary');
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new OpenLfrError('BAD_REQUEST', 'from/to: dates as YYYY-MM-DD or ISO 8601');
    if (to <= from) throw new OpenLfrError('BAD_REQUEST', 'to: must be after from');
    const deps = await this.d.store.repos.retention.deploymentsStarting(from, to);
    const anchor = await this.d.audit.anchor(this.d.store.db);
    const records: DeploymentRecord[] = [];
    for (const dep of deps) records.push(await this.record(dep, anchor));
    const all = await Promise.all(deps.map((x) => this.d.store.repos.alerts.byDeployment(x.id)));
    const facesSeen = records.reduce((s, r) => s + r.facesSeen, 0);
    return {
      from,
      to,
      generatedAt: this.d.clock.now(),
      deployments: records,
      totals: {
        ...alertFigures(all.flat(), facesSeen),
        deployments: records.length,
        wentLive: records.filter((r) => r.liveFrom).length,
        durationMinutes: records.reduce((s, r) => s + (r.durationMinutes ?? 0), 0),
        facesSeen,
        watchlistSize: records.reduce((s, r) => s + r.watchlistSize, 0),
      },
      retrospectiveSearches: summarise(
        (await this.searchCounts()).filter((r) => r.month >= month(from) && r.month <= month(new Date(to.getTime() - 1))),
        this.d.clock.now(),
      ),
      auditAnchor: anchor,
    };
  }

  private async record(dep: Deployment, auditAnchor: AuditAnchor): Promise<DeploymentRecord> {
    const repos = this.d.store.repos;
    const [alerts, counters, entries] = await Promise.all([repos.alerts.byDeployment(dep.id), repos.counters.byDeployment(dep.id), repos.watchlist.byDeployment(dep.id)]);
    const exports = await repos.retention.exportsOf(alerts.map((a) => a.id));
    const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, entries.filter((e) => e.category === c).length])) as Record<Category, number>;
    const calId = dep.floorSource ? CAL_ID.exec(dep.floorSource)?.[1] : undefined;
    const cal = calId ? await repos.retention.calibration(calId) : undefined;
    const liveTo = dep.liveAt ? (dep.closedAt ?? (dep.state === 'LIVE' ? null : dep.endsAt)) : null;
    const facesSeen = counters.reduce((s, c) => s + c.tracks, 0);
    return {
      deploymentId: dep.id,
      name: dep.name,
      state: dep.state,
      date: (dep.liveAt ?? dep.startsAt).toISOString().slice(0, 10),
      locations: dep.locations.map((l) => l.name),
      purpose: dep.purpose,
      useCase: dep.useCase,
      windowStart: dep.startsAt,
      windowEnd: dep.endsAt,
      liveFrom: dep.liveAt,
      liveTo,
      durationMinutes: dep.liveAt && liveTo ? Math.round((liveTo.getTime() - dep.liveAt.getTime()) / 60_000) : null,
      cameras: dep.cameras.length,
      watchlistSize: entries.length,
      watchlistByCategory: byCategory,
      threshold: dep.threshold,
      engineId: dep.engineId,
      floor: dep.floor,
      floorSource: dep.floorSource,
      calibration: cal ? { id: cal.id, createdAt: cal.createdAt, datasetFingerprint: cal.datasetFingerprint, threshold: cal.threshold } : null,
      facesSeen,
      faceDetections: counters.reduce((s, c) => s + c.facesDetected, 0),
      framesAnalysed: counters.reduce((s, c) => s + c.framesAnalysed, 0),
      framesDropped: counters.reduce((s, c) => s + c.framesDropped, 0),
      ...alertFigures(alerts, facesSeen),
      cropsHeld: alerts.filter((a) => !a.biometricsDeletedAt).length,
      cropsDeleted: alerts.filter((a) => a.biometricsDeletedAt).length,
      exportedToCase: exports.length,
      watchlistDestroyedAt: dep.watchlistDestroyedAt,
      dpiaRef: dep.dpiaRef,
      policyRefs: dep.policyRefs,
      generatedAt: this.d.clock.now(),
      auditAnchor,
    };
  }
}
