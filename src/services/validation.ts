import { usernameCharacterProblem } from './username-key';
import isEmail from 'validator/lib/isEmail';
import type { UsernameFormat } from '../entities/enums';
import { CountryCode, PhoneNumber, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

/** Longest text Rollcall stores in a name-like field; longer values are refused rather than truncated. */
export const MAX_TEXT_LENGTH = 256;

/** The last value isValidEmail checked, and its answer. */
let lastEmail: { value: string; valid: boolean } | undefined;

/**
 * Whether `value` is an email address Rollcall stores. The last answer is kept: a create or PUT checks its username and
 * then its email, which are often the same text, and validator's isEmail was 4 % of the server's CPU samples in an
 * import's creates (docs/benchmarks.md, "Session 24").
 */
export function isValidEmail(value: string): boolean {
  if (lastEmail?.value === value) return lastEmail.valid;
  // A new options object each time: validator's isEmail fills its defaults into the one it is given.
  const valid = value.length <= 254 && isEmail(value, { allow_utf8_local_part: true, require_tld: true });
  lastEmail = { value, valid };
  return valid;
}

const timeZoneCache = new Map<string, string | null>();
/** The runtime's canonical IANA names by lower case (e.g. `america/new_york` -> `America/New_York`). */
let canonicalZones: Map<string, string> | undefined;

/**
 * The IANA time zone `value` names, in canonical spelling (`america/new_york` -> `America/New_York`), or undefined
 * when it is not one. Names are matched case-insensitively, as the tz database's own lookups do. Abbreviations
 * (`PST`, `EST`, `CET`) are refused although ICU resolves several of them: an abbreviation does not say which rules
 * apply (EST resolves to Panama, with no daylight saving), so storing it would mislead every reader. Only `Area/Place`
 * names and `UTC` are accepted; a valid link such as `US/Pacific` or `Europe/Kyiv` is kept as a link (ICU would
 * rewrite it to another name, and Microsoft asks that values be kept as sent).
 */
export function canonicalTimeZone(value: string): string | undefined {
  const cached = timeZoneCache.get(value);
  if (cached !== undefined) return cached ?? undefined;
  const result = findTimeZone(value.trim());
  if (timeZoneCache.size < 2000) timeZoneCache.set(value, result ?? null);
  return result;
}

function findTimeZone(value: string): string | undefined {
  if (value.length === 0 || value.length > 64) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'utc' || lower === 'etc/utc') return lower === 'utc' ? 'UTC' : 'Etc/UTC';
  // IANA names are letters, digits, '_', '-', '+' and '/'; ICU also takes offsets such as "+01:00", which are not.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/.test(value)) return undefined;
  canonicalZones ??= new Map(Intl.supportedValuesOf('timeZone').map((name) => [name.toLowerCase(), name]));
  const canonical = canonicalZones.get(lower);
  if (canonical) return canonical;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  // A link (alias): keep the name as sent, in ICU's spelling when it only differs in case.
  return resolved.toLowerCase() === lower ? resolved : value;
}

/** Whether `value` is an IANA time zone name (see canonicalTimeZone). */
export function isValidTimeZone(value: string): boolean {
  return canonicalTimeZone(value) !== undefined;
}

/** Why a time zone is refused or skipped, worded for the admin who sent it. */
export function timeZoneProblem(value: string): string {
  return /^[A-Za-z]{2,5}$/.test(value.trim())
    ? `"${value}" is an abbreviation, not a time zone: send an IANA name such as "America/Los_Angeles".`
    : `"${value}" is not an IANA time zone name such as "America/New_York".`;
}

/** ISO 3166-1 alpha-2 region codes the phone-number library knows (e.g. US, GB, DE). */
export function isPhoneRegion(value: string): value is CountryCode {
  return /^[A-Z]{2}$/.test(value) && isSupportedCountry(value);
}

/** The parts of a phone number as people type it, including RFC 3966's `tel:` form that RFC 7643 suggests. */
const PHONE_LIKE = /^(tel:)?\+?[\d\s().\-/]+((\s*(x|ext\.?|extension|#)\s*|;ext=)\d{1,10})?$/i;

function phoneDigits(value: string): string {
  return value.replace(/^tel:/i, '').replace(/((\s*(x|ext\.?|extension|#)\s*|;ext=)\d{1,10})$/i, '').replace(/\D/g, '');
}

/**
 * Why a mobile number as sent by an identity provider cannot be stored, or undefined when it can. IdPs send numbers as
 * people typed them (`555-555-5555`, `(312) 320-1707`, `tel:+1-201-555-0123`), and Microsoft asks that they come
 * back exactly as sent, so this only refuses what is no phone number at all.
 */
export function phoneNumberProblem(value: string): string | undefined {
  if (value.length > 64) return 'A phone number is at most 64 characters.';
  const digits = phoneDigits(value).length;
  if (!PHONE_LIKE.test(value.trim()) || digits < 3 || digits > 17) {
    return `"${value}" is not a phone number: use digits with optional +, spaces, dashes, dots, parentheses and an extension.`;
  }
  return undefined;
}

/** The E.164 form of a stored mobile number (`+13123201707`), using `region` for national numbers; null when none. */
export function toE164(value: string | null, region: string | null): string | null {
  if (!value) return null;
  const parsed = parsePhone(value, region);
  return parsed && parsed.isPossible() ? parsed.number : null;
}

function parsePhone(value: string, region: string | null): PhoneNumber | undefined {
  const text = value.trim().replace(/^tel:/i, '').replace(/;ext=/i, ' ext. ');
  try {
    return parsePhoneNumberFromString(text, region && isPhoneRegion(region) ? { defaultCountry: region } : undefined);
  } catch {
    return undefined;
  }
}

/**
 * Why a mobile number typed by an admin is refused, or undefined. Stricter than phoneNumberProblem: a person typing
 * sees the error at once, so the number must be one the phone-number library parses as possible, with the tenant's
 * default region for national numbers.
 */
export function strictPhoneNumberProblem(value: string, region: string | null): string | undefined {
  const loose = phoneNumberProblem(value);
  if (loose) return loose;
  const parsed = parsePhone(value, region);
  if (parsed && parsed.isPossible()) return undefined;
  if (!parsed && !value.trim().replace(/^tel:/i, '').startsWith('+') && !region) {
    return `"${value}" has no country code: type it as +<country code> <number>, or set the tenant's default phone region.`;
  }
  return `"${value}" is not a possible phone number${region ? ` in ${region}` : ''}.`;
}

/**
 * Why `value` is not a username under `format`, or undefined. EMAIL is the directory's rule; ANY takes what IdPs send
 * when userName is kept apart from email (Okta user ids, employee numbers, `OMalley`): 1 to 256 characters (after
 * trimming) without control characters.
 */
export function usernameProblem(value: string, format: UsernameFormat): string | undefined {
  const trimmed = value.trim();
  const characters = usernameCharacterProblem(trimmed);
  if (characters) return characters;
  if (format === 'EMAIL') {
    return isValidEmail(trimmed)
      ? undefined
      : `username must be a valid email address, got "${value}" (the tenant's username format is EMAIL; an admin can set it to ANY).`;
  }
  if (trimmed.length === 0) return 'username must not be empty.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'username must not contain control characters (tabs and line breaks included).';
  if (trimmed.length > MAX_TEXT_LENGTH) return `username is longer than ${MAX_TEXT_LENGTH} characters.`;
  return undefined;
}

/** What makes a text unstorable (see textProblem). */
export type TextProblem = 'control characters' | 'broken Unicode' | 'too long';

/**
 * THE rule for every text Rollcall stores (names, descriptions, ids an IdP sends): why `value` cannot be stored, or
 * undefined. Length is counted in characters (code points: an emoji is one, as a person counts). Control characters
 * (C0, DEL and C1) are refused, line breaks and tabs too unless the text is `multiline` (descriptions). A lone
 * surrogate (half of a UTF-16 pair, which JSON can carry) is refused: UTF-8 cannot hold it, and the driver would
 * silently store U+FFFD instead.
 */
export function textProblem(value: string, { max = MAX_TEXT_LENGTH, multiline = false } = {}): TextProblem | undefined {
  if ((multiline ? /(?![\t\n\r])\p{Cc}/u : /\p{Cc}/u).test(value)) return 'control characters';
  if (/\p{Cs}/u.test(value)) return 'broken Unicode';
  // Counting code points only matters past max UTF-16 units: a shorter text has at most as many code points.
  if (value.length > max && [...value].length > max) return 'too long';
  return undefined;
}

/** A TextProblem in words, e.g. "firstName contains control characters, which Rollcall does not store". */
export function describeTextProblem(subject: string, problem: TextProblem, max = MAX_TEXT_LENGTH): string {
  switch (problem) {
    case 'control characters':
      return `${subject} contains control characters, which Rollcall does not store`;
    case 'broken Unicode':
      return `${subject} contains an unpaired UTF-16 surrogate (broken Unicode), which Rollcall does not store`;
    case 'too long':
      return `${subject} is longer than ${max} characters`;
  }
}

/** Characters PostgreSQL text cannot store (NUL) or that only cause trouble in a directory (other C0 controls). */
export function hasControlCharacters(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value);
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
