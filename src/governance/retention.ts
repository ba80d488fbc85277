/**
 * The retention job (R5, R9, R11): deletes what the rules say must go, finishes deletions a crash left half
 * done, and re-verifies the audit chain. `openlfr serve` runs it at start (a machine that was off catches
 * up) and every governance.sweepIntervalSec; `openlfr retention run` runs it once. Idempotent.
 *
 * The rules, in the order one run applies them:
 *  0. deletions that committed but whose sealed files were not yet removed are finished (tombstones);
 *  1. deployments whose window ended are closed and every finished watchlist is destroyed (DeploymentService.sweep);
 *  2. negative decisions (DISMISSED; CLOSED as NOT_THE_PERSON or NO_FURTHER_ACTION): crop deleted
 *     retention.negativeAlertHours after the decision (0 = by this run);
 *  3. engagements (CLOSED as IDENTITY_CONFIRMED or ARRESTED; ENGAGED with no outcome): crop deleted
 *     retention.positiveAlertDays after the outcome (or the decision to engage), unless exported to a case;
 *  4. alerts nobody decided: crop deleted retention.pendingAlertDays after the deployment ended; the alert
 *     stays PENDING and is counted as unjudged;
 *  5. evaluation template caches (src/evaluate/cache-store.ts) not rewritten for retention.evaluationCacheDays
 *     are destroyed (derived from a labelled dataset, rebuilt by the next evaluation at the cost of re-embedding);
 *  6. the audit chain is verified (at most every retention.auditVerifyIntervalSec); a broken chain raises
 *     the `audit-alarm` event and the status shows it until a later check passes.
 * The alert's non-biometric facts stay for the transparency figures; `biometricsDeletedAt` says when.
 */
import { OpenLfrError } from '../errors.ts';
import { requiredText } from './required-text.ts';
import { requirePermission, userIdOf } from './access.ts';
import type { VerifyReport } from './audit-trail.ts';
import type { GovernanceDeps } from './deps.ts';
import type { DeploymentService, SweepResult } from './deployments.ts';
import { actorOf, SYSTEM_SWEEP, type Alert, type Principal } from './model.ts';
import { retentionRepo, type CaseExport, type DueRule } from '../store/repositories/retention.ts';
import type { AuditEvent } from './audit-trail.ts';
import type { EvaluationCacheService } from '../evaluate/cache-store.ts';

export interface AuditCheck {
  at: Date;
  ok: boolean;
  entries: number;
  headHash: string;
  firstBad: VerifyReport['firstBad'] | null;
}

export interface RetentionRunResult {
  at: Date;
  /** Sealed files of earlier, interrupted deletions removed now. */
  interruptedDeletesFinished: number;
  sweep: SweepResult;
  /** Alerts whose crop this run deleted, by rule. */
  cropsDeleted: Record<DueRule, string[]>;
  /** Evaluation template caches this run destroyed (their keys). */
  evaluationCachesDeleted: string[];
  /** The audit check made by this run (null when the last one is recent enough). */
  audit: AuditCheck | null;
}

export interface RetentionStatus {
  lastRunAt: Date | null;
  lastRunError: string | null;
  lastRun: RetentionRunResult | null;
  audit: AuditCheck | null;
  /** True while the last audit check found the chain broken: the console shows an alarm. */
  auditAlarm: boolean;
}

/** The `audit-alarm` event on services.events. */
export interface AuditAlarm {
  at: Date;
  firstBad: VerifyReport['firstBad'] | null;
  entries: number;
  message: string;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const CASE_REF = /^[A-Za-z0-9][A-Za-z0-9/_.:-]{0,99}$/;

export class RetentionService {
  private running: Promise<RetentionRunResult> | null = null;
  private state: RetentionStatus = { lastRunAt: null, lastRunError: null, lastRun: null, audit: null, auditAlarm: false };

  constructor(
    private readonly d: GovernanceDeps,
    private readonly deployments: DeploymentService,
    private readonly evaluationCache: EvaluationCacheService,
  ) {}

  /** Run the job once (a run already in progress is joined, not doubled). */
  run(): Promise<RetentionRunResult> {
    this.running ??= this.runOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async runOnce(): Promise<RetentionRunResult> {
    const at = this.d.clock.now();
    try {
      const interruptedDeletesFinished = await this.d.biometrics.finishDeletes(this.d.store.db);
      const sweep = await this.deployments.sweep();
      const r = this.d.config.retention;
      const repo = this.d.store.repos.retention;
      const cropsDeleted: Record<DueRule, string[]> = {
        'negative-decision': await this.deleteCrops('negative-decision', await repo.negativeDue(new Date(at.getTime() - r.negativeAlertHours * HOUR))),
        'positive-period': await this.deleteCrops('positive-period', await repo.positiveDue(new Date(at.getTime() - r.positiveAlertDays * DAY))),
        'undecided-period': await this.deleteCrops('undecided-period', await repo.undecidedDue(new Date(at.getTime() - r.pendingAlertDays * DAY))),
      };
      const evaluationCachesDeleted = await this.evaluationCache.clear(SYSTEM_SWEEP, `retention rule evaluation-cache (not rewritten for ${r.evaluationCacheDays} days)`, new Date(at.getTime() - r.evaluationCacheDays * DAY));
      const audit = await this.checkAudit(at);
      const result = { at, interruptedDeletesFinished, sweep, cropsDeleted, evaluationCachesDeleted, audit };
      this.state = { ...this.state, lastRunAt: at, lastRunError: null, lastRun: result };
      return result;
    } catch (e) {
      this.state = { ...this.state, lastRunAt: at, lastRunError: (e as Error).message };
      throw e;
    }
  }

  /** Delete the crops (and any templates) of these alerts in one transaction with their marks and audit entries. */
  private async deleteCrops(rule: DueRule, due: Alert[]): Promise<string[]> {
    const actor = actorOf(SYSTEM_SWEEP);
    const byId = new Map(due.map((a) => [a.id, a]));
    await this.removeCrops([...byId.keys()], { actor, reason: `retention rule ${rule}` }, (id) => {
      const a = byId.get(id)!;
      return { actor, action: 'alert.retention.delete', target: `alert:${id}`, reason: `retention rule ${rule}: crop deleted`, details: { rule, deploymentId: a.deploymentId, status: a.status, outcome: a.outcome } };
    });
    return due.map((a) => a.id);
  }

  private async removeCrops(ids: string[], who: { actor: string; reason: string }, entry: (alertId: string) => AuditEvent): Promise<void> {
    if (ids.length === 0) return;
    const at = this.d.clock.now();
    await this.d.biometrics.destroy(this.d.store.db, ids, who, async (tx) => {
      await retentionRepo(tx).markCropDeleted(ids, at);
      for (const id of ids) await this.d.audit.append(tx, entry(id));
    });
  }

  private async checkAudit(at: Date): Promise<AuditCheck | null> {
    const last = this.state.audit;
    if (last && at.getTime() - last.at.getTime() < this.d.config.retention.auditVerifyIntervalSec * 1000) return null;
    const v = await this.d.audit.verify(this.d.store.db);
    const check: AuditCheck = { at, ok: v.ok, entries: v.entries, headHash: v.headHash, firstBad: v.firstBad ?? null };
    this.state = { ...this.state, audit: check, auditAlarm: !v.ok };
    if (!v.ok) {
      const alarm: AuditAlarm = {
        at,
        firstBad: check.firstBad,
        entries: v.entries,
        message: `audit trail BROKEN at entry ${v.firstBad?.seq ?? '?'}: ${v.firstBad?.problem ?? 'unknown problem'}`,
      };
      this.d.events.emit('audit-alarm', alarm);
    }
    return check;
  }

  /** Check the audit chain now, whatever the interval (the CLI's `retention run` and tests). */
  async verifyNow(): Promise<AuditCheck> {
    this.state = { ...this.state, audit: null };
    return (await this.checkAudit(this.d.clock.now()))!;
  }

  status(p: Principal): RetentionStatus {
    requirePermission(p, 'oversight.status');
    return this.state;
  }

  /**
   * Export a confirmed alert's crop to a case: the crop leaves the retention clock and is held under the
   * case reference until the case releases it (`releaseFromCase`). Only alerts whose engagement confirmed
   * the identity or led to an arrest, and whose crop is still held.
   */
  async exportToCase(p: Principal, alertId: string, caseRef: string, note: string): Promise<CaseExport> {
    requirePermission(p, 'alert.export');
    const ref = caseRef.trim();
    if (!CASE_REF.test(ref)) throw new OpenLfrError('BAD_REQUEST', 'caseRef: a case reference of 1-100 letters, digits and / _ . : - (starting with a letter or digit)', { field: 'caseRef' });
    note = requiredText(note, 'note', { min: 3, what: 'say why the image is needed for the case' });
    const at = this.d.clock.now();
    return this.d.store.tx(async (r, tx) => {
      const a = await r.alerts.byId(alertId, true);
      if (!a) throw new OpenLfrError('NOT_FOUND', `No alert ${alertId}`);
      if (a.status !== 'CLOSED' || (a.outcome !== 'IDENTITY_CONFIRMED' && a.outcome !== 'ARRESTED')) {
        throw new OpenLfrError('CONFLICT', `Alert ${alertId} is ${a.status}${a.outcome ? ` (${a.outcome})` : ''}: only an alert whose engagement confirmed the identity or led to an arrest can be exported to a case`);
      }
      if (a.biometricsDeletedAt) throw new OpenLfrError('CONFLICT', `The crop of alert ${alertId} was already deleted under the retention rules`);
      const existing = await r.retention.exportOf(alertId);
      if (existing) throw new OpenLfrError('CONFLICT', `Alert ${alertId} is already exported to case ${existing.caseRef}`);
      const e: CaseExport = { alertId, caseRef: ref, note: note.trim(), exportedBy: userIdOf(p)!, exportedAt: at };
      await r.retention.insertExport(e);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'alert.export-to-case', target: `alert:${alertId}`, reason: note.trim(), details: { caseRef: ref, deploymentId: a.deploymentId } });
      return e;
    });
  }

  /** The case no longer needs the crop (case closed, or review under the force's records policy): deleted now. */
  async releaseFromCase(p: Principal, alertId: string, reason: string): Promise<Alert> {
    requirePermission(p, 'alert.export');
    reason = requiredText(reason, 'reason', { min: 3, what: 'say why the case no longer needs the image' });
    const a = await this.d.store.repos.alerts.byId(alertId);
    if (!a) throw new OpenLfrError('NOT_FOUND', `No alert ${alertId}`);
    const ex = await this.d.store.repos.retention.exportOf(alertId);
    if (!ex) throw new OpenLfrError('CONFLICT', `Alert ${alertId} is not exported to a case`);
    if (a.biometricsDeletedAt) return a;
    const at = this.d.clock.now();
    const who = { actor: actorOf(p), reason: `released from case ${ex.caseRef}: ${reason.trim()}` };
    await this.removeCrops([alertId], who, () => ({ ...who, action: 'alert.release-from-case', target: `alert:${alertId}`, reason: reason.trim(), details: { caseRef: ex.caseRef } }));
    return { ...a, biometricsDeletedAt: at };
  }
}
