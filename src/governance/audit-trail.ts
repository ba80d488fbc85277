/**
 * The audit trail: append-only and hash-chained. Each entry's hash covers its own fields and the previous
 * entry's hash; a chain head (count + last hash) is kept so that cutting entries off the end is detected.
 * `append` must run inside the transaction of the change it records, so a change and its record commit
 * together or not at all. Nothing biometric goes in `details` (ids, counts and verdicts only).
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { auditRepo, type AuditFilter } from '../store/repositories/audit.ts';
import type { AuditRecord, Clock } from './model.ts';

export const GENESIS = 'GENESIS';

export interface AuditEvent {
  actor: string;
  action: string;
  /** What the action was about, as `<kind>:<id>` (e.g. `deployment:dep_…`). */
  target: string;
  /** Why: the reason given by the person, or the rule that drove a system action. */
  reason: string;
  details?: Record<string, unknown>;
}

/** JSON with object keys sorted at every level, so the same value always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

export function hashEntry(e: Omit<AuditRecord, 'hash'>): string {
  const body = canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, reason: e.reason, details: e.details, prev: e.prevHash });
  return createHash('sha256').update(body).digest('hex');
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  headCount: number;
  headHash: string;
  /** The first entry that fails, with what is wrong. */
  firstBad?: { seq: number | null; position: number; problem: string };
}

export class AuditTrail {
  constructor(private readonly clock: Clock) {}

  /** Append one entry. Call inside a transaction (the head row lock serialises concurrent appends). */
  async append(tx: Queryable, ev: AuditEvent): Promise<AuditRecord> {
    const repo = auditRepo(tx);
    const head = await repo.lockHead();
    const base = {
      seq: head.count + 1,
      at: this.clock.now().toISOString(),
      actor: ev.actor,
      action: ev.action,
      target: ev.target,
      reason: ev.reason,
      details: canonicalJson(ev.details ?? {}),
      prevHash: head.headHash,
    };
    const rec: AuditRecord = { ...base, hash: hashEntry(base) };
    await repo.append(rec);
    return rec;
  }

  async find(q: Queryable, f: AuditFilter): Promise<AuditRecord[]> {
    return auditRepo(q).find(f);
  }

  /** Walk the whole chain; report the first entry that was edited, removed, reordered, or cut off. */
  async verify(q: Queryable): Promise<VerifyReport> {
    const repo = auditRepo(q);
    const head = await repo.head();
    let prev = GENESIS;
    let position = 0;
    let after = 0;
    const bad = (seq: number | null, problem: string): VerifyReport => ({
      ok: false,
      entries: position,
      headCount: head.count,
      headHash: head.headHash,
      firstBad: { seq, position: position + 1, problem },
    });
    for (;;) {
      const page = await repo.page(after, 1000);
      if (page.length === 0) break;
      for (const e of page) {
        const expected = position + 1;
        if (e.seq !== expected) {
          return bad(e.seq, e.seq > expected ? `entry ${expected} is missing (found ${e.seq} after ${position})` : `entry out of order (found ${e.seq} after ${position})`);
        }
        if (e.prevHash !== prev) return bad(e.seq, 'does not link to the entry before it (entry removed, inserted or reordered)');
        if (hashEntry(e) !== e.hash) return bad(e.seq, 'contents do not match its hash (entry altered)');
        prev = e.hash;
        position++;
      }
      after = page[page.length - 1]!.seq;
    }
    if (position !== head.count || prev !== head.headHash) {
      return {
        ok: false,
        entries: position,
        headCount: head.count,
        headHash: head.headHash,
        firstBad: {
          seq: position < head.count ? position + 1 : position,
          position: position + 1,
          problem:
            position < head.count
              ? `the chain ends at entry ${position} but the head records ${head.count} entries (entries ${position + 1}..${head.count} removed)`
              : `the chain's last hash does not match the recorded head (head altered or chain rewritten)`,
        },
      };
    }
    return { ok: true, entries: position, headCount: head.count, headHash: head.headHash };
  }
}
