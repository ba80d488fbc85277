/**
 * Assembles the governance services on a store. `openServices(config)` is what the server and the CLI
 * use; tests call `createServices` with their own store, clock, engine and password hasher.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Config } from '../config.ts';
import type { FaceEngine } from '../engine/port.ts';
import { BiometricStore } from '../store/biometric-store.ts';
import { databaseBlobs, type SealedBlobs } from '../store/sealed-blobs.ts';
import { loadDataKey, type DataKey } from '../store/crypto.ts';
import { openStore, type Store } from '../store/open-store.ts';
import type { AuditFilter } from '../store/repositories/audit.ts';
import { requirePermission } from './access.ts';
import { AuditTrail, type AuditAnchor, type VerifyReport } from './audit-trail.ts';
import type { GovernanceDeps } from './deps.ts';
import { DeploymentService } from './deployments.ts';
import { actorOf, systemClock, type AuditRecord, type Calibration, type Clock, type Principal } from './model.ts';
import { argon2id, type PasswordHasher } from './passwords.ts';
import { calibratedFloor, type ThresholdFloor } from './threshold-floor.ts';
import { UserService } from './users.ts';
import { WatchlistService } from './watchlists.ts';
import { AlertService } from './alerts.ts';
import { LiveService } from './live.ts';
import { RetentionService } from './retention.ts';
import { TransparencyService } from './transparency.ts';
import { OversightService } from './oversight.ts';
import type { RemoveFile } from '../store/biometric-store.ts';
import { GalleryService } from '../search/galleries.ts';
import { GalleryIndexes } from '../search/gallery-index.ts';
import { SearchService } from '../search/service.ts';
import { makeSearchRepos } from '../store/repositories/search.ts';
import { EvaluationCacheService } from '../evaluate/cache-store.ts';

export class AuditService {
  constructor(private readonly d: Pick<GovernanceDeps, 'store' | 'audit'>) {}
  async list(p: Principal, f: AuditFilter): Promise<AuditRecord[]> {
    requirePermission(p, 'audit.read');
    return this.d.audit.find(this.d.store.db, f);
  }
  /** Check the whole chain, and any published anchors (the CLI runs this as system:audit-verifier). */
  async verify(p: Principal, anchors: readonly AuditAnchor[] = []): Promise<VerifyReport> {
    requirePermission(p, 'audit.verify');
    return this.d.audit.verify(this.d.store.db, anchors);
  }
}

export class CalibrationService {
  constructor(private readonly d: Pick<GovernanceDeps, 'store' | 'audit' | 'clock' | 'floor'>) {}
  /** Record a measured operating point for an engine (the evaluation issue calls this). */
  async record(p: Principal, c: Omit<Calibration, 'id' | 'createdAt'>): Promise<Calibration> {
    requirePermission(p, 'calibration.write');
    const rec: Calibration = { ...c, id: `cal_${randomUUID()}`, createdAt: this.d.clock.now() };
    await this.d.store.tx(async (r, tx) => {
      await r.calibrations.insert(rec);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: 'calibration.record',
        target: `calibration:${rec.id}`,
        reason: `measured floor for ${c.engineId}`,
        details: { engineId: c.engineId, threshold: c.threshold, datasetFingerprint: c.datasetFingerprint },
      });
    });
    return rec;
  }
  floorFor(engineId: string) {
    return this.d.floor.floorFor(engineId);
  }
  /** The bar of the enrolment reference check for an engine, and where it comes from. */
  referenceBarFor(engineId: string) {
    return this.d.floor.referenceBarFor(engineId);
  }
  /** The reference-strength bins of the engine's latest calibration, if it measured them. */
  referenceStrengthFor(engineId: string) {
    return this.d.floor.referenceStrengthFor(engineId);
  }
}

export interface Services {
  config: Pick<Config, 'governance' | 'engine' | 'home' | 'retention' | 'search' | 'match'>;
  store: Store;
  clock: Clock;
  key: DataKey;
  events: EventEmitter;
  users: UserService;
  deployments: DeploymentService;
  watchlists: WatchlistService;
  audit: AuditService;
  calibrations: CalibrationService;
  alerts: AlertService;
  live: LiveService;
  /** The retention job (rules, interrupted deletions, audit check), case exports, the job's status. */
  retention: RetentionService;
  /** Transparency records per deployment and across deployments. */
  transparency: TransparencyService;
  /** Subject access. */
  oversight: OversightService;
  /** The shared engine pool, started on first use. */
  engine: () => Promise<FaceEngine>;
  galleries: GalleryService;
  searches: SearchService;
  /** The evaluation harness's template cache, kept in the biometric store. */
  evaluationCache: EvaluationCacheService;
  /** Close the store (and the engine if one was started). */
  close(): Promise<void>;
}

export interface ServiceOptions {
  config: Pick<Config, 'governance' | 'engine' | 'home' | 'retention' | 'search' | 'match'>;
  store: Store;
  key: DataKey;
  engine: () => Promise<FaceEngine>;
  clock?: Clock;
  hasher?: PasswordHasher;
  floor?: ThresholdFloor;
  /** How sealed files are removed (tests make a deletion fail half-way). */
  removeFile?: RemoveFile;
  /** Where sealed blobs are kept (default: files under <home>/blobs). */
  blobs?: SealedBlobs;
}

export function createServices(o: ServiceOptions): Services {
  const clock = o.clock ?? systemClock;
  const audit = new AuditTrail(clock);
  const events = new EventEmitter();
  let started: Promise<FaceEngine> | undefined;
  const engine = (): Promise<FaceEngine> => (started ??= o.engine());
  const d: GovernanceDeps = {
    store: o.store,
    audit,
    clock,
    key: o.key,
    biometrics: new BiometricStore({ key: o.key, home: o.config.home, clock, audit, ...(o.removeFile ? { removeFile: o.removeFile } : {}), ...(o.blobs ? { blobs: o.blobs } : {}) }),
    engine,
    floor: o.floor ?? calibratedFloor(o.store, o.config.governance.thresholdFloorDefault, o.config.governance.referenceMatchMinDefault),
    config: o.config,
    events,
  };
  const deployments = new DeploymentService(d);
  const alerts = new AlertService(d);
  const live = new LiveService(d, deployments, alerts);
  const evaluationCache = new EvaluationCacheService(d);
  const retention = new RetentionService(d, deployments, evaluationCache);
  const indexes = new GalleryIndexes({ db: o.store.db, biometrics: d.biometrics, match: o.config.match });
  return {
    config: o.config,
    store: o.store,
    clock,
    key: o.key,
    events,
    users: new UserService({
      store: o.store,
      audit,
      clock,
      hasher: o.hasher ?? argon2id,
      sessionHours: o.config.governance.sessionHours,
      key: o.key,
      loginLimits: { maxFailures: o.config.governance.loginMaxFailures, windowMinutes: 15, lockMinutes: o.config.governance.loginLockMinutes },
    }),
    deployments,
    watchlists: new WatchlistService(d),
    audit: new AuditService(d),
    calibrations: new CalibrationService(d),
    alerts,
    live,
    retention,
    transparency: new TransparencyService(d, () => makeSearchRepos(o.store.db).searches.counts()),
    oversight: new OversightService(d),
    engine,
    galleries: new GalleryService(d, indexes),
    searches: new SearchService(d, o.config.search, indexes),
    evaluationCache,
    async close() {
      await live.stopAll();
      await indexes.close();
      if (started) await (await started).close().catch(() => undefined);
      await o.store.close();
    },
  };
}

/** Where sealed blobs go: `auto` is the database when DATABASE_URL is set (shared by every server on it), files otherwise. */
export function blobStoreKind(c: Pick<Config, 'blobStore' | 'databaseUrl'>): 'files' | 'database' {
  return c.blobStore === 'auto' ? (c.databaseUrl !== undefined ? 'database' : 'files') : c.blobStore;
}

/** Open the configured store with the data key (refusing to start without one outside demo mode). */
export async function openServices(config: Config, engine: (c: Config) => Promise<FaceEngine>, clock?: Clock): Promise<Services> {
  const key = loadDataKey({ key: config.key, keyFile: config.keyFile, demo: config.demo, home: config.home });
  const store = await openStore({ home: config.home, databaseUrl: config.databaseUrl });
  const inDatabase = blobStoreKind(config) === 'database';
  return createServices({ config, store, key, engine: () => engine(config), ...(clock ? { clock } : {}), ...(inDatabase ? { blobs: databaseBlobs() } : {}) });
}

