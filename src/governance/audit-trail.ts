/**
 * The audit trail: append-only and hash-chained. Each entry's hash covers its own fields and the previous
 * entry's hash; a chain head (count + last hash) is kept so that cutting entries off the end is detected.
 * `append` must run inside the transaction of the change it records, so a change and its record commit
 * together or not at all. Nothing biometric goes in `details` (ids, counts and verdicts only).
 */
import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import type { Store } from '../store/open-store.ts';
import { auditRepo, auditStateRepo, STATE_TABLES, type AuditFilter, type StateTable } from '../store/repositories/audit.ts';
import type { AuditRecord, Clock } from './model.ts';
import { OpenLfrError } from '../errors.ts';

export const GENESIS = 'GENESIS';

export interface AuditEvent {
  actor: string;
  action: string;
  /** What the action was about, as `<kind>:<id>` (e.g. `deployment:dep_…`). */
  target: string;
  /** Why: the reason given by the person, or the rule that drove a system action. */
  reason: string;
  details?: Record<string, unknown>;
  /**
   * Rows of deployments, alerts, users or calibrations this entry changed (issue 14, item 7): the entry records (in `details.rowState`) a hash of
   * each row as it is after the change (call `append` after the change, in its transaction), and
   * `verify` replays these against the tables.
   */
  state?: readonly StateRef[];
}

export interface StateRef {
  table: StateTable;
  id: string;
}

/** The hash of a row's covered columns, as recorded in `details.rowState` (null: the row does not exist). */
export function rowHash(row: Record<string, unknown> | undefined): string | null {
  return row ? createHash('sha256').update(canonicalJson(row)).digest('hex') : null;
}

interface RecordedState {
  table: StateTable;
  id: string;
  sha256: string | null;
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

/**
 * The chain's head at one moment (entry count and last hash). Published outside OpenLFR (in every
 * transparency report), it lets anyone show later that entries up to `seq` were not rewritten, even by
 * someone able to recompute the whole chain inside the database.
 */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

/** `<seq>:<sha256 hex>`, as printed in reports. */
export function parseAnchor(text: string): AuditAnchor {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (!m) throw new OpenLfrError('BAD_REQUEST', `an audit anchor is <entry number>:<64 hex digits> (got "${text}")`);
  return { seq: Number(m[1]), hash: m[2]! };
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  headCount: number;
  headHash: string;
  /** The first entry that fails, with what is wrong. */
  firstBad?: { seq: number | null; position: number; problem: string; row?: { table: StateTable; id: string } };
  /** Rows of deployments, alerts, users and calibrations compared with the state the trail last recorded for them. */
  rowsChecked?: number;
}

/**
 * The first row whose current state differs from the state the trail last recorded for it: edited, inserted
 * or deleted outside OpenLFR (raw SQL). `states` is the replay: table:id -> the last recorded hash and its entry.
 */
async function compareState(q: Queryable, states: Map<string, { sha256: string | null; seq: number }>): Promise<{ rows: number; bad?: { seq: number | null; problem: string; row: { table: StateTable; id: string } } }> {
  const repo = auditStateRepo(q);
  const seen = new Set<string>();
  let rows = 0;
  for (const table of Object.keys(STATE_TABLES) as StateTable[]) {
    let after = '';
    for (;;) {
      const page = await repo.page(table, after, 1000);
      if (page.length === 0) break;
      for (const row of page) {
        const id = String(row.id);
        const key = `${table}:${id}`;
        seen.add(key);
        rows++;
        const rec = states.get(key);
        if (!rec || rec.sha256 === null)
          return { rows, bad: { seq: null, problem: `${table} row ${id} is not in the audit trail: it was inserted outside OpenLFR`, row: { table, id } } };
        if (rowHash(row) !== rec.sha256)
          return { rows, bad: { seq: rec.seq, problem: `${table} row ${id} differs from its state recorded by audit entry ${rec.seq}: it was changed outside OpenLFR`, row: { table, id } } };
      }
      after = String(page[page.length - 1]!.id);
    }
  }
  for (const [key, rec] of states) {
    if (rec.sha256 !== null && !seen.has(key)) {
      const [table, ...id] = key.split(':');
      return { rows, bad: { seq: rec.seq, problem: `${table} row ${id.join(':')} recorded by audit entry ${rec.seq} is gone: it was deleted outside OpenLFR`, row: { table: table as StateTable, id: id.join(':') } } };
    }
  }
  return { rows };
}

export class AuditTrail {
  constructor(private readonly clock: Clock) {}

  /** Append one entry. Call inside a transaction (the head row lock serialises concurrent appends). */
  async append(tx: Queryable, ev: AuditEvent): Promise<AuditRecord> {
    const repo = auditRepo(tx);
    const head = await repo.lockHead();
    // `rowState` is written here only, from the rows themselves: never taken from the caller's details
    let details: Record<string, unknown> = Object.fromEntries(Object.entries(ev.details ?? {}).filter(([k]) => k !== 'rowState'));
    if (ev.state?.length) {
      const rows = auditStateRepo(tx);
      const state: RecordedState[] = [];
      for (const ref of ev.state) state.push({ table: ref.table, id: ref.id, sha256: rowHash(await rows.row(ref.table, ref.id)) });
      details = { ...details, rowState: state };
    }
    const base = {
      seq: head.count + 1,
      at: this.clock.now().toISOString(),
      actor: ev.actor,
      action: ev.action,
      target: ev.target,
      reason: ev.reason,
      details: canonicalJson(details),
      prevHash: head.headHash,
    };
    const rec: AuditRecord = { ...base, hash: hashEntry(base) };
    await repo.append(rec);
    return rec;
  }

  async find(q: Queryable, f: AuditFilter): Promise<AuditRecord[]> {
    return auditRepo(q).find(f);
  }

  /** The current head, to publish. */
  async anchor(q: Queryable): Promise<AuditAnchor> {
    const head = await auditRepo(q).head();
    return { seq: head.count, hash: head.headHash };
  }

  /**
   * Walk the whole chain; report the first entry that was edited, removed, reordered, or cut off. With
   * published anchors, also check that entry `seq` still has the published hash (a chain rewritten and
   * re-hashed from some entry on passes the walk, but not this).
   */
  async verify(q: Queryable, anchors: readonly AuditAnchor[] = []): Promise<VerifyReport> {
    const states = new Map<string, { sha256: string | null; seq: number }>();
    const walked = await this.walk(q, states);
    if (!walked.ok) return walked;
    const repo = auditRepo(q);
    for (const a of [...anchors].sort((x, y) => x.seq - y.seq)) {
      const fail = (problem: string): VerifyReport => ({ ...walked, ok: false, firstBad: { seq: a.seq, position: a.seq, problem } });
      if (a.seq === 0) {
        if (a.hash !== GENESIS) return fail('an anchor at entry 0 must be GENESIS');
        continue;
      }
      const [e] = await repo.page(a.seq - 1, 1);
      if (!e || e.seq !== a.seq) return fail(`the published anchor names entry ${a.seq}, which is no longer in the chain (entries removed)`);
      if (e.hash !== a.hash) return fail(`entry ${a.seq} does not have the published hash ${a.hash.slice(0, 12)}...: the chain was rewritten up to there`);
    }
    // replay: the tables must be as the trail last recorded them
    const cmp = await compareState(q, states);
    if (cmp.bad) return { ...walked, ok: false, rowsChecked: cmp.rows, firstBad: { seq: cmp.bad.seq, position: cmp.bad.seq ?? walked.entries + 1, problem: cmp.bad.problem, row: cmp.bad.row } };
    return { ...walked, rowsChecked: cmp.rows };
  }

  /**
   * `verify` on one read-only snapshot of the store: a change committed meanwhile (a row and the entry that
   * records it, one transaction) is seen whole or not at all, so a busy store never shows a false mismatch.
   * What every caller outside a transaction uses (audit verify, the retention job's check, the reports).
   */
  async verifyStore(db: Pick<Db, 'transaction'>, anchors: readonly AuditAnchor[] = []): Promise<VerifyReport> {
    return db.transaction(async (tx) => {
      await tx.query('set transaction isolation level repeatable read, read only');
      return this.verify(tx, anchors);
    });
  }

  /**
   * Once, on the first start after migration 0022 on a store that already had rows: an entry recording the
   * state of every existing row of the state tables, so that later edits to them are found. Never on a
   * trail that already records row states: a "baseline due" flag set with SQL after an edit would otherwise
   * make the edit legitimate (refused, and the refusal audited).
   */
  async baselineIfDue(store: Pick<Store, 'tx'>): Promise<boolean> {
    return store.tx(async (_r, tx) => {
      const rows = auditStateRepo(tx);
      await auditRepo(tx).lockHead();
      if (!(await rows.baselineDue())) return false;
      if (await rows.statesRecorded()) {
        await this.append(tx, {
          actor: 'system:audit-verifier',
          action: 'audit.state-baseline.refused',
          target: 'audit:state',
          reason: 'a baseline was flagged as due, but the trail already records row states: the flag was set outside OpenLFR; no baseline taken (audit verify names any row changed)',
        });
        await rows.baselineTaken();
        return false;
      }
      const state: StateRef[] = [];
      for (const table of Object.keys(STATE_TABLES) as StateTable[]) {
        let after = '';
        for (let page = await rows.page(table, after, 1000); page.length > 0; page = await rows.page(table, after, 1000)) {
          for (const r of page) state.push({ table, id: String(r.id) });
          after = String(page[page.length - 1]!.id);
        }
      }
      await this.append(tx, { actor: 'system:audit-verifier', action: 'audit.state-baseline', target: 'audit:state', reason: 'rows written before the audit trail recorded their state (migration 0022)', state });
      await rows.baselineTaken();
      return true;
    });
  }

  private async walk(q: Queryable, states?: Map<string, { sha256: string | null; seq: number }>): Promise<VerifyReport> {
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
        if (states && e.details.includes('"rowState":[')) {
          const recorded = (JSON.parse(e.details) as { rowState?: RecordedState[] }).rowState;
          for (const st of Array.isArray(recorded) ? recorded : []) states.set(`${st.table}:${st.id}`, { sha256: st.sha256, seq: e.seq });
        }
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
