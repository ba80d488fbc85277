/** People, roles and sessions: creating users, logging in, turning a bearer token into a principal. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isOpenLfrError, OpenLfrError } from '../errors.ts';
import { requiredText } from './required-text.ts';
import { checkPasswordStrength } from './password-policy.ts';
import type { Store } from '../store/open-store.ts';
import type { Repos } from '../store/repositories/governance.ts';
import type { Tx } from '../store/db.ts';
import type { DataKey } from '../store/crypto.ts';
import { requirePermission } from './access.ts';
import type { AuditTrail } from './audit-trail.ts';
import { actorOf, ROLES, RANKS, type Clock, type Principal, type Rank, type Role, type User, type UserGrant, type UserGrantStatus } from './model.ts';
import type { PasswordHasher } from './passwords.ts';
import { databaseThrottleStore, LoginThrottle, type ThrottleLimits, type ThrottleStore } from './login-throttle.ts';


export interface NewUserInput {
  username: string;
  displayName: string;
  roles: Role[];
  rank?: Rank | null | undefined;
  password: string;
}

/** An account, and the grant of power on it that waits for a second ADMIN, if any. */
export type UserWithGrant = User & { pendingGrant?: UserGrant };

interface RolesAndRank {
  roles: readonly Role[];
  rank: Rank | null;
}

/**
 * What a change to an account grants that one ADMIN may not grant alone (issue 14, item 3a): the
 * AUTHORISING_OFFICER role, the ADMIN role (except by the only enabled ADMIN: the second ADMIN of a new store),
 * and a rank recorded or changed. Removing a role or a rank is never a grant.
 */
export function grantsOf(from: RolesAndRank, to: RolesAndRank, soleAdmin: boolean): string[] {
  const out: string[] = [];
  if (to.roles.includes('AUTHORISING_OFFICER') && !from.roles.includes('AUTHORISING_OFFICER')) out.push('AUTHORISING_OFFICER');
  if (to.roles.includes('ADMIN') && !from.roles.includes('ADMIN') && !soleAdmin) out.push('ADMIN');
  if (to.rank !== null && to.rank !== from.rank) out.push(`rank ${to.rank}`);
  return out;
}

const sameRoles = (a: RolesAndRank, b: RolesAndRank): boolean =>
  a.rank === b.rank && a.roles.length === b.roles.length && a.roles.every((r) => b.roles.includes(r));

export interface Session {
  token: string;
  expiresAt: Date;
  user: User;
}

const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

function checkRoles(roles: readonly Role[], rank: Rank | null): void {
  if (roles.length === 0 || roles.some((r) => !ROLES.includes(r))) {
    throw new OpenLfrError('BAD_REQUEST', `roles: one or more of ${ROLES.join(', ')}`, { field: 'roles' });
  }
  if (rank != null && !RANKS.includes(rank)) throw new OpenLfrError('BAD_REQUEST', `rank: one of ${RANKS.join(', ')}`, { field: 'rank' });
  if (roles.includes('AUTHORISING_OFFICER') && !rank) {
    throw new OpenLfrError('RULE_VIOLATION', 'An AUTHORISING_OFFICER must have a rank recorded', { rule: 'authorising-officer-rank', field: 'rank' });
  }
}

/** The reason recorded with a change to someone's account. */
function reasonOf(reason: string): string {
  return requiredText(reason, 'reason', { min: 5, what: 'it goes into the audit trail' });
}

export class UserService {
  private dummyHash: Promise<string> | undefined;
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly d: {
      store: Store;
      audit: AuditTrail;
      clock: Clock;
      hasher: PasswordHasher;
      sessionHours: number;
      /** Keyed pseudonyms (the data key's), for what was typed as an unknown username. */
      key: Pick<DataKey, 'pseudonym'>;
      loginLimits?: ThrottleLimits;
      throttleStore?: ThrottleStore;
    },
  ) {
    this.throttle = new LoginThrottle(d.clock, d.loginLimits ?? { maxFailures: 5, windowMinutes: 15, lockMinutes: 15, maxSourceFailures: 30 }, d.throttleStore ?? databaseThrottleStore(d.store));
  }

  private validate(input: NewUserInput): void {
    if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(input.username)) {
      throw new OpenLfrError('BAD_REQUEST', 'username: 2-64 characters, lower-case letters, digits, ".", "_" or "-"', { field: 'username' });
    }
    if (!input.displayName.trim()) throw new OpenLfrError('BAD_REQUEST', 'displayName is required', { field: 'displayName' });
    checkRoles(input.roles, input.rank ?? null);
    checkPasswordStrength(input.password, [input.username, input.displayName], 'password');
  }

  private async insert(input: NewUserInput, createdBy: Principal): Promise<UserWithGrant> {
    this.validate(input);
    const passwordHash = await this.d.hasher.hash(input.password);
    const user: User = {
      id: `usr_${randomUUID()}`,
      username: input.username,
      displayName: input.displayName.trim(),
      roles: [...new Set(input.roles)],
      rank: input.rank ?? null,
      disabled: false,
      createdAt: this.d.clock.now(),
      createdBy: createdBy.kind === 'user' ? createdBy.user.id : null,
    };
    return this.d.store.tx(async (r, tx): Promise<UserWithGrant> => {
      if (await r.users.credentials(user.username)) throw new OpenLfrError('CONFLICT', `A user named ${user.username} already exists`);
      if (createdBy.kind === 'system' && (await r.users.count()) > 0) {
        throw new OpenLfrError('FORBIDDEN', 'The first administrator can only be created on an empty store; log in as an ADMIN to add users');
      }
      // a grant of power waits for a second ADMIN: the account starts without it
      const soleAdmin = createdBy.kind === 'user' && (await r.users.countEnabledWithRole('ADMIN')) <= 1;
      const grants = createdBy.kind === 'user' ? grantsOf({ roles: [], rank: null }, user, soleAdmin) : [];
      const now: User = grants.length
        ? { ...user, roles: user.roles.filter((x) => !(x === 'AUTHORISING_OFFICER' || (x === 'ADMIN' && grants.includes('ADMIN')))), rank: null }
        : user;
      await r.users.insert({ ...now, passwordHash });
      await this.d.audit.append(tx, {
        actor: actorOf(createdBy),
        action: 'user.create',
        target: `user:${user.username}`,
        reason: createdBy.kind === 'system' ? 'first administrator of an empty store' : 'account created',
        details: { roles: now.roles, rank: now.rank, ...(grants.length ? { pendingGrant: grants } : {}), ...(soleAdmin && now.roles.includes('ADMIN') ? { soleAdmin: true } : {}) },
        state: [{ table: 'users', id: user.id }],
      });
      if (!grants.length) return now;
      const pendingGrant = await this.requestGrant(r, tx, createdBy, now, user, grants, 'account created with these roles');
      return { ...now, pendingGrant };
    });
  }

  /** Record a grant that a second ADMIN must confirm (a pending one for the same account is superseded). */
  private async requestGrant(r: Repos, tx: Tx, p: Principal, from: User, to: RolesAndRank, grants: string[], why: string): Promise<UserGrant> {
    if (p.kind !== 'user') throw new OpenLfrError('FORBIDDEN', 'Only an ADMIN can ask for a grant');
    const now = this.d.clock.now();
    const old = await r.userGrants.pendingFor(from.id, true);
    if (old) await r.userGrants.decide(old.id, 'SUPERSEDED', null, now, `superseded by a new request from ${p.user.username}`);
    const g = {
      id: `grt_${randomUUID()}`,
      granteeId: from.id,
      previousRoles: from.roles,
      previousRank: from.rank,
      roles: [...to.roles],
      rank: to.rank,
      reason: why,
      requestedBy: p.user.id,
      requestedAt: now,
    };
    await r.userGrants.insert(g);
    await this.d.audit.append(tx, {
      actor: actorOf(p),
      action: 'user.grant.request',
      target: `user:${from.username}`,
      reason: why,
      details: { grantId: g.id, grants, from: { roles: from.roles, rank: from.rank }, to: { roles: g.roles, rank: g.rank }, ...(old ? { supersedes: old.id } : {}) },
    });
    return (await r.userGrants.pendingFor(from.id))!;
  }

  /** Create the first ADMIN. Only works while the store has no users at all. */
  async bootstrap(input: NewUserInput): Promise<User> {
    if (!input.roles.includes('ADMIN')) throw new OpenLfrError('RULE_VIOLATION', 'The first user must be an ADMIN', { rule: 'bootstrap-admin' });
    if (input.roles.some((x) => x !== 'ADMIN') || input.rank) {
      throw new OpenLfrError('RULE_VIOLATION', 'The first user is an ADMIN only: other roles and a rank are given later, and AUTHORISING_OFFICER or a rank needs a second ADMIN to confirm', { rule: 'bootstrap-admin' });
    }
    return this.insert(input, { kind: 'system', name: 'bootstrap' });
  }

  /**
   * A new account. AUTHORISING_OFFICER, ADMIN (once the store has two ADMINs) and a rank are not given at once:
   * the account starts without them and `pendingGrant` waits for a second ADMIN (`confirmGrant`).
   */
  async create(p: Principal, input: NewUserInput): Promise<UserWithGrant> {
    requirePermission(p, 'user.manage');
    return this.insert(input, p);
  }

  async list(p: Principal): Promise<User[]> {
    requirePermission(p, 'user.list');
    return this.d.store.repos.users.list();
  }

  async count(): Promise<number> {
    return this.d.store.repos.users.count();
  }

  /** A leaver, a suspension: the account can no longer log in and its sessions end at once. Not yourself, not the last ADMIN. */
  async setDisabled(p: Principal, username: string, disabled: boolean, reason: string): Promise<User> {
    requirePermission(p, 'user.manage');
    const why = reasonOf(reason);
    return this.d.store.tx(async (r, tx) => {
      const c = await r.users.credentials(username);
      if (!c) throw new OpenLfrError('NOT_FOUND', `No user ${username}`);
      if (p.kind === 'user' && p.user.id === c.user.id) throw new OpenLfrError('RULE_VIOLATION', 'You cannot disable or enable your own account; ask another ADMIN', { rule: 'self-account-change' });
      if (disabled && c.user.roles.includes('ADMIN') && !c.user.disabled && (await r.users.countEnabledWithRole('ADMIN')) <= 1)
        throw new OpenLfrError('RULE_VIOLATION', 'This is the last enabled ADMIN; enable or create another first', { rule: 'last-admin' });
      await r.users.setDisabled(c.user.id, disabled);
      const revoked = disabled ? await r.sessions.revokeAllFor(c.user.id, this.d.clock.now()) : undefined;
      await this.d.audit.append(tx, { actor: actorOf(p), action: disabled ? 'user.disable' : 'user.enable', target: `user:${username}`, reason: why, details: revoked === undefined ? {} : { sessionsRevoked: revoked }, state: [{ table: 'users', id: c.user.id }] });
      return { ...c.user, disabled };
    });
  }

  /**
   * Change someone's roles and rank (a posting, a promotion). Never your own: nobody grants themselves power
   * (an ADMIN cannot make themselves an AUTHORISING_OFFICER). The last enabled ADMIN keeps the role. Takes
   * effect at the user's next request (roles are read with every token). A change that grants
   * AUTHORISING_OFFICER, ADMIN or a rank changes nothing yet: it is a pending grant (returned as `pendingGrant`)
   * until a second ADMIN confirms it.
   */
  async setRoles(p: Principal, username: string, input: { roles: Role[]; rank?: Rank | null | undefined }, reason: string): Promise<UserWithGrant> {
    requirePermission(p, 'user.manage');
    const why = reasonOf(reason);
    const roles = [...new Set(input.roles)];
    const rank = input.rank ?? null;
    checkRoles(roles, rank);
    return this.d.store.tx(async (r, tx) => {
      const c = await r.users.credentials(username);
      if (!c) throw new OpenLfrError('NOT_FOUND', `No user ${username}`);
      if (p.kind === 'user' && p.user.id === c.user.id) throw new OpenLfrError('RULE_VIOLATION', 'You cannot change your own roles; ask another ADMIN', { rule: 'self-role-change' });
      if (c.user.roles.includes('ADMIN') && !roles.includes('ADMIN') && !c.user.disabled && (await r.users.countEnabledWithRole('ADMIN')) <= 1)
        throw new OpenLfrError('RULE_VIOLATION', 'This is the last enabled ADMIN; it keeps the role', { rule: 'last-admin' });
      const grants = grantsOf(c.user, { roles, rank }, (await r.users.countEnabledWithRole('ADMIN')) <= 1);
      if (grants.length) return { ...c.user, pendingGrant: await this.requestGrant(r, tx, p, c.user, { roles, rank }, grants, why) };
      await r.users.setRoles(c.user.id, roles, rank);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: 'user.roles',
        target: `user:${username}`,
        reason: why,
        details: { from: { roles: c.user.roles, rank: c.user.rank }, to: { roles, rank } },
        state: [{ table: 'users', id: c.user.id }],
      });
      return { ...c.user, roles, rank };
    });
  }

  /** Grants of power waiting for a second ADMIN (or all recent ones). */
  async grants(p: Principal, status: UserGrantStatus | 'ALL' = 'PENDING'): Promise<UserGrant[]> {
    requirePermission(p, 'user.list');
    return this.d.store.repos.userGrants.list(status === 'ALL' ? undefined : status);
  }

  /**
   * The second ADMIN's decision on a pending grant: confirm applies it (if the account is still as it was when
   * it was asked for), decline drops it. Neither the ADMIN who asked nor the grantee may decide; every refusal
   * is audited (`user.grant.confirm.refused`, `user.grant.decline.refused`).
   */
  async decideGrant(p: Principal, username: string, decision: 'confirm' | 'decline', note: string): Promise<UserWithGrant> {
    const action = `user.grant.${decision}`;
    const target = `user:${username}`;
    try {
      requirePermission(p, 'user.manage');
      if (p.kind !== 'user') throw new OpenLfrError('FORBIDDEN', 'Only an ADMIN can decide a grant');
      const why = requiredText(note, 'note', { min: 5, what: 'it goes into the audit trail' });
      return await this.d.store.tx(async (r, tx) => {
        const c = await r.users.credentials(username);
        if (!c) throw new OpenLfrError('NOT_FOUND', `No user ${username}`);
        const g = await r.userGrants.pendingFor(c.user.id, true);
        if (!g) throw new OpenLfrError('NOT_FOUND', `No grant is waiting for ${username}`);
        if (g.requestedBy === p.user.id) {
          throw new OpenLfrError('SEPARATION_OF_DUTIES', `You asked for this grant; a second ADMIN must ${decision} it`, { rule: 'second-admin', grantId: g.id });
        }
        if (g.granteeId === p.user.id) throw new OpenLfrError('SEPARATION_OF_DUTIES', 'This grant is for you; another ADMIN must decide it', { rule: 'second-admin', grantId: g.id });
        const from = { roles: g.previousRoles, rank: g.previousRank };
        const to = { roles: g.roles, rank: g.rank };
        const now = this.d.clock.now();
        if (decision === 'confirm') {
          if (!sameRoles(c.user, from)) {
            throw new OpenLfrError('CONFLICT', `${username}'s roles changed after this grant was asked for; decline it and ask again`, { grantId: g.id });
          }
          checkRoles(g.roles, g.rank);
          await r.users.setRoles(c.user.id, g.roles, g.rank);
        }
        await r.userGrants.decide(g.id, decision === 'confirm' ? 'CONFIRMED' : 'DECLINED', p.user.id, now, why);
        await this.d.audit.append(tx, {
          actor: actorOf(p),
          action,
          target,
          reason: why,
          details: { grantId: g.id, requestedBy: `user:${g.requestedByUsername}`, requestReason: g.reason, from, to },
          state: [{ table: 'users', id: c.user.id }],
        });
        return decision === 'confirm' ? { ...c.user, roles: [...g.roles], rank: g.rank } : c.user;
      });
    } catch (e) {
      if (isOpenLfrError(e)) {
        await this.d.store.tx((_r, tx) => this.d.audit.append(tx, { actor: actorOf(p), action: `${action}.refused`, target, reason: e.message, details: { code: e.code } }));
        e.audited = true;
      }
      throw e;
    }
  }

  /**
   * Set a password: your own with your current one, or anyone's as an ADMIN (a reset, with a reason). Every
   * session of the account ends, so a stolen token dies with the old password.
   */
  async setPassword(p: Principal, username: string, input: { newPassword: string; currentPassword?: string | undefined; reason?: string | undefined }): Promise<void> {
    if (p.kind !== 'user') throw new OpenLfrError('FORBIDDEN', 'Only a person can set a password');
    const self = p.user.username === username;
    if (!self) requirePermission(p, 'user.manage');
    checkPasswordStrength(input.newPassword, [username, ...(self ? [p.user.displayName] : [])], 'newPassword');
    const why = self ? 'own password changed' : reasonOf(input.reason ?? '');
    if (self) {
      // the current password proves it is the account holder at the keyboard; wrong guesses count towards the lock
      await this.checkPassword(username, input.currentPassword ?? '', 'password change');
    }
    const c = await this.d.store.repos.users.credentials(username);
    if (!c) throw new OpenLfrError('NOT_FOUND', `No user ${username}`);
    const passwordHash = await this.d.hasher.hash(input.newPassword);
    await this.d.store.tx(async (r, tx) => {
      await r.users.setPasswordHash(c.user.id, passwordHash);
      const revoked = await r.sessions.revokeAllFor(c.user.id, this.d.clock.now());
      await this.d.audit.append(tx, { actor: actorOf(p), action: self ? 'user.password.change' : 'user.password.reset', target: `user:${username}`, reason: why, details: { sessionsRevoked: revoked }, state: [{ table: 'users', id: c.user.id }] });
    });
  }

  /**
   * Check a username and password; the answer takes the same time whether or not the user exists. The attempt
   * is counted by the throttle (per account, and per `source` address when given) before the password is
   * checked, so concurrent guesses cannot overtake the limit.
   * A username that matches no account may be a password typed in the wrong box: it is never recorded.
   * The audit trail (and the login throttle) hold `(unknown):<keyed hash>` instead: the same text gives the
   * same hash, so repeated guesses are still seen and counted, but the text cannot be read back.
   */
  async checkPassword(username: string, password: string, via: string, source?: string): Promise<Principal> {
    const c = await this.d.store.repos.users.credentials(username);
    const account = c ? c.user.username : `(unknown):${this.d.key.pseudonym(`login-username\0${username}`).slice(0, 16)}`;
    const attempt = await this.throttle.begin(account, source);
    this.dummyHash ??= this.d.hasher.hash(randomBytes(16).toString('hex'));
    const ok = await this.d.hasher.verify(c?.passwordHash ?? (await this.dummyHash), password);
    if (!c || !ok || c.user.disabled) {
      await this.d.store.tx(async (_r, tx) => {
        await this.d.audit.append(tx, { actor: 'anonymous', action: 'auth.failed', target: `user:${account}`, reason: via, ...(source !== undefined ? { details: { source } } : {}) });
        for (const key of attempt.locks) {
          await this.d.audit.append(tx, { actor: 'system:login-throttle', action: 'auth.locked', target: key.startsWith('source:') ? key : `user:${account}`, reason: 'too many wrong passwords' });
        }
      });
      throw new OpenLfrError('AUTH_FAILED');
    }
    await this.throttle.succeeded(attempt);
    return { kind: 'user', user: c.user };
  }

  async login(username: string, password: string, source?: string): Promise<Session> {
    const p = await this.checkPassword(username, password, 'api login', source);
    if (p.kind !== 'user') throw new OpenLfrError('INTERNAL');
    const token = randomBytes(32).toString('base64url');
    const now = this.d.clock.now();
    const expiresAt = new Date(now.getTime() + this.d.sessionHours * 3600_000);
    await this.d.store.tx(async (r, tx) => {
      await r.sessions.insert({ tokenHash: tokenHash(token), userId: p.user.id, createdAt: now, expiresAt });
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'auth.login', target: `user:${p.user.username}`, reason: 'api session started' });
    });
    return { token, expiresAt, user: p.user };
  }

  /** Turn a bearer token into the principal it belongs to, or refuse (UNAUTHENTICATED). */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new OpenLfrError('UNAUTHENTICATED', 'Log in first: send Authorization: Bearer <token> from POST /api/v1/sessions');
    const s = await this.d.store.repos.sessions.findActive(tokenHash(token), this.d.clock.now());
    const user = s && (await this.d.store.repos.users.byId(s.userId));
    if (!user || user.disabled) throw new OpenLfrError('UNAUTHENTICATED', 'The session token is unknown, expired or revoked');
    return { kind: 'user', user };
  }

  async logout(p: Principal, token: string): Promise<void> {
    await this.d.store.tx(async (r, tx) => {
      await r.sessions.revoke(tokenHash(token), this.d.clock.now());
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'auth.logout', target: actorOf(p), reason: 'api session ended' });
    });
  }
}
