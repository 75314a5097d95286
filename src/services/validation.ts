import isEmail from 'validator/lib/isEmail';

/** Longest text Rollcall stores in a name-like field; longer values are refused rather than truncated. */
export const MAX_TEXT_LENGTH = 256;

export function isValidEmail(value: string): boolean {
  return value.length <= 254 && isEmail(value, { allow_utf8_local_part: true, require_tld: true });
}

const timeZoneCache = new Map<string, boolean>();

/** IANA time zone names such as `America/New_York` or `UTC`, as the runtime's ICU database knows them. */
export function isValidTimeZone(value: string): boolean {
  const cached = timeZoneCache.get(value);
  if (cached !== undefined) return cached;
  // ICU also accepts offsets like "+01:00"; IANA names are letters, digits, '_', '-', '+' and '/'.
  let ok = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value) && value.length <= 64;
  if (ok) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
    } catch {
      ok = false;
    }
  }
  if (timeZoneCache.size < 2000) timeZoneCache.set(value, ok);
  return ok;
}

/**
 * Mobile numbers are stored in E.164 (`+14155550100`). Spaces, dots, dashes and parentheses that people type are
 * removed first; anything else that is not E.164 is refused (returns undefined).
 */
export function normalizeMobileNumber(value: string): string | undefined {
  const compact = value.replace(/[\s.\-()]/g, '');
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : undefined;
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
