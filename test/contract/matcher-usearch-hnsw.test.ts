import { UsearchHnswMatcher } from '../../src/match/usearch.ts';
import { matcherContract } from './matcher.contract.ts';

// The graph is approximate: the contract asks for recall@10 >= 0.9 against brute force (at the
// default search breadth) and exact scores for whatever it returns.
matcherContract('usearch-hnsw (f16 graph, exact re-scoring)', (dims) => new UsearchHnswMatcher(dims, { threads: 2 }), {
  approximate: true,
  minRecall: 0.9,
});
