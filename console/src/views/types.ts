/**
 * Shapes of the API's responses (see /api/docs): the server's own domain types, as JSON (dates are
 * ISO strings). Type-only imports: nothing of the server is bundled into the console.
 */
import type {
  Alert as AlertRecord,
  AuditRecord,
  Deployment as DeploymentRecord,
  Rank,
  User as UserRecord,
  WatchlistEntry,
} from '../../../src/governance/model.ts';
import type { Gallery as GalleryRecord, ProbeFace, SearchAuthorityListing as AuthorityRecord, SearchOutcome as OutcomeRecord, SearchSummary as SummaryRecord } from '../../../src/search/model.ts';

/** What JSON makes of a record: Date fields become ISO strings. */
type AsJson<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

export type Deployment = AsJson<DeploymentRecord>;
export type Entry = AsJson<WatchlistEntry>;
export type User = AsJson<UserRecord>;
export type { Rank };
export type AuditEntry = AuditRecord;
/** An alert; one fetched on its own also carries the watchlist entry's reason and legal basis. */
export type Alert = AsJson<AlertRecord> & { reason?: string | null; legalBasis?: string | null };

export type Gallery = AsJson<GalleryRecord> & { counts?: Record<string, number> };
export type SearchOutcome = AsJson<OutcomeRecord>;
export type SearchSummary = AsJson<SummaryRecord>;
export type SearchAuthority = AsJson<AuthorityRecord>;
export type { ProbeFace };

export interface CameraCounters {
  framesDecoded?: number;
  framesAnalysed?: number;
  framesDropped?: number;
  facesDetected?: number;
  tracks?: number;
  alerts?: number;
  sourceFramesDropped?: number;
  /** connecting, up, down (being retried), ended, failed (restarting), stopped */
  state?: string;
  reason?: string;
  since?: string;
  reconnects?: number;
  restarts?: number;
}

export interface LiveStatus {
  running: boolean;
  startedAt: string | null;
  cameras: Record<string, CameraCounters>;
  pending: number | null;
}
