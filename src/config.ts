/**
 * One typed configuration, validated once at start. Every value has a documented default; the
 * environment overrides the defaults, and nothing else reads process.env for settings.
 */
import { availableParallelism, homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { OpenLfrError } from './errors.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A boolean from the environment: `1`/`true` are true, anything else false. */
const bool = z.preprocess((v) => (typeof v === 'string' ? v === '1' || v === 'true' : v), z.boolean());

export const EngineConfigSchema = z.object({
  /** Which engine adapter runs: `onnx` (default, most accurate) or `human`. */
  name: z.enum(['onnx', 'human']).default('onnx'),
  /** Workers in the shared engine pool; one per core by default. */
  workers: int(1, 64).default(Math.max(1, availableParallelism())),
  /** Workers as threads or child processes; auto = processes for onnx (a native fault costs one worker,
   *  not the server; ~8% slower than threads), threads for human. */
  isolation: z.enum(['auto', 'thread', 'process']).default('auto'),
  /** Scheduling priority (nice) of process workers: above 0, the video decoders and the API come first
   *  when the CPU is short, so a busy engine costs dropped (counted) frames, not a decoder that falls
   *  behind its camera. Threads (the human engine) share the server's priority. */
  workerNice: int(0, 19).default(5),
  /** Folder holding the ONNX model files (see models.lock.json). */
  onnxModelsDir: z.string().default(join(PROJECT_ROOT, 'node_modules', '.openlfr-models', 'faceplugin-0.0.1')),
  /** File names inside onnxModelsDir; a force can point these at models it has licensed. */
  onnxDetector: z.string().default('fr_detect.onnx'),
  onnxLandmarks: z.string().default('fr_landmark.onnx'),
  onnxEmbedder: z.string().default('fr_feature.onnx'),
  /** Average each embedding with that of the mirrored chip (test-time augmentation; doubles embed cost). */
  onnxFlip: bool.default(false),
  /** Fuse dlib's face descriptor (from @vladmandic/face-api) with the ONNX embedding at this weight
   *  (score = (1-w) onnx + w dlib); 0 = off. The accurate profile, about 3x the embedding time; 0.5 was
   *  chosen on the tuning part of lfw-devtrain (docs/accuracy.md). */
  onnxFuseDlib: z.coerce.number().min(0).max(0.9).default(0),
  /** Detection pyramid: 1 = whole frame at the detector's 320x240 only; 2 or 3 = also 2x2 / 3x3 overlapping
   *  windows (finds smaller faces in large frames); auto = the largest grid that does not upscale. */
  detectorGrid: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(4)]).default('auto'),
  /** Folder holding the Human engine's TF.js graph models (blazeface, facemesh, faceres);
   *  empty = the `models/` folder of the installed @vladmandic/human package. */
  humanModelsDir: z.string().default(''),
  /** Minimum detector score for the Human engine. BlazeFace scores run lower than the ONNX detector's
   *  (real faces in group photos score 0.2-0.9), so it has its own threshold; 0.2 is Human's default. */
  humanMinDetectorScore: z.coerce.number().min(0).max(1).default(0.2),
  /** Minimum detector score for a face to be reported. */
  minDetectorScore: z.coerce.number().min(0).max(1).default(0.7),
  /** Largest decoded image accepted, in pixels (decompression-bomb guard). */
  maxImagePixels: int(1, 400_000_000).default(50_000_000),
  /** Largest image file accepted, in bytes. */
  maxImageBytes: int(1, 1_000_000_000).default(50 * 1024 * 1024),
});
export type EngineConfig = z.infer<typeof EngineConfigSchema>;

export const MatchConfigSchema = z.object({
  /** Matcher for galleries: `usearch-exact` (native multi-threaded brute force, the default: exact, and
   *  meets the 100k/1M latency targets), `exact` (the same results in plain TypeScript, ~4x slower) or
   *  `usearch-hnsw` (approximate graph index; lost 5% of mated probes at 100k, see docs/search-scale-out.md).
   *  Live watchlists (a few thousand templates) always use the TypeScript exact matcher. */
  impl: z.enum(['exact', 'usearch-exact', 'usearch-hnsw']).default('usearch-exact'),
  /** Threads for the usearch kernels; one per core by default. */
  threads: int(1, 64).default(Math.max(1, availableParallelism())),
  /** HNSW graph degree (M). */
  hnswConnectivity: int(2, 256).default(16),
  /** HNSW candidate list while building (efConstruction). */
  hnswExpansionAdd: int(1, 4096).default(128),
  /**
   * Threads inserting into the HNSW graph. 1 by default: graphs built on 2 threads lost an exact copy of a
   * template at rank 1 in 7 of 9,000 probes (3,000 x 64-d, 30 builds), single-threaded builds in none
   * (docs/search-scale-out.md). Searches use `threads` either way.
   */
  hnswAddThreads: int(1, 64).default(1),
  /** HNSW candidate list while searching (ef). */
  hnswExpansionSearch: int(1, 4096).default(256),
  /** Precision of the vectors inside the HNSW graph (results are re-scored from float32). */
  hnswQuantization: z.enum(['f32', 'f16', 'i8']).default('f16'),
});
export type MatchConfig = z.infer<typeof MatchConfigSchema>;

export const EvaluateConfigSchema = z.object({
  /** FPIR target of the equitable threshold (see docs/evaluation.md for why 1e-3). */
  fpirTarget: z.coerce.number().gt(0).lt(1).default(1e-3),
  /** Significance level of the corrected equity tests. */
  alpha: z.coerce.number().gt(0).lt(1).default(0.05),
  /** Rate ratio a group's sample must rule out before "no differential" is claimed. */
  equityRatio: z.coerce.number().gt(1).default(2),
});
export type EvaluateConfig = z.infer<typeof EvaluateConfigSchema>;
export const GovernanceConfigSchema = z.object({
  /** Match-threshold floor used when no calibration is recorded for the engine in use (cosine score). */
  thresholdFloorDefault: z.coerce.number().min(-1).max(1).default(0.5),
  /**
   * Reference check at enrolment (src/governance/reference-check.ts): a further photo of a subject already on
   * the watchlist must score at least this against one of the subject's photos, unless the engine's latest
   * calibration gives its pair threshold at FMR 1e-3, which is used instead. 0.34 is that threshold for the
   * default ONNX engine on the train part of lfw-devtrain (bench/reference-check.ts).
   */
  referenceMatchMinDefault: z.coerce.number().min(-1).max(1).default(0.34),
  /** Enrolment quality gate: minimum distance between the eye centres, in pixels. */
  minInterEyePx: z.coerce.number().min(1).default(40),
  /** Enrolment quality gate: largest head yaw / pitch accepted, in degrees. */
  maxYawDeg: z.coerce.number().min(1).max(90).default(25),
  maxPitchDeg: z.coerce.number().min(1).max(90).default(25),
  /** Enrolment quality gate: smallest sharpness (variance of the Laplacian of the aligned chip). */
  minSharpness: z.coerce.number().min(0).default(50),
  /** How long an API session token lives, in hours. */
  sessionHours: z.coerce.number().min(0.01).max(24 * 30).default(12),
  /** Wrong passwords within 15 minutes that lock an account, and for how long (src/governance/login-throttle.ts). */
  loginMaxFailures: int(1, 1000).default(5),
  loginLockMinutes: z.coerce.number().min(0.1).max(24 * 60).default(15),
  /** How often the server sweeps for ended deployments and destroys their watchlists, in seconds. */
  sweepIntervalSec: z.coerce.number().min(1).max(3600).default(60),
});
export type GovernanceConfig = z.infer<typeof GovernanceConfigSchema>;

/**
 * Retention rules (docs/retention-and-transparency.md). Enforced by the retention job that `openlfr serve`
 * runs at start and every governance.sweepIntervalSec; `openlfr retention run` runs it once. The defaults are
 * the safe end: nothing biometric is kept longer than the rule needs. Other parts (retrospective search)
 * add their own keys to this section.
 */
export const RetentionConfigSchema = z.object({
  /** Hours a crop is kept after a negative decision (DISMISSED, or NOT_THE_PERSON / NO_FURTHER_ACTION).
   *  0 = deleted by the next run. Together with the run interval it must stay inside 24 hours. */
  negativeAlertHours: z.coerce.number().min(0).max(23).default(0),
  /** Days a crop is kept after an engagement that confirmed the identity or led to an arrest, or after an
   *  engagement with no recorded outcome, unless it was exported to a case. */
  positiveAlertDays: z.coerce.number().min(0).max(366).default(31),
  /** Days an alert nobody decided is kept after its deployment ended; then its crop is deleted and it is
   *  counted as unjudged. */
  pendingAlertDays: z.coerce.number().min(0).max(31).default(7),
  /** Days the evaluation harness's template cache (sealed templates of a labelled dataset) is kept after it
   *  was last written; then the retention job destroys it (a later evaluation re-embeds). 0 = by the next run. */
  evaluationCacheDays: z.coerce.number().min(0).max(366).default(30),
  /** How often the retention job re-verifies the whole audit chain, in seconds (also at every start). */
  auditVerifyIntervalSec: z.coerce.number().min(1).max(86_400).default(600),
});
export type RetentionConfig = z.infer<typeof RetentionConfigSchema>;
/** Offence codes serious enough to justify a retrospective search (the gate's closed list). */
export const DEFAULT_SERIOUS_OFFENCES = [
  'MURDER',
  'MANSLAUGHTER',
  'ATTEMPTED_MURDER',
  'RAPE',
  'SERIOUS_SEXUAL_ASSAULT',
  'CHILD_SEXUAL_EXPLOITATION',
  'ROBBERY',
  'KIDNAP',
  'TERRORISM',
  'FIREARMS',
  'SERIOUS_VIOLENCE',
  'ARSON_ENDANGERING_LIFE',
  'HUMAN_TRAFFICKING',
  'MODERN_SLAVERY',
] as const;

const codeList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean) : v),
  z.array(z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'offence codes are UPPER_SNAKE_CASE')).min(1),
);

export const SearchConfigSchema = z.object({
  /** Offences for which a retrospective search may run (env: comma-separated codes). */
  seriousOffences: codeList.default([...DEFAULT_SERIOUS_OFFENCES]),
  /** How long a search's probe image and result list are kept with the case, in days. */
  retentionDays: z.coerce.number().min(1).max(36500).default(365),
  /** Candidates returned when --top is not given, and the most that may be asked for. */
  defaultTop: int(1, 1000).default(20),
  maxTop: int(1, 1000).default(100),
  /** Shortest written public-interest justification accepted for a RESTRICTED gallery, in characters. */
  minJustificationChars: int(10, 4000).default(50),
  /** Different reviewers who must look at a RESTRICTED result before it is released to the searcher. */
  reviewersRequired: int(2, 10).default(2),
});
export type SearchConfig = z.infer<typeof SearchConfigSchema>;

export const ConfigSchema = z.object({
  /** The one data directory: database, encrypted blobs, demo keys. Nothing is written elsewhere. */
  home: z.string().default(join(homedir(), '.openlfr')),
  /** Where the shared test and evaluation datasets live. */
  datasets: z.string().default(resolve(PROJECT_ROOT, '..', 'shared', 'datasets')),
  engine: EngineConfigSchema.default(EngineConfigSchema.parse({})),
  match: MatchConfigSchema.default(MatchConfigSchema.parse({})),
  evaluate: EvaluateConfigSchema.default(EvaluateConfigSchema.parse({})),

  /** PostgreSQL server URL; unset = the embedded store under `<home>/db`. */
  databaseUrl: z.string().optional(),
  /**
   * Where sealed biometric blobs (images, crops, probes, evaluation caches) are kept (src/store/sealed-blobs.ts):
   * `files` under `<home>/blobs`, or the `database`; `auto` = the database when DATABASE_URL is set (every server
   * on it sees the same images), files otherwise.
   */
  blobStore: z.enum(['auto', 'files', 'database']).default('auto'),
  /** Data key for biometric data, base64 of 32 bytes (prefer keyFile; never logged). */
  key: z.string().optional(),
  /** File holding the base64 data key. */
  keyFile: z.string().optional(),
  /** Demo mode: a throwaway data key is generated under `<home>/keys/`. Never for real data. */
  demo: bool.default(false),
  governance: GovernanceConfigSchema.default(GovernanceConfigSchema.parse({})),
  retention: RetentionConfigSchema.default(RetentionConfigSchema.parse({})),
  search: SearchConfigSchema.default(SearchConfigSchema.parse({})),
  server: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: int(0, 65535).default(8080),
    })
    .default({ host: '127.0.0.1', port: 8080 }),
}).superRefine((c, ctx) => {
  // a negative decision's crop must be gone within 24 hours: the hold plus one run interval must fit
  if (c.retention.negativeAlertHours * 3600 + c.governance.sweepIntervalSec > 24 * 3600) {
    ctx.addIssue({ code: 'custom', path: ['retention', 'negativeAlertHours'], message: 'with the sweep interval this exceeds the 24-hour limit for deleting negative alerts' });
  }
});
export type Config = z.infer<typeof ConfigSchema>;

/** Environment variables read, and where each one goes. */
const ENV_MAP: Record<string, string[]> = {
  OPENLFR_HOME: ['home'],
  OPENLFR_DATASETS: ['datasets'],
  OPENLFR_ENGINE: ['engine', 'name'],
  OPENLFR_ENGINE_WORKERS: ['engine', 'workers'],
  OPENLFR_ENGINE_ISOLATION: ['engine', 'isolation'],
  OPENLFR_ENGINE_WORKER_NICE: ['engine', 'workerNice'],
  OPENLFR_ONNX_MODELS_DIR: ['engine', 'onnxModelsDir'],
  OPENLFR_ONNX_DETECTOR: ['engine', 'onnxDetector'],
  OPENLFR_ONNX_LANDMARKS: ['engine', 'onnxLandmarks'],
  OPENLFR_ONNX_EMBEDDER: ['engine', 'onnxEmbedder'],
  OPENLFR_ONNX_FLIP: ['engine', 'onnxFlip'],
  OPENLFR_ONNX_FUSE_DLIB: ['engine', 'onnxFuseDlib'],
  OPENLFR_DETECTOR_GRID: ['engine', 'detectorGrid'],
  OPENLFR_HUMAN_MODELS_DIR: ['engine', 'humanModelsDir'],
  OPENLFR_HUMAN_MIN_DETECTOR_SCORE: ['engine', 'humanMinDetectorScore'],
  OPENLFR_MAX_IMAGE_PIXELS: ['engine', 'maxImagePixels'],
  OPENLFR_MATCH_IMPL: ['match', 'impl'],
  OPENLFR_MATCH_THREADS: ['match', 'threads'],
  OPENLFR_HNSW_CONNECTIVITY: ['match', 'hnswConnectivity'],
  OPENLFR_HNSW_EXPANSION_ADD: ['match', 'hnswExpansionAdd'],
  OPENLFR_HNSW_ADD_THREADS: ['match', 'hnswAddThreads'],
  OPENLFR_HNSW_EXPANSION_SEARCH: ['match', 'hnswExpansionSearch'],
  OPENLFR_HNSW_QUANTIZATION: ['match', 'hnswQuantization'],
  OPENLFR_EVAL_FPIR_TARGET: ['evaluate', 'fpirTarget'],
  OPENLFR_EVAL_ALPHA: ['evaluate', 'alpha'],
  OPENLFR_EVAL_EQUITY_RATIO: ['evaluate', 'equityRatio'],
  DATABASE_URL: ['databaseUrl'],
  OPENLFR_BLOB_STORE: ['blobStore'],
  OPENLFR_KEY: ['key'],
  OPENLFR_KEY_FILE: ['keyFile'],
  OPENLFR_DEMO: ['demo'],
  OPENLFR_THRESHOLD_FLOOR: ['governance', 'thresholdFloorDefault'],
  OPENLFR_REFERENCE_MATCH_MIN: ['governance', 'referenceMatchMinDefault'],
  OPENLFR_ENROL_MIN_INTER_EYE_PX: ['governance', 'minInterEyePx'],
  OPENLFR_ENROL_MAX_YAW_DEG: ['governance', 'maxYawDeg'],
  OPENLFR_ENROL_MAX_PITCH_DEG: ['governance', 'maxPitchDeg'],
  OPENLFR_ENROL_MIN_SHARPNESS: ['governance', 'minSharpness'],
  OPENLFR_SESSION_HOURS: ['governance', 'sessionHours'],
  OPENLFR_LOGIN_MAX_FAILURES: ['governance', 'loginMaxFailures'],
  OPENLFR_LOGIN_LOCK_MINUTES: ['governance', 'loginLockMinutes'],
  OPENLFR_SWEEP_INTERVAL_SEC: ['governance', 'sweepIntervalSec'],
  OPENLFR_RETENTION_NEGATIVE_ALERT_HOURS: ['retention', 'negativeAlertHours'],
  OPENLFR_RETENTION_POSITIVE_ALERT_DAYS: ['retention', 'positiveAlertDays'],
  OPENLFR_RETENTION_PENDING_ALERT_DAYS: ['retention', 'pendingAlertDays'],
  OPENLFR_RETENTION_EVALUATION_CACHE_DAYS: ['retention', 'evaluationCacheDays'],
  OPENLFR_AUDIT_VERIFY_INTERVAL_SEC: ['retention', 'auditVerifyIntervalSec'],
  OPENLFR_SERIOUS_OFFENCES: ['search', 'seriousOffences'],
  OPENLFR_SEARCH_RETENTION_DAYS: ['search', 'retentionDays'],
  OPENLFR_SEARCH_DEFAULT_TOP: ['search', 'defaultTop'],
  OPENLFR_SEARCH_MAX_TOP: ['search', 'maxTop'],
  OPENLFR_SEARCH_MIN_JUSTIFICATION: ['search', 'minJustificationChars'],
  OPENLFR_SEARCH_REVIEWERS: ['search', 'reviewersRequired'],
  OPENLFR_HOST: ['server', 'host'],
  OPENLFR_PORT: ['server', 'port'],
};

type Tree = { [k: string]: unknown };

function setPath(target: Tree, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function deepMerge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? deepMerge(out[k] as Tree, v as Tree) : v;
  }
  return out;
}

/** Build and validate the configuration from the environment plus explicit overrides. Throws CONFIG_INVALID. */
export function loadConfig(overrides: Tree = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv: Tree = {};
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(fromEnv, path, v);
  }
  const parsed = ConfigSchema.safeParse(deepMerge(fromEnv, overrides));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new OpenLfrError('CONFIG_INVALID', `Invalid configuration: ${issues.join('; ')}`, { issues });
  }
  return parsed.data;
}
