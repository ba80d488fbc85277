/** People, roles and sessions: creating users, logging in, turning a bearer token into a principal. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';
import { requiredText } from './required-text.ts';
import { checkPasswordStrength } from './password-policy.ts';
import type { Store } from '../store/open-store.ts';
import type { DataKey } from '../store/crypto.ts';
import { requirePermission } from './access.ts';
import type { AuditTrail } from './audit-trail.ts';
import { actorOf, ROLES, RANKS, type Clock, type Principal, type Rank, type Role, type User } from './model.ts';
import type { PasswordHasher } from './passwords.ts';
import { databaseThrottleStore, LoginThrottle, type ThrottleLimits, type ThrottleStore } from './login-throttle.ts';


export interface NewUserInput {
  username: string;
  displayName: string;
  roles: Role[];
  rank?: Rank | null | undefined;
  password: string;
}

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
    this.throttle = new LoginThrottle(d.clock, d.loginLimits ?? { maxFailures: 5, windowMinutes: 15, lockMinutes: 15 }, d.throttleStore ?? databaseThrottleStore(d.store));
  }

  private validate(input: NewUserInput): void {
    if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(input.username)) {
      throw new OpenLfrError('BAD_REQUEST', 'username: 2-64 characters, lower-case letters, digits, ".", "_" or "-"', { field: 'username' });
    }
    if (!input.displayName.trim()) throw new OpenLfrError('BAD_REQUEST', 'displayName is required', { field: 'displayName' });
    checkRoles(input.roles, input.rank ?? null);
    checkPasswordStrength(input.password, [input.username, input.displayName], 'password');
  }

  private async insert(input: NewUserInput, createdBy: Principal): Promise<User> {
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
    await this.d.store.tx(async (r, tx) => {
      if (await r.users.credentials(user.username)) throw new OpenLfrError('CONFLICT', `A user named ${user.username} already exists`);
      if (createdBy.kind === 'system' && (await r.users.count()) > 0) {
        throw new OpenLfrError('FORBIDDEN', 'The first administrator can only be created on an empty store; log in as an ADMIN to add users');
      }
      await r.users.insert({ ...user, passwordHash });
      await this.d.audit.append(tx, {
        actor: actorOf(createdBy),
        action: 'user.create',
        target: `user:${user.username}`,
        reason: createdBy.kind === 'system' ? 'first administrator of an empty store' : 'account created',
        details: { roles: user.roles, rank: user.rank },
      });
    });
    return user;
  }

  /** Create the first ADMIN. Only works while the store has no users at all. */
  async bootstrap(input: NewUserInput): Promise<User> {
    if (!input.roles.includes('ADMIN')) throw new OpenLfrError('RULE_VIOLATION', 'The first user must be an ADMIN', { rule: 'bootstrap-admin' });
    return this.insert(input, { kind: 'system', name: 'bootstrap' });
  }

  async create(p: Principal, input: NewUserInput): Promise<User> {
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
      await this.d.audit.append(tx, { actor: actorOf(p), action: disabled ? 'user.disable' : 'user.enable', target: `user:${username}`, reason: why, details: revoked === undefined ? {} : { sessionsRevoked: revoked } });
      return { ...c.user, disabled };
    });
  }

  /**
   * Change someone's roles and rank (a posting, a promotion). Never your own: nobody grants themselves power
   * (an ADMIN cannot make themselves an AUTHORISING_OFFICER). The last enabled ADMIN keeps the role. Takes
   * effect at the user's next request (roles are read with every token).
   */
  async setRoles(p: Principal, username: string, input: { roles: Role[]; rank?: Rank | null | undefined }, reason: string): Promise<User> {
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
      await r.users.setRoles(c.user.id, roles, rank);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: 'user.roles',
        target: `user:${username}`,
        reason: why,
        details: { from: { roles: c.user.roles, rank: c.user.rank }, to: { roles, rank } },
      });
      return { ...c.user, roles, rank };
    });
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
      await this.d.audit.append(tx, { actor: actorOf(p), action: self ? 'user.password.change' : 'user.password.reset', target: `user:${username}`, reason: why, details: { sessionsRevoked: revoked } });
    });
  }

  /**
   * Check a username and password; the answer takes the same time whether or not the user exists.
   * A username that matches no account may be a password typed in the wrong box: it is never recorded.
   * The audit trail (and the login throttle) hold `(unknown):<keyed hash>` instead: the same text gives the
   * same hash, so repeated guesses are still seen and counted, but the text cannot be read back.
   */
  async checkPassword(username: string, password: string, via: string): Promise<Principal> {
    const c = await this.d.store.repos.users.credentials(username);
    const account = c ? c.user.username : `(unknown):${this.d.key.pseudonym(`login-username\0${username}`).slice(0, 16)}`;
    await this.throttle.check(account);
    this.dummyHash ??= this.d.hasher.hash(randomBytes(16).toString('hex'));
    const ok = await this.d.hasher.verify(c?.passwordHash ?? (await this.dummyHash), password);
    if (!c || !ok || c.user.disabled) {
      const locked = await this.throttle.failed(account);
      await this.d.store.tx(async (_r, tx) => {
        await this.d.audit.append(tx, { actor: 'anonymous', action: 'auth.failed', target: `user:${account}`, reason: via });
        if (locked) await this.d.audit.append(tx, { actor: 'system:login-throttle', action: 'auth.locked', target: `user:${account}`, reason: 'too many wrong passwords' });
      });
      throw new OpenLfrError('AUTH_FAILED');
    }
    await this.throttle.succeeded(account);
    return { kind: 'user', user: c.user };
  }

  async login(username: string, password: string): Promise<Session> {
    const p = await this.checkPassword(username, password, 'api login');
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
