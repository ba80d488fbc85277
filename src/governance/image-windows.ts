/**
 * When a face may still be shown (R5), checked by every route that serves one, not only by the retention job
 * that deletes it later: between the end of a window and the job's next run an image is past its time and is
 * refused (RETENTION_ENDED, 410, with `deletedByRetention` so the console tells it neutrally, as once it is deleted).
 *  - A watchlist image: until its deployment's window ends (or the deployment is closed or cancelled).
 *  - The crop of an alert nobody decided: until retention.pendingAlertHours after the deployment ended.
 */
import { OpenLfrError } from '../errors.ts';
import type { Deployment } from './model.ts';

const HOUR = 3600_000;

/** When a deployment ended: its window's end, or its closure if that came first; null while it has not. */
export function deploymentEnded(dep: Pick<Deployment, 'state' | 'endsAt' | 'closedAt'>, now: Date): Date | null {
  const closed = dep.state === 'CLOSED' || dep.state === 'CANCELLED' ? (dep.closedAt ?? dep.endsAt) : null;
  const end = closed && closed < dep.endsAt ? closed : dep.endsAt;
  return closed || now >= dep.endsAt ? end : null;
}

/** Refuse a watchlist image once its deployment has ended. */
export function checkWatchlistImageWindow(dep: Pick<Deployment, 'id' | 'state' | 'endsAt' | 'closedAt'>, now: Date): void {
  const ended = deploymentEnded(dep, now);
  if (ended) {
    throw new OpenLfrError('RETENTION_ENDED', `Deployment ${dep.id} ended at ${ended.toISOString()}: its watchlist images are no longer shown and are destroyed by the retention job`, { deploymentId: dep.id, endedAt: ended.toISOString(), deletedByRetention: true });
  }
}

/** Refuse the crop of an undecided alert once its hold after the deployment's end is over. */
export function checkPendingCropWindow(dep: Pick<Deployment, 'id' | 'state' | 'endsAt' | 'closedAt'>, pendingAlertHours: number, now: Date): void {
  const ended = deploymentEnded(dep, now);
  if (ended && now.getTime() >= ended.getTime() + pendingAlertHours * HOUR) {
    throw new OpenLfrError('RETENTION_ENDED', `The alert was not judged within ${pendingAlertHours} hours of the end of deployment ${dep.id}: its captured face is no longer shown and is deleted by the retention job`, { deploymentId: dep.id, endedAt: ended.toISOString(), deletedByRetention: true });
  }
}
