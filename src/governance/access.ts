/**
 * Who may do what. The one permission table; every service method checks it before acting, so the
 * API, the CLI and anything else calling the services obey the same rules.
 */
import { OpenLfrError } from '../errors.ts';
import { RANK_LEVEL, AUTHORITY_MIN_RANK, type Principal, type Role } from './model.ts';

const PERMISSIONS = {
  'user.manage': ['ADMIN'],
  /** The allow-list of camera stream hosts and URL prefixes. */
  'camera.sources': ['ADMIN'],
  'user.list': ['ADMIN', 'AUDITOR'],
  'deployment.read': ['ADMIN', 'AUTHORISING_OFFICER', 'WATCHLIST_MANAGER', 'OPERATOR', 'ENGAGEMENT_OFFICER', 'AUDITOR'],
  /** Create and edit a draft, request authority. */
  'deployment.draft': ['ADMIN', 'OPERATOR', 'AUTHORISING_OFFICER'],
  'deployment.authorise': ['AUTHORISING_OFFICER'],
  /** Confirm signage, go live, close. */
  'deployment.operate': ['ADMIN', 'OPERATOR'],
  'deployment.cancel': ['ADMIN', 'OPERATOR', 'AUTHORISING_OFFICER'],
  'watchlist.read': ['ADMIN', 'AUTHORISING_OFFICER', 'WATCHLIST_MANAGER', 'OPERATOR', 'AUDITOR'],
  'watchlist.enrol': ['WATCHLIST_MANAGER'],
  'watchlist.review': ['WATCHLIST_MANAGER', 'AUTHORISING_OFFICER'],
  /** See a watchlist image (the console shows it beside a possible match). */
  'watchlist.image': ['WATCHLIST_MANAGER', 'OPERATOR', 'AUTHORISING_OFFICER'],
  /** Load the frozen templates of a live deployment (the live pipeline). */
  'watchlist.frozen': ['ADMIN', 'OPERATOR'],
  'audit.read': ['ADMIN', 'AUDITOR'],
  'audit.verify': ['ADMIN', 'AUDITOR'],
  /** Record a measured floor (`openlfr evaluate --record --as`): a named person, never the system. */
  'calibration.write': ['ADMIN'],
  /** Approve or reject a calibration that lowers the floor or the reference bar (a second person). */
  'calibration.approve': ['AUTHORISING_OFFICER'],
  'calibration.read': ['ADMIN', 'AUTHORISING_OFFICER', 'AUDITOR'],
  /** See the alert queue and an alert's facts (not its images). */
  'alert.read': ['ADMIN', 'OPERATOR', 'ENGAGEMENT_OFFICER', 'AUDITOR'],
  /** See the captured face and the watchlist image side by side (each view audited). */
  'alert.image': ['OPERATOR', 'ENGAGEMENT_OFFICER'],
  /** "Not a match, dismiss" or "possible match, send for engagement". */
  'alert.decide': ['OPERATOR'],
  /** The engagement officer's outcome after an independent assessment. */
  'alert.outcome': ['ENGAGEMENT_OFFICER'],
  /** Store a possible match from the live pipeline. */
  'alert.raise': [],
  /** Start or stop the live pipeline of a live deployment. */
  'live.operate': ['ADMIN', 'OPERATOR'],
  /** Export a confirmed alert's crop to a case (it leaves the retention clock), or release it. */
  'alert.export': ['ENGAGEMENT_OFFICER'],
  /** Transparency records: aggregate figures, nothing personal. */
  'report.read': ['ADMIN', 'AUTHORISING_OFFICER', 'WATCHLIST_MANAGER', 'OPERATOR', 'ENGAGEMENT_OFFICER', 'AUDITOR'],
  /** Subject access: was this person on a watchlist, did an alert concern them (audited). */
  'subject.access': ['ADMIN', 'AUDITOR'],
  /** The retention job's status and the audit alarm (shown in the console to everyone). */
  'oversight.status': ['ADMIN', 'AUTHORISING_OFFICER', 'WATCHLIST_MANAGER', 'OPERATOR', 'ENGAGEMENT_OFFICER', 'AUDITOR', 'INVESTIGATOR'],
  /** Retrospective search: galleries. */
  'gallery.manage': ['ADMIN'],
  'gallery.read': ['ADMIN', 'INVESTIGATOR', 'AUTHORISING_OFFICER', 'AUDITOR'],
  /** Run a search, and ask for authority to search a RESTRICTED gallery. */
  'search.run': ['INVESTIGATOR'],
  /** Give a second person's authority to search a RESTRICTED gallery. */
  'search.authorise': ['AUTHORISING_OFFICER'],
  /** Look at a withheld RESTRICTED result before it is released. */
  'search.review': ['INVESTIGATOR', 'AUTHORISING_OFFICER'],
  /** Counts of searches and refusals (no personal data). */
  'search.report': ['ADMIN', 'AUDITOR'],
  /** The evaluation harness's template cache (system:evaluation on the machine holding the store; the sweep expires it). */
  'evaluation.cache': [],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** What named system principals may do (they act on rules, never on a person's say-so). */
const SYSTEM_PERMISSIONS: Record<string, readonly Permission[]> = {
  'retention-sweep': ['deployment.read', 'watchlist.read', 'evaluation.cache'],
  /** `openlfr report searches` on the machine holding the store (counts only). */
  'transparency-report': ['search.report'],
  'live-pipeline': ['deployment.read', 'watchlist.read', 'watchlist.frozen', 'alert.raise', 'live.operate'],
  evaluation: ['evaluation.cache'],
  /** `openlfr audit verify` on the machine holding the store (the chain reveals no personal data). */
  'audit-verifier': ['audit.verify'],
  /** `openlfr report` on the machine holding the store (aggregate figures only). */
  transparency: ['report.read'],
};

export function can(p: Principal, perm: Permission): boolean {
  if (p.kind === 'system') return (SYSTEM_PERMISSIONS[p.name] ?? []).includes(perm);
  if (p.user.disabled) return false;
  const allowed: readonly Role[] = PERMISSIONS[perm];
  return p.user.roles.some((r) => allowed.includes(r));
}

/** Everything a principal may do (the console shows only what the user may do; the services still check). */
export function permissionsOf(p: Principal): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((perm) => can(p, perm));
}

export function requirePermission(p: Principal, perm: Permission): void {
  requireAnyPermission(p, [perm]);
}

/** At least one of the permissions (a worklist with a part for each role, each part filtered by its own permission). */
export function requireAnyPermission(p: Principal, perms: readonly [Permission, ...Permission[]]): void {
  if (perms.some((perm) => can(p, perm))) return;
  const who = p.kind === 'user' ? `${p.user.username} (${p.user.roles.join(', ')})` : `system:${p.name}`;
  const needs = [...new Set(perms.flatMap((perm) => PERMISSIONS[perm]))];
  throw new OpenLfrError('FORBIDDEN', `${who} may not ${perms.join(' or ')}; needs one of: ${needs.join(', ')}`, { permission: perms[0], needs });
}

export function hasAuthorityRank(p: Principal): boolean {
  return p.kind === 'user' && p.user.rank !== null && RANK_LEVEL[p.user.rank] >= RANK_LEVEL[AUTHORITY_MIN_RANK];
}

export function userIdOf(p: Principal): string | null {
  return p.kind === 'user' ? p.user.id : null;
}
