/**
 * Galleries: named sets of enrolled templates with an access class, and their bulk import.
 *
 * Import: every image is hashed (sha256 of its bytes), decoded, analysed on the shared engine pool (as
 * many images in flight as keep every worker busy), and committed on its own: the item row, its sealed
 * template (through the biometric store, audited) and the gallery's revision in one transaction. So an
 * import stopped at any point (crash, SIGKILL, Ctrl-C) keeps everything committed, and a rerun skips
 * every content hash the gallery already holds: nothing lost, nothing twice. The same hash twice in one
 * folder is a duplicate. One face per image: the largest; an image with no face is recorded as a
 * failure to enrol (FTA); an image that cannot be read is recorded as BAD with the reason, and the
 * import goes on.
 */
import { createHash, randomUUID } from 'node:crypto';
import { OpenLfrError, isOpenLfrError } from '../errors.ts';
import { requiredText } from '../governance/required-text.ts';
import { wipe, type Face } from '../engine/port.ts';
import { decodeImage } from '../ingest/image.ts';
import { requirePermission } from '../governance/access.ts';
import { refuse, type GovernanceDeps } from '../governance/deps.ts';
import { actorOf, type Principal } from '../governance/model.ts';
import { makeSearchRepos } from '../store/repositories/search.ts';
import { galleryGroup, type GalleryIndexes } from './gallery-index.ts';
import type { ImageSource } from './image-source.ts';
import { ACCESS_CLASSES, type AccessClass, type Gallery, type GalleryItem, type ItemStatus } from './model.ts';

export interface ImportProblem {
  ref: string;
  code: string;
  message: string;
}

export interface ImportReport {
  gallery: string;
  accessClass: AccessClass;
  engineId: string;
  /** Image files found in the source. */
  found: number;
  enrolled: number;
  /** Failures to enrol: readable images with no face found. */
  fta: ImportProblem[];
  /** Images that could not be read or decoded (the import went on). */
  bad: ImportProblem[];
  /** Files whose content is the same as another file of this run. */
  duplicates: { ref: string; sameAs: string }[];
  /** Files already in the gallery from an earlier run (same content hash). */
  alreadyImported: number;
  /** Images with several faces, where the largest was enrolled. */
  multiFace: number;
  /** True when the import was stopped before every file was seen (rerun to finish). */
  interrupted: boolean;
  seconds: number;
  imagesPerSecond: number;
  /** The gallery after this run. */
  totals: Record<string, number>;
}

export interface ImportOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Images in flight at once (default: twice the engine pool's workers). */
  concurrency?: number;
}

const largest = (faces: readonly Face[]): Face => faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));

export class GalleryService {
  constructor(
    private readonly d: GovernanceDeps,
    private readonly indexes: Pick<GalleryIndexes, 'dropItems' | 'drop'>,
  ) {}

  private get repos() {
    return makeSearchRepos(this.d.store.db);
  }

  async create(p: Principal, input: { name: string; accessClass: AccessClass; description: string }): Promise<Gallery> {
    requirePermission(p, 'gallery.manage');
    const name = (input.name ?? '').trim();
    if (!/^[a-z0-9][a-z0-9_-]{1,62}$/.test(name)) throw new OpenLfrError('BAD_REQUEST', 'name: 2-63 characters, lower-case letters, digits, - and _', { field: 'name' });
    if (!ACCESS_CLASSES.includes(input.accessClass)) throw new OpenLfrError('BAD_REQUEST', `accessClass must be one of ${ACCESS_CLASSES.join(', ')}`, { field: 'accessClass' });
    const description = requiredText(input.description, 'description', { min: 5, what: 'what the images are and who holds them' });
    if (await this.repos.galleries.byName(name)) throw new OpenLfrError('CONFLICT', `A gallery named ${name} exists`);
    const g: Gallery = {
      id: `gal_${randomUUID()}`,
      name,
      accessClass: input.accessClass,
      description,
      engineId: null,
      revision: 0,
      createdBy: p.kind === 'user' ? p.user.id : actorOf(p),
      createdAt: this.d.clock.now(),
      retiredAt: null,
      retiredReason: null,
    };
    await this.d.store.tx(async (_r, tx) => {
      await makeSearchRepos(tx).galleries.insert(g);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'gallery.create', target: `gallery:${g.id}`, reason: description, details: { name, accessClass: g.accessClass } });
    });
    return g;
  }

  async list(p: Principal): Promise<(Gallery & { counts: Record<string, number> })[]> {
    requirePermission(p, 'gallery.read');
    const all = await this.repos.galleries.list();
    return Promise.all(all.map(async (g) => ({ ...g, counts: await this.repos.galleries.counts(g.id) })));
  }

  async get(p: Principal, name: string): Promise<Gallery> {
    requirePermission(p, 'gallery.read');
    const g = await this.repos.galleries.byName(name);
    if (!g) throw new OpenLfrError('NOT_FOUND', `No gallery named ${name}`);
    return g;
  }

  /** The items of a gallery with a given status (for reports: FTA and BAD lists). No biometric data. */
  async items(p: Principal, name: string, status?: ItemStatus): Promise<GalleryItem[]> {
    const g = await this.get(p, name);
    return this.repos.items.ofGallery(g.id, status);
  }

  /**
   * Take a person's images out of a gallery (a custody image that must no longer be held): their templates
   * are destroyed through the biometric store, the items are marked REMOVED with the reason (so a later
   * import of the same files skips them), the gallery's revision moves (every search index drops them
   * before its next search), all in one audited transaction. By subject key (every image of the person)
   * or by source reference (one image).
   */
  async removeItems(p: Principal, galleryName: string, by: { subjectKey?: string; sourceRef?: string }, reason: string): Promise<{ removed: number; templates: number; items: { id: string; sourceRef: string; subjectKey: string }[] }> {
    requirePermission(p, 'gallery.manage');
    if ((by.subjectKey === undefined) === (by.sourceRef === undefined)) throw new OpenLfrError('BAD_REQUEST', 'Give either a subject key or a source reference', { field: 'subjectKey' });
    const why = requiredText(reason, 'reason', { min: 10, what: 'say why the images are removed (e.g. the review or order)' });
    const gallery = await this.repos.galleries.byName(galleryName);
    if (!gallery) throw new OpenLfrError('NOT_FOUND', `No gallery named ${galleryName}`);
    const items = await this.repos.items.matching(gallery.id, by);
    if (items.length === 0) throw new OpenLfrError('NOT_FOUND', `No image in ${galleryName} for ${by.subjectKey !== undefined ? `subject ${by.subjectKey}` : `source ${by.sourceRef}`}`);
    const ids = items.map((i) => i.id);
    const who = { actor: actorOf(p), reason: why };
    const { templates } = await this.d.biometrics.destroy(this.d.store.db, ids, who, async (tx) => {
      const repos = makeSearchRepos(tx);
      await repos.items.markRemoved(ids, this.d.clock.now(), why);
      if (gallery.engineId) await repos.galleries.bump(gallery.id, gallery.engineId);
      await this.d.audit.append(tx, { ...who, action: 'gallery.remove', target: `gallery:${gallery.id}`, details: { gallery: gallery.name, ...by, items: ids } });
    });
    await this.indexes.dropItems(gallery.id, ids);
    return { removed: ids.length, templates, items: items.map((i) => ({ id: i.id, sourceRef: i.sourceRef, subjectKey: i.subjectKey })) };
  }

  /**
   * Retire a whole gallery (the agreement to hold the images ended, an import made in error): every template
   * is destroyed through the biometric store, every item marked REMOVED with the reason, the gallery marked
   * retired, in one audited transaction; a loaded search index is dropped at once. The gallery row stays
   * (searches made against it keep their record; the name is not reused). Searches and imports are refused
   * afterwards with GALLERY_RETIRED.
   */
  async retire(p: Principal, galleryName: string, reason: string): Promise<{ gallery: string; items: number; templates: number; retiredAt: Date }> {
    requirePermission(p, 'gallery.manage');
    const why = requiredText(reason, 'reason', { min: 10, what: 'say why the gallery is retired (e.g. the end of the agreement)' });
    const gallery = await this.repos.galleries.byName(galleryName);
    if (!gallery) throw new OpenLfrError('NOT_FOUND', `No gallery named ${galleryName}`);
    if (gallery.retiredAt) throw new OpenLfrError('GALLERY_RETIRED', `Gallery ${galleryName} was already retired on ${gallery.retiredAt.toISOString()}`);
    const ids = (await this.repos.items.ofGallery(gallery.id)).filter((i) => i.status !== 'REMOVED').map((i) => i.id);
    const at = this.d.clock.now();
    const who = { actor: actorOf(p), reason: why };
    const { templates } = await this.d.biometrics.destroy(this.d.store.db, ids, who, async (tx) => {
      const repos = makeSearchRepos(tx);
      await repos.items.markRemoved(ids, at, why);
      await repos.galleries.retire(gallery.id, at, why);
      await this.d.audit.append(tx, { ...who, action: 'gallery.retire', target: `gallery:${gallery.id}`, details: { gallery: gallery.name, accessClass: gallery.accessClass, items: ids.length } });
    });
    await this.indexes.drop(gallery.id);
    return { gallery: gallery.name, items: ids.length, templates, retiredAt: at };
  }

  async importImages(p: Principal, galleryName: string, source: ImageSource, o: ImportOptions = {}): Promise<ImportReport> {
    requirePermission(p, 'gallery.manage');
    const gallery = await this.repos.galleries.byName(galleryName);
    if (!gallery) throw new OpenLfrError('NOT_FOUND', `No gallery named ${galleryName}: create it first (openlfr gallery create)`);
    if (gallery.retiredAt) throw new OpenLfrError('GALLERY_RETIRED', `Gallery ${gallery.name} was retired on ${gallery.retiredAt.toISOString()}: nothing can be imported into it`);
    const engine = await this.d.engine();
    if (gallery.engineId && gallery.engineId !== engine.id) {
      return refuse(this.d, p, 'gallery.import', `gallery:${gallery.id}`, new OpenLfrError('GALLERY_ENGINE_MISMATCH', `Gallery ${gallery.name} holds templates from ${gallery.engineId}; the engine in use is ${engine.id}`));
    }
    const started = Date.now();
    const files = await source.list();
    const known = await this.repos.items.hashes(gallery.id);
    const seen = new Map<string, string>();
    const report: ImportReport = {
      gallery: gallery.name,
      accessClass: gallery.accessClass,
      engineId: engine.id,
      found: files.length,
      enrolled: 0,
      fta: [],
      bad: [],
      duplicates: [],
      alreadyImported: 0,
      multiFace: 0,
      interrupted: false,
      seconds: 0,
      imagesPerSecond: 0,
      totals: {},
    };
    const who = { actor: actorOf(p), reason: `import into gallery ${gallery.name}` };
    await this.d.store.tx((_r, tx) => this.d.audit.append(tx, { ...who, action: 'gallery.import.start', target: `gallery:${gallery.id}`, details: { files: files.length } }));
    const limits = { maxPixels: this.d.config.engine.maxImagePixels, maxBytes: this.d.config.engine.maxImageBytes };
    const group = galleryGroup(gallery.id);
    let commits: Promise<unknown> = Promise.resolve();
    const commit = (fn: () => Promise<void>): Promise<void> => {
      const next = commits.then(fn);
      commits = next.catch(() => undefined);
      return next;
    };
    const record = (item: GalleryItem, embedding?: Float32Array) =>
      commit(() =>
        this.d.store.tx(async (_r, tx) => {
          const repos = makeSearchRepos(tx);
          await repos.items.insert(item);
          if (embedding) {
            await this.d.biometrics.putTemplate(tx, 'gallery', item.id, engine.id, embedding, who, group);
            await repos.galleries.bump(gallery.id, engine.id);
          }
        }),
      );

    let next = 0;
    let done = 0;
    const one = async (f: (typeof files)[number]): Promise<void> => {
      let bytes: Uint8Array;
      try {
        bytes = await f.read();
      } catch (e) {
        report.bad.push({ ref: f.ref, code: 'IMAGE_UNREADABLE', message: `cannot read the file: ${(e as Error).message}` });
        return;
      }
      const hash = createHash('sha256').update(bytes).digest('hex');
      if (known.has(hash)) {
        report.alreadyImported++;
        return;
      }
      const first = seen.get(hash);
      if (first !== undefined) {
        report.duplicates.push({ ref: f.ref, sameAs: first });
        return;
      }
      seen.set(hash, f.ref);
      const item: GalleryItem = { id: `gli_${randomUUID()}`, galleryId: gallery.id, contentHash: hash, sourceRef: f.ref, subjectKey: f.subjectKey, status: 'ENROLLED', faces: null, problem: null, createdAt: this.d.clock.now() };
      let faces: Face[];
      try {
        const img = await decodeImage(bytes, limits, f.ref);
        try {
          faces = await engine.detect(img);
        } finally {
          wipe(img.data);
        }
      } catch (e) {
        if (!isOpenLfrError(e) || e.code.startsWith('ENGINE_')) throw e; // the engine failing is not the image's fault
        report.bad.push({ ref: f.ref, code: e.code, message: e.message });
        return record({ ...item, status: 'BAD', problem: `${e.code}: ${e.message}`.slice(0, 500) });
      }
      if (faces.length === 0) {
        report.fta.push({ ref: f.ref, code: 'IMAGE_NO_FACE', message: 'no face found' });
        return record({ ...item, status: 'FTA', faces: 0, problem: 'no face found' });
      }
      if (faces.length > 1) report.multiFace++;
      const face = largest(faces);
      let embedding: Float32Array;
      try {
        embedding = await engine.embed(face);
      } finally {
        for (const x of faces) wipe(x.chip.data);
      }
      try {
        await record({ ...item, faces: faces.length }, embedding);
        report.enrolled++;
      } finally {
        wipe(embedding);
      }
    };
    const width = o.concurrency ?? Math.max(2, 2 * ((engine as { size?: number }).size ?? 1));
    const lane = async (): Promise<void> => {
      while (next < files.length) {
        if (o.signal?.aborted) {
          report.interrupted = true;
          return;
        }
        const f = files[next++]!;
        await one(f);
        done++;
        o.onProgress?.(done, files.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, Math.max(1, files.length)) }, lane));
    await commits;
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    report.imagesPerSecond = Math.round(((report.enrolled + report.fta.length + report.bad.length) / Math.max(0.001, (Date.now() - started) / 1000)) * 10) / 10;
    report.totals = await this.repos.galleries.counts(gallery.id);
    const counts = { enrolled: report.enrolled, fta: report.fta.length, bad: report.bad.length, duplicates: report.duplicates.length, alreadyImported: report.alreadyImported, interrupted: report.interrupted };
    await this.d.store.tx((_r, tx) => this.d.audit.append(tx, { ...who, action: 'gallery.import.end', target: `gallery:${gallery.id}`, details: counts }));
    return report;
  }
}
