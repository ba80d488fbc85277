import type { Command } from 'commander';
export function registerIdentify(program: Command): void {
  program.command('identify').description('tiny identification demo');
}
