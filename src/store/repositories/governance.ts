/**
 * Repositories of the governance aggregates: users, sessions, deployments, watchlist entries,
 * calibrations. Services get these; they never see SQL. (Biometric tables have their own repository,
 * used only by the biometric store; the audit log has its own, used only by the audit trail.)
 */
import type { Queryable } from '../db.ts';
import type { Calibration, Deployment, DeploymentState, User, WatchlistEntry } from '../../governance/model.ts';
import { fromRow, insertSql, updateSql } from './rows.ts';
import { TABLES } from './tables.ts';
import { alertsRepo, countersRepo } from './alerts.ts';
import { retentionRepo } from './retention.ts';

export interface NewUser extends Omit<User, 'disabled'> {
  passwordHash: string;
}

export function usersRepo(q: Queryable) {
  const cols = 'id, username, display_name, roles, rank, disabled, created_at, created_by';
  return {
    async insert(u: NewUser): Promise<void> {
      const { sql, params } = insertSql(TABLES.users, { ...u });
      await q.query(sql, params);
    },
    async byId(id: string): Promise<User | undefined> {
      const [r] = await q.query(`select ${cols} from users where id = $1`, [id]);
      return r && fromRow<User>(r);
    },
    /** The user and their password hash, for logging in. */
    async credentials(username: string): Promise<{ user: User; passwordHash: string } | undefined> {
      const [r] = await q.query(`select ${cols}, password_hash from users where username = $1`, [username]);
      if (!r) return undefined;
      const { passwordHash, ...user } = fromRow<User & { passwordHash: string }>(r);
      return { user, passwordHash };
    },
    async list(): Promise<User[]> {
      return (await q.query(`select ${cols} from users order by created_at, username`)).map((r) => fromRow<User>(r));
    },
    async count(): Promise<number> {
      const [r] = await q.query<{ n: number }>('select count(*)::int as n from users');
      return r!.n;
    },
    async setDisabled(id: string, disabled: boolean): Promise<void> {
      await q.query('update users set disabled = $2 where id = $1', [id, disabled]);
    },
    async setRoles(id: string, roles: readonly string[], rank: string | null): Promise<void> {
      await q.query('update users set roles = $2, rank = $3 where id = $1', [id, JSON.stringify(roles), rank]);
    },
    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await q.query('update users set password_hash = $2 where id = $1', [id, passwordHash]);
    },
    /** Enabled users holding a role (for "the last administrator" checks). */
    async countEnabledWithRole(role: string): Promise<number> {
      const rows = await q.query<{ roles: string[] | string }>('select roles from users where not disabled');
      return rows.filter((r) => (typeof r.roles === 'string' ? (JSON.parse(r.roles) as string[]) : r.roles).includes(role)).length;
    },
  };
}

export interface SessionRow {
  tokenHash: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export function sessionsRepo(q: Queryable) {
  return {
    async insert(s: Omit<SessionRow, 'revokedAt'>): Promise<void> {
      const { sql, params } = insertSql(TABLES.sessions, { ...s });
      await q.query(sql, params);
    },
    async findActive(tokenHash: string, now: Date): Promise<SessionRow | undefined> {
      const [r] = await q.query('select * from sessions where token_hash = $1 and revoked_at is null and expires_at > $2', [tokenHash, now]);
      return r && fromRow<SessionRow>(r);
    },
    async revoke(tokenHash: string, now: Date): Promise<void> {
      await q.query('update sessions set revoked_at = $2 where token_hash = $1 and revoked_at is null', [tokenHash, now]);
    },
    /** End every open session of a user; returns how many. */
    async revokeAllFor(userId: string, now: Date): Promise<number> {
      return (await q.query('update sessions set revoked_at = $2 where user_id = $1 and revoked_at is null returning token_hash', [userId, now])).length;
    },
  };
}

export function deploymentsRepo(q: Queryable) {
  return {
    async insert(d: Deployment): Promise<void> {
      const { sql, params } = insertSql(TABLES.deployments, { ...d });
      await q.query(sql, params);
    },
    async byId(id: string, forUpdate = false): Promise<Deployment | undefined> {
      const [r] = await q.query(`select * from deployments where id = $1${forUpdate ? ' for update' : ''}`, [id]);
      return r && fromRow<Deployment>(r);
    },
    async list(state?: DeploymentState): Promise<Deployment[]> {
      const rows = state
        ? await q.query('select * from deployments where state = $1 order by starts_at desc', [state])
        : await q.query('select * from deployments order by starts_at desc');
      return rows.map((r) => fromRow<Deployment>(r));
    },
    async update(id: string, patch: Partial<Deployment>): Promise<void> {
      const { sql, params } = updateSql(TABLES.deployments, id, patch);
      await q.query(sql, params);
    },
    /** Deployments not yet closed whose window has ended. */
    async endedOpen(now: Date): Promise<Deployment[]> {
      const rows = await q.query(`select * from deployments where state in ('DRAFT', 'AUTHORISED', 'LIVE') and ends_at <= $1`, [now]);
      return rows.map((r) => fromRow<Deployment>(r));
    },
    /** Closed or cancelled deployments whose watchlist biometrics have not been destroyed yet. */
    async awaitingDestruction(): Promise<Deployment[]> {
      const rows = await q.query(`select * from deployments where state in ('CLOSED', 'CANCELLED') and watchlist_destroyed_at is null`);
      return rows.map((r) => fromRow<Deployment>(r));
    },
  };
}

const ENTRY_DATES = ['captureDate'] as const;

export function watchlistRepo(q: Queryable) {
  return {
    async insert(e: WatchlistEntry): Promise<void> {
      const { sql, params } = insertSql(TABLES.watchlistEntries, { ...e });
      await q.query(sql, params);
    },
    async byId(id: string): Promise<WatchlistEntry | undefined> {
      const [r] = await q.query('select * from watchlist_entries where id = $1', [id]);
      return r && fromRow<WatchlistEntry>(r, ENTRY_DATES);
    },
    async byDeployment(deploymentId: string): Promise<WatchlistEntry[]> {
      const rows = await q.query('select * from watchlist_entries where deployment_id = $1 order by enrolled_at, id', [deploymentId]);
      return rows.map((r) => fromRow<WatchlistEntry>(r, ENTRY_DATES));
    },
    async bySubject(subjectRef: string): Promise<WatchlistEntry[]> {
      const rows = await q.query('select * from watchlist_entries where subject_ref = $1 order by enrolled_at', [subjectRef]);
      return rows.map((r) => fromRow<WatchlistEntry>(r, ENTRY_DATES));
    },
    async markReviewed(id: string, by: string, at: Date): Promise<void> {
      await q.query('update watchlist_entries set reviewed_by = $2, reviewed_at = $3 where id = $1', [id, by, at]);
    },
    async delete(id: string): Promise<void> {
      await q.query('delete from watchlist_entries where id = $1', [id]);
    },
    /** Clear everything but the pseudonymous reference and the category. */
    async strip(deploymentId: string, at: Date): Promise<number> {
      const rows = await q.query(
        `update watchlist_entries set reason = null, grounds = null, legal_basis = null, image_source = null,
           capture_date = null, under18 = null, risk_rationale = null, quality = null, reference_check = null, destroyed_at = $2
         where deployment_id = $1 and destroyed_at is null returning id`,
        [deploymentId, at],
      );
      return rows.length;
    },
  };
}

export function calibrationsRepo(q: Queryable) {
  return {
    async insert(c: Calibration): Promise<void> {
      const { sql, params } = insertSql(TABLES.calibrations, { ...c });
      await q.query(sql, params);
    },
    async latest(engineId: string): Promise<Calibration | undefined> {
      const [r] = await q.query('select * from calibrations where engine_id = $1 order by created_at desc, id desc limit 1', [engineId]);
      return r && fromRow<Calibration>(r);
    },
  };
}

export interface Repos {
  users: ReturnType<typeof usersRepo>;
  sessions: ReturnType<typeof sessionsRepo>;
  deployments: ReturnType<typeof deploymentsRepo>;
  watchlist: ReturnType<typeof watchlistRepo>;
  calibrations: ReturnType<typeof calibrationsRepo>;
  alerts: ReturnType<typeof alertsRepo>;
  counters: ReturnType<typeof countersRepo>;
  retention: ReturnType<typeof retentionRepo>;
}

export function makeRepos(q: Queryable): Repos {
  return { users: usersRepo(q), sessions: sessionsRepo(q), deployments: deploymentsRepo(q), watchlist: watchlistRepo(q), calibrations: calibrationsRepo(q), alerts: alertsRepo(q), counters: countersRepo(q), retention: retentionRepo(q) };
}
