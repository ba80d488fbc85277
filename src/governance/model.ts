/** Domain vocabulary of the governance core: roles, ranks, watchlist categories, records, principals. */
import type { ReferenceCheck } from './reference-check.ts';

export const ROLES = ['ADMIN', 'AUTHORISING_OFFICER', 'WATCHLIST_MANAGER', 'OPERATOR', 'ENGAGEMENT_OFFICER', 'AUDITOR', 'INVESTIGATOR'] as const;
export type Role = (typeof ROLES)[number];

/** Police ranks, lowest first, with the Metropolitan Police equivalents at the same level. */
export const RANK_LEVEL = {
  CONSTABLE: 1,
  SERGEANT: 2,
  INSPECTOR: 3,
  CHIEF_INSPECTOR: 4,
  SUPERINTENDENT: 5,
  CHIEF_SUPERINTENDENT: 6,
  COMMANDER: 7,
  ASSISTANT_CHIEF_CONSTABLE: 7,
  DEPUTY_ASSISTANT_COMMISSIONER: 8,
  DEPUTY_CHIEF_CONSTABLE: 8,
  ASSISTANT_COMMISSIONER: 9,
  CHIEF_CONSTABLE: 9,
  DEPUTY_COMMISSIONER: 10,
  COMMISSIONER: 11,
} as const;
export type Rank = keyof typeof RANK_LEVEL;
export const RANKS = Object.keys(RANK_LEVEL) as [Rank, ...Rank[]];
/** The lowest rank that may authorise a deployment. */
export const AUTHORITY_MIN_RANK: Rank = 'SUPERINTENDENT';

/** The closed list of watchlist categories. There is deliberately no catch-all. */
export const CATEGORIES = ['WANTED_BY_COURT', 'WANTED_BY_POLICE_SUSPECT', 'BAIL_OR_COURT_ORDER', 'MISSING_AT_RISK', 'RISK_OF_HARM'] as const;
export type Category = (typeof CATEGORIES)[number];

export const DEPLOYMENT_STATES = ['DRAFT', 'AUTHORISED', 'LIVE', 'CLOSED', 'CANCELLED'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  rank: Rank | null;
  disabled: boolean;
  createdAt: Date;
  createdBy: string | null;
}

/** Who is acting: a logged-in person, or a named part of the system (the sweep, the live pipeline). */
export type Principal = { kind: 'user'; user: User } | { kind: 'system'; name: string };

export function actorOf(p: Principal): string {
  return p.kind === 'user' ? `user:${p.user.username}` : `system:${p.name}`;
}

export const SYSTEM_SWEEP: Principal = { kind: 'system', name: 'retention-sweep' };

export interface Location {
  name: string;
  /** Why watchlist subjects are expected there (the necessity case for this place). */
  reason: string;
}

export interface Deployment {
  id: string;
  name: string;
  purpose: string;
  useCase: string;
  locations: Location[];
  cameras: string[];
  startsAt: Date;
  endsAt: Date;
  threshold: number;
  dpiaRef: string;
  policyRefs: string[];
  state: DeploymentState;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** Everyone who drafted or edited the drafting fields (none of them may authorise it). */
  editors: string[];
  publicNoticeBy: string | null;
  publicNoticeAt: Date | null;
  publicNoticeNote: string | null;
  requestedBy: string | null;
  requestedAt: Date | null;
  authorisedBy: string | null;
  authorisedAt: Date | null;
  authorityNote: string | null;
  liveBy: string | null;
  liveAt: Date | null;
  engineId: string | null;
  floor: number | null;
  floorSource: string | null;
  closedBy: string | null;
  closedAt: Date | null;
  closeReason: string | null;
  watchlistFrozenAt: Date | null;
  watchlistDestroyedAt: Date | null;
}

export interface EnrolmentQuality {
  faces: number;
  interEyePx: number;
  yawDeg: number;
  pitchDeg: number;
  sharpness: number;
  detectorScore: number;
}

export interface WatchlistEntry {
  id: string;
  deploymentId: string;
  subjectRef: string;
  category: Category;
  reason: string | null;
  grounds: string | null;
  legalBasis: string | null;
  imageSource: string | null;
  captureDate: string | null;
  under18: boolean | null;
  riskRationale: string | null;
  quality: EnrolmentQuality | null;
  /** The reference check at enrolment (src/governance/reference-check.ts); null once destroyed, or for entries enrolled before it existed. */
  referenceCheck: ReferenceCheck | null;
  enrolledBy: string;
  enrolledAt: Date;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  destroyedAt: Date | null;
}

export interface Calibration {
  id: string;
  engineId: string;
  datasetFingerprint: string;
  createdAt: Date;
  threshold: number;
  figures: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  reason: string;
  details: string;
  prevHash: string;
  hash: string;
}

/** The clock port: services never call Date.now() directly, so tests drive time. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export const ALERT_STATUSES = ['PENDING', 'DISMISSED', 'ENGAGED', 'CLOSED'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const OPERATOR_DECISIONS = ['DISMISS', 'ENGAGE'] as const;
export type OperatorDecision = (typeof OPERATOR_DECISIONS)[number];
export const OUTCOMES = ['IDENTITY_CONFIRMED', 'NOT_THE_PERSON', 'ARRESTED', 'NO_FURTHER_ACTION'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A possible match, waiting for (or carrying) a person's decision. Never an identification. */
export interface Alert {
  id: string;
  deploymentId: string;
  camera: string;
  trackId: number;
  entryId: string;
  subjectRef: string;
  category: Category;
  priority: 'HIGH' | 'NORMAL';
  score: number;
  threshold: number;
  videoTimeSec: number;
  shotsFused: number;
  createdAt: Date;
  status: AlertStatus;
  operatorId: string | null;
  operatorDecision: OperatorDecision | null;
  operatorNote: string | null;
  operatorAt: Date | null;
  outcome: Outcome | null;
  outcomeBy: string | null;
  outcomeNote: string | null;
  outcomeAt: Date | null;
  biometricsDeletedAt: Date | null;
}

/** Per-camera counters of a deployment: all that survives of the faces that matched no one. */
export interface LiveCounterRow {
  deploymentId: string;
  camera: string;
  framesDecoded: number;
  framesAnalysed: number;
  framesDropped: number;
  facesDetected: number;
  tracks: number;
  alerts: number;
  updatedAt: Date;
}

export const SYSTEM_LIVE: Principal = { kind: 'system', name: 'live-pipeline' };
