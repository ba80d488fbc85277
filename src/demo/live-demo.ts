/**
 * `openlfr demo`: the whole system in one command, on the embedded store with demo users and a demo
 * key. It follows the same rules as a real deployment, through the same services: users with roles,
 * a deployment drafted and authorised by a Superintendent who did not request it, a watchlist enrolled
 * through the quality gate and reviewed by a second person, signage confirmed, go-live, then the
 * video runs through the live pipeline and every possible match waits for a person's decision.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Config } from '../config.ts';
import { OpenLfrError, isOpenLfrError } from '../errors.ts';
import { defaultEngine } from '../governance/engine-provider.ts';
import type { Principal, Role, Rank } from '../governance/model.ts';
import { openServices, type Services } from '../governance/services.ts';

export const DEMO_PASSWORD = 'demo-password-not-secret';

export const DEMO_USERS: Array<{ username: string; displayName: string; roles: Role[]; rank?: Rank }> = [
  { username: 'admin', displayName: 'Demo Administrator', roles: ['ADMIN'] },
  // a second ADMIN: AUTHORISING_OFFICER and a rank are granted by two ADMINs (issue 14, 3a)
  { username: 'admin2', displayName: 'Demo Second Administrator', roles: ['ADMIN'] },
  { username: 'supt', displayName: 'Supt A. Authority', roles: ['AUTHORISING_OFFICER'], rank: 'SUPERINTENDENT' },
  { username: 'wm1', displayName: 'Watchlist Manager One', roles: ['WATCHLIST_MANAGER'] },
  { username: 'wm2', displayName: 'Watchlist Manager Two', roles: ['WATCHLIST_MANAGER'] },
  { username: 'operator', displayName: 'Control Room Operator', roles: ['OPERATOR'] },
  { username: 'engage', displayName: 'Engagement Officer', roles: ['ENGAGEMENT_OFFICER'] },
  { username: 'auditor', displayName: 'Auditor', roles: ['AUDITOR'] },
];

export interface DemoOptions {
  source: string;
  /** The deployment's cameras as `name=source` (default: `cam-1=<source>`). */
  cameras?: string[] | undefined;
  /** Folder of subject folders (one per person, reference photos inside), a folder of photos (one per
   *  person), or a list of photo files (one per person). */
  watchlist: string | string[];
  distractors?: string | undefined;
  /** How many distractor identities to enrol (default: all folders in `distractors`). */
  distractorCount?: number | undefined;
  threshold?: number | undefined;
  analysedFps?: number | undefined;
  onProgress?: (msg: string) => void;
}

export interface DemoSummary {
  engine: string;
  source: string;
  deploymentId: string;
  watchlistSize: number;
  watchlistSubjects: number;
  distractorsEnrolled: number;
  enrolmentRejected: number;
  threshold: number;
  framesDecoded: number;
  framesAnalysed: number;
  framesDropped: number;
  facesDetected: number;
  tracks: number;
  alerts: Array<{ subject: string; score: number; videoTimeSec: number; camera: string; status: string }>;
  realtimeFactor: number;
  analysedFps: number;
  alertLatencyMsP50: number | null;
  alertLatencyMsP95: number | null;
  setupSeconds: number;
  home: string;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

/** Subjects of a watchlist folder: `{name -> photo paths}`. */
export function subjectsOf(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) {
      const photos = readdirSync(join(dir, e.name))
        .filter((f) => IMAGE.test(f))
        .sort()
        .map((f) => join(dir, e.name, f));
      if (photos.length) out.set(e.name, photos);
    } else if (IMAGE.test(e.name)) out.set(basename(e.name, extname(e.name)), [join(dir, e.name)]);
  }
  return out;
}

export async function setUpDemo(config: Config, o: DemoOptions): Promise<{ services: Services; deploymentId: string; names: Map<string, string>; summary: Partial<DemoSummary>; as: (u: string) => Principal }> {
  const log = o.onProgress ?? (() => undefined);
  const subjects = Array.isArray(o.watchlist) ? new Map(o.watchlist.map((f) => [basename(f, extname(f)), [f]])) : null;
  if (!subjects && (!existsSync(o.watchlist as string) || !statSync(o.watchlist as string).isDirectory()))
    throw new OpenLfrError('NOT_FOUND', `${String(o.watchlist)}: no such watchlist folder`);
  const t0 = performance.now();
  rmSync(config.home, { recursive: true, force: true }); // the demo store is rebuilt every run
  const services = await openServices(config, defaultEngine);
  try {
    const users = new Map<string, Principal>();
    for (const u of DEMO_USERS) {
      const input = { ...u, password: DEMO_PASSWORD };
      let created = u.username === 'admin' ? await services.users.bootstrap(input) : await services.users.create(users.get('admin')!, input);
      // asked for by admin, confirmed by the second ADMIN
      if ('pendingGrant' in created && created.pendingGrant) created = await services.users.decideGrant(users.get('admin2')!, u.username, 'confirm', 'demo: rank and role checked by the second administrator');
      users.set(u.username, { kind: 'user', user: created });
    }
    const as = (u: string) => users.get(u)!;
    const now = services.clock.now();
    const floor = await services.calibrations.floorFor((await services.engine()).id);
    const threshold = o.threshold ?? floor.floor;
    const dep = await services.deployments.create(as('operator'), {
      name: 'Demo deployment',
      purpose: 'Demonstration of OpenLFR on a recorded clip: locate people wanted on warrant',
      useCase: 'Wanted by courts (demonstration)',
      locations: [{ name: 'Demo venue', reason: 'Intelligence indicates the demo subjects attend events at this venue' }],
      cameras: o.cameras ?? [`cam-1=${o.source}`],
      startsAt: new Date(now.getTime() - 60_000),
      endsAt: new Date(now.getTime() + 2 * 3600_000),
      threshold,
      dpiaRef: 'DPIA-DEMO-001',
      policyRefs: ['APD-DEMO-001'],
    });
    log(`deployment ${dep.id} drafted (threshold ${threshold}, floor ${floor.floor} from ${floor.source})`);
    const names = new Map<string, string>();
    let rejected = 0;
    const enrol = async (name: string, photo: string, reason: string) => {
      try {
        const e = await services.watchlists.enrol(as('wm1'), dep.id, {
          sourceRecordId: `DEMO/${name}`,
          category: 'WANTED_BY_COURT',
          reason,
          legalBasis: 'Warrant issued by a magistrates court (demonstration)',
          imageSource: 'Demo reference photo',
          captureDate: now.toISOString().slice(0, 10),
          under18: false,
          image: readFileSync(photo),
        });
        await services.watchlists.review(as('wm2'), e.id, 'checked against the source record (demo)');
        names.set(e.subjectRef, name);
        return true;
      } catch (err) {
        if (isOpenLfrError(err) && err.code === 'ENROLMENT_REJECTED') {
          rejected++;
          return false;
        }
        throw err;
      }
    };
    for (const [name, photos] of subjects ?? subjectsOf(o.watchlist as string)) for (const p of photos) await enrol(name, p, `Wanted on warrant: demo subject ${name}`);
    let distractors = 0;
    if (o.distractors) {
      const want = o.distractorCount ?? Infinity;
      for (const [name, photos] of subjectsOf(o.distractors)) {
        if (distractors >= want) break;
        if ((await enrol(name, photos[0]!, `Wanted on warrant: distractor ${name}`)) && ++distractors % 100 === 0) log(`${distractors} distractors enrolled`);
      }
    }
    await services.deployments.requestAuthorisation(as('operator'), dep.id, 'Demo: please authorise');
    await services.deployments.authorise(as('supt'), dep.id, 'Authorised for the demonstration: necessary and proportionate for this recorded clip');
    await services.deployments.confirmPublicNotice(as('operator'), dep.id, 'Signage in place (demo)');
    await services.deployments.goLive(as('operator'), dep.id);
    const entries = await services.watchlists.list(as('operator'), dep.id);
    log(`live: ${entries.length} watchlist entries (${distractors} distractors, ${rejected} photos refused by the quality gate)`);
    return {
      services,
      deploymentId: dep.id,
      names,
      as,
      summary: {
        deploymentId: dep.id,
        watchlistSize: entries.length,
        watchlistSubjects: new Set(entries.map((e) => e.subjectRef)).size,
        distractorsEnrolled: distractors,
        enrolmentRejected: rejected,
        threshold,
        setupSeconds: Math.round((performance.now() - t0) / 100) / 10,
        home: config.home,
      },
    };
  } catch (e) {
    await services.close();
    throw e;
  }
}

/** Run the demo to the end of the video and summarise (the `--json` mode). */
export async function runDemo(config: Config, o: DemoOptions): Promise<DemoSummary> {
  const { services, deploymentId, names, summary, as } = await setUpDemo(config, o);
  try {
    await services.live.start(as('operator'), deploymentId, { analysedFps: o.analysedFps ?? 10, pace: 'asap' });
    const [run] = await services.live.wait(deploymentId);
    if (!run) throw new OpenLfrError('INTERNAL', 'the demo pipeline did not run');
    const alerts = await services.alerts.list(as('operator'), deploymentId);
    const engine = (await services.deployments.get(as('operator'), deploymentId)).engineId ?? '';
    return {
      ...(summary as DemoSummary),
      engine,
      source: o.source,
      framesDecoded: run.framesDecoded,
      framesAnalysed: run.framesAnalysed,
      framesDropped: run.framesDropped + run.sourceFramesDropped,
      facesDetected: run.facesDetected,
      tracks: run.tracks,
      alerts: alerts
        .map((a) => ({ subject: names.get(a.subjectRef) ?? a.subjectRef, score: Math.round(a.score * 1000) / 1000, videoTimeSec: Math.round(a.videoTimeSec * 100) / 100, camera: a.camera, status: a.status }))
        .sort((a, b) => a.videoTimeSec - b.videoTimeSec),
      realtimeFactor: run.realtimeFactor,
      analysedFps: run.analysedFpsAchieved,
      alertLatencyMsP50: run.alertLatencyMsP50,
      alertLatencyMsP95: run.alertLatencyMsP95,
    };
  } finally {
    await services.close();
  }
}
