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
import { startEventBridge } from '../store/event-bridge.ts';
import { loadDataKey, type DataKey } from '../store/crypto.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { secureHome } from '../store/home.ts';
import { checkStoreKey } from './store-key.ts';
import type { AuditFilter } from '../store/repositories/audit.ts';
import { isOpenLfrError } from '../errors.ts';
import { requirePermission } from './access.ts';
import { AuditTrail, type AuditAnchor, type VerifyReport } from './audit-trail.ts';
import type { GovernanceDeps } from './deps.ts';
import { DeploymentService } from './deployments.ts';
import type { CameraSourceService } from './camera-sources.ts';
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

/** The statuses of a refusal (not: 401 not logged in, 404 not found, 429 throttled, 5xx failures). */
const REFUSAL_STATUSES = new Set([400, 403, 409, 413, 422]);

export class AuditService {
  constructor(private readonly d: Pick<GovernanceDeps, 'store' | 'audit'>) {}
  async list(p: Principal, f: AuditFilter): Promise<AuditRecord[]> {
    requirePermission(p, 'audit.read');
    return this.d.audit.find(this.d.store.db, f);
  }
  /**
   * Record a refusal that no service recorded (issue 14, item 13): a request that failed its schema (an
   * unknown category), a wrong role, a frozen watchlist. Called by the API and the CLI at their boundary for
   * every refused request of a logged-in person; a refusal already in the trail (`audited`) is not recorded
   * twice. Not recorded: failed logins (audited as `auth.failed`), not found, and internal errors.
   */
  async recordRefusal(p: Principal | undefined, action: string, target: string, err: unknown): Promise<void> {
    if (!p || !isOpenLfrError(err) || err.audited || !REFUSAL_STATUSES.has(err.status) || err.code === 'AUTH_FAILED') return;
    await this.d.store.tx((_r, tx) =>
      this.d.audit.append(tx, { actor: actorOf(p), action: `${action}.refused`, target: target.slice(0, 300), reason: err.message.slice(0, 2000), details: { code: err.code } }),
    );
    err.audited = true;
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
  /** The ADMIN's allow-list of camera stream hosts, the media-root check, sealed camera credentials. */
  cameraSources: CameraSourceService;
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
      loginLimits: { maxFailures: o.config.governance.loginMaxFailures, windowMinutes: 15, lockMinutes: o.config.governance.loginLockMinutes, maxSourceFailures: o.config.governance.loginMaxSourceFailures },
    }),
    deployments,
    cameraSources: deployments.cameras,
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
  const inDatabase = blobStoreKind(config) === 'database';
  const given = config.key !== undefined || config.keyFile !== undefined;
  // without demo mode a missing key is refused (KEY_MISSING) before anything is touched; a demo key is made only
  // once the store is known to be a demo store (checkStoreKey)
  const key = given || !config.demo ? loadDataKey({ key: config.key, keyFile: config.keyFile, demo: false, home: config.home }) : () => loadDataKey({ demo: true, home: config.home });
  // the home holds the embedded database, sealed files or a demo key: its owner's only (STORE_PERMISSIONS)
  secureHome(config.home, { create: config.databaseUrl === undefined || !inDatabase || config.demo });
  const store = await openStore({ home: config.home, databaseUrl: config.databaseUrl });
  let checked: DataKey;
  try {
    checked = await checkStoreKey({ store, audit: new AuditTrail(clock ?? systemClock), clock: clock ?? systemClock, home: config.home, demo: config.demo, key });
  } catch (e) {
    await store.close();
    throw e;
  }
  const services = createServices({ config, store, key: checked, engine: () => engine(config), ...(clock ? { clock } : {}), ...(inDatabase ? { blobs: databaseBlobs() } : {}) });
  if (!config.databaseUrl) return services;
  // a PostgreSQL store may be shared by several servers: their push channels see each other's events
  try {
    const bridge = await startEventBridge(config.databaseUrl, services.events, services.live.serverId);
    const close = services.close.bind(services);
    services.close = async () => {
      await services.live.stopAll(); // stopping cameras announces their state to the other servers first
      await bridge.close();
      await close();
    };
  } catch (e) {
    await services.close();
    throw e;
  }
  return services;
}

