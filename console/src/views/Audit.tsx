import { useState, type ReactNode } from 'react';
import { api, can } from '../api.ts';
import { ActionButton, ErrorBox, Field, useLoad } from '../ui.tsx';
import type { AuditEntry } from './types.ts';

const PAGE = 500;

interface Verify {
  ok: boolean;
  entries: number;
  headCount: number;
  headHash: string;
  firstBad?: { seq: number | null; position: number; problem: string };
}

export function AuditView(): ReactNode {
  const [filters, setFilters] = useState({ action: '', actor: '', target: '' });
  const [applied, setApplied] = useState(filters);
  const [verify, setVerify] = useState<Verify | null>(null);
  // newest first, a page at a time; "Older entries" pages back from the oldest shown
  const query = new URLSearchParams(Object.entries({ ...applied, order: 'desc', limit: String(PAGE) }).filter(([, v]) => v) as Array<[string, string]>).toString();
  const list = useLoad(() => api<AuditEntry[]>('GET', `/api/v1/audit?${query}`), [query]);
  const [older, setOlder] = useState<{ query: string; rows: AuditEntry[]; done: boolean }>({ query: '', rows: [], done: false });
  const extra = older.query === query ? older : { query, rows: [], done: false };
  const rows = list.data ? [...list.data, ...extra.rows] : null;
  const more = rows !== null && rows.length > 0 && !extra.done && (extra.rows.length > 0 || list.data!.length === PAGE);
  const set = (k: keyof typeof filters) => (e: { target: { value: string } }) => setFilters({ ...filters, [k]: e.target.value });
  return (
    <>
      <h1>Audit trail</h1>
      <section className="verify" aria-label="Chain verification">
        {can('audit.verify') && <ActionButton label="Verify the hash chain" className="primary" run={async () => setVerify(await api<Verify>('GET', '/api/v1/audit/verify'))} />}
        {verify && (
          <p className={verify.ok ? 'ok' : 'error'} role="status" data-testid="verify-result">
            {verify.ok
              ? `Chain intact: ${verify.entries} entries, head ${verify.headHash.slice(0, 16)}…`
              : `Chain BROKEN at entry ${verify.firstBad?.seq ?? '?'} (position ${verify.firstBad?.position}): ${verify.firstBad?.problem}`}
          </p>
        )}
      </section>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <Field label="Action" name="action" value={filters.action} onChange={set('action')} required={false} placeholder="e.g. alert.decide.engage" />
        <Field label="Actor" name="actor" value={filters.actor} onChange={set('actor')} required={false} placeholder="e.g. user:op" />
        <Field label="Target" name="target" value={filters.target} onChange={set('target')} required={false} placeholder="e.g. deployment:dep_…" />
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={list.error} />
      {rows && (
        <table className="list audit" data-testid="audit-table">
          <caption>
            {rows.length} entries{more ? ', newest first; older ones below the button' : ', newest first'}
          </caption>
          <thead>
            <tr>
              <th>#</th>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>{new Date(e.at).toLocaleString('en-GB')}</td>
                <td>{e.actor}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  <code>{e.target}</code>
                </td>
                <td>{e.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && (
        <ActionButton
          label="Older entries"
          run={async () => {
            const before = rows[rows.length - 1]!.seq;
            const page = await api<AuditEntry[]>('GET', `/api/v1/audit?${query}&beforeSeq=${before}`);
            setOlder({ query, rows: [...extra.rows, ...page], done: page.length < PAGE });
          }}
        />
      )}
    </>
  );
}
