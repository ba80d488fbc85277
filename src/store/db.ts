/**
 * The storage port. Every repository talks to this small interface and nothing else, so the same SQL
 * (PostgreSQL dialect) runs on the embedded engine (PGlite) and on a PostgreSQL server (`pg`).
 *
 * Result normalisation is the driver's job: bigint columns come back as JS numbers, timestamptz as Date,
 * bytea as Uint8Array, json/jsonb parsed.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** Run one parameterised statement ($1, $2, ...) and return its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** A transaction: parameterised statements plus scripts (used by migrations). */
export interface Tx extends Queryable {
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /** `pglite` (embedded, under $OPENLFR_HOME/db) or `postgres` (server, DATABASE_URL). */
  readonly kind: 'pglite' | 'postgres';
  /** Run fn inside one transaction: committed if fn resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Run a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}
