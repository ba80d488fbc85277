/** Row <-> record mapping shared by the repositories: snake_case columns, camelCase fields. */
import type { Row } from '../db.ts';

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

/** Build `insert into <table> (cols) values ($1..)` from a record's fields. */
export function insertSql(table: string, rec: Record<string, unknown>): { sql: string; params: unknown[] } {
  const keys = Object.keys(rec);
  return {
    sql: `insert into ${table} (${keys.map(snake).join(', ')}) values (${keys.map((_, i) => `$${i + 1}`).join(', ')})`,
    params: keys.map((k) => toParam(rec[k])),
  };
}

/** Build `update <table> set a = $2, b = $3 where id = $1`. Field names are code-defined, never user input. */
export function updateSql(table: string, id: string, patch: Record<string, unknown>): { sql: string; params: unknown[] } {
  const keys = Object.keys(patch);
  return {
    sql: `update ${table} set ${keys.map((k, i) => `${snake(k)} = $${i + 2}`).join(', ')} where id = $1`,
    params: [id, ...keys.map((k) => toParam(patch[k]))],
  };
}
