/**
 * Deepest nesting of arrays and objects accepted in a JSON request body. A SCIM User is 4 levels deep, a PATCH 5, a
 * GraphQL request with variables under 10; 10,000 levels of `[[[…]]]` is only ever an attack on the recursive code
 * that walks a parsed body (mapping, PATCH, prototype-key checks), so it is refused before parsing.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether the JSON text nests arrays/objects deeper than `max` (brackets inside strings do not count). */
export function jsonNestsDeeperThan(body: Buffer, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Thrown from a body parser's `verify`; each surface answers it in its own error format (400). */
export class JsonTooDeepError extends Error {
  readonly status = 400;
  readonly type = 'entity.too.deep';
  constructor() {
    super(`The request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels.`);
  }
}

/** A `verify` hook for express.json() that refuses bodies nested deeper than MAX_JSON_DEPTH. */
export function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (jsonNestsDeeperThan(body)) throw new JsonTooDeepError();
}
