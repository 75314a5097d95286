/**
 * Timestamps in keyset cursors, the one rule. PostgreSQL keeps microseconds and a JavaScript Date only milliseconds,
 * so a cursor's timestamp must compare exactly with the row it was taken from, or the rows at a page boundary are
 * skipped or repeated. Two ways keep that true:
 * - `microseconds`: the cursor holds the column read as UTC text at full precision (`KEYSET_TIME.text` in the
 *   SELECT), and the keyset compares the column as it is.
 * - `milliseconds`: the cursor holds a Date's `toISOString()` (for pages mapped to entities without that text), and
 *   the keyset compares the column truncated to milliseconds (`KEYSET_TIME.milliseconds`), ties broken by id.
 * Either way the cursor's text goes back to SQL through `KEYSET_TIME.cast`, and only after `isKeysetTime` said it
 * is such a text: a forged cursor must be a client error, never a database cast error.
 */
export type KeysetPrecision = 'microseconds' | 'milliseconds';

const FORMATS: Record<KeysetPrecision, RegExp> = {
  microseconds: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
  milliseconds: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
};

export const KEYSET_TIME = {
  /** SQL: a timestamptz column as the exact UTC text a `microseconds` cursor holds. */
  text: (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  /** SQL: a timestamptz column as the keyset compares it with a `milliseconds` cursor. */
  milliseconds: (column: string): string => `date_trunc('milliseconds', ${column})`,
  /** SQL: the cast that turns a cursor's timestamp text back into a timestamp. */
  cast: '::timestamptz',
} as const;

/**
 * Whether `value` is a cursor timestamp of `precision`: UTC in the format above and a real instant (no 30 February,
 * no month 13, no year 0: PostgreSQL refuses each, and JavaScript's Date accepts some).
 */
export function isKeysetTime(value: unknown, precision: KeysetPrecision): value is string {
  if (typeof value !== 'string' || !FORMATS[precision].test(value) || value.startsWith('0000')) return false;
  const date = new Date(`${value.slice(0, 23)}Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 23) === value.slice(0, 23);
}
