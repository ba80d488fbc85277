/**
 * The one error catalogue. Every error OpenLFR raises on purpose has a stable code from this list,
 * an HTTP status for the API, and a message written for the person who has to act on it.
 * Codes never change meaning once released; add new ones at the end of their group.
 */
export const ERRORS = {
  // configuration
  CONFIG_INVALID: { status: 500, summary: 'The configuration is invalid' },
  // image and video input
  IMAGE_EMPTY: { status: 400, summary: 'The image file is empty' },
  IMAGE_UNREADABLE: { status: 400, summary: 'The file is not a readable image (corrupt, truncated or not an image format)' },
  IMAGE_TOO_LARGE: { status: 413, summary: 'The image has more pixels than the configured limit' },
  IMAGE_TOO_SMALL: { status: 422, summary: 'The image is too small to contain a usable face' },
  IMAGE_NO_FACE: { status: 422, summary: 'No face was found in the image' },
  IMAGE_MANY_FACES: { status: 422, summary: 'More than one face was found where exactly one is needed' },
  VIDEO_UNREADABLE: { status: 400, summary: 'The video could not be decoded' },
  // engine
  ENGINE_MODEL_MISSING: { status: 500, summary: 'A model file is missing or does not match its pinned hash' },
  ENGINE_UNKNOWN: { status: 400, summary: 'No engine with that name is available' },
  ENGINE_WORKER_FAILED: { status: 500, summary: 'An engine worker failed' },
  ENGINE_CLOSED: { status: 503, summary: 'The engine has been closed' },
  ENGINE_PROJECTION_INVALID: { status: 500, summary: 'The embedding projection file is missing, unreadable or does not fit the engine' },
  ENGINE_FACE_FOREIGN: { status: 400, summary: 'The face was detected by a different engine' },
  ENGINE_INIT_FAILED: { status: 500, summary: 'The engine could not start (runtime or backend failed to initialise)' },
  ENGINE_INFERENCE_FAILED: { status: 500, summary: 'The engine failed while analysing an image' },
  // template matching (src/match)
  MATCH_DIMENSION_MISMATCH: { status: 400, summary: 'A template has a different number of dimensions from the index' },
  MATCH_VECTOR_INVALID: { status: 400, summary: 'A template is not a finite, non-zero, L2-normalised vector' },
  MATCH_DUPLICATE_ID: { status: 409, summary: 'A template with that id is already in the index' },
  MATCH_BAD_ARGUMENT: { status: 400, summary: 'A search or index argument is out of range' },
  MATCH_CLOSED: { status: 503, summary: 'The matcher has been closed' },
  MATCH_IMPL_UNAVAILABLE: { status: 500, summary: 'The requested matcher implementation cannot be loaded on this machine' },
  // generic request handling
  BAD_REQUEST: { status: 400, summary: 'The request is malformed' },
  NOT_FOUND: { status: 404, summary: 'Not found' },
  UNAUTHENTICATED: { status: 401, summary: 'Not logged in' },
  FORBIDDEN: { status: 403, summary: 'Your role does not allow this' },
  CONFLICT: { status: 409, summary: 'The request conflicts with the current state' },
  RULE_VIOLATION: { status: 422, summary: 'A safeguard rule refuses this' },
  INTERNAL: { status: 500, summary: 'Internal error' },
  SERVER_PORT_IN_USE: { status: 500, summary: 'The HTTP port is already in use' },
  // storage and keys
  STORE_LOCKED: { status: 503, summary: 'The embedded store is in use by another OpenLFR process' },
  STORE_UNAVAILABLE: { status: 503, summary: 'The database could not be opened or reached' },
  KEY_MISSING: { status: 500, summary: 'No data key: biometric data cannot be encrypted' },
  KEY_INVALID: { status: 500, summary: 'The data key is not 32 bytes of base64' },
  BIOMETRIC_UNREADABLE: { status: 500, summary: 'Sealed biometric data could not be opened' },
  // people and sessions
  AUTH_FAILED: { status: 401, summary: 'Wrong username or password, or the account is disabled' },
  AUTH_THROTTLED: { status: 429, summary: 'Too many wrong passwords for this account: logins are refused for a while' },
  // governance rules (each refusal has its own stable code)
  ENROLMENT_REJECTED: { status: 422, summary: 'The image failed the enrolment quality gate' },
  REFERENCE_MISMATCH: { status: 422, summary: "A further photo of a watchlist subject does not match the subject's other photos (a mis-filed image?)" },
  AUTHORITY_RANK: { status: 403, summary: 'Authority needs an authorising officer of Superintendent rank or above' },
  AUTHORITY_SELF: { status: 403, summary: 'The officer who requested a deployment cannot authorise it' },
  REVIEW_SELF: { status: 403, summary: 'An entry must be reviewed by someone other than who enrolled it' },
  DEPLOYMENT_STATE: { status: 409, summary: 'The deployment is not in a state that allows this' },
  NOT_AUTHORISED: { status: 422, summary: 'Go-live refused: the deployment has no authority' },
  OUTSIDE_WINDOW: { status: 422, summary: 'Go-live refused: outside the authorised time window' },
  WATCHLIST_UNREVIEWED: { status: 422, summary: 'Go-live refused: the watchlist has unreviewed entries' },
  WATCHLIST_EMPTY: { status: 422, summary: 'Go-live refused: the watchlist is empty' },
  THRESHOLD_BELOW_FLOOR: { status: 422, summary: 'The match threshold is below the floor for the engine in use' },
  PUBLIC_NOTICE_MISSING: { status: 422, summary: 'Go-live refused: public notice (signage) has not been confirmed' },
  WATCHLIST_ENGINE_MISMATCH: { status: 422, summary: 'Watchlist templates were made by a different engine than the one in use' },
  WATCHLIST_FROZEN: { status: 409, summary: 'The watchlist is frozen (live) or destroyed' },
  // retrospective search: galleries and the gate
  GALLERY_ENGINE_MISMATCH: { status: 422, summary: 'The gallery holds templates from a different engine than the one in use' },
  GALLERY_RETIRED: { status: 409, summary: 'The gallery has been retired: its templates were destroyed; it can no longer be searched or imported into' },
  PROBE_MANY_FACES: { status: 422, summary: 'The probe shows several faces: choose one with --face / face' },
  SEARCH_CASE_REQUIRED: { status: 422, summary: 'Search refused: a case reference is required' },
  SEARCH_OFFENCE_NOT_SERIOUS: { status: 422, summary: 'Search refused: the offence is not on the configured list of serious offences' },
  SEARCH_LOCAL_FIRST: { status: 422, summary: 'Search refused: the LOCAL galleries must be searched for this case first' },
  SEARCH_AUTHORITY_REQUIRED: { status: 403, summary: 'Search refused: a RESTRICTED gallery needs a second person’s authority for this case' },
  SEARCH_JUSTIFICATION_REQUIRED: { status: 422, summary: 'A written public-interest justification is required' },
  SEARCH_RESULT_WITHHELD: { status: 409, summary: 'The result is withheld until the required reviewers have looked at it' },
  // issue 14 (i14a): separation of duties, changes after authority, required text, passwords
  PASSWORD_WEAK: { status: 422, summary: 'The password is too easy to guess (common password, word or pattern)' },
  SEPARATION_OF_DUTIES: { status: 403, summary: 'One person cannot do both steps: a second person must do this one' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class OpenLfrError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].summary, options);
    this.name = 'OpenLfrError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isOpenLfrError(e: unknown): e is OpenLfrError {
  return e instanceof OpenLfrError;
}

/** Rebuild an error that crossed a worker_threads boundary (structured clone drops the class). */
export function reviveError(raw: unknown): Error {
  if (raw && typeof raw === 'object' && 'code' in raw && typeof (raw as { code: unknown }).code === 'string') {
    const r = raw as { code: string; message?: string; details?: Record<string, unknown> };
    if (r.code in ERRORS) return new OpenLfrError(r.code as ErrorCode, r.message, r.details);
  }
  if (raw instanceof Error) return raw;
  return new OpenLfrError('INTERNAL', String(raw));
}

export function serialiseError(e: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (isOpenLfrError(e)) return e.toJSON();
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
