/**
 * The `openlfr` command line. Each command lives in its own module under ./commands and registers
 * itself here; commands parse arguments and print, the work happens in services.
 */
import { Command, CommanderError } from 'commander';
import { isOpenLfrError, serialiseError } from '../errors.ts';
import { registerBench } from './commands/bench.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerIdentify } from './commands/identify.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerAudit } from './commands/audit.ts';
import { registerDeployment } from './commands/deployment.ts';
import { registerServe } from './commands/serve.ts';
import { registerUser } from './commands/user.ts';
import { registerWatchlist } from './commands/watchlist.ts';
import { registerReport } from './commands/report.ts';
import { registerRetention } from './commands/retention.ts';
import { registerSubject } from './commands/subject.ts';
import { registerGallery } from './commands/gallery.ts';
import { registerSearch } from './commands/search.ts';
import { registerCameraSource } from './commands/camera-source.ts';
import { registerCalibration } from './commands/calibration.ts';

export function buildProgram(): Command {
  const program = new Command('openlfr')
    .description('OpenLFR: open, auditable live facial recognition with the safeguards in code')
    .showHelpAfterError()
    .exitOverride();
  registerDemo(program);
  registerBench(program);
  registerEvaluate(program);
  registerIdentify(program);
  registerInspect(program);
  registerUser(program);
  registerDeployment(program);
  registerCameraSource(program);
  registerWatchlist(program);
  registerAudit(program);
  registerCalibration(program);
  registerRetention(program);
  registerReport(program);
  registerSubject(program);
  registerGallery(program);
  registerSearch(program);
  registerServe(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const e = serialiseError(err);
    console.error(`openlfr: ${e.code}: ${e.message}`);
    if (!isOpenLfrError(err) && err instanceof Error && process.env.OPENLFR_DEBUG) console.error(err.stack);
    process.exitCode = exitCodeOf(err);
  }
}

/**
 * Set-up the person running the command must fix (not a fault in OpenLFR): refused with status 2 like a rule
 * or a role, as the README's exit-code table says. Issue 14, item 13: these exited 1 although the docs said 2.
 */
const SETUP_REFUSALS: ReadonlySet<string> = new Set(['CONFIG_INVALID', 'STORE_LOCKED', 'STORE_UNAVAILABLE', 'KEY_MISSING', 'KEY_INVALID', 'SERVER_PORT_IN_USE']);

/**
 * The exit status of a failed command (README, "Exit codes"): 2 refused (a safeguard, a role, bad input, or
 * the set-up: no key, a bad key, the store open in another process, bad configuration); 1 anything else (an
 * internal failure). Commands that verify the audit trail exit 3 on a broken chain; an interrupted import 130.
 */
export function exitCodeOf(err: unknown): 1 | 2 {
  if (!isOpenLfrError(err)) return 1;
  return err.status < 500 || SETUP_REFUSALS.has(err.code) ? 2 : 1;
}
