/**
 * Row <-> record mapping shared by the repositories: snake_case columns, camelCase fields. Inserts and
 * updates are built only from a table's fixed column list (`tables.ts`): a record's keys choose which of
 * those columns are written, never what SQL is written, and a key that is not on the list is refused.
 */
import { OpenLfrError } from '../../errors.ts';
import type { Row } from '../db.ts';
import type { TableSpec } from './tables.ts';

export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Map a row to a record: columns renamed to camelCase; `date` columns to YYYY-MM-DD strings. */
export function fromRow<T>(row: Row, dateOnly: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const key = camel(k);
    out[key] = dateOnly.includes(key) && v instanceof Date ? v.toISOString().slice(0, 10) : v;
  }
  return out as T;
}

/** Values for an insert or update: objects/arrays that are not Date/bytes become JSON text. */
export function toParam(v: unknown): unknown {
  if (v === undefined) return null;
  if (v === null || v instanceof Date || v instanceof Uint8Array || typeof v !== 'object') return v;
  return JSON.stringify(v);
}

/** The listed fields present in `rec`, in the list's order; any other key is a programming error, refused. */
function listed(table: TableSpec, allowed: readonly string[], rec: Record<string, unknown>, doing: string): string[] {
  const stray = Object.keys(rec).filter((k) => !allowed.includes(k));
  if (stray.length) {
    throw new OpenLfrError('INTERNAL', `Refused to ${doing} ${table.name}: ${stray.length} field(s) not on the table's fixed column list`, { table: table.name, fields: stray.map((k) => k.slice(0, 60)) });
  }
  return allowed.filter((k) => k in rec);
}

/** Build `insert into <table> (cols) values ($1..)`: the columns come from the table's fixed list. */
export function insertSql(table: TableSpec, rec: Record<string, unknown>): { sql: string; params: unknown[] } {
  const keys = listed(table, table.columns, rec, 'insert into');
  return {
    sql: `insert into ${table.name} (${keys.map(snake).join(', ')}) values (${keys.map((_, i) => `$${i + 1}`).join(', ')})`,
    params: keys.map((k) => toParam(rec[k])),
  };
}

/** Build `update <table> set a = $2, b = $3 where id = $1`: only the table's updatable columns. */
export function updateSql(table: TableSpec, id: string, patch: Record<string, unknown>): { sql: string; params: unknown[] } {
  const keys = listed(table, table.updatable, patch, 'update');
  if (keys.length === 0) throw new OpenLfrError('INTERNAL', `Refused to update ${table.name}: nothing to change`);
  return {
    sql: `update ${table.name} set ${keys.map((k, i) => `${snake(k)} = $${i + 2}`).join(', ')} where id = $1`,
    params: [id, ...keys.map((k) => toParam(patch[k]))],
  };
}
