/**
 * Human wording for a request that fails its schema (issue 14, item 13): the console showed zod's own
 * text ("Too small: expected string to have >=1 characters"). One place turns schema issues into sentences
 * a person can act on, for the API (and so the console) and for the CLI's `--file` checks alike.
 */
import type { z } from '@hono/zod-openapi';
import { OpenLfrError } from '../errors.ts';

type Issue = z.core.$ZodIssue;

/** Field names whose words alone would read badly. */
const LABELS: Record<string, string> = { dpiaRef: 'DPIA reference', policyRefs: 'policy references', imageBase64: 'image', caseRef: 'case reference' };

/** `locations.0.reason` -> `locations #1 reason`; camelCase -> words. */
export function fieldLabel(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the request';
  const words = (s: string) => LABELS[s] ?? s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return path.map((p) => (typeof p === 'number' ? `#${p + 1}` : words(String(p)))).join(' ');
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'yes or no (true or false)',
  array: 'a list',
  object: 'an object',
  date: 'a date',
};

const FORMAT_WORDS: Record<string, string> = {
  datetime: 'a date and time with its offset, e.g. 2026-06-01T10:00:00Z',
  date: 'a date, YYYY-MM-DD',
  email: 'an e-mail address',
  uuid: 'a UUID',
  url: 'a URL',
};

/** One issue as a sentence. */
export function describeIssue(i: Issue): string {
  const f = fieldLabel(i.path);
  const F = f.charAt(0).toUpperCase() + f.slice(1);
  switch (i.code) {
    case 'invalid_type':
      return /received undefined/.test(i.message) ? `${F} is required` : `${F} must be ${TYPE_WORDS[i.expected] ?? i.expected}`;
    case 'too_small': {
      const min = Number(i.minimum);
      if (i.origin === 'string') return min <= 1 ? `${F} is required` : `${F} needs at least ${min} characters`;
      if (i.origin === 'array' || i.origin === 'set') return min <= 1 ? `${F}: give at least one` : `${F}: give at least ${min}`;
      return `${F} must be ${i.inclusive === false ? 'more than' : 'at least'} ${min}`;
    }
    case 'too_big': {
      const max = Number(i.maximum);
      if (i.origin === 'string') return `${F} is too long: at most ${max} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `${F}: at most ${max}`;
      return `${F} must be ${i.inclusive === false ? 'less than' : 'at most'} ${max}`;
    }
    case 'invalid_value':
      return `${F} must be one of: ${i.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return `${F} must be ${FORMAT_WORDS[i.format] ?? `in the ${i.format} format`}`;
    case 'unrecognized_keys':
      return `Unknown field${i.keys.length === 1 ? '' : 's'}${i.path.length ? ` in ${f}` : ''}: ${i.keys.map((k) => k.slice(0, 60)).join(', ')} (only the documented fields are accepted)`;
    case 'invalid_union':
      return `${F} is not in any of the accepted forms`;
    default:
      return `${F} is not valid`;
  }
}

/** The catalogue's BAD_REQUEST for a request that fails its schema: a sentence per problem, and the issues as details. */
export function invalidRequest(issues: readonly Issue[]): OpenLfrError {
  const described = issues.map((i) => ({ path: i.path.map(String).join('.'), message: describeIssue(i) }));
  return new OpenLfrError('BAD_REQUEST', `Invalid request: ${described.map((d) => d.message).join('; ')}`, { issues: described });
}
