/**
 * Required free text (an authority note, a justification, a reason, an override, grounds) and source-system
 * identifiers, normalised the same way whatever the caller (API, CLI, console): every service that takes
 * such a field goes through here.
 *
 * Normalisation: Unicode NFKC (full-width and compatibility forms become their plain letters); format
 * characters removed (Unicode category Cf: zero-width spaces and joiners, bidi controls, the BOM, soft
 * hyphens); other control characters and every run of white space become one space; trimmed.
 *
 * The rule for required text: after normalisation, at least the field's minimum number of characters,
 * and real words: at least 2 words of 2 or more letters each (letters of any script) when the field asks
 * for 10 characters or more, at least 1 such word for shorter fields. Dots, digits, punctuation or
 * invisible characters alone never pass.
 *
 * Source-system identifiers (a PNC ID): normalised as above, inner white space removed, and case-folded to
 * upper case, so `pnc-1`, `PNC-1` and `ＰＮＣ－１` are the same subject.
 */
import { OpenLfrError, type ErrorCode } from '../errors.ts';

const FORMAT = /\p{Cf}/gu;
const CONTROL_OR_SPACE = /[\p{Cc}\p{Z}\s]+/gu;
const WORD = /\p{L}{2,}/gu;

/** NFKC, format characters removed, white space and control characters collapsed to single spaces, trimmed. */
export function normaliseText(v: unknown): string {
  if (typeof v !== 'string') return '';
  return v.normalize('NFKC').replace(FORMAT, '').replace(CONTROL_OR_SPACE, ' ').trim();
}

/** How many words of 2 or more letters the text holds. */
export function realWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

export interface RequiredTextRule {
  /** Fewest characters after normalisation. */
  min: number;
  /** Fewest words of 2+ letters (default: 2 when min >= 10, else 1). */
  words?: number;
  /** The error to raise (default BAD_REQUEST); the details always name the field. */
  code?: ErrorCode;
  /** What the person should write, for the message (e.g. "the reasons for authority"). */
  what?: string;
  /** Extra details for the error (e.g. a rule name). */
  details?: Record<string, unknown>;
}

/** The normalised text, or an error naming the field and the rule. */
export function requiredText(v: unknown, field: string, rule: RequiredTextRule): string {
  const t = normaliseText(v);
  const words = rule.words ?? (rule.min >= 10 ? 2 : 1);
  if (t.length >= rule.min && realWords(t) >= words) return t;
  const need = `at least ${rule.min} characters and ${words} word${words === 1 ? '' : 's'} of 2 or more letters`;
  throw new OpenLfrError(rule.code ?? 'BAD_REQUEST', `${field}: ${rule.what ? `${rule.what}: ` : ''}${t.length === 0 ? 'required' : 'write it in words'} (${need}; invisible characters, dots and digits alone do not count)`, {
    field,
    rule: 'required-text',
    min: rule.min,
    words,
    ...rule.details,
  });
}

/** Optional text: normalised, or null when nothing real is left. */
export function optionalText(v: unknown): string | null {
  const t = normaliseText(v);
  return t.length ? t : null;
}

/** A source-system identifier in its one canonical form (see the file comment). */
export function normaliseSourceId(v: unknown, field = 'sourceRecordId'): string {
  const t = normaliseText(v).replace(/ /g, '').toUpperCase();
  if (!/[\p{L}\p{N}]/u.test(t)) throw new OpenLfrError('BAD_REQUEST', `${field}: the identifier in the source system is required (letters or digits)`, { field });
  return t;
}
