import { UsearchExactMatcher } from '../../src/match/usearch.ts';
import { matcherContract } from './matcher.contract.ts';

matcherContract('usearch-exact (2 threads)', (dims) => new UsearchExactMatcher(dims, { threads: 2 }));
