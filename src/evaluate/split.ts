/**
 * Deterministic split of a dataset by identity, for tuning on one part and reporting on the other: an
 * identity is in the test part when the first 32 bits of SHA-256("<seed>\0<identity>") fall below the test
 * fraction. Every image of a person lands in the same part, and the split does not depend on file order.
 */
import { createHash } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';

export type SplitPart = 'train' | 'test';

/** `train`, `test`, or a nested part such as `train/test`: the test part of a second split (seed "<seed>/2") of the train part, for tuning inside the train identities. */
export type SplitPath = string;

export interface IdentitySplit {
  part: SplitPath;
  seed: string;
  /** Share of identities in the test part (0..1). */
  testFraction: number;
}

export function splitPartOf(identity: string, seed: string, testFraction: number): SplitPart {
  const h = createHash('sha256').update(`${seed}\0${identity}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < testFraction ? 'test' : 'train';
}

/** The identity filter of one part of the split. */
export function identitySplit(split: IdentitySplit): (identity: string) => boolean {
  const parts = String(split.part).split('/');
  if (parts.length > 2 || parts.some((p) => p !== 'train' && p !== 'test'))
    throw new OpenLfrError('BAD_REQUEST', `--split must be train, test, or a nested part such as train/test (got "${String(split.part)}")`);
  if (!(split.testFraction > 0 && split.testFraction < 1)) throw new OpenLfrError('BAD_REQUEST', `the test fraction must be between 0 and 1 (got ${split.testFraction})`);
  const seeds = parts.map((_, level) => (level === 0 ? split.seed : `${split.seed}/${level + 1}`));
  return (identity) => parts.every((p, level) => splitPartOf(identity, seeds[level]!, split.testFraction) === p);
}

/** The part beside `part` at its deepest level (`test` -> `train`, `train/test` -> `train/train`): the cohort of people on no watchlist for score normalisation, never touching another level's identities. */
export function siblingPart(part: SplitPath): SplitPath {
  const parts = String(part).split('/');
  parts[parts.length - 1] = parts[parts.length - 1] === 'test' ? 'train' : 'test';
  return parts.join('/');
}
