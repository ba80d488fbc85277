/**
 * THE biometric store: the one module that writes, reads and deletes biometric data (face images,
 * templates, alert crops, probes, evaluation caches). Everything it keeps is sealed with AES-256-GCM
 * (./crypto.ts); images are sealed blobs (./sealed-blobs.ts: files under `<home>/blobs`, or the database),
 * templates are rows. Every write, read and delete appends an audit entry in the same transaction.
 * Nothing biometric is logged or put in errors.
 *
 * Blobs are written durably before their row commits (with the database, in the same transaction);
 * destruction deletes rows first (and records a tombstone per blob in the same transaction), then blobs.
 * A crash between the two leaves the tombstone, and `finishDeletes()` (run by every retention job) removes
 * the blob; a blob with neither row nor tombstone (a crashed write) is removed by `reconcile()`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { OpenLfrError } from '../errors.ts';
import type { AuditTrail } from '../governance/audit-trail.ts';
import type { Clock } from '../governance/model.ts';
import type { DataKey } from './crypto.ts';
import type { Db, Queryable, Tx } from './db.ts';
import { biometricsRepo, type BlobKind, type TemplateKind, type TemplateRow } from './repositories/biometrics.ts';
import { fileBlobs, type RemoveFile, type SealedBlobs } from './sealed-blobs.ts';

export type { BlobKind, TemplateKind };

export interface Who {
  actor: string;
  reason: string;
}

export interface StoredTemplate {
  id: string;
  ownerId: string;
  engineId: string;
  vector: Float32Array;
}

export type { RemoveFile, SealedBlobs };

export class BiometricStore {
  private readonly blobs: SealedBlobs;

  constructor(
    private readonly o: { key: DataKey; home: string; clock: Clock; audit: AuditTrail; blobs?: SealedBlobs; removeFile?: RemoveFile },
  ) {
    this.blobs = o.blobs ?? fileBlobs(join(o.home, 'blobs'), o.removeFile);
  }

  /** Where sealed blobs are kept: `files` under <home>/blobs, or the `database`. */
  get blobsKind(): SealedBlobs['kind'] {
    return this.blobs.kind;
  }

  /** Seal and store an image for `ownerId` (a watchlist entry, an alert...). Returns the blob id. */
  async putImage(tx: Queryable, kind: BlobKind, ownerId: string, bytes: Uint8Array, who: Who): Promise<string> {
    const id = randomUUID().replaceAll('-', '');
    const sizeBytes = await this.writeSealed(tx, id, ownerId, bytes);
    await biometricsRepo(tx).insertBlob({ id, kind, ownerId, sizeBytes, createdAt: this.o.clock.now() });
    await this.o.audit.append(tx, { ...who, action: 'biometric.image.write', target: `blob:${id}`, details: { kind, ownerId } });
    return id;
  }

  /** Seal `bytes` as blob `id` (bound to its owner), durably, before (or with) its row. Returns the sealed size. */
  private async writeSealed(q: Queryable, id: string, ownerId: string, bytes: Uint8Array): Promise<number> {
    const sealed = this.o.key.seal(bytes, `blob:${id}:${ownerId}`);
    await this.blobs.write(q, id, sealed);
    return sealed.length;
  }

  /** Read and open blob `id` (throws BIOMETRIC_UNREADABLE when it is missing; opening throws when it was tampered with). */
  private async readSealed(q: Queryable, id: string, ownerId: string): Promise<Uint8Array> {
    const sealed = await this.blobs.read(q, id);
    if (!sealed) throw new OpenLfrError('BIOMETRIC_UNREADABLE', `The image for ${id} is missing`, { blobId: id });
    return this.o.key.open(sealed, `blob:${id}:${ownerId}`);
  }

  async imageIds(q: Queryable, ownerId: string): Promise<string[]> {
    return (await biometricsRepo(q).blobsOf([ownerId])).map((b) => b.id);
  }

  /** Read and open one image (audited). */
  async getImage(tx: Queryable, blobId: string, who: Who): Promise<Uint8Array> {
    const row = await biometricsRepo(tx).blob(blobId);
    if (!row) throw new OpenLfrError('NOT_FOUND', `No image ${blobId}`);
    const plain = await this.readSealed(tx, blobId, row.ownerId);
    await this.o.audit.append(tx, { ...who, action: 'biometric.image.read', target: `blob:${blobId}`, details: { kind: row.kind, ownerId: row.ownerId } });
    return plain;
  }

  /** Seal and store a template. `group` puts it in a set read as one (a gallery: see getTemplateGroup). */
  async putTemplate(tx: Queryable, kind: TemplateKind, ownerId: string, engineId: string, vector: Float32Array, who: Who, group?: string): Promise<string> {
    const id = randomUUID().replaceAll('-', '');
    const bytes = new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
    const sealed = this.o.key.seal(bytes, `template:${id}:${ownerId}:${engineId}`);
    await biometricsRepo(tx).insertTemplate({ id, kind, ownerId, engineId, dims: vector.length, sealed, createdAt: this.o.clock.now(), ownerGroup: group ?? null });
    await this.o.audit.append(tx, { ...who, action: 'biometric.template.write', target: `template:${id}`, details: { kind, ownerId, engineId, ...(group ? { group } : {}) } });
    return id;
  }

  /** Ids of a group's templates (no biometric data, not a read). */
  async templateIdsOfGroup(q: Queryable, group: string): Promise<string[]> {
    return biometricsRepo(q).templateIdsOfGroup(group);
  }

  /** Read and open a group's templates (all, or only `ids`): one audit entry for the batch. */
  async getTemplateGroup(tx: Queryable, group: string, who: Who, ids?: readonly string[]): Promise<StoredTemplate[]> {
    const out = (await biometricsRepo(tx).templatesOfGroup(group, ids)).map((t) => this.openTemplate(t));
    await this.o.audit.append(tx, { ...who, action: 'biometric.template.read', target: `group:${group}`, details: { group, templates: out.length } });
    return out;
  }

  private openTemplate(t: TemplateRow): StoredTemplate {
    const plain = this.o.key.open(t.sealed, `template:${t.id}:${t.ownerId}:${t.engineId}`);
    const vector = new Float32Array(plain.buffer, plain.byteOffset, plain.byteLength / 4);
    if (vector.length !== t.dims) throw new OpenLfrError('BIOMETRIC_UNREADABLE', `Template ${t.id} has the wrong length`);
    return { id: t.id, ownerId: t.ownerId, engineId: t.engineId, vector };
  }

  /**
   * Whether the data key opens the store's sealed data: the newest template is opened and its plaintext wiped at
   * once; undefined when the store holds none. Audited as a read (`biometric.key-check`). Used once, when a store
   * made before its key check was recorded first starts (src/governance/store-key.ts).
   */
  async keyOpens(tx: Queryable, who: Who): Promise<boolean | undefined> {
    const t = await biometricsRepo(tx).newestTemplate();
    if (!t) return undefined;
    let opens = true;
    try {
      this.o.key.open(t.sealed, `template:${t.id}:${t.ownerId}:${t.engineId}`).fill(0);
    } catch {
      opens = false;
    }
    await this.o.audit.append(tx, { ...who, action: 'biometric.key-check', target: `template:${t.id}`, details: { opens } });
    return opens;
  }

  /** Engines and counts of the templates held for these owners (no biometric data, not a read). */
  async templateEngines(q: Queryable, ownerIds: readonly string[]): Promise<{ ownerId: string; engineId: string }[]> {
    return (await biometricsRepo(q).templateMeta(ownerIds)).map((t) => ({ ownerId: t.ownerId, engineId: t.engineId }));
  }

  /** Read and open the templates of these owners (one audit entry for the batch). */
  async getTemplates(tx: Queryable, ownerIds: readonly string[], who: Who): Promise<StoredTemplate[]> {
    const rows = await biometricsRepo(tx).templatesOf(ownerIds);
    const out = rows.map((t) => this.openTemplate(t));
    // a whole watchlist is read at each enrolment (the reference check): name up to 100 owners, beyond that a digest of the list
    const owners = ownerIds.length <= 100 ? { ownerIds } : { owners: ownerIds.length, ownerIdsSha256: createHash('sha256').update(ownerIds.join('\n')).digest('hex') };
    await this.o.audit.append(tx, { ...who, action: 'biometric.template.read', target: `owners:${ownerIds.length}`, details: { ...owners, templates: out.length } });
    return out;
  }

  /**
   * Destroy every image and template of these owners: rows deleted, a tombstone per file recorded and the
   * deletion audited in one transaction (with `within`, the caller's own changes join that transaction),
   * then the files removed and their tombstones cleared. Idempotent: an interrupted destruction is finished
   * by `finishDeletes()` or by running it again.
   */
  async destroy(db: Db, ownerIds: readonly string[], who: Who, within?: (tx: Tx) => Promise<void>): Promise<{ images: number; templates: number }> {
    const done = await db.transaction(async (tx) => {
      const repo = biometricsRepo(tx);
      const ids = (await repo.blobsOf(ownerIds)).map((b) => b.id);
      const images = await this.dropBlobs(tx, ids);
      const templates = await repo.deleteTemplates(ownerIds);
      await this.o.audit.append(tx, { ...who, action: 'biometric.destroy', target: `owners:${ownerIds.length}`, details: { ownerIds, images, templates } });
      if (within) await within(tx);
      return { ids, images, templates };
    });
    await this.removeFiles(db, done.ids);
    return { images: done.images, templates: done.templates };
  }

  /** Delete blob rows and record a tombstone per file, in the caller's transaction (the files go after it commits). */
  private async dropBlobs(tx: Queryable, ids: readonly string[]): Promise<number> {
    const repo = biometricsRepo(tx);
    const n = await repo.deleteBlobs(ids);
    await repo.insertTombstones(ids, this.o.clock.now());
    return n;
  }

  /**
   * Replace the evaluation template cache `ownerId` (src/evaluate/cache.ts: one sealed blob per engine,
   * variant and dataset): the new file is written first; then in one transaction its row is inserted, the
   * previous caches of that owner are deleted with a tombstone per file, and the write is audited (counts
   * only); then the old files are removed. Returns the new blob id.
   */
  async putEvaluationCache(db: Db, ownerId: string, plain: Uint8Array, about: { engineId: string; entries: number }, who: Who): Promise<string> {
    const id = randomUUID().replaceAll('-', '');
    const sizeBytes = await this.writeSealed(db, id, ownerId, plain);
    const replaced = await db.transaction(async (tx) => {
      const repo = biometricsRepo(tx);
      const old = (await repo.blobsOfKind('evaluation_templates', { ownerIds: [ownerId] })).map((b) => b.id);
      await this.dropBlobs(tx, old);
      await repo.insertBlob({ id, kind: 'evaluation_templates', ownerId, sizeBytes, createdAt: this.o.clock.now() });
      await this.o.audit.append(tx, {
        ...who,
        action: 'biometric.evaluation-cache.write',
        target: `blob:${id}`,
        details: { kind: 'evaluation_templates', ownerId, engineId: about.engineId, entries: about.entries, replaced: old },
      });
      return old;
    });
    await this.removeFiles(db, replaced);
    return id;
  }

  /**
   * Read the evaluation template cache `ownerId` (the newest, if a concurrent writer left two), opened and
   * handed to `decode` inside the audited transaction, so the audit entry counts what was read. A cache
   * that cannot be read (file missing, sealed with another key, tampered with) or decoded is destroyed
   * instead, and that is audited: the result is then null and the caller rebuilds it. Null when there is none.
   */
  async getEvaluationCache<T>(db: Db, ownerId: string, engineId: string, who: Who, decode: (plain: Uint8Array) => { value: T; entries: number }): Promise<T | null> {
    const out = await db.transaction(async (tx) => {
      const [row] = await biometricsRepo(tx).blobsOfKind('evaluation_templates', { ownerIds: [ownerId] });
      if (!row) return { value: null, discard: [] };
      const target = `blob:${row.id}`;
      const details = { kind: row.kind, ownerId, engineId };
      let problem: 'missing' | 'unsealable' | 'invalid' = 'missing';
      try {
        const sealed = await this.blobs.read(tx, row.id);
        if (!sealed) throw new OpenLfrError('BIOMETRIC_UNREADABLE', 'missing');
        problem = 'unsealable';
        const plain = this.o.key.open(sealed, `blob:${row.id}:${ownerId}`);
        problem = 'invalid';
        try {
          const { value, entries } = decode(plain);
          await this.o.audit.append(tx, { ...who, action: 'biometric.evaluation-cache.read', target, details: { ...details, entries } });
          return { value, discard: [] };
        } finally {
          plain.fill(0);
        }
      } catch {
        await this.dropBlobs(tx, [row.id]);
        await this.o.audit.append(tx, { ...who, action: 'biometric.evaluation-cache.discard', target, details: { ...details, problem } });
        return { value: null, discard: [row.id] };
      }
    });
    await this.removeFiles(db, out.discard);
    return out.value;
  }

  /** Owners of evaluation template caches (all, or those written before `before`): no biometric data, not a read. */
  async evaluationCacheOwners(q: Queryable, before?: Date): Promise<string[]> {
    const rows = await biometricsRepo(q).blobsOfKind('evaluation_templates', before ? { before } : {});
    return [...new Set(rows.map((b) => b.ownerId))];
  }

  private async removeFiles(db: Db, ids: readonly string[]): Promise<void> {
    await this.blobs.remove(db, ids);
    await biometricsRepo(db).clearTombstones(ids);
  }

  /** Remove the blobs of deletions that committed but did not finish (a crash after the rows went). */
  async finishDeletes(db: Db): Promise<number> {
    const ids = await biometricsRepo(db).tombstones();
    await this.removeFiles(db, ids);
    return ids.length;
  }

  /**
   * Remove sealed blobs that have no row (left by a crash or a rolled-back write). Blobs younger than
   * `minAgeMs` are left alone: their row may belong to a transaction still in progress.
   */
  async reconcile(q: Queryable, minAgeMs = 10 * 60_000): Promise<number> {
    return this.blobs.removeOrphans(q, await biometricsRepo(q).allBlobIds(), minAgeMs);
  }
}
