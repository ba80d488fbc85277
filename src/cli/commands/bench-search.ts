/**
 * `openlfr bench search`: search speed (and recall of approximate indexes) on a synthetic gallery.
 * Prints one JSON object with --json; progress goes to stderr.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../config.ts';
import { runSearchBench } from '../../match/bench.ts';
import { MATCHER_IMPLS } from '../../match/factory.ts';
import type { MatcherImpl } from '../../match/port.ts';
import type { SyntheticDistribution } from '../../match/synthetic.ts';

function positiveInt(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function registerBenchSearch(bench: Command): void {
  bench
    .command('search')
    .description('time top-k search over a synthetic gallery of L2-normalised templates')
    .requiredOption('--size <n>', 'templates in the gallery (underscores allowed: 1_000_000)', positiveInt)
    .option('--dims <n>', 'template dimensions', positiveInt, 512)
    .addOption(new Option('--impl <impl>', 'matcher implementation (default: OPENLFR_MATCH_IMPL or exact)').choices([...MATCHER_IMPLS]))
    .option('--probes <n>', 'timed single-probe searches (half mated)', positiveInt, 200)
    .option('--k <n>', 'hits per search', positiveInt, 20)
    .option('--seed <n>', 'seed of the synthetic gallery', positiveInt, 42)
    .addOption(new Option('--distribution <d>', 'synthetic template distribution').choices(['face-like', 'isotropic']).default('face-like'))
    .option('--threads <n>', 'threads for usearch kernels (default: OPENLFR_MATCH_THREADS or cores)', positiveInt)
    .option('--ef <n>', 'HNSW search breadth (default: OPENLFR_HNSW_EXPANSION_SEARCH or 256)', positiveInt)
    .option('--add-threads <n>', 'HNSW threads inserting into the graph (default: OPENLFR_HNSW_ADD_THREADS or 1)', positiveInt)
    .option('--json', 'print only the JSON result')
    .action(async (opts: { size: number; dims: number; impl?: MatcherImpl; probes: number; k: number; seed: number; distribution: SyntheticDistribution; threads?: number; ef?: number; addThreads?: number; json?: boolean }) => {
      const config = loadConfig({
        match: {
          ...(opts.impl ? { impl: opts.impl } : {}),
          ...(opts.threads ? { threads: opts.threads } : {}),
          ...(opts.ef ? { hnswExpansionSearch: opts.ef } : {}),
          ...(opts.addThreads ? { hnswAddThreads: opts.addThreads } : {}),
        },
      });
      const result = await runSearchBench({
        size: opts.size,
        dims: opts.dims,
        impl: config.match.impl,
        probes: opts.probes,
        k: opts.k,
        seed: opts.seed,
        distribution: opts.distribution,
        match: config.match,
        log: (m) => process.stderr.write(`bench search: ${m}\n`),
      });
      console.log(JSON.stringify(result, null, opts.json ? 0 : 2));
    });
}
