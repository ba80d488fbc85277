/**
 * A deployment taken through the real governance services to LIVE (users, watchlist of two subjects,
 * reviews, authority, signage, go-live), and alerts raised on it as the live pipeline would. For the
 * retention, transparency and oversight tests.
 */
import type { Alert, OperatorDecision, Outcome, Principal } from '../../src/governance/model.ts';
import { SYSTEM_LIVE } from '../../src/governance/model.ts';
import type { Services } from '../../src/governance/services.ts';
import { confirmGrants, pngBytes } from './governance.ts';

export interface People {
  admin: Principal;
  op: Principal;
  wm1: Principal;
  wm2: Principal;
  supt: Principal;
  eo: Principal;
  aud: Principal;
}

export interface Clockish {
  set(iso: string): void;
}

export async function people(s: Services): Promise<People> {
  const u = s.users;
  await u.bootstrap({ username: 'admin', displayName: 'A', roles: ['ADMIN'], password: 'admin-password-1' });
  const admin = await u.checkPassword('admin', 'admin-password-1', 'test');
  const add = async (username: string, roles: Parameters<typeof u.create>[1]['roles'], rank?: 'SUPERINTENDENT') => {
    const made = await u.create(admin, { username, displayName: username, roles, password: `${username}-password-1`, ...(rank ? { rank } : {}) });
    if (made.pendingGrant) await confirmGrants(s, admin);
    return u.checkPassword(username, `${username}-password-1`, 'test');
  };
  return {
    admin,
    op: await add('op', ['OPERATOR']),
    wm1: await add('wm1', ['WATCHLIST_MANAGER']),
    wm2: await add('wm2', ['WATCHLIST_MANAGER']),
    supt: await add('supt', ['AUTHORISING_OFFICER'], 'SUPERINTENDENT'),
    eo: await add('eo', ['ENGAGEMENT_OFFICER']),
    aud: await add('aud', ['AUDITOR']),
  };
}

/** Subjects on the watchlist: source-system ids and categories. */
export const SUBJECTS = [
  { sourceRecordId: 'PNC-11/123456A', category: 'WANTED_BY_COURT' as const },
  { sourceRecordId: 'PNC-22/654321B', category: 'MISSING_AT_RISK' as const },
];

/** Draft, enrol, review, authorise and go live in the window [day 10:00, day 16:00). Leaves the clock at day 10:05. */
export async function liveDeployment(s: Services, p: People, clock: Clockish, day = '2026-06-01', name = 'Queen Street, match day'): Promise<{ id: string; subjectRefs: string[] }> {
  clock.set(`${day}T08:00:00Z`);
  const d = await s.deployments.create(p.op, {
    name, purpose: 'Locate people wanted on warrant expected in the crowd', useCase: 'Locate wanted persons',
    locations: [{ name: 'Queen Street, Cardiff', reason: 'Intelligence places the wanted subjects here' }], cameras: ['van-1-north', 'van-1-south'],
    startsAt: new Date(`${day}T10:00:00Z`), endsAt: new Date(`${day}T16:00:00Z`), threshold: 0.6, dpiaRef: 'DPIA-2026-014', policyRefs: ['LFR-POLICY-v3'],
  });
  const refs: string[] = [];
  for (const [i, sub] of SUBJECTS.entries()) {
    const e = await s.watchlists.enrol(p.wm1, d.id, {
      sourceRecordId: sub.sourceRecordId, category: sub.category, reason: 'Failed to appear: warrant issued', legalBasis: 'Warrant of the Crown Court',
      imageSource: 'custody imaging', captureDate: new Date(Date.parse(day) - 150 * 86_400_000).toISOString().slice(0, 10), under18: false, image: await pngBytes(i + 1),
    });
    await s.watchlists.review(p.wm2, e.id, 'Checked on PNC today');
    refs.push(e.subjectRef);
  }
  await s.deployments.requestAuthorisation(p.op, d.id, 'two wanted subjects expected');
  await s.deployments.authorise(p.supt, d.id, 'Necessary and proportionate: specific intelligence');
  await s.deployments.confirmPublicNotice(p.op, d.id, 'A-boards at both ends');
  clock.set(`${day}T10:05:00Z`);
  await s.deployments.goLive(p.op, d.id);
  return { id: d.id, subjectRefs: refs };
}

let track = 0;
/** An alert as the live pipeline raises it (the crop is a small real image, sealed by the biometric store). */
export async function raise(s: Services, deploymentId: string, subjectRef: string, camera = 'van-1-north'): Promise<Alert> {
  const data = new Uint8Array(16 * 16 * 3).map((_, i) => (i * 7) % 251);
  return s.alerts.raise(SYSTEM_LIVE, { deploymentId, camera, trackId: ++track, subjectRef, score: 0.71, threshold: 0.6, videoTimeSec: track, shotsFused: 3, crop: { width: 16, height: 16, data } });
}

/** The operator's decision and, for an engagement, the engagement officer's outcome. */
export async function judge(s: Services, p: People, id: string, decision: OperatorDecision, outcome?: Outcome): Promise<void> {
  await s.alerts.decide(p.op, id, decision, decision === 'DISMISS' ? 'not him: different ears' : 'looks like him');
  if (outcome) await s.alerts.outcome(p.eo, id, outcome, `engagement: ${outcome.toLowerCase()}`);
}
