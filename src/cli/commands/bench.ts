import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { runEngineBench } from '../../bench/engine-bench.ts';
import { registerBenchSearch } from './bench-search.ts';
import { runLiveBench } from '../../bench/live-bench.ts';

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
  bench
    .command('live')
    .description('live cameras under load: N stand-in IP cameras streaming a real clip over HTTP at real pace into one live deployment')
    .option('--cameras <n>', 'cameras', (v) => parseInt(v, 10), 4)
    .option('--seconds <s>', 'seconds measured (after a 5 s warm-up)', (v) => parseFloat(v), 60)
    .option('--fps <n>', 'analysed frames per second per camera', (v) => parseFloat(v), 10)
    .option('--clip <video>', 'the clip each camera streams (default: the Hamilton clip, 640x360)')
    .option('--width <px>', 're-encode the streams to this width (1920 for 1080p)', (v) => parseInt(v, 10))
    .option('--json', 'print JSON only (the default output is JSON too)')
    .action(async (o: { cameras: number; seconds: number; fps: number; clip?: string; width?: number }) => {
      const config = loadConfig();
      const result = await runLiveBench(config, { cameras: o.cameras, seconds: o.seconds, analysedFps: o.fps, ...(o.clip ? { clip: o.clip } : {}), ...(o.width ? { width: o.width } : {}) });
      console.log(JSON.stringify(result, null, 2));
    });
  registerBenchSearch(bench);
}
