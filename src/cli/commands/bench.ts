import type { Command } from 'commander';
import { registerBenchSearch } from './bench-search.ts';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks (print JSON figures)');
  registerBenchSearch(bench);
}
