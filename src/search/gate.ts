/**
 * The gate of retrospective search, as pure rules over facts the service gathers (so each rule is
 * tested on its own with made-up facts, and the API and the CLI obey the same code):
 *  1. a case reference;
 *  2. an offence from the configured list of serious offences;
 *  3. for a RESTRICTED gallery: every LOCAL gallery already searched for the same case, and a
 *     single-use authority, given by an AUTHORISING_OFFICER who is not the searcher, for this case,
 *     this gallery and this searcher, carrying a written public-interest justification.
 * Release of a RESTRICTED result after two reviewers is in `releaseDue`.
 */
import { OpenLfrError } from '../errors.ts';
import { requiredText } from '../governance/required-text.ts';
import type { Gallery, SearchAuthority } from './model.ts';

const CASE_REF = /^[A-Za-z0-9][A-Za-z0-9/_.:-]{2,99}$/;

export function checkCaseRef(raw: string | null | undefined): string {
  const caseRef = (raw ?? '').trim();
  if (!caseRef) throw new OpenLfrError('SEARCH_CASE_REQUIRED', 'A search needs the case reference it is made for (--case / caseRef)');
  if (!CASE_REF.test(caseRef)) {
    throw new OpenLfrError('SEARCH_CASE_REQUIRED', 'The case reference must be 3-100 characters: letters, digits and / _ . : -', { caseRef });
  }
  return caseRef;
}

export function checkOffence(raw: string | null | undefined, serious: readonly string[]): string {
  const offence = (raw ?? '').trim().toUpperCase();
  if (!serious.includes(offence)) {
    throw new OpenLfrError(
      'SEARCH_OFFENCE_NOT_SERIOUS',
      `${offence ? `Offence ${offence} is not one` : 'No offence given; it must be one'} of the serious offences for which a search may run: ${serious.join(', ')}`,
      { offence: offence || null, allowed: [...serious] },
    );
  }
  return offence;
}

export function checkJustification(raw: string | null | undefined, minChars: number): string {
  return requiredText(raw, 'justification', { min: minChars, code: 'SEARCH_JUSTIFICATION_REQUIRED', what: 'a RESTRICTED gallery needs a written public-interest justification', details: { minChars } });
}

export interface RestrictedFacts {
  caseRef: string;
  offence: string;
  gallery: Gallery;
  /** Every LOCAL gallery that holds at least one template. */
  localGalleries: readonly Gallery[];
  /** Ids of the galleries searched (not refused) for this case. */
  searchedForCase: ReadonlySet<string>;
  authorityId: string | null | undefined;
  authority: SearchAuthority | undefined;
  searcherId: string;
  minJustificationChars: number;
}

/** Throws the first RESTRICTED-gallery rule not met. */
export function checkRestricted(f: RestrictedFacts): void {
  if (f.localGalleries.length === 0) {
    throw new OpenLfrError('SEARCH_LOCAL_FIRST', `No LOCAL gallery holds any template, so the LOCAL search that must come before ${f.gallery.name} cannot be made`);
  }
  const missing = f.localGalleries.filter((g) => !f.searchedForCase.has(g.id)).map((g) => g.name);
  if (missing.length) {
    throw new OpenLfrError('SEARCH_LOCAL_FIRST', `Search the LOCAL galleries for case ${f.caseRef} first (not yet searched: ${missing.join(', ')}); ${f.gallery.name} is RESTRICTED`, { missing });
  }
  const need = (why: string) =>
    new OpenLfrError(
      'SEARCH_AUTHORITY_REQUIRED',
      `${why}. Ask for it with 'openlfr search request-authority' (case, gallery, offence and a public-interest justification); an AUTHORISING_OFFICER other than you grants it with 'openlfr search authorise'`,
      { authorityId: f.authorityId ?? null },
    );
  if (!f.authorityId) throw need(`Searching ${f.gallery.name} (RESTRICTED) needs a second person's authority (--authority / authorityId)`);
  const a = f.authority;
  if (!a) throw need(`No authority ${f.authorityId}`);
  if (a.galleryId !== f.gallery.id) throw need(`Authority ${a.id} is for another gallery`);
  if (a.caseRef !== f.caseRef) throw need(`Authority ${a.id} is for case ${a.caseRef}, not ${f.caseRef}`);
  if (a.offence !== f.offence) throw need(`Authority ${a.id} is for offence ${a.offence}, not ${f.offence}`);
  if (a.requestedBy !== f.searcherId) throw need(`Authority ${a.id} was given to another searcher`);
  if (!a.authorisedBy) throw need(`Authority ${a.id} has been requested but not yet granted`);
  if (a.authorisedBy === f.searcherId) throw need(`Authority ${a.id} was granted by the searcher`);
  if (a.usedBySearch) throw need(`Authority ${a.id} has been used (by search ${a.usedBySearch}); each search needs its own`);
  checkJustification(a.justification, f.minJustificationChars);
}

/** A withheld result is released once this many different reviewers (none of them the searcher) have looked. */
export function releaseDue(reviewers: readonly string[], searcherId: string, required: number): boolean {
  return new Set(reviewers.filter((r) => r !== searcherId)).size >= required;
}
