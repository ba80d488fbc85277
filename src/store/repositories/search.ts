/**
 * Repositories of retrospective search: galleries, gallery items, search authorities, searches and
 * reviews. (Templates and probe images are biometric: only the biometric store touches them.)
 */
import type { Queryable } from '../db.ts';
import type { Gallery, GalleryItem, SearchAuthority, SearchAuthorityListing, SearchListing, SearchRecord, SearchReview } from '../../search/model.ts';
import { fromRow, insertSql, updateSql } from './rows.ts';
import { TABLES } from './tables.ts';

export function galleriesRepo(q: Queryable) {
  return {
    async insert(g: Gallery): Promise<void> {
      const { sql, params } = insertSql(TABLES.galleries, { ...g });
      await q.query(sql, params);
    },
    async byName(name: string, forUpdate = false): Promise<Gallery | undefined> {
      const [r] = await q.query(`select * from galleries where name = $1${forUpdate ? ' for update' : ''}`, [name]);
      return r && fromRow<Gallery>(r);
    },
    async byId(id: string): Promise<Gallery | undefined> {
      const [r] = await q.query('select * from galleries where id = $1', [id]);
      return r && fromRow<Gallery>(r);
    },
    async list(): Promise<Gallery[]> {
      return (await q.query('select * from galleries order by name')).map((r) => fromRow<Gallery>(r));
    },
    /** Record a change of the gallery's templates (and its engine at the first import). */
    async bump(id: string, engineId: string): Promise<void> {
      await q.query('update galleries set revision = revision + 1, engine_id = coalesce(engine_id, $2) where id = $1', [id, engineId]);
    },
    async retire(id: string, at: Date, reason: string): Promise<void> {
      await q.query('update galleries set retired_at = $2, retired_reason = $3, revision = revision + 1 where id = $1', [id, at, reason]);
    },
    async counts(id: string): Promise<Record<string, number>> {
      const rows = await q.query<{ status: string; n: number }>('select status, count(*)::int as n from gallery_items where gallery_id = $1 group by status', [id]);
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
  };
}

export function galleryItemsRepo(q: Queryable) {
  return {
    async insert(i: GalleryItem): Promise<void> {
      const { sql, params } = insertSql(TABLES.galleryItems, { ...i });
      await q.query(sql, params);
    },
    async hashes(galleryId: string): Promise<Set<string>> {
      return new Set((await q.query<{ h: string }>('select content_hash as h from gallery_items where gallery_id = $1', [galleryId])).map((r) => r.h));
    },
    async byIds(ids: readonly string[]): Promise<GalleryItem[]> {
      if (ids.length === 0) return [];
      return (await q.query('select * from gallery_items where id = any($1::text[])', [ids])).map((r) => fromRow<GalleryItem>(r));
    },
    /** Items of a gallery filed under a subject key or with a source reference (not already removed). */
    async matching(galleryId: string, by: { subjectKey?: string; sourceRef?: string }): Promise<GalleryItem[]> {
      const rows = await q.query(
        `select * from gallery_items where gallery_id = $1 and status <> 'REMOVED' and (subject_key = $2 or source_ref = $3) order by source_ref`,
        [galleryId, by.subjectKey ?? null, by.sourceRef ?? null],
      );
      return rows.map((r) => fromRow<GalleryItem>(r));
    },
    async markRemoved(ids: readonly string[], at: Date, reason: string): Promise<void> {
      await q.query(`update gallery_items set status = 'REMOVED', removed_at = $2, removed_reason = $3 where id = any($1::text[])`, [ids, at, reason]);
    },
    async ofGallery(galleryId: string, status?: GalleryItem['status']): Promise<GalleryItem[]> {
      const rows = status
        ? await q.query('select * from gallery_items where gallery_id = $1 and status = $2 order by source_ref', [galleryId, status])
        : await q.query('select * from gallery_items where gallery_id = $1 order by source_ref', [galleryId]);
      return rows.map((r) => fromRow<GalleryItem>(r));
    },
  };
}

export function searchAuthoritiesRepo(q: Queryable) {
  return {
    async insert(a: SearchAuthority): Promise<void> {
      const { sql, params } = insertSql(TABLES.searchAuthorities, { ...a });
      await q.query(sql, params);
    },
    async byId(id: string, forUpdate = false): Promise<SearchAuthority | undefined> {
      const [r] = await q.query(`select * from search_authorities where id = $1${forUpdate ? ' for update' : ''}`, [id]);
      return r && fromRow<SearchAuthority>(r);
    },
    async update(id: string, patch: Partial<SearchAuthority>): Promise<void> {
      const { sql, params } = updateSql(TABLES.searchAuthorities, id, patch);
      await q.query(sql, params);
    },
    /** Authorities a person asked for, newest first. */
    async requestedBy(userId: string, limit: number): Promise<SearchAuthorityListing[]> {
      const rows = await q.query(`select ${AUTHORITY_LISTING} where a.requested_by = $1 order by a.requested_at desc, a.id limit $2`, [userId, limit]);
      return rows.map((r) => fromRow<SearchAuthorityListing>(r));
    },
    /** Requests not yet granted that someone other than `userId` made, newest first. */
    async awaitingAuthority(userId: string, limit: number): Promise<SearchAuthorityListing[]> {
      const rows = await q.query(`select ${AUTHORITY_LISTING} where a.authorised_by is null and a.requested_by <> $1 order by a.requested_at desc, a.id limit $2`, [userId, limit]);
      return rows.map((r) => fromRow<SearchAuthorityListing>(r));
    },
  };
}

/** An authority with its requester's username. */
const AUTHORITY_LISTING = `a.*, u.username as requested_by_username from search_authorities a left join users u on u.id = a.requested_by`;

/** The columns of a search listing: never `result` (a listing is not a read of the candidates). */
const LISTING = `s.id, s.case_ref, s.offence, s.gallery_name, s.access_class, s.status, s.searched_by, s.created_at, s.purged_at,
  (select u.username from users u where u.id = s.searched_by) as searched_by_username,
  (select count(*)::int from search_reviews r where r.search_id = s.id) as reviews_done`;

export interface SearchCount {
  gallery: string;
  accessClass: string | null;
  month: string;
  status: string;
  refusalCode: string | null;
  n: number;
}

export function searchesRepo(q: Queryable) {
  return {
    async insert(s: SearchRecord): Promise<void> {
      const { sql, params } = insertSql(TABLES.searches, { ...s });
      await q.query(sql, params);
    },
    async byId(id: string, forUpdate = false): Promise<SearchRecord | undefined> {
      const [r] = await q.query(`select * from searches where id = $1${forUpdate ? ' for update' : ''}`, [id]);
      return r && fromRow<SearchRecord>(r);
    },
    async update(id: string, patch: Partial<SearchRecord>): Promise<void> {
      const { sql, params } = updateSql(TABLES.searches, id, patch);
      await q.query(sql, params);
    },
    /** A person's searches (not the refusals), newest first, without their results. */
    async ofSearcher(searcherId: string, limit: number): Promise<SearchListing[]> {
      const rows = await q.query(`select ${LISTING} from searches s where s.searched_by = $1 and s.status <> 'REFUSED' order by s.created_at desc, s.id limit $2`, [searcherId, limit]);
      return rows.map((r) => fromRow<SearchListing>(r));
    },
    /** Withheld RESTRICTED results (still held) that someone else made and `reviewerId` has not yet reviewed, newest first. */
    async awaitingReview(reviewerId: string, limit: number): Promise<SearchListing[]> {
      const rows = await q.query(
        `select ${LISTING} from searches s
          where s.status = 'WITHHELD' and s.access_class = 'RESTRICTED' and s.purged_at is null and s.searched_by <> $1
            and not exists (select 1 from search_reviews r where r.search_id = s.id and r.reviewer = $1)
            and not exists (select 1 from search_authorities a where a.id = s.authority_id and a.authorised_by = $1)
          order by s.created_at desc, s.id limit $2`,
        [reviewerId, limit],
      );
      return rows.map((r) => fromRow<SearchListing>(r));
    },
    /** Names of the galleries searched (not refused) for a case. */
    async galleriesSearchedFor(caseRef: string): Promise<Set<string>> {
      const rows = await q.query<{ g: string }>(`select distinct gallery_id as g from searches where case_ref = $1 and status <> 'REFUSED' and gallery_id is not null`, [caseRef]);
      return new Set(rows.map((r) => r.g));
    },
    /** Searches whose retention period has ended and that still hold a probe or a result. */
    async due(now: Date): Promise<SearchRecord[]> {
      const rows = await q.query(`select * from searches where retain_until <= $1 and purged_at is null order by retain_until`, [now]);
      return rows.map((r) => fromRow<SearchRecord>(r));
    },
    async counts(): Promise<SearchCount[]> {
      const rows = await q.query(
        `select gallery_name as gallery, access_class, to_char(created_at at time zone 'UTC', 'YYYY-MM') as month, status, refusal_code, count(*)::int as n
           from searches group by 1, 2, 3, 4, 5 order by 3, 1, 4, 5`,
      );
      return rows.map((r) => fromRow<SearchCount>(r));
    },
  };
}

export function searchReviewsRepo(q: Queryable) {
  return {
    async insert(r: SearchReview): Promise<void> {
      const { sql, params } = insertSql(TABLES.searchReviews, { ...r });
      await q.query(sql, params);
    },
    async of(searchId: string): Promise<SearchReview[]> {
      return (await q.query('select * from search_reviews where search_id = $1 order by at', [searchId])).map((r) => fromRow<SearchReview>(r));
    },
  };
}

export interface SearchRepos {
  galleries: ReturnType<typeof galleriesRepo>;
  items: ReturnType<typeof galleryItemsRepo>;
  authorities: ReturnType<typeof searchAuthoritiesRepo>;
  searches: ReturnType<typeof searchesRepo>;
  reviews: ReturnType<typeof searchReviewsRepo>;
}

export function makeSearchRepos(q: Queryable): SearchRepos {
  return { galleries: galleriesRepo(q), items: galleryItemsRepo(q), authorities: searchAuthoritiesRepo(q), searches: searchesRepo(q), reviews: searchReviewsRepo(q) };
}
