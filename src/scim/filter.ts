import { ScimError } from './errors';

/**
 * The SCIM filter language (RFC 7644 §3.4.2.2), parsed into a syntax tree. Nothing here builds SQL: the tree is
 * translated to a domain query (src/scim/user-query.ts) that the service layer compiles to parameterised SQL.
 *
 *   FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
 *   valuePath = attrPath "[" valFilter "]" [ "." subAttr ( SP "pr" / SP compareOp SP compValue ) ]
 *   attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
 *   logExp    = FILTER SP ("and" / "or") SP FILTER          ("not" binds tighter than "and", "and" than "or")
 *
 * The `.subAttr` after a valuePath is not in RFC 7644's filter ABNF (only in PATCH's PATH, §3.5.2), but Microsoft Entra
 * matches users with `emails[type eq "work"].value eq "..."` and requires it. It is read as one condition on one element,
 * `emails[type eq "work" and value eq "..."]`, so every consumer of the tree already knows how to answer it.
 */

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompareValue = string | number | boolean | null;

/** `urn:...:User:name.givenName` -> { schema: 'urn:...:User', attribute: 'name', subAttribute: 'givenName' }. */
export interface AttrPath {
  schema?: string;
  attribute: string;
  subAttribute?: string;
}

export type FilterNode =
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: CompareValue }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; filter: FilterNode }
  | { kind: 'valuePath'; path: AttrPath; filter: FilterNode };

/** A PATCH path (RFC 7644 §3.5.2): `attrPath`, or `attrPath[valFilter]` optionally followed by `.subAttr`. */
export interface PatchPath {
  path: AttrPath;
  filter?: FilterNode;
  /** The sub-attribute after a value filter, e.g. `value` in `emails[type eq "work"].value`. */
  subAttribute?: string;
}

/** Limits that keep a hostile filter from costing more than a real IdP's ever would. */
export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 32;
/** Comparisons (attrExp) in one filter: IdPs send one or two; hundreds of `or` terms only cost SQL planning time. */
export const MAX_FILTER_TERMS = 100;

const COMPARE_OPS = new Set<CompareOp>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

type Token =
  | { type: 'word'; value: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: '(' | ')' | '[' | ']'; at: number };

function invalid(detail: string): ScimError {
  return new ScimError(400, detail, 'invalidFilter');
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ type: c, at: i });
      i++;
      continue;
    }
    if (c === '"') {
      // A JSON string literal (RFC 7644: compValue strings are JSON strings).
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw invalid(`Unterminated string starting at position ${i + 1} of the filter.`);
      const literal = input.slice(i, j + 1);
      let value: string;
      try {
        value = JSON.parse(literal) as string;
      } catch {
        throw invalid(`Invalid string ${literal} in the filter.`);
      }
      // PostgreSQL text cannot hold NUL: refuse it here rather than let the database fail on it.
      if (value.includes('\u0000')) throw invalid('Filter values cannot contain the NUL character (\\u0000).');
      tokens.push({ type: 'string', value, at: i });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < input.length && !' \t\n\r()[]"'.includes(input[j])) j++;
    const word = input.slice(i, j);
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(word)) tokens.push({ type: 'number', value: Number(word), at: i });
    else tokens.push({ type: 'word', value: word, at: i });
    i = j;
  }
  return tokens;
}

const ATTR_NAME = /^[A-Za-z$][\w$-]*$/;
/** Names that could reach an object prototype if they were ever used as keys. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses `attrPath` (optionally URN-qualified, optionally with one `.subAttr`). */
export function parseAttrPath(text: string): AttrPath {
  let schema: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const colon = text.lastIndexOf(':');
    schema = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((p) => ATTR_NAME.test(p) && !FORBIDDEN_NAMES.has(p.toLowerCase()))) {
    throw invalid(`"${text}" is not a valid attribute path.`);
  }
  return { ...(schema ? { schema } : {}), attribute: parts[0], ...(parts[1] ? { subAttribute: parts[1] } : {}) };
}

class Parser {
  private position = 0;
  private depth = 0;
  private terms = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token | undefined {
    return this.tokens[this.position++];
  }

  private isWord(token: Token | undefined, word: string): boolean {
    return token?.type === 'word' && token.value.toLowerCase() === word;
  }

  private expect(type: Token['type']): Token {
    const token = this.next();
    if (token?.type !== type) {
      throw invalid(`Expected "${type}" ${token ? `at position ${token.at + 1}` : 'at the end'} of the filter "${this.source}".`);
    }
    return token;
  }

  get done(): boolean {
    return this.position >= this.tokens.length;
  }

  rest(): Token | undefined {
    return this.peek();
  }

  private enter(): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw invalid(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels.`);
    }
  }

  /** FILTER with "or" as the loosest operator. */
  parseOr(): FilterNode {
    this.enter();
    let left = this.parseAnd();
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    this.depth--;
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterNode {
    const token = this.peek();
    if (this.isWord(token, 'not')) {
      this.next();
      this.expect('(');
      const filter = this.parseOr();
      this.expect(')');
      return { kind: 'not', filter };
    }
    if (token?.type === '(') {
      this.next();
      const filter = this.parseOr();
      this.expect(')');
      return filter;
    }
    return this.parseAttrExpression();
  }

  private parseAttrExpression(): FilterNode {
    if (++this.terms > MAX_FILTER_TERMS) {
      throw invalid(`The filter has more than ${MAX_FILTER_TERMS} comparisons.`);
    }
    const token = this.next();
    if (token?.type !== 'word') {
      throw invalid(`Expected an attribute name ${token ? `at position ${token.at + 1}` : 'at the end'} of the filter.`);
    }
    const path = parseAttrPath(token.value);
    if (this.peek()?.type === '[') {
      this.next();
      if (path.subAttribute) throw invalid(`"${token.value}[...]": a value filter applies to a whole attribute.`);
      const filter = this.parseOr();
      const close = this.expect(']');
      const after = this.peek();
      if (after?.type !== 'word' || !after.value.startsWith('.') || after.at !== close.at + 1) {
        return { kind: 'valuePath', path, filter };
      }
      this.next();
      const name = after.value.slice(1);
      const text = `${token.value}[...]${after.value}`;
      if (!ATTR_NAME.test(name) || FORBIDDEN_NAMES.has(name.toLowerCase())) {
        throw invalid(`"${text}": a value filter can be followed by one sub-attribute name, such as ".value".`);
      }
      if (++this.terms > MAX_FILTER_TERMS) {
        throw invalid(`The filter has more than ${MAX_FILTER_TERMS} comparisons.`);
      }
      return { kind: 'valuePath', path, filter: { kind: 'and', left: filter, right: this.parseComparison({ attribute: name }, text) } };
    }
    return this.parseComparison(path, token.value);
  }

  /** The operator and value after an attribute path; `text` is the path as written, for error details. */
  private parseComparison(path: AttrPath, text: string): FilterNode {
    const operator = this.next();
    if (operator?.type !== 'word') {
      throw invalid(`Expected an operator after "${text}" in the filter.`);
    }
    const op = operator.value.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!COMPARE_OPS.has(op as CompareOp)) {
      throw invalid(`Unknown operator "${operator.value}": use eq, ne, co, sw, ew, gt, ge, lt, le or pr.`);
    }
    const valueToken = this.next();
    let value: CompareValue;
    if (valueToken?.type === 'string' || valueToken?.type === 'number') value = valueToken.value;
    else if (valueToken?.type === 'word' && ['true', 'false', 'null'].includes(valueToken.value.toLowerCase())) {
      const lower = valueToken.value.toLowerCase();
      value = lower === 'null' ? null : lower === 'true';
    } else {
      throw invalid(
        `Expected a value (a "quoted string", number, true, false or null) after "${text} ${operator.value}".`,
      );
    }
    return { kind: 'compare', path, op: op as CompareOp, value };
  }
}

export function parseFilter(input: string): FilterNode {
  if (input.length > MAX_FILTER_LENGTH) {
    throw new ScimError(400, `The filter is longer than ${MAX_FILTER_LENGTH} characters.`, 'invalidFilter');
  }
  if (input.trim() === '') throw invalid('The filter is empty.');
  const parser = new Parser(tokenize(input), input);
  const filter = parser.parseOr();
  if (!parser.done) {
    const token = parser.rest()!;
    throw invalid(`Unexpected input at position ${token.at + 1} of the filter "${input}".`);
  }
  return filter;
}

/** Parses a PATCH `path`: `attrPath`, `attrPath[valFilter]` or `attrPath[valFilter].subAttr`. */
export function parsePatchPath(input: string): PatchPath {
  const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');
  if (input.length > MAX_FILTER_LENGTH) throw invalidPath(`The path is longer than ${MAX_FILTER_LENGTH} characters.`);
  const open = input.indexOf('[');
  try {
    if (open === -1) return { path: parseAttrPath(input.trim()) };
    const close = input.lastIndexOf(']');
    if (close < open) throw invalidPath(`The path "${input}" has an unclosed "[".`);
    const path = parseAttrPath(input.slice(0, open).trim());
    if (path.subAttribute) throw invalidPath(`"${input}": a value filter applies to a whole attribute.`);
    const filter = parseFilter(input.slice(open + 1, close));
    const after = input.slice(close + 1).trim();
    if (after === '') return { path, filter };
    if (!after.startsWith('.') || !ATTR_NAME.test(after.slice(1))) {
      throw invalidPath(`Unexpected "${after}" after the value filter in the path "${input}".`);
    }
    return { path, filter, subAttribute: after.slice(1) };
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidFilter') throw invalidPath(error.detail);
    throw error;
  }
}

/**
 * Evaluates a filter against an in-memory JSON object (used for value filters inside PATCH paths, where the
 * elements are the few values of one multi-valued attribute). Attribute names compare case-insensitively; string
 * values compare case-insensitively as for SCIM's default `caseExact: false`.
 */
export function matches(filter: FilterNode, element: unknown): boolean {
  switch (filter.kind) {
    case 'and':
      return matches(filter.left, element) && matches(filter.right, element);
    case 'or':
      return matches(filter.left, element) || matches(filter.right, element);
    case 'not':
      return !matches(filter.filter, element);
    case 'valuePath': {
      const values = lookup(element, filter.path);
      return Array.isArray(values) && values.some((v) => matches(filter.filter, v));
    }
    case 'present': {
      const value = lookup(element, filter.path);
      return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);
    }
    case 'compare': {
      const value = lookup(element, filter.path);
      const candidates = Array.isArray(value) ? value : [value];
      return candidates.some((candidate) => compare(candidate, filter.op, filter.value));
    }
  }
}

function ownKey(object: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === wanted) return object[key];
  return undefined;
}

function lookup(element: unknown, path: AttrPath): unknown {
  if (typeof element !== 'object' || element === null) {
    // A primitive element of a multi-valued attribute is its own `value`.
    return path.attribute.toLowerCase() === 'value' && !path.subAttribute ? element : undefined;
  }
  let value = ownKey(element as Record<string, unknown>, path.attribute);
  if (path.subAttribute && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    value = ownKey(value as Record<string, unknown>, path.subAttribute);
  } else if (path.subAttribute && Array.isArray(value)) {
    value = value.map((v) => (typeof v === 'object' && v !== null ? ownKey(v as Record<string, unknown>, path.subAttribute!) : undefined));
  } else if (path.subAttribute) {
    value = undefined;
  }
  return value;
}

function compare(actual: unknown, op: CompareOp, expected: CompareValue): boolean {
  if (expected === null) return op === 'eq' ? actual === null || actual === undefined : op === 'ne' ? actual != null : false;
  if (actual === undefined || actual === null) return op === 'ne';
  if (typeof expected === 'boolean') {
    const a = typeof actual === 'string' ? actual.toLowerCase() === 'true' : actual === true;
    if (op === 'eq') return a === expected;
    if (op === 'ne') return a !== expected;
    return false;
  }
  if (typeof expected === 'number') {
    const a = typeof actual === 'number' ? actual : Number(actual);
    if (Number.isNaN(a)) return op === 'ne';
    return numericCompare(a, op, expected);
  }
  const a = String(actual).toLowerCase();
  const e = expected.toLowerCase();
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
  }
}

function numericCompare(a: number, op: CompareOp, e: number): boolean {
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}
