/** Builds governance services on a real store (embedded in memory, or PostgreSQL) for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.ts';
import type { FaceEngine } from '../../src/engine/port.ts';
import type { Clock, Principal, User } from '../../src/governance/model.ts';
import type { NewUserInput } from '../../src/governance/users.ts';
import type { PasswordHasher } from '../../src/governance/passwords.ts';
import { createServices, type Services } from '../../src/governance/services.ts';
import { createDataKey } from '../../src/store/crypto.ts';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { storeOn } from '../../src/store/open-store.ts';
import { openPglite } from '../../src/store/pglite-db.ts';
import { openPostgres } from '../../src/store/pg-db.ts';
import { FakeEngine } from './scripted-engine.ts';
import type { RemoveFile } from '../../src/store/biometric-store.ts';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public t = new Date('2026-06-01T08:00:00Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string): void {
    this.t = new Date(iso);
  }
  advance(ms: number): void {
    this.t = new Date(this.t.getTime() + ms);
  }
}

/** Fast, obviously-fake hasher for unit tests (the real argon2id one is tested on its own). */
export const plainHasher: PasswordHasher = {
  hash: async (p) => `plain:${p}`,
  verify: async (h, p) => h === `plain:${p}`,
};

/** A fresh PostgreSQL schema on the test server, dropped at close. */
export async function openTestPostgres(url: string): Promise<Db> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgres(url);
  await admin.exec(`create schema ${schema}`);
  await admin.close();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openPostgres(u.toString());
  return {
    ...db,
    async close() {
      await db.close();
      const a = await openPostgres(url);
      await a.exec(`drop schema ${schema} cascade`);
      await a.close();
    },
  };
}

export interface TestRig {
  services: Services;
  clock: ManualClock;
  engine: FakeEngine;
  home: string;
  db: Db;
  close(): Promise<void>;
}

export async function makeRig(o: { db?: Db; engine?: FaceEngine; hasher?: PasswordHasher; floor?: number; retention?: Record<string, number>; removeFile?: RemoveFile } = {}): Promise<TestRig> {
  const home = mkdtempSync(join(tmpdir(), 'openlfr-test-'));
  const db = o.db ?? (await openPglite(undefined));
  await migrate(db);
  const clock = new ManualClock();
  const engine = new FakeEngine();
  const config = loadConfig({ home, governance: o.floor !== undefined ? { thresholdFloorDefault: o.floor } : {}, retention: o.retention ?? {} }, {});
  const services = createServices({
    config,
    store: storeOn(db),
    key: createDataKey(randomBytes(32), 'test'),
    engine: async () => o.engine ?? engine,
    clock,
    hasher: o.hasher ?? plainHasher,
    ...(o.removeFile ? { removeFile: o.removeFile } : {}),
  });
  return {
    services,
    clock,
    engine,
    home,
    db,
    async close() {
      await services.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A small real PNG (the fake engine decides what faces it "sees"). */
export async function pngBytes(seed = 1): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: seed, g: 100, b: 150 } } }).png().toBuffer());
}

/** A sample big enough to record a calibration (issue 14, item 2: 50+ subjects, 3 / target non-mated searches, target <= 1e-2). */
export const CALIBRATION_SAMPLE = { fpirTarget: 1e-3, subjects: 100, nonMatedSearches: 3000 } as const;

export const SECOND_ADMIN = { username: 'second-admin', password: 'second-admin-password-1' };

/**
 * Issue 14 (3a): AUTHORISING_OFFICER, ADMIN and a rank are granted by two ADMINs. Fixtures that set up such
 * accounts ask as `admin` (user create / roles), then call this: it confirms every pending grant as a second
 * ADMIN (`second-admin`, created by `admin` on first use, which the only ADMIN of a store may do alone).
 * Returns the second ADMIN.
 */
export async function confirmGrants(s: Services, admin: Principal): Promise<Principal> {
  const existing = (await s.users.list(admin)).find((u) => u.username === SECOND_ADMIN.username);
  if (!existing) await s.users.create(admin, { username: SECOND_ADMIN.username, displayName: 'Second Admin', roles: ['ADMIN'], password: SECOND_ADMIN.password });
  const second = await s.users.checkPassword(SECOND_ADMIN.username, SECOND_ADMIN.password, 'test');
  for (const g of await s.users.grants(second)) await s.users.decideGrant(second, g.grantee, 'confirm', 'confirmed as the second administrator (test fixture)');
  return second;
}

/** Create an account as `admin` and, if it grants AUTHORISING_OFFICER, ADMIN or a rank, confirm it as a second ADMIN. */
export async function createConfirmed(s: Services, admin: Principal, input: NewUserInput): Promise<User> {
  const u = await s.users.create(admin, input);
  if (!u.pendingGrant) return u;
  await confirmGrants(s, admin);
  return (await s.users.list(admin)).find((x) => x.username === input.username)!;
}
