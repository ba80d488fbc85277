/**
 * Watchlists: one per deployment, built before go-live, reviewed entry by entry by a second person,
 * frozen at go-live and destroyed at close. Each entry is in one category of a closed list and carries
 * its reason, legal basis and image provenance. Images pass the enrolment quality gate.
 */
import { randomUUID } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';
import { normaliseSourceId, normaliseText, optionalText, realWords, requiredText } from './required-text.ts';
import { decodeImage } from '../ingest/image.ts';
import { wipe } from '../engine/port.ts';
import { requirePermission, userIdOf } from './access.ts';
import { refuse, type GovernanceDeps } from './deps.ts';
import { authorityWithdrawn } from './deployments.ts';
import { actorOf, CATEGORIES, type Category, type Deployment, type Principal, type WatchlistEntry } from './model.ts';
import { assessEnrolment } from './quality-gate.ts';
import { assessStrength, checkReference, type OnWatchlist, type ReferenceCheck } from './reference-check.ts';

export interface EnrolInput {
  /** The subject's identifier in the source system (e.g. PNC ID). Never stored: only its keyed pseudonym is. */
  sourceRecordId: string;
  category: Category;
  reason: string;
  /** Grounds for suspicion; required for WANTED_BY_POLICE_SUSPECT. */
  grounds?: string | null | undefined;
  legalBasis: string;
  /** The system the image came from (e.g. custody imaging). */
  imageSource: string;
  /** Date the image was captured (YYYY-MM-DD): the most recent suitable image. */
  captureDate: string;
  under18: boolean;
  /** Why including a child is necessary; required when under18. */
  riskRationale?: string | null | undefined;
  /**
   * Why the enrolment stands although the photo does not match the subject's other photos on this
   * watchlist (the reference check, src/governance/reference-check.ts). Recorded on the entry and audited.
   */
  checkOverride?: string | null | undefined;
  image: Uint8Array;
}

const MIN_TEXT = 10;

/** Required text, normalised and in real words (see required-text.ts). */
const text = (v: string | null | undefined, field: string, min = 2): string => requiredText(v, field, { min });

export class WatchlistService {
  constructor(private readonly d: GovernanceDeps) {}

  private async openDeployment(id: string): Promise<Deployment> {
    const dep = await this.d.store.repos.deployments.byId(id);
    if (!dep) throw new OpenLfrError('NOT_FOUND', `No deployment ${id}`);
    if (dep.state !== 'DRAFT' && dep.state !== 'AUTHORISED') {
      throw new OpenLfrError('WATCHLIST_FROZEN', `The watchlist of deployment ${id} is ${dep.state === 'LIVE' ? 'frozen (live)' : 'closed'}; it can no longer change`);
    }
    return dep;
  }

  /** Check the entry's record (no image work). Throws the first rule broken. */
  validate(input: Omit<EnrolInput, 'image'>, today: Date): void {
    if (!CATEGORIES.includes(input.category)) {
      throw new OpenLfrError('BAD_REQUEST', `category must be one of ${CATEGORIES.join(', ')} (there is no catch-all)`, { field: 'category' });
    }
    normaliseSourceId(input.sourceRecordId);
    text(input.reason, 'reason', MIN_TEXT);
    text(input.legalBasis, 'legalBasis', MIN_TEXT);
    text(input.imageSource, 'imageSource');
    if (input.category === 'WANTED_BY_POLICE_SUSPECT') {
      requiredText(input.grounds, 'grounds', { min: MIN_TEXT, code: 'RULE_VIOLATION', what: 'a suspect wanted by police needs the grounds for suspicion recorded', details: { rule: 'suspect-grounds' } });
    }
    if (input.under18) {
      requiredText(input.riskRationale, 'riskRationale', { min: MIN_TEXT, code: 'RULE_VIOLATION', what: 'a subject under 18 needs a recorded risk rationale', details: { rule: 'under18-rationale' } });
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.captureDate) || Number.isNaN(Date.parse(input.captureDate))) {
      throw new OpenLfrError('BAD_REQUEST', 'captureDate must be a date, YYYY-MM-DD', { field: 'captureDate' });
    }
    if (Date.parse(input.captureDate) > today.getTime()) {
      throw new OpenLfrError('RULE_VIOLATION', 'captureDate is in the future', { rule: 'capture-date', field: 'captureDate' });
    }
  }

  async enrol(p: Principal, deploymentId: string, input: EnrolInput): Promise<WatchlistEntry> {
    requirePermission(p, 'watchlist.enrol');
    const dep = await this.openDeployment(deploymentId);
    this.validate(input, this.d.clock.now());
    const target = `deployment:${deploymentId}`;
    const engine = await this.d.engine();
    const img = await decodeImage(input.image, { maxPixels: this.d.config.engine.maxImagePixels, maxBytes: this.d.config.engine.maxImageBytes }, 'enrolment image');
    // detect and embed in one pass: the embedder's output length (the photo's strength) comes with the template
    let analysed;
    try {
      analysed = await engine.analyse(img);
    } finally {
      wipe(img.data);
    }
    const verdict = assessEnrolment(analysed.map((a) => a.face), this.d.config.governance);
    const chosen = verdict.ok ? analysed.find((a) => a.face === verdict.face) : undefined;
    for (const a of analysed) {
      wipe(a.face.chip.data);
      if (a !== chosen) wipe(a.embedding);
    }
    if (!chosen) {
      const message = `Enrolment image rejected: ${verdict.failures.map((f) => f.message).join(' ')}`;
      return refuse(this.d, p, 'watchlist.enrol', target, new OpenLfrError('ENROLMENT_REJECTED', message, { failures: verdict.failures, quality: verdict.quality }));
    }
    const embedding = chosen.embedding;
    const subjectRef = `S-${this.d.key.pseudonym(normaliseSourceId(input.sourceRecordId))}`;
    let referenceCheck: ReferenceCheck;
    try {
      referenceCheck = await this.checkAgainstWatchlist(p, dep, subjectRef, engine.id, chosen, input.checkOverride);
    } catch (e) {
      wipe(embedding);
      return refuse(this.d, p, 'watchlist.enrol', target, e);
    }
    const entry: WatchlistEntry = {
      id: `wle_${randomUUID()}`,
      deploymentId,
      subjectRef,
      category: input.category,
      reason: normaliseText(input.reason),
      grounds: optionalText(input.grounds),
      legalBasis: normaliseText(input.legalBasis),
      imageSource: normaliseText(input.imageSource),
      captureDate: input.captureDate,
      under18: input.under18,
      riskRationale: optionalText(input.riskRationale),
      quality: verdict.quality,
      referenceCheck,
      enrolledBy: userIdOf(p)!,
      enrolledAt: this.d.clock.now(),
      reviewedBy: null,
      reviewedAt: null,
      destroyedAt: null,
    };
    const who = { actor: actorOf(p), reason: `enrolment on the watchlist of ${deploymentId}` };
    let withdrawn = false;
    try {
      await this.d.store.tx(async (r, tx) => {
        const dep = await r.deployments.byId(deploymentId, true);
        if (!dep || (dep.state !== 'DRAFT' && dep.state !== 'AUTHORISED')) throw new OpenLfrError('WATCHLIST_FROZEN');
        await r.watchlist.insert(entry);
        if (dep.state === 'AUTHORISED') {
          // the authorising officer never saw this entry: authority is withdrawn in the same transaction
          withdrawn = true;
          await r.deployments.update(deploymentId, authorityWithdrawn(entry.enrolledAt));
          await this.d.audit.append(tx, {
            actor: actorOf(p),
            action: 'deployment.authority-withdrawn',
            target: `deployment:${deploymentId}`,
            reason: `watchlist entry ${entry.id} enrolled after authority was given: the deployment must be requested and authorised again`,
            details: { change: 'watchlist.enrol', entryId: entry.id, authorisedBy: dep.authorisedBy, authorisedAt: dep.authorisedAt },
          });
        }
        await this.d.biometrics.putImage(tx, 'watchlist_image', entry.id, input.image, who);
        await this.d.biometrics.putTemplate(tx, 'watchlist', entry.id, engine.id, embedding, who);
        await this.d.audit.append(tx, {
          ...who,
          action: 'watchlist.enrol',
          target: `watchlist-entry:${entry.id}`,
          details: { deploymentId, subjectRef: entry.subjectRef, category: entry.category, under18: entry.under18, quality: entry.quality, referenceCheck },
        });
      });
    } finally {
      wipe(embedding);
    }
    if (withdrawn) this.d.events.emit('deployment', { id: deploymentId, state: 'DRAFT' });
    return entry;
  }

  /**
   * The reference check (src/governance/reference-check.ts): the new template against the templates of the
   * deployment's current entries, read from the biometric store (audited) and wiped after use, and the photo's
   * strength against the engine's calibration. Throws REFERENCE_MISMATCH when a further photo of the subject
   * does not match and no override is given.
   */
  private async checkAgainstWatchlist(
    p: Principal,
    dep: Deployment,
    subjectRef: string,
    engineId: string,
    face: { embedding: Float32Array; embeddingNorm?: number },
    override: string | null | undefined,
  ): Promise<ReferenceCheck> {
    const deploymentId = dep.id;
    const entries = (await this.d.store.repos.watchlist.byDeployment(deploymentId)).filter((e) => !e.destroyedAt);
    const stored = entries.length
      ? await this.d.store.tx((_r, tx) =>
          this.d.biometrics.getTemplates(
            tx,
            entries.map((e) => e.id),
            { actor: actorOf(p), reason: `reference check of a new enrolment on the watchlist of ${deploymentId}` },
          ),
        )
      : [];
    try {
      const subjectOf = new Map(entries.map((e) => [e.id, e.subjectRef]));
      const bySubject = new Map<string, Float32Array[]>();
      for (const t of stored) {
        if (t.engineId !== engineId) continue; // another engine's scores are not comparable (go-live refuses such entries anyway)
        const s = subjectOf.get(t.ownerId)!;
        bySubject.set(s, [...(bySubject.get(s) ?? []), t.vector]);
      }
      const watchlist: OnWatchlist[] = [...bySubject].map(([ref, vectors]) => ({ subjectRef: ref, vectors }));
      const { bar, source } = await this.d.floor.referenceBarFor(engineId);
      const check = checkReference(face.embedding, subjectRef, watchlist, { bar, barSource: source, alertThreshold: dep.threshold });
      const calibrated = face.embeddingNorm === undefined ? null : await this.d.floor.referenceStrengthFor(engineId);
      const strength = calibrated && face.embeddingNorm !== undefined ? assessStrength(face.embeddingNorm, calibrated) : null;
      if (check.sameSubject.passed) return { ...check, override: null, strength };
      const why = normaliseText(override);
      if (why.length >= MIN_TEXT && realWords(why) >= 2) return { ...check, override: why, strength };
      throw new OpenLfrError(
        'REFERENCE_MISMATCH',
        `This photo scores ${check.sameSubject.bestScore} against the ${check.sameSubject.references} photo(s) of ${subjectRef} already on this watchlist, below the reference bar ${bar}: it may show someone else. Check the image is of this person; if it is, enrol it with checkOverride saying why (at least ${MIN_TEXT} characters and 2 words).`,
        { sameSubject: check.sameSubject },
      );
    } finally {
      for (const t of stored) wipe(t.vector);
    }
  }

  async review(p: Principal, entryId: string, note: string): Promise<WatchlistEntry> {
    requirePermission(p, 'watchlist.review');
    const entry = await this.d.store.repos.watchlist.byId(entryId);
    if (!entry) throw new OpenLfrError('NOT_FOUND', `No watchlist entry ${entryId}`);
    await this.openDeployment(entry.deploymentId);
    const target = `watchlist-entry:${entryId}`;
    if (entry.enrolledBy === userIdOf(p)) {
      return refuse(this.d, p, 'watchlist.review', target, new OpenLfrError('REVIEW_SELF', 'You enrolled this entry; another person must review it'));
    }
    if (entry.reviewedBy) throw new OpenLfrError('CONFLICT', 'This entry has already been reviewed');
    const at = this.d.clock.now();
    await this.d.store.tx(async (r, tx) => {
      await r.watchlist.markReviewed(entryId, userIdOf(p)!, at);
      await this.d.audit.append(tx, { actor: actorOf(p), action: 'watchlist.review', target, reason: text(note, 'note'), details: { deploymentId: entry.deploymentId } });
    });
    return { ...entry, reviewedBy: userIdOf(p), reviewedAt: at };
  }

  async list(p: Principal, deploymentId: string): Promise<WatchlistEntry[]> {
    requirePermission(p, 'watchlist.read');
    return this.d.store.repos.watchlist.byDeployment(deploymentId);
  }

  /** The enrolment image of an entry (audited read), e.g. for the console beside a possible match. */
  async image(p: Principal, entryId: string, reason: string): Promise<Uint8Array> {
    requirePermission(p, 'watchlist.image');
    const entry = await this.d.store.repos.watchlist.byId(entryId);
    if (!entry) throw new OpenLfrError('NOT_FOUND', `No watchlist entry ${entryId}`);
    const [blobId] = await this.d.biometrics.imageIds(this.d.store.db, entryId);
    if (!blobId) throw new OpenLfrError('NOT_FOUND', `The image of ${entryId} has been destroyed`);
    return this.d.store.tx((_r, tx) => this.d.biometrics.getImage(tx, blobId, { actor: actorOf(p), reason: text(reason, 'reason') }));
  }
}
