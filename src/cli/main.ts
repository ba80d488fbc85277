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
  registerWatchlist(program);
  registerAudit(program);
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
    process.exitCode = isOpenLfrError(err) && err.status < 500 ? 2 : 1;
  }
}
