/**
 * Password strength, after NIST SP 800-63B (5.1.1.2): a minimum length, no composition rules, and a check
 * against lists of common, expected or compromised values. The check is zxcvbn (`@zxcvbn-ts/core` with the
 * `@zxcvbn-ts/language-common` lists: the most common passwords, names, common words, keyboard patterns,
 * dates, repeats and sequences), also given the account's own username and display name so a password built
 * from them scores as guessable.
 *
 * The rule: at least 12 characters and a zxcvbn score of at least 3 of 4 ("safely unguessable": an estimated
 * 10^8 guesses or more). Length past 256 characters is not examined further (zxcvbn's own bound).
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { OpenLfrError } from '../errors.ts';

export const MIN_PASSWORD_LENGTH = 12;
export const MIN_PASSWORD_SCORE = 3;

let factory: ZxcvbnFactory | undefined;
const zxcvbn = (): ZxcvbnFactory => (factory ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }));

/** What zxcvbn found, in words (its own feedback keys, without a translation package). */
const WHY: Record<string, string> = {
  similarToCommon: 'it is one of, or close to, the most common passwords',
  commonNames: 'it is built on a common name',
  namesByThemselves: 'it is built on a common name',
  topTen: 'it is one of the ten most common passwords',
  topHundred: 'it is one of the hundred most common passwords',
  common: 'it is a common password',
  wordByItself: 'it is a single common word',
  straightRow: 'it is a row of keys',
  keyPattern: 'it is a keyboard pattern',
  simpleRepeat: 'it repeats a few characters',
  extendedRepeat: 'it repeats a short pattern',
  sequences: 'it is a sequence such as abc or 6543',
  recentYears: 'it is built on a recent year',
  dates: 'it is built on a date',
  userInputs: 'it contains your username or name',
};

/** Throws PASSWORD_WEAK (or BAD_REQUEST for length) unless the password meets the rule. */
export function checkPasswordStrength(password: string, userInputs: readonly string[], field = 'password'): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new OpenLfrError('BAD_REQUEST', `${field}: at least ${MIN_PASSWORD_LENGTH} characters`, { field });
  }
  const r = zxcvbn().check(password, userInputs.filter((u) => u.length > 0));
  if (r.score >= MIN_PASSWORD_SCORE) return;
  const warning = r.feedback.warning ?? '';
  const why = WHY[warning] ?? 'it matches common passwords, words or patterns';
  throw new OpenLfrError(
    'PASSWORD_WEAK',
    `${field}: too easy to guess: ${why}. Use a longer passphrase of several unrelated words (strength ${r.score} of 4; at least ${MIN_PASSWORD_SCORE} is needed)`,
    { field, score: r.score, minScore: MIN_PASSWORD_SCORE, ...(warning ? { warning } : {}) },
  );
}
