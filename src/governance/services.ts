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
import { isOpenLfrError, OpenLfrError } from '../errors.ts';
import { requirePermission } from './access.ts';
import { AuditTrail, type AuditAnchor, type VerifyReport } from './audit-trail.ts';
import { refuse, type GovernanceDeps } from './deps.ts';
import { requiredText } from './required-text.ts';
import { DeploymentService } from './deployments.ts';
import type { CameraSourceService } from './camera-sources.ts';
import { actorOf, systemClock, type AuditRecord, type Calibration, type CalibrationState, type Clock, type Principal } from './model.ts';
import { argon2id, type PasswordHasher } from './passwords.ts';
import { calibratedFloor, pairThresholdAt1e3, type ThresholdFloor } from './threshold-floor.ts';
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
    return this.d.audit.verifyStore(this.d.store.db, anchors);
  }
}

/** What a calibration was measured on: the minimum sample and FPIR target are checked before it is recorded. */
export interface CalibrationSample {
  /** The FPIR target the floor was chosen for. */
  fpirTarget: number;
  /** Watchlist subjects (identities enrolled) in the evaluation. */
  subjects: number;
  /** Non-mated searches made (people on no watchlist, searched). */
  nonMatedSearches: number;
}

export interface CalibrationInput {
  engineId: string;
  datasetFingerprint: string;
  threshold: number;
  figures: Record<string, unknown>;
  sample: CalibrationSample;
}

/** The loosest FPIR target a recorded floor may be chosen for (1 false alert in 100 searches of people on no watchlist). */
export const CALIBRATION_MAX_FPIR_TARGET = 1e-2;
/** The fewest watchlist subjects an evaluation that sets the floor may have. */
export const CALIBRATION_MIN_SUBJECTS = 50;
/** The fewest non-mated searches: enough to show the FPIR target (the rule of three: n >= 3 / target; 300 at 1e-2). */
export const calibrationMinNonMated = (fpirTarget: number): number => Math.ceil(3 / fpirTarget - 1e-9);

export class CalibrationService {
  constructor(private readonly d: Pick<GovernanceDeps, 'store' | 'audit' | 'clock' | 'floor' | 'config' | 'events' | 'biometrics' | 'key' | 'engine'>) {}

  /** Refuse anyone but a named person with the role, an FPIR target too loose, or a sample too small to set a floor. */
  private recordable(p: Principal, sample: CalibrationSample): void {
    if (p.kind !== 'user') throw new OpenLfrError('FORBIDDEN', `A calibration is recorded by a named person (--as), not by system:${p.name}`);
    requirePermission(p, 'calibration.write');
    const { fpirTarget, subjects, nonMatedSearches } = sample;
    if (!(Number.isFinite(fpirTarget) && fpirTarget > 0 && fpirTarget <= CALIBRATION_MAX_FPIR_TARGET))
      throw new OpenLfrError('CALIBRATION_TARGET_TOO_LOOSE', `A floor is recorded only for an FPIR target of at most ${CALIBRATION_MAX_FPIR_TARGET} (got ${fpirTarget}): a looser target lets more innocent people be stopped`, {
        fpirTarget,
        max: CALIBRATION_MAX_FPIR_TARGET,
      });
    const minNonMated = calibrationMinNonMated(fpirTarget);
    if (!Number.isFinite(subjects) || !Number.isFinite(nonMatedSearches) || subjects < CALIBRATION_MIN_SUBJECTS || nonMatedSearches < minNonMated)
      throw new OpenLfrError(
        'CALIBRATION_SAMPLE_TOO_SMALL',
        `A floor is recorded only from at least ${CALIBRATION_MIN_SUBJECTS} watchlist subjects and ${minNonMated} non-mated searches (3 / FPIR target ${fpirTarget}); this evaluation had ${subjects} subjects and ${nonMatedSearches} non-mated searches`,
        { subjects, nonMatedSearches, minSubjects: CALIBRATION_MIN_SUBJECTS, minNonMatedSearches: minNonMated },
      );
  }

  /** Before an evaluation is run for --record: a named person with the role, and an FPIR target tight enough (refusals audited). */
  async preflight(p: Principal, engineId: string, fpirTarget: number): Promise<void> {
    try {
      this.recordable(p, { fpirTarget, subjects: CALIBRATION_MIN_SUBJECTS, nonMatedSearches: calibrationMinNonMated(Math.min(Math.max(fpirTarget, 1e-9), 1)) });
    } catch (e) {
      return refuse(this.d, p, 'calibration.record', `engine:${engineId}`, e);
    }
  }

  /** After the evaluation, before anything else is said about its figures: the sample it was measured on (refusals audited). */
  async checkSample(p: Principal, engineId: string, sample: CalibrationSample): Promise<void> {
    try {
      this.recordable(p, sample);
    } catch (e) {
      return refuse(this.d, p, 'calibration.record', `engine:${engineId}`, e);
    }
  }

  /**
   * Record a measured floor for an engine (`openlfr evaluate --record`, by a named ADMIN). It takes effect at
   * once when it raises or keeps the floor and the reference bar; one that lowers either stays PENDING until
   * a second named person (an AUTHORISING_OFFICER) approves it. Refusals are audited.
   */
  async record(p: Principal, c: CalibrationInput): Promise<Calibration> {
    try {
      this.recordable(p, c.sample);
      if (!(Number.isFinite(c.threshold) && c.threshold > 0 && c.threshold < 1)) throw new OpenLfrError('BAD_REQUEST', `The floor must be a score between 0 and 1 (got ${c.threshold})`);
    } catch (e) {
      return refuse(this.d, p, 'calibration.record', `engine:${c.engineId}`, e);
    }
    const current = await this.d.floor.floorFor(c.engineId);
    const bar = await this.d.floor.referenceBarFor(c.engineId);
    const newBar = pairThresholdAt1e3(c.figures) ?? this.d.config.governance.referenceMatchMinDefault;
    const lowers: string[] = [];
    if (c.threshold < current.floor) lowers.push(`the floor from ${current.floor} to ${c.threshold}`);
    if (newBar < bar.bar) lowers.push(`the reference bar from ${bar.bar} to ${newBar}`);
    const rec: Calibration = {
      id: `cal_${randomUUID()}`,
      engineId: c.engineId,
      datasetFingerprint: c.datasetFingerprint,
      threshold: c.threshold,
      figures: { ...c.figures, sample: c.sample },
      createdAt: this.d.clock.now(),
      status: lowers.length ? 'PENDING' : 'ACTIVE',
      recordedBy: (p as Extract<Principal, { kind: 'user' }>).user.username,
      approvedBy: null,
      approvedAt: null,
      decisionReason: null,
    };
    await this.d.store.tx(async (r, tx) => {
      await r.calibrations.insert(rec);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: 'calibration.record',
        target: `calibration:${rec.id}`,
        reason: lowers.length ? `measured floor for ${c.engineId}; pending a second person's approval: it lowers ${lowers.join(' and ')}` : `measured floor for ${c.engineId}`,
        details: { engineId: c.engineId, threshold: c.threshold, datasetFingerprint: c.datasetFingerprint, status: rec.status, previousFloor: current.floor, referenceBar: newBar, previousReferenceBar: bar.bar, sample: c.sample },
        state: [{ table: 'calibrations', id: rec.id }],
      });
    });
    return rec;
  }

  /** A second named person approves (or rejects) a PENDING calibration; never the person who recorded it. Audited, refusals too. */
  async decide(p: Principal, id: string, decision: 'APPROVE' | 'REJECT', reason: string): Promise<Calibration> {
    const cal = await this.d.store.repos.calibrations.byId(id);
    try {
      requirePermission(p, 'calibration.approve');
      if (!cal) throw new OpenLfrError('NOT_FOUND', `No calibration ${id}`);
      if (p.kind !== 'user') throw new OpenLfrError('FORBIDDEN', 'A calibration is approved by a named person');
      if (cal.recordedBy !== null && cal.recordedBy === p.user.username)
        throw new OpenLfrError('CALIBRATION_SELF_APPROVAL', `${p.user.username} recorded calibration ${id}: a second person must approve or reject it`);
      if (cal.status !== 'PENDING') throw new OpenLfrError('CALIBRATION_NOT_PENDING', `Calibration ${id} is ${cal.status}, not pending approval`, { status: cal.status });
      reason = requiredText(reason, 'reason', { min: 10, what: 'say why (it is recorded in the audit trail)' });
    } catch (e) {
      return refuse(this.d, p, `calibration.${decision === 'APPROVE' ? 'approve' : 'reject'}`, `calibration:${id}`, e);
    }
    const user = (p as Extract<Principal, { kind: 'user' }>).user.username;
    const now = this.d.clock.now();
    const status = decision === 'APPROVE' ? 'ACTIVE' : 'REJECTED';
    const floorBefore = (await this.d.floor.floorFor(cal!.engineId)).floor;
    await this.d.store.tx(async (r, tx) => {
      if (!(await r.calibrations.decide(id, { status, approvedBy: user, approvedAt: now, decisionReason: reason })))
        throw new OpenLfrError('CALIBRATION_NOT_PENDING', `Calibration ${id} was decided meanwhile`);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: decision === 'APPROVE' ? 'calibration.approve' : 'calibration.reject',
        target: `calibration:${id}`,
        reason,
        details: { engineId: cal!.engineId, threshold: cal!.threshold, recordedBy: cal!.recordedBy, status, floorBefore },
        state: [{ table: 'calibrations', id }],
      });
    });
    return { ...cal!, status, approvedBy: user, approvedAt: now, decisionReason: reason };
  }

  async list(p: Principal, status: CalibrationState | null = null, limit = 100): Promise<Calibration[]> {
    requirePermission(p, 'calibration.read');
    return this.d.store.repos.calibrations.list(status, limit);
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
    // once, after migration 0022 on a store that had rows: record their state so later SQL edits are found
    await new AuditTrail(clock ?? systemClock).baselineIfDue(store);
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

