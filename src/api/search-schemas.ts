/** Request and response schemas of retrospective search (they also produce its part of /openapi.json). */
import { z } from '@hono/zod-openapi';
import { ACCESS_CLASSES } from '../search/model.ts';

export const GalleryInputSchema = z
  .object({
    name: z.string().min(2).max(63).openapi({ description: 'lower-case letters, digits, - and _' }),
    accessClass: z.enum(ACCESS_CLASSES).openapi({ description: 'LOCAL (e.g. custody images) or RESTRICTED (e.g. passport images held by another body)' }),
    description: z.string().min(5).max(2000),
  })
  .strict()
  .openapi('GalleryInput');

export const GallerySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    accessClass: z.enum(ACCESS_CLASSES),
    description: z.string(),
    engineId: z.string().nullable(),
    revision: z.number(),
    createdAt: z.string(),
    retiredAt: z.string().nullable().openapi({ description: 'When the gallery was retired (its templates destroyed); null while in use' }),
    retiredReason: z.string().nullable(),
    counts: z.record(z.string(), z.number()).optional().openapi({ description: 'Items by status: ENROLLED, FTA, BAD, REMOVED' }),
  })
  .openapi('Gallery');

export const SearchInputSchema = z
  .object({
    gallery: z.string().min(1).max(100),
    probeBase64: z.string().min(1).openapi({ description: 'The probe image (JPEG/PNG/WebP), base64' }),
    caseRef: z.string().max(200).optional().openapi({ description: 'Required by the gate: a search without it is refused (and counted)' }),
    offence: z.string().max(100).optional().openapi({ description: 'Required by the gate: a code from the configured list of serious offences' }),
    top: z.number().int().min(1).max(1000).optional().openapi({ description: 'Candidates to return (default 20)' }),
    face: z.number().int().min(1).max(1000).optional().openapi({ description: 'Which face of the probe (1 = largest); required when it shows several' }),
    authorityId: z.string().max(100).optional().openapi({ description: 'A granted authority, for a RESTRICTED gallery' }),
  })
  .strict()
  .openapi('SearchInput');

const CandidateSchema = z.object({ rank: z.number(), score: z.number(), subjectKey: z.string(), sourceRef: z.string(), itemId: z.string() }).openapi('Candidate');

export const SearchOutcomeSchema = z
  .object({
    id: z.string(),
    status: z.enum(['RELEASED', 'WITHHELD']),
    notice: z.string().openapi({ description: 'Candidates are leads for a person to review, not identifications' }),
    mode: z.literal('investigation'),
    caseRef: z.string(),
    offence: z.string(),
    gallery: z.object({ name: z.string(), accessClass: z.enum(ACCESS_CLASSES), size: z.number() }),
    probe: z.object({ faces: z.number(), chosen: z.number() }),
    top: z.number(),
    candidates: z.array(CandidateSchema).nullable().openapi({ description: 'Null while withheld and after the retention period' }),
    reviews: z.object({ required: z.number(), done: z.number() }).nullable(),
    searchedBy: z.string(),
    createdAt: z.string(),
    retainUntil: z.string().nullable(),
    purgedAt: z.string().nullable(),
  })
  .openapi('SearchOutcome');

export const SearchSummarySchema = z
  .object({
    id: z.string(),
    caseRef: z.string(),
    offence: z.string(),
    gallery: z.string(),
    accessClass: z.enum(ACCESS_CLASSES),
    status: z.enum(['RELEASED', 'WITHHELD']),
    reviews: z.object({ required: z.number(), done: z.number() }).nullable().openapi({ description: 'RESTRICTED only: reviews done and required before release' }),
    searchedBy: z.string(),
    searchedByUsername: z.string().nullable().openapi({ description: "The searcher's username, as the audit trail names them" }),
    createdAt: z.string(),
    purgedAt: z.string().nullable(),
  })
  .openapi('SearchSummary', { description: 'A search in a worklist, without its candidates (reading them is GET /api/v1/searches/{id}, audited)' });

export const SearchWorklistSchema = z
  .object({
    mine: z.array(SearchSummarySchema).openapi({ description: "The caller's own searches (not the refusals), newest first, at most 50 (INVESTIGATOR)" }),
    toReview: z.array(SearchSummarySchema).openapi({ description: 'Withheld RESTRICTED results of others the caller has not reviewed yet, newest first (search.review)' }),
  })
  .openapi('SearchWorklist');

export const OffencesSchema = z.object({ offences: z.array(z.string()).openapi({ description: 'The configured serious-offence codes' }) }).openapi('SearchOffences');

export const AuthorityRequestSchema = z
  .object({
    gallery: z.string().min(1).max(100),
    caseRef: z.string().max(200),
    offence: z.string().max(100),
    justification: z.string().max(8000).openapi({ description: 'Written public-interest justification' }),
  })
  .strict()
  .openapi('SearchAuthorityRequest');

export const AuthoritySchema = z
  .object({
    id: z.string(),
    caseRef: z.string(),
    galleryId: z.string(),
    offence: z.string(),
    justification: z.string(),
    requestedBy: z.string(),
    requestedAt: z.string(),
    authorisedBy: z.string().nullable(),
    authorisedAt: z.string().nullable(),
    authorityNote: z.string().nullable(),
    usedBySearch: z.string().nullable(),
  })
  .openapi('SearchAuthority');

const AuthorityListingSchema = AuthoritySchema.extend({ requestedByUsername: z.string().nullable().openapi({ description: "The requester's username, as the audit trail names them" }) }).openapi('SearchAuthorityListing');

export const AuthorityWorklistSchema = z
  .object({
    mine: z.array(AuthorityListingSchema).openapi({ description: 'Authorities the caller asked for, newest first (INVESTIGATOR)' }),
    toAuthorise: z.array(AuthorityListingSchema).openapi({ description: "Others' requests not yet granted, newest first (AUTHORISING_OFFICER)" }),
  })
  .openapi('SearchAuthorityWorklist');

export const SearchReportSchema = z
  .object({
    generatedAt: z.string(),
    perGallery: z.array(z.object({ gallery: z.string(), accessClass: z.string().nullable(), searches: z.number(), released: z.number(), withheld: z.number(), refused: z.number() })),
    perMonth: z.array(z.object({ month: z.string(), gallery: z.string(), accessClass: z.string().nullable(), searches: z.number(), refused: z.number(), refusals: z.record(z.string(), z.number()) })),
    totals: z.object({ searches: z.number(), refused: z.number() }),
  })
  .openapi('SearchReport');

export const GalleryRetireInputSchema = z.object({ reason: z.string().min(1).max(2000) }).strict().openapi('GalleryRetireInput');

export const GalleryRetiredSchema = z
  .object({ gallery: z.string(), items: z.number(), templates: z.number(), retiredAt: z.string() })
  .openapi('GalleryRetired');

export const GalleryRemovalInputSchema = z
  .object({
    subjectKey: z.string().min(1).max(500).optional(),
    sourceRef: z.string().min(1).max(1000).optional(),
    reason: z.string().min(1).max(2000),
  })
  .strict()
  .openapi('GalleryRemovalInput');

export const GalleryRemovalSchema = z
  .object({
    removed: z.number(),
    templates: z.number(),
    items: z.array(z.object({ id: z.string(), sourceRef: z.string(), subjectKey: z.string() })),
  })
  .openapi('GalleryRemoval');
