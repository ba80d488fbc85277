import { ExactMatcher } from '../../src/match/exact.ts';
import { matcherContract } from './matcher.contract.ts';

matcherContract('exact (TypeScript)', (dims) => new ExactMatcher(dims));
