/**
 * Build a matcher from configuration. Callers depend on the `Matcher` port only; this is the one place
 * that knows the implementations.
 */
import type { MatchConfig } from '../config.ts';
import { ExactMatcher } from './exact.ts';
import type { Matcher, MatcherImpl } from './port.ts';
import { UsearchExactMatcher, UsearchHnswMatcher } from './usearch.ts';

export const MATCHER_IMPLS: readonly MatcherImpl[] = ['exact', 'usearch-exact', 'usearch-hnsw'];

export function createMatcher(dims: number, config: MatchConfig, options: { initialCapacity?: number } = {}): Matcher {
  switch (config.impl) {
    case 'exact':
      return new ExactMatcher(dims, options);
    case 'usearch-exact':
      return new UsearchExactMatcher(dims, { ...options, threads: config.threads });
    case 'usearch-hnsw':
      return new UsearchHnswMatcher(dims, {
        ...options,
        threads: config.threads,
        connectivity: config.hnswConnectivity,
        expansionAdd: config.hnswExpansionAdd,
        addThreads: config.hnswAddThreads,
        expansionSearch: config.hnswExpansionSearch,
        quantization: config.hnswQuantization,
      });
  }
}
