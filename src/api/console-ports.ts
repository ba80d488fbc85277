/**
 * What the console's routes need from the alert and live services (the live pipeline issue). Structural
 * types, so the routes compile against the real services and against a test double alike.
 */
import type { Principal } from '../governance/model.ts';

export const ALERT_STATUSES = ['PENDING', 'DISMISSED', 'ENGAGED', 'CLOSED'] as const;
export const DECISIONS = ['DISMISS', 'ENGAGE'] as const;
export const OUTCOMES = ['IDENTITY_CONFIRMED', 'NOT_THE_PERSON', 'ARRESTED', 'NO_FURTHER_ACTION'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export type Decision = (typeof DECISIONS)[number];
export type Outcome = (typeof OUTCOMES)[number];

export interface AlertsPort {
  list(p: Principal, deploymentId: string, f?: { status?: AlertStatus }): Promise<unknown[]>;
  get(p: Principal, alertId: string): Promise<unknown>;
  probeImage(p: Principal, alertId: string): Promise<Uint8Array>;
  watchlistImage(p: Principal, alertId: string): Promise<Uint8Array>;
  decide(p: Principal, alertId: string, decision: Decision, note?: string): Promise<unknown>;
  outcome(p: Principal, alertId: string, outcome: Outcome, note: string): Promise<unknown>;
}

export interface LivePort {
  start(p: Principal, deploymentId: string): Promise<unknown>;
  status(deploymentId: string): unknown;
}
