/**
 * Pure decisions of the console, kept apart from React and the DOM so the unit tests run them as they are
 * (issue 14, item 13): which page a person lands on, how an image deleted under the retention rules is
 * told, and the audit alarm's wording.
 */

/** The first page for these permissions: never a page the role is refused (an investigator has no deployments). */
export function landingPage(permissions: readonly string[]): 'deployments' | 'search' | 'home' {
  if (permissions.includes('deployment.read')) return 'deployments';
  if (['search.run', 'search.review', 'search.authorise'].some((p) => permissions.includes(p))) return 'search';
  return 'home';
}

/**
 * An image deleted under the retention rules is the system working as it should, not a refusal: the
 * sentence to show in a neutral notice, or null when the error is something else.
 */
export function retentionNotice(e: { code?: string; message?: string; details?: Record<string, unknown> | undefined } | null | undefined): string | null {
  if (!e || e.details?.['deletedByRetention'] !== true) return null;
  return e.message ?? 'Deleted under the retention rules';
}

export interface OversightStatus {
  auditAlarm?: boolean;
  audit?: { at?: string; ok?: boolean; entries?: number; firstBad?: { seq: number | null; problem: string } | null } | null;
}

/** The alarm every role sees while the last audit check found the chain broken; null while it is intact. */
export function alarmMessage(s: OversightStatus | null | undefined): string | null {
  if (!s?.auditAlarm) return null;
  const bad = s.audit?.firstBad;
  const where = bad ? `at entry ${bad.seq ?? '?'}: ${bad.problem}` : '';
  return `Audit trail BROKEN ${where}. Records may have been altered: tell your force's auditor or information security team now, and do not rely on this system's records until it is checked.`.replace('BROKEN .', 'BROKEN.');
}
