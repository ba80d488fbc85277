/**
 * Retrospective search: a still image (for example from CCTV after a crime) against a gallery, behind
 * the gate of ./gate.ts. Investigation mode: the k most similar subjects with their scores and no
 * threshold, presented as leads for a person to review, never as identifications.
 *
 * Every search and every refusal is a row in `searches` (refusals keep no probe) and an audit entry.
 * A search keeps its probe image (sealed, through the biometric store) and its candidate list with the
 * case until `retainUntil`; `sweep()` (driven by the injectable clock) deletes both when due.
 * A RESTRICTED search's result is withheld from the searcher until two different reviewers looked at it.
 */
import { randomUUID } from 'node:crypto';
import type { SearchConfig } from '../config.ts';
import { OpenLfrError, isOpenLfrError } from '../errors.ts';
import { requiredText } from '../governance/required-text.ts';
import { wipe, type Face } from '../engine/port.ts';
import { decodeImage } from '../ingest/image.ts';
import { searchSubjects } from '../match/port.ts';
import { can, hasAuthorityRank, requireAnyPermission, requirePermission } from '../governance/access.ts';
import { refuse, type GovernanceDeps } from '../governance/deps.ts';
import { actorOf, SYSTEM_SWEEP, type Principal } from '../governance/model.ts';
import { makeSearchRepos, type SearchCount } from '../store/repositories/search.ts';
import { checkCaseRef, checkJustification, checkOffence, checkRestricted, releaseDue } from './gate.ts';
import type { GalleryIndexes } from './gallery-index.ts';
import { LEADS_NOTICE, type Candidate, type Gallery, type ProbeFace, type SearchAuthority, type SearchAuthorityListing, type SearchListing, type SearchOutcome, type SearchRecord, type SearchSummary } from './model.ts';

export type { ProbeFace, SearchOutcome, SearchSummary } from './model.ts';

export interface SearchInput {
  gallery: string;
  probe: Uint8Array;
  caseRef?: string | null | undefined;
  offence?: string | null | undefined;
  top?: number | undefined;
  /** Which face of the probe (1 = the largest); required when it shows several. */
  face?: number | undefined;
  /** The granted authority (RESTRICTED galleries only). */
  authorityId?: string | null | undefined;
}

/** How many searches or authorities a worklist shows at most. */
export const WORKLIST_LIMIT = 50;

export interface SearchReport {
  generatedAt: Date;
  perGallery: { gallery: string; accessClass: string | null; searches: number; released: number; withheld: number; refused: number }[];
  perMonth: { month: string; gallery: string; accessClass: string | null; searches: number; refused: number; refusals: Record<string, number> }[];
  totals: { searches: number; refused: number };
}

const area = (f: Face): number => f.box.width * f.box.height;
const DAY_MS = 86_400_000;

export class SearchService {
  constructor(
    private readonly d: GovernanceDeps,
    private readonly config: SearchConfig,
    private readonly indexes: GalleryIndexes,
  ) {}

  private get repos() {
    return makeSearchRepos(this.d.store.db);
  }

  private who(p: Principal): string {
    return p.kind === 'user' ? p.user.id : actorOf(p);
  }

  /** Load every gallery's index (the server does this at start). */
  async warm(): Promise<number> {
    let n = 0;
    for (const g of await this.repos.galleries.list()) n += (await this.indexes.get(g, { actor: 'system:search-index', reason: 'search index rebuilt at start' })).items.size;
    return n;
  }

  async search(p: Principal, input: SearchInput): Promise<SearchOutcome> {
    let gallery: Gallery | undefined;
    try {
      return await this.run(p, input, (g) => (gallery = g));
    } catch (e) {
      if (isOpenLfrError(e)) await this.recordRefusal(p, input, gallery, e);
      throw e;
    }
  }

  private async run(p: Principal, input: SearchInput, seen: (g: Gallery) => void): Promise<SearchOutcome> {
    requirePermission(p, 'search.run');
    const caseRef = checkCaseRef(input.caseRef);
    const offence = checkOffence(input.offence, this.config.seriousOffences);
    const gallery = await this.repos.galleries.byName(input.gallery);
    if (!gallery) throw new OpenLfrError('NOT_FOUND', `No gallery named ${input.gallery}`);
    seen(gallery);
    if (gallery.retiredAt) throw new OpenLfrError('GALLERY_RETIRED', `Gallery ${gallery.name} was retired on ${gallery.retiredAt.toISOString()}: it can no longer be searched`);
    const top = input.top ?? this.config.defaultTop;
    if (!Number.isInteger(top) || top < 1 || top > this.config.maxTop) throw new OpenLfrError('BAD_REQUEST', `top must be a whole number from 1 to ${this.config.maxTop}`, { field: 'top' });
    const searcherId = this.who(p);
    if (gallery.accessClass === 'RESTRICTED') await this.checkRestricted(gallery, caseRef, offence, searcherId, input.authorityId);

    const engine = await this.d.engine();
    if (gallery.engineId && gallery.engineId !== engine.id) {
      throw new OpenLfrError('GALLERY_ENGINE_MISMATCH', `Gallery ${gallery.name} holds templates from ${gallery.engineId}; the engine in use is ${engine.id}`);
    }
    const img = await decodeImage(input.probe, { maxPixels: this.d.config.engine.maxImagePixels, maxBytes: this.d.config.engine.maxImageBytes }, 'probe image');
    let faces: Face[];
    try {
      faces = (await engine.detect(img)).sort((a, b) => area(b) - area(a));
    } finally {
      wipe(img.data);
    }
    let embedding: Float32Array;
    let chosen: number;
    try {
      if (faces.length === 0) throw new OpenLfrError('IMAGE_NO_FACE', 'No face was found in the probe image');
      chosen = input.face ?? (faces.length === 1 ? 1 : 0);
      if (chosen === 0) {
        const list: ProbeFace[] = faces.map((f, i) => ({ face: i + 1, box: f.box, detectorScore: Math.round(f.score * 1000) / 1000, interEyePx: Math.round(f.quality.interEyePx * 10) / 10 }));
        const listed = list.map((f) => `face ${f.face}: ${Math.round(f.box.width)}x${Math.round(f.box.height)} px at (${Math.round(f.box.x)}, ${Math.round(f.box.y)})`).join('; ');
        throw new OpenLfrError('PROBE_MANY_FACES', `The probe shows ${faces.length} faces, largest first: ${listed}. Choose one with --face 1..${faces.length}`, { faces: list });
      }
      if (!Number.isInteger(chosen) || chosen < 1 || chosen > faces.length) {
        throw new OpenLfrError('BAD_REQUEST', `face must be from 1 to ${faces.length} (the probe shows ${faces.length})`, { field: 'face' });
      }
      embedding = await engine.embed(faces[chosen - 1]!);
    } finally {
      for (const f of faces) wipe(f.chip.data);
    }

    const id = `srch_${randomUUID()}`;
    let candidates: Candidate[];
    let size: number;
    try {
      const idx = await this.indexes.get(gallery, { actor: actorOf(p), reason: `search ${id} for case ${caseRef}` });
      size = idx.items.size;
      const hits = idx.matcher ? await searchSubjects(idx.matcher, embedding, top, (t) => idx.items.get(t)?.subjectKey) : [];
      candidates = hits.map((h, i) => {
        const it = idx.items.get(h.templateId)!;
        return { rank: i + 1, score: Math.round(h.score * 10000) / 10000, subjectKey: h.subject, sourceRef: it.sourceRef, itemId: it.id };
      });
    } finally {
      wipe(embedding);
    }
    const now = this.d.clock.now();
    const restricted = gallery.accessClass === 'RESTRICTED';
    const rec: SearchRecord = {
      id,
      caseRef,
      offence,
      galleryName: gallery.name,
      galleryId: gallery.id,
      accessClass: gallery.accessClass,
      searchedBy: searcherId,
      createdAt: now,
      status: restricted ? 'WITHHELD' : 'RELEASED',
      refusalCode: null,
      refusalReason: null,
      authorityId: restricted ? input.authorityId! : null,
      topK: top,
      facesInProbe: faces.length,
      faceChosen: chosen,
      gallerySize: size,
      result: candidates,
      releasedAt: restricted ? null : now,
      retainUntil: new Date(now.getTime() + this.config.retentionDays * DAY_MS),
      purgedAt: null,
    };
    const who = { actor: actorOf(p), reason: `retrospective search for case ${caseRef} (${offence})` };
    await this.d.store.tx(async (_r, tx) => {
      const repos = makeSearchRepos(tx);
      if (restricted) {
        const a = await repos.authorities.byId(input.authorityId!, true);
        if (!a || a.usedBySearch) throw new OpenLfrError('SEARCH_AUTHORITY_REQUIRED', `Authority ${input.authorityId} has been used by another search meanwhile`);
      }
      await repos.searches.insert(rec);
      if (restricted) await repos.authorities.update(input.authorityId!, { usedBySearch: id });
      await this.d.biometrics.putImage(tx, 'probe_image', id, input.probe, who);
      await this.d.audit.append(tx, {
        ...who,
        action: 'search.run',
        target: `search:${id}`,
        details: { caseRef, offence, gallery: gallery.name, accessClass: gallery.accessClass, top, candidates: candidates.length, status: rec.status, authorityId: rec.authorityId },
      });
    });
    return this.outcome(rec, restricted ? 0 : null);
  }

  private async checkRestricted(gallery: Gallery, caseRef: string, offence: string, searcherId: string, authorityId: string | null | undefined): Promise<void> {
    const all = await this.repos.galleries.list();
    const localGalleries = all.filter((g) => g.accessClass === 'LOCAL' && g.revision > 0);
    checkRestricted({
      caseRef,
      offence,
      gallery,
      localGalleries,
      searchedForCase: await this.repos.searches.galleriesSearchedFor(caseRef),
      authorityId,
      authority: authorityId ? await this.repos.authorities.byId(authorityId) : undefined,
      searcherId,
      minJustificationChars: this.config.minJustificationChars,
    });
  }

  private async recordRefusal(p: Principal, input: SearchInput, gallery: Gallery | undefined, e: OpenLfrError): Promise<void> {
    const rec: SearchRecord = {
      id: `srch_${randomUUID()}`,
      caseRef: (input.caseRef ?? '').trim().slice(0, 100) || null,
      offence: (input.offence ?? '').trim().toUpperCase().slice(0, 64) || null,
      galleryName: gallery?.name ?? String(input.gallery ?? '').slice(0, 100),
      galleryId: gallery?.id ?? null,
      accessClass: gallery?.accessClass ?? null,
      searchedBy: this.who(p),
      createdAt: this.d.clock.now(),
      status: 'REFUSED',
      refusalCode: e.code,
      refusalReason: e.message.slice(0, 1000),
      authorityId: null,
      topK: input.top ?? null,
      facesInProbe: null,
      faceChosen: null,
      gallerySize: null,
      result: null,
      releasedAt: null,
      retainUntil: null,
      purgedAt: null,
    };
    await this.d.store.tx(async (_r, tx) => {
      await makeSearchRepos(tx).searches.insert(rec);
      await this.d.audit.append(tx, {
        actor: actorOf(p),
        action: 'search.refused',
        target: `search:${rec.id}`,
        reason: e.message,
        details: { code: e.code, caseRef: rec.caseRef, offence: rec.offence, gallery: rec.galleryName, accessClass: rec.accessClass },
      });
    });
  }

  private outcome(s: SearchRecord, reviewsDone: number | null): SearchOutcome {
    return {
      id: s.id,
      status: s.status as 'RELEASED' | 'WITHHELD',
      notice: LEADS_NOTICE,
      mode: 'investigation',
      caseRef: s.caseRef!,
      offence: s.offence!,
      gallery: { name: s.galleryName, accessClass: s.accessClass!, size: s.gallerySize ?? 0 },
      probe: { faces: s.facesInProbe ?? 0, chosen: s.faceChosen ?? 0 },
      top: s.topK ?? 0,
      candidates: s.status === 'RELEASED' ? s.result : null,
      reviews: s.accessClass === 'RESTRICTED' ? { required: this.config.reviewersRequired, done: reviewsDone ?? 0 } : null,
      searchedBy: s.searchedBy,
      createdAt: s.createdAt,
      retainUntil: s.retainUntil,
      purgedAt: s.purgedAt,
    };
  }

  /** A search's result, for the searcher (withheld until released) or someone who reviewed it. Audited. */
  async result(p: Principal, searchId: string): Promise<SearchOutcome> {
    const s = await this.repos.searches.byId(searchId);
    if (!s || s.status === 'REFUSED') throw new OpenLfrError('NOT_FOUND', `No search ${searchId}`);
    const reviews = await this.repos.reviews.of(searchId);
    const me = this.who(p);
    const mine = s.searchedBy === me && can(p, 'search.run');
    const reviewed = reviews.some((r) => r.reviewer === me) && can(p, 'search.review');
    if (!mine && !reviewed) throw new OpenLfrError('FORBIDDEN', 'Only the searcher, or someone who reviewed it, may see a search result', { permission: 'search.run' });
    const out = this.outcome(s, reviews.length);
    if (reviewed) out.candidates = s.result;
    await this.d.store.tx((_r, tx) =>
      this.d.audit.append(tx, { actor: actorOf(p), action: 'search.result.read', target: `search:${s.id}`, reason: `case ${s.caseRef}`, details: { status: s.status, candidatesShown: out.candidates?.length ?? 0 } }),
    );
    return out;
  }

  /**
   * A reviewer looks at a withheld RESTRICTED result (the candidates are returned to them) and records
   * it; when enough different reviewers (none of them the searcher) have, the result is released.
   */
  async review(p: Principal, searchId: string, note: string): Promise<SearchOutcome> {
    requirePermission(p, 'search.review');
    const target = `search:${searchId}`;
    const s = await this.repos.searches.byId(searchId);
    if (!s || s.status === 'REFUSED') throw new OpenLfrError('NOT_FOUND', `No search ${searchId}`);
    if (s.accessClass !== 'RESTRICTED') throw new OpenLfrError('CONFLICT', 'Only RESTRICTED results are reviewed before release');
    if (s.purgedAt) throw new OpenLfrError('CONFLICT', 'The result has been deleted at the end of its retention period');
    const me = this.who(p);
    if (s.searchedBy === me) return refuse(this.d, p, 'search.review', target, new OpenLfrError('REVIEW_SELF', 'The searcher cannot review their own result; two other people must'));
    if (s.authorityId && (await this.repos.authorities.byId(s.authorityId))?.authorisedBy === me) {
      return refuse(this.d, p, 'search.review', target, new OpenLfrError('SEPARATION_OF_DUTIES', 'You granted the authority for this search; two reviewers other than you must look at the result', { rule: 'granter-reviews' }));
    }
    const text = requiredText(note, 'note', { min: 10, what: 'what the reviewer concluded' });
    const at = this.d.clock.now();
    const { rec, done } = await this.d.store.tx(async (_r, tx) => {
      const repos = makeSearchRepos(tx);
      const cur = (await repos.searches.byId(searchId, true))!;
      const before = await repos.reviews.of(searchId);
      if (before.some((r) => r.reviewer === me)) throw new OpenLfrError('CONFLICT', 'You have already reviewed this result; a different person must give the next review');
      await repos.reviews.insert({ searchId, reviewer: me, note: text, at });
      const reviewers = [...before.map((r) => r.reviewer), me];
      const release = cur.status === 'WITHHELD' && releaseDue(reviewers, cur.searchedBy, this.config.reviewersRequired);
      if (release) await repos.searches.update(searchId, { status: 'RELEASED', releasedAt: at });
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'search.review', target, reason: text, details: { reviews: reviewers.length, released: release } });
      return { rec: { ...cur, ...(release ? { status: 'RELEASED' as const, releasedAt: at } : {}) }, done: reviewers.length };
    });
    const out = this.outcome(rec, done);
    out.candidates = rec.result;
    return out;
  }

  async requestAuthority(p: Principal, input: { gallery: string; caseRef: string; offence: string; justification: string }): Promise<SearchAuthority> {
    requirePermission(p, 'search.run');
    const gallery = await this.repos.galleries.byName(input.gallery);
    if (!gallery) throw new OpenLfrError('NOT_FOUND', `No gallery named ${input.gallery}`);
    const target = `gallery:${gallery.id}`;
    let a: SearchAuthority;
    try {
      if (gallery.accessClass !== 'RESTRICTED') throw new OpenLfrError('BAD_REQUEST', `${gallery.name} is LOCAL: no authority is needed to search it`);
      a = {
        id: `sauth_${randomUUID()}`,
        caseRef: checkCaseRef(input.caseRef),
        galleryId: gallery.id,
        offence: checkOffence(input.offence, this.config.seriousOffences),
        justification: checkJustification(input.justification, this.config.minJustificationChars),
        requestedBy: this.who(p),
        requestedAt: this.d.clock.now(),
        authorisedBy: null,
        authorisedAt: null,
        authorityNote: null,
        usedBySearch: null,
      };
    } catch (e) {
      return refuse(this.d, p, 'search.authority.request', target, e);
    }
    await this.d.store.tx(async (_r, tx) => {
      await makeSearchRepos(tx).authorities.insert(a);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'search.authority.request', target: `search-authority:${a.id}`, reason: a.justification, details: { caseRef: a.caseRef, gallery: gallery.name, offence: a.offence } });
    });
    return a;
  }

  async authorise(p: Principal, authorityId: string, note: string): Promise<SearchAuthority> {
    const target = `search-authority:${authorityId}`;
    requirePermission(p, 'search.authorise');
    const a = await this.repos.authorities.byId(authorityId);
    if (!a) throw new OpenLfrError('NOT_FOUND', `No authority ${authorityId}`);
    if (!hasAuthorityRank(p)) return refuse(this.d, p, 'search.authorise', target, new OpenLfrError('AUTHORITY_RANK', 'Authority to search a RESTRICTED gallery needs an authorising officer of Superintendent rank or above'));
    if (a.requestedBy === this.who(p)) return refuse(this.d, p, 'search.authorise', target, new OpenLfrError('AUTHORITY_SELF', 'You asked for this authority; a second person must grant it'));
    if (a.authorisedBy) throw new OpenLfrError('CONFLICT', 'This authority has already been granted');
    const text = requiredText(note, 'note', { min: 10, what: 'why the search is necessary and proportionate' });
    const patch = { authorisedBy: this.who(p), authorisedAt: this.d.clock.now(), authorityNote: text };
    await this.d.store.tx(async (_r, tx) => {
      await makeSearchRepos(tx).authorities.update(authorityId, patch);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'search.authorise', target, reason: text, details: { caseRef: a.caseRef, galleryId: a.galleryId, offence: a.offence } });
    });
    return { ...a, ...patch };
  }

  /** The serious offences a search (or an authority) may be for: the gate's closed list. */
  offences(p: Principal): { offences: string[] } {
    requireAnyPermission(p, ['search.run', 'search.authorise']);
    return { offences: [...this.config.seriousOffences] };
  }

  /**
   * The caller's worklist of searches: `mine` (their own, not the refusals; search.run) and `toReview`
   * (withheld RESTRICTED results of others they have not reviewed yet; search.review). Summaries only:
   * reading candidates stays with `result` (audited) and `review`.
   */
  async worklist(p: Principal): Promise<{ mine: SearchSummary[]; toReview: SearchSummary[] }> {
    requireAnyPermission(p, ['search.run', 'search.review']);
    const me = this.who(p);
    const mine = can(p, 'search.run') ? await this.repos.searches.ofSearcher(me, WORKLIST_LIMIT) : [];
    const toReview = can(p, 'search.review') ? await this.repos.searches.awaitingReview(me, WORKLIST_LIMIT) : [];
    return { mine: mine.map((s) => this.summary(s)), toReview: toReview.map((s) => this.summary(s)) };
  }

  private summary(s: SearchListing): SearchSummary {
    return {
      id: s.id,
      caseRef: s.caseRef,
      offence: s.offence,
      gallery: s.galleryName,
      accessClass: s.accessClass,
      status: s.status,
      reviews: s.accessClass === 'RESTRICTED' ? { required: this.config.reviewersRequired, done: s.reviewsDone } : null,
      searchedBy: s.searchedBy,
      searchedByUsername: s.searchedByUsername,
      createdAt: s.createdAt,
      purgedAt: s.purgedAt,
    };
  }

  /** The caller's authorities: `mine` (asked for; search.run) and `toAuthorise` (others' requests not yet granted; search.authorise). */
  async authorityWorklist(p: Principal): Promise<{ mine: SearchAuthorityListing[]; toAuthorise: SearchAuthorityListing[] }> {
    requireAnyPermission(p, ['search.run', 'search.authorise']);
    const me = this.who(p);
    return {
      mine: can(p, 'search.run') ? await this.repos.authorities.requestedBy(me, WORKLIST_LIMIT) : [],
      toAuthorise: can(p, 'search.authorise') ? await this.repos.authorities.awaitingAuthority(me, WORKLIST_LIMIT) : [],
    };
  }

  /** Counts of searches and refusals per gallery and per month (no personal data). */
  async report(p: Principal): Promise<SearchReport> {
    requirePermission(p, 'search.report');
    return summarise(await this.repos.searches.counts(), this.d.clock.now());
  }

  /**
   * Delete the probe image and the result of every search whose retention period has ended (audited);
   * the non-biometric facts stay for the figures. Idempotent: an interrupted sweep is finished by the next.
   */
  async sweep(): Promise<{ purged: string[] }> {
    const now = this.d.clock.now();
    const purged: string[] = [];
    for (const s of await this.repos.searches.due(now)) {
      const reason = `retention period of ${this.config.retentionDays} days ended for case ${s.caseRef}`;
      // the probe's rows, the result and the audit entries in one transaction; the sealed file after it
      await this.d.biometrics.destroy(this.d.store.db, [s.id], { actor: actorOf(SYSTEM_SWEEP), reason }, async (tx) => {
        await makeSearchRepos(tx).searches.update(s.id, { result: null, purgedAt: now });
        await this.d.audit.append(tx, { actor: actorOf(SYSTEM_SWEEP), action: 'search.purge', target: `search:${s.id}`, reason, details: { retainUntil: s.retainUntil } });
      });
      purged.push(s.id);
    }
    return { purged };
  }
}

export function summarise(rows: readonly SearchCount[], now: Date): SearchReport {
  const gal = new Map<string, SearchReport['perGallery'][number]>();
  const mon = new Map<string, SearchReport['perMonth'][number]>();
  for (const r of rows) {
    const g = gal.get(r.gallery) ?? { gallery: r.gallery, accessClass: r.accessClass, searches: 0, released: 0, withheld: 0, refused: 0 };
    g.accessClass ??= r.accessClass;
    const m = mon.get(`${r.month} ${r.gallery}`) ?? { month: r.month, gallery: r.gallery, accessClass: r.accessClass, searches: 0, refused: 0, refusals: {} };
    m.accessClass ??= r.accessClass;
    if (r.status === 'REFUSED') {
      g.refused += r.n;
      m.refused += r.n;
      m.refusals[r.refusalCode ?? 'UNKNOWN'] = (m.refusals[r.refusalCode ?? 'UNKNOWN'] ?? 0) + r.n;
    } else {
      g.searches += r.n;
      m.searches += r.n;
      if (r.status === 'RELEASED') g.released += r.n;
      else g.withheld += r.n;
    }
    gal.set(r.gallery, g);
    mon.set(`${r.month} ${r.gallery}`, m);
  }
  const perGallery = [...gal.values()].sort((a, b) => a.gallery.localeCompare(b.gallery));
  return {
    generatedAt: now,
    perGallery,
    perMonth: [...mon.values()].sort((a, b) => a.month.localeCompare(b.month) || a.gallery.localeCompare(b.gallery)),
    totals: { searches: perGallery.reduce((s, g) => s + g.searches, 0), refused: perGallery.reduce((s, g) => s + g.refused, 0) },
  };
}
