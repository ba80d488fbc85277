/**
 * The in-memory search index of each gallery (a Matcher from src/match), rebuilt from the biometric
 * store and kept current with it: every change of a gallery's templates bumps the gallery's revision,
 * and before a search the index loads the templates it lacks (and drops those gone) when the revision
 * moved. So a server's index follows imports made by another process on the same database, and a
 * fresh process loads each gallery once. Every load is an audited read of the biometric store.
 * Templates live in memory only.
 */
import type { MatchConfig } from '../config.ts';
import { createMatcher } from '../match/factory.ts';
import type { Matcher } from '../match/port.ts';
import type { BiometricStore, Who } from '../store/biometric-store.ts';
import type { Db } from '../store/db.ts';
import { makeSearchRepos } from '../store/repositories/search.ts';
import type { Gallery, GalleryItem } from './model.ts';

export interface IndexedGallery {
  galleryId: string;
  revision: number;
  /** Null while the gallery holds no template. */
  matcher: Matcher | null;
  /** Template id -> the gallery item it was made from. */
  items: Map<string, Pick<GalleryItem, 'id' | 'subjectKey' | 'sourceRef'>>;
}

export const galleryGroup = (galleryId: string): string => `gallery:${galleryId}`;

export class GalleryIndexes {
  private readonly loaded = new Map<string, IndexedGallery>();
  private readonly syncing = new Map<string, Promise<IndexedGallery>>();

  constructor(private readonly o: { db: Db; biometrics: BiometricStore; match: MatchConfig }) {}

  /** The gallery's index, brought up to date with the store if its revision moved. */
  async get(gallery: Gallery, who: Who): Promise<IndexedGallery> {
    const cur = this.loaded.get(gallery.id);
    if (cur && cur.revision === gallery.revision) return cur;
    const running = this.syncing.get(gallery.id);
    if (running) return running;
    const p = this.sync(gallery, who).finally(() => this.syncing.delete(gallery.id));
    this.syncing.set(gallery.id, p);
    return p;
  }

  private async sync(gallery: Gallery, who: Who): Promise<IndexedGallery> {
    const idx: IndexedGallery = this.loaded.get(gallery.id) ?? { galleryId: gallery.id, revision: -1, matcher: null, items: new Map() };
    const group = galleryGroup(gallery.id);
    const ids = new Set(await this.o.biometrics.templateIdsOfGroup(this.o.db, group));
    const gone = [...idx.items.keys()].filter((id) => !ids.has(id));
    if (gone.length && idx.matcher) await idx.matcher.remove(gone);
    for (const id of gone) idx.items.delete(id);
    const missing = [...ids].filter((id) => !idx.items.has(id));
    if (missing.length) {
      const templates = await this.o.db.transaction((tx) =>
        this.o.biometrics.getTemplateGroup(tx, group, { ...who, reason: `${who.reason} (search index of gallery ${gallery.name})` }, idx.items.size ? missing : undefined),
      );
      const items = new Map((await makeSearchRepos(this.o.db).items.byIds([...new Set(templates.map((t) => t.ownerId))])).map((i) => [i.id, i]));
      const fresh = templates.filter((t) => items.has(t.ownerId) && !idx.items.has(t.id));
      if (fresh.length) {
        idx.matcher ??= createMatcher(fresh[0]!.vector.length, this.o.match, { initialCapacity: fresh.length });
        await idx.matcher.add(
          fresh.map((t) => t.id),
          fresh.map((t) => t.vector),
        );
        for (const t of fresh) {
          const it = items.get(t.ownerId)!;
          idx.items.set(t.id, { id: it.id, subjectKey: it.subjectKey, sourceRef: it.sourceRef });
        }
      }
      for (const t of templates) t.vector.fill(0);
    }
    idx.revision = gallery.revision;
    this.loaded.set(gallery.id, idx);
    return idx;
  }

  /** Take removed items' templates out of a loaded index now, rather than at its next search. */
  async dropItems(galleryId: string, itemIds: readonly string[]): Promise<void> {
    const idx = this.loaded.get(galleryId);
    if (!idx) return;
    const gone = new Set(itemIds);
    const templates = [...idx.items].filter(([, it]) => gone.has(it.id)).map(([t]) => t);
    if (templates.length && idx.matcher) await idx.matcher.remove(templates);
    for (const t of templates) idx.items.delete(t);
  }

  /** Forget a gallery's index (its matcher overwritten and freed). */
  async drop(galleryId: string): Promise<void> {
    const idx = this.loaded.get(galleryId);
    this.loaded.delete(galleryId);
    await idx?.matcher?.close();
  }

  async close(): Promise<void> {
    for (const idx of this.loaded.values()) await idx.matcher?.close();
    this.loaded.clear();
  }
}
