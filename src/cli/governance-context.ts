/**
 * What the governance CLI commands share: opening the services on the configured store, and logging in
 * the person running the command (`--as <username>`, password from OPENLFR_PASSWORD), so that the CLI
 * goes through the same role checks as the API.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { OpenLfrError } from '../errors.ts';
import { defaultEngine } from '../governance/engine-provider.ts';
import type { Principal } from '../governance/model.ts';
import { openServices, type Services } from '../governance/services.ts';
import { toJson } from '../api/app.ts';

/** Who logged in for this command (`--as`), for the audit of a refusal at the CLI's boundary. */
let acting: Principal | undefined;

export async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const services = await openServices(loadConfig(), defaultEngine);
  try {
    return await fn(services);
  } catch (e) {
    // every refusal of a logged-in person is in the audit trail, as through the API (once: services record their own)
    const command = process.argv.slice(2).filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
    await services.audit.recordRefusal(acting, 'cli', `cli:${command}`, e).catch(() => undefined);
    throw e;
  } finally {
    acting = undefined;
    await services.close();
  }
}

export function asOption(cmd: Command): Command {
  return cmd.option('--as <username>', 'act as this user (password from the OPENLFR_PASSWORD environment variable)');
}

export async function login(s: Services, as: string | undefined): Promise<Principal> {
  if (!as) throw new OpenLfrError('UNAUTHENTICATED', 'Say who is acting: --as <username> (password in OPENLFR_PASSWORD)');
  const password = process.env.OPENLFR_PASSWORD;
  if (!password) throw new OpenLfrError('UNAUTHENTICATED', 'Set OPENLFR_PASSWORD to the password of --as');
  acting = await s.users.checkPassword(as, password, 'cli');
  return acting;
}

export function print(v: unknown): void {
  console.log(JSON.stringify(toJson(v), null, 2));
}
