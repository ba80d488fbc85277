/** Vocabulary of retrospective search: galleries, gallery items, searches, authorities, reviews. */

export const ACCESS_CLASSES = ['LOCAL', 'RESTRICTED'] as const;
/** LOCAL: the force's own images (custody). RESTRICTED: images held by another body (passports). */
export type AccessClass = (typeof ACCESS_CLASSES)[number];

export interface Gallery {
  id: string;
  name: string;
  accessClass: AccessClass;
  description: string;
  engineId: string | null;
  revision: number;
  createdBy: string;
  createdAt: Date;
  /** When the gallery was retired (its templates destroyed), and why; null while in use. */
  retiredAt: Date | null;
  retiredReason: string | null;
}

/** REMOVED: taken out of the gallery (its template destroyed); the row stays so a re-import skips the image. */
export type ItemStatus = 'ENROLLED' | 'FTA' | 'BAD' | 'REMOVED';

export interface GalleryItem {
  id: string;
  galleryId: string;
  /** sha256 of the image file's bytes: the de-duplication and resume key. */
  contentHash: string;
  /** Where the image came from (path relative to the imported folder): the reference a reviewer follows. */
  sourceRef: string;
  /** The person the image belongs to as the source system files it (the folder, else the file stem). */
  subjectKey: string;
  status: ItemStatus;
  faces: number | null;
  problem: string | null;
  createdAt: Date;
  removedAt?: Date | null;
  removedReason?: string | null;
}

export interface SearchAuthority {
  id: string;
  caseRef: string;
  galleryId: string;
  offence: string;
  justification: string;
  requestedBy: string;
  requestedAt: Date;
  authorisedBy: string | null;
  authorisedAt: Date | null;
  authorityNote: string | null;
  usedBySearch: string | null;
}

export type SearchStatus = 'RELEASED' | 'WITHHELD' | 'REFUSED';

export interface Candidate {
  rank: number;
  score: number;
  subjectKey: string;
  sourceRef: string;
  itemId: string;
}

export interface SearchRecord {
  id: string;
  caseRef: string | null;
  offence: string | null;
  galleryName: string;
  galleryId: string | null;
  accessClass: AccessClass | null;
  searchedBy: string;
  createdAt: Date;
  status: SearchStatus;
  refusalCode: string | null;
  refusalReason: string | null;
  authorityId: string | null;
  topK: number | null;
  facesInProbe: number | null;
  faceChosen: number | null;
  gallerySize: number | null;
  result: Candidate[] | null;
  releasedAt: Date | null;
  retainUntil: Date | null;
  purgedAt: Date | null;
  /** Keyed hash of the probe file (migration 0019): which LOCAL searches a RESTRICTED one follows. Null for refusals. */
  probeKey: string | null;
}

/** A search as a worklist shows it: who, what, where and its state; never its candidates. */
export interface SearchListing {
  id: string;
  caseRef: string;
  offence: string;
  galleryName: string;
  accessClass: AccessClass;
  status: 'RELEASED' | 'WITHHELD';
  searchedBy: string;
  /** The searcher's username (as the audit trail names them), null for a system principal. */
  searchedByUsername: string | null;
  createdAt: Date;
  purgedAt: Date | null;
  reviewsDone: number;
}

/** An authority in a worklist, with the requester's username (as the audit trail names them). */
export type SearchAuthorityListing = SearchAuthority & { requestedByUsername: string | null };

export interface ProbeFace {
  face: number;
  box: { x: number; y: number; width: number; height: number };
  detectorScore: number;
  interEyePx: number;
}

export interface SearchOutcome {
  id: string;
  status: 'RELEASED' | 'WITHHELD';
  /** Says plainly what the candidates are (and are not). */
  notice: string;
  mode: 'investigation';
  caseRef: string;
  offence: string;
  gallery: { name: string; accessClass: AccessClass; size: number };
  probe: { faces: number; chosen: number };
  top: number;
  /** Null while withheld (RESTRICTED, fewer reviews than required) and after the retention period. */
  candidates: Candidate[] | null;
  reviews: { required: number; done: number } | null;
  searchedBy: string;
  createdAt: Date;
  retainUntil: Date | null;
  purgedAt: Date | null;
}

/** A search in a worklist: its facts and state, never its candidates (so listing is not a read of a result). */
export interface SearchSummary {
  id: string;
  caseRef: string;
  offence: string;
  gallery: string;
  accessClass: AccessClass;
  status: 'RELEASED' | 'WITHHELD';
  /** RESTRICTED only: reviews done and required before release. */
  reviews: { required: number; done: number } | null;
  searchedBy: string;
  searchedByUsername: string | null;
  createdAt: Date;
  /** Set once the retention sweep deleted the probe and the result. */
  purgedAt: Date | null;
}

export interface SearchReview {
  searchId: string;
  reviewer: string;
  note: string;
  at: Date;
}

/** What every search result says, in words, so nobody takes a candidate list for an identification. */
export const LEADS_NOTICE =
  'Investigation mode: these candidates are the most similar faces in the gallery, ranked by score, with no threshold. ' +
  'They are leads for a trained person to review, not identifications; a candidate may be no one connected with the case.';
