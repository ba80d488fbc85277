import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { runEngineBench } from '../../bench/engine-bench.ts';
import { registerBenchSearch } from './bench-search.ts';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks: each prints its figures as one JSON object');
  bench
    .command('engine')
    .description('end-to-end face throughput (detect + align + embed) on real group photos, 1 worker vs the pool')
    .option('--engine <name>', 'engine adapter (onnx | human)')
    .option('--workers <n>', 'pool size (default: one per core)', (v) => parseInt(v, 10))
    .option('--seconds <s>', 'minimum seconds per throughput phase', (v) => parseFloat(v), 8)
    .option('--json', 'print JSON only (the default output is JSON too)')
    .action(async (o: { engine?: string; workers?: number; seconds: number }) => {
      const config = loadConfig(o.engine ? { engine: { name: o.engine } } : {});
      const result = await runEngineBench(config.engine, config.datasets, { ...(o.workers ? { workers: o.workers } : {}), seconds: o.seconds });
      console.log(JSON.stringify(result, null, 2));
    });
  registerBenchSearch(bench);
}
