/**
 * Subject access (R9): was this person on any watchlist, and did any alert concern them? Answered from
 * what survives destruction: the pseudonymous subject reference and category of each watchlist entry, and
 * the non-biometric facts of each alert. A source-system identifier (e.g. a PNC ID) is pseudonymised with
 * the data key first and never stored or logged. Every lookup is audited with its reason.
 */
import { OpenLfrError } from '../errors.ts';
import { normaliseSourceId, requiredText } from './required-text.ts';
import { requirePermission } from './access.ts';
import type { GovernanceDeps } from './deps.ts';
import { actorOf, type AlertStatus, type Category, type DeploymentState, type OperatorDecision, type Outcome, type Principal } from './model.ts';

export interface SubjectQuery {
  /** The pseudonymous reference (`S-…`), or */
  subjectRef?: string;
  /** the identifier in the source system, pseudonymised here. */
  sourceRecordId?: string;
  /** Why the lookup is made (e.g. the subject access request's reference). */
  reason: string;
}

export interface SubjectReport {
  subjectRef: string;
  onAnyWatchlist: boolean;
  watchlists: {
    deploymentId: string;
    deploymentName: string;
    deploymentState: DeploymentState;
    windowStart: Date;
    windowEnd: Date;
    liveFrom: Date | null;
    closedAt: Date | null;
    category: Category;
    enrolledAt: Date;
    /** When the entry's image, template and details were destroyed (null: still held). */
    destroyedAt: Date | null;
  }[];
  alerts: {
    alertId: string;
    deploymentId: string;
    at: Date;
    camera: string;
    status: AlertStatus;
    operatorDecision: OperatorDecision | null;
    outcome: Outcome | null;
    /** When the captured face was deleted (null: still held). */
    cropDeletedAt: Date | null;
    caseRef: string | null;
  }[];
  checkedAt: Date;
}

const SUBJECT_REF = /^S-[A-Za-z0-9_-]{22}$/;

export class OversightService {
  constructor(private readonly d: GovernanceDeps) {}

  /** The reference a query stands for: as given, or the keyed pseudonym of the source-system id. */
  refOf(q: Pick<SubjectQuery, 'subjectRef' | 'sourceRecordId'>): string {
    if (q.subjectRef !== undefined && q.sourceRecordId !== undefined) throw new OpenLfrError('BAD_REQUEST', 'Give either subjectRef or sourceRecordId, not both');
    if (q.subjectRef !== undefined) {
      if (!SUBJECT_REF.test(q.subjectRef.trim())) throw new OpenLfrError('BAD_REQUEST', 'subjectRef: a pseudonymous reference looks like S- followed by 22 characters; for a source-system id use sourceRecordId', { field: 'subjectRef' });
      return q.subjectRef.trim();
    }
    if (q.sourceRecordId === undefined) throw new OpenLfrError('BAD_REQUEST', 'Give subjectRef or sourceRecordId', { field: 'sourceRecordId' });
    return `S-${this.d.key.pseudonym(normaliseSourceId(q.sourceRecordId))}`;
  }

  async subject(p: Principal, q: SubjectQuery): Promise<SubjectReport> {
    requirePermission(p, 'subject.access');
    q = { ...q, reason: requiredText(q.reason, 'reason', { min: 3, what: 'record why this lookup is made' }) };
    const ref = this.refOf(q);
    const repos = this.d.store.repos;
    const [entries, alerts] = await Promise.all([repos.watchlist.bySubject(ref), repos.alerts.bySubject(ref)]);
    const deps = new Map((await repos.retention.deploymentsById([...new Set(entries.map((e) => e.deploymentId))])).map((x) => [x.id, x]));
    const exports = new Map((await repos.retention.exportsOf(alerts.map((a) => a.id))).map((e) => [e.alertId, e.caseRef]));
    const report: SubjectReport = {
      subjectRef: ref,
      onAnyWatchlist: entries.length > 0,
      watchlists: entries.map((e) => {
        const dep = deps.get(e.deploymentId)!;
        return {
          deploymentId: e.deploymentId,
          deploymentName: dep.name,
          deploymentState: dep.state,
          windowStart: dep.startsAt,
          windowEnd: dep.endsAt,
          liveFrom: dep.liveAt,
          closedAt: dep.closedAt,
          category: e.category,
          enrolledAt: e.enrolledAt,
          destroyedAt: e.destroyedAt,
        };
      }),
      alerts: alerts.map((a) => ({
        alertId: a.id,
        deploymentId: a.deploymentId,
        at: a.createdAt,
        camera: a.camera,
        status: a.status,
        operatorDecision: a.operatorDecision,
        outcome: a.outcome,
        cropDeletedAt: a.biometricsDeletedAt,
        caseRef: exports.get(a.id) ?? null,
      })),
      checkedAt: this.d.clock.now(),
    };
    await this.d.store.tx((_r, tx) =>
      this.d.audit.append(tx, {
        actor: actorOf(p),
        action: 'subject.access',
        target: `subject:${ref}`,
        reason: q.reason.trim(),
        details: { by: q.sourceRecordId !== undefined ? 'source-record-id' : 'subject-ref', watchlists: report.watchlists.length, alerts: report.alerts.length },
      }),
    );
    return report;
  }
}
