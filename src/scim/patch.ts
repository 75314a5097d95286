import { ScimError, ScimType } from './errors';
import { FilterNode, PatchPath, matches, parsePatchPath } from './filter';
import { ENTERPRISE_USER_EXTENSION_URN, SchemaDefinition, USER_SCHEMAS } from './schema-definitions';

/**
 * The SCIM PATCH request parser and the User PATCH engine (RFC 7644 §3.5.2). `parsePatchRequest` validates a body for
 * both resource types. `applyPatch` applies its `add` / `replace` / `remove` operations to a User document in memory,
 * pure and transport-free: the router renders the current user, applies the operations here and maps the result
 * back to the domain (toScimUser -> applyPatch -> fromScimUser). A singular attribute that is removed becomes `null`
 * (the mapping layer reads null as "clear", absent as "unchanged"). Groups do not come here: group-patch.ts turns
 * their operations into set-based member changes, so a large group is never rendered to be patched.
 *
 * Accepts what Okta and Microsoft Entra ID actually send (docs/okta.md, docs/entra.md): capitalised `op`s, booleans
 * as "True"/"False", filtered `add`/`replace` paths that create the missing element, pathless `replace` values with
 * dotted and URN-qualified keys, echoed read-only attributes and removal of multi-valued elements by a `value` list.
 *
 * Every object this module builds gets its keys as own data properties (never through `obj[key] = ...`), and path
 * segments or value keys named `__proto__`, `constructor` or `prototype` are refused, so no request can reach an
 * object prototype.
 */

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** More operations than this in one request are refused with 400 tooMany. */
export const MAX_PATCH_OPERATIONS = 1000;
/** Values nested deeper than this are refused (SCIM resources are two levels deep; this only stops abuse). */
const MAX_VALUE_DEPTH = 32;
/**
 * A multi-valued attribute (`emails`, `phoneNumbers`, `addresses`, `entitlements`, ...) may hold at most this many
 * elements after an operation, and an operation's value may list at most this many; more is refused with 400
 * `invalidValue` naming the attribute. Rollcall keeps one email and one mobile number and ignores the other
 * multi-valued attributes, and Okta and Entra send one to a few elements per attribute, so no identity provider comes
 * near 100. The limit bounds the work per operation (every step below is linear in it), so the 1,000 operations of
 * the largest PATCH stay a bounded amount of CPU work for the event loop that every tenant shares.
 */
export const MAX_MULTI_VALUED_ELEMENTS = 100;

export type PatchOpName = 'add' | 'replace' | 'remove';

/**
 * An operation as `parsePatchRequest` validated it. The union says what it checked, so the engine need not check
 * again: a pathless operation is an `add` or `replace` of an object of attributes, and only `remove` may go without
 * a value.
 */
export type PatchOperation =
  | { op: 'add' | 'replace'; path?: undefined; value: Record<string, unknown> }
  | { op: 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string; value?: unknown };

/** What the engine needs to know about the User attributes. Names are lower-cased: they compare ignoring case. */
interface PatchSchema {
  /** Attribute paths no operation may change: 'id', 'meta', 'groups', and 'attr.sub' for a read-only sub-attribute. */
  readOnly: Set<string>;
  /** Multi-valued attributes, e.g. 'emails', 'phonenumbers', 'groups'. */
  multiValued: Set<string>;
  /** Boolean attributes; Entra sends them as the strings "True"/"False". */
  booleans: Set<string>;
  /** Extension schema URNs whose attributes live in a nested object keyed by the URN. */
  extensions: string[];
  /** The core schema URN: a path qualified with it names a core attribute. */
  coreSchema: string;
}

/**
 * RFC 7643 §4.1.2 multi-valued User attributes Rollcall does not keep, listed so that `remove addresses` yields []
 * rather than null.
 */
const UNKEPT_MULTI_VALUED = ['addresses', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates'];

/** The engine's view of a resource type, read from its schemas in the attribute registry (schema-definitions.ts). */
function patchSchemaOf(schemas: readonly SchemaDefinition[], acceptedExtensions: string[], unkeptMultiValued: string[]): PatchSchema {
  const [core, ...extensions] = schemas;
  const attributes = schemas.flatMap((schema) =>
    schema.attributes.map((attribute) => ({ name: schema === core ? attribute.name : `${schema.id}:${attribute.name}`, attribute })),
  );
  return {
    readOnly: lower(
      attributes.flatMap(({ name, attribute }) =>
        attribute.mutability === 'readOnly'
          ? [name]
          : (attribute.subAttributes ?? []).filter((sub) => sub.mutability === 'readOnly').map((sub) => `${name}.${sub.name}`),
      ),
    ),
    multiValued: lower([
      ...attributes.filter(({ attribute }) => attribute.multiValued).map(({ name }) => name),
      ...unkeptMultiValued,
    ]),
    // Top-level only: sub-attribute booleans (emails.primary) are read leniently by the mapping (fromScimUser).
    booleans: lower(
      attributes.filter(({ attribute }) => attribute.type === 'boolean' && !attribute.multiValued).map(({ name }) => name),
    ),
    extensions: [...extensions.map((schema) => schema.id), ...acceptedExtensions],
    coreSchema: core.id,
  };
}

const USER_PATCH_SCHEMA: PatchSchema = patchSchemaOf(USER_SCHEMAS, [ENTERPRISE_USER_EXTENSION_URN], UNKEPT_MULTI_VALUED);

// ---------------------------------------------------------------------------------------------------------------
// Safe object primitives

type Obj = Record<string, unknown>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key.toLowerCase());
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Per object, its own keys by lower-cased name (the first key in order wins, as a search of `Object.keys` would find).
 * Built on the first lookup and kept current by `putAttr`, the only writer of the objects this module handles, so a
 * lookup costs the same however many attributes an object has: searching the keys each time made a value with many
 * keys quadratic.
 */
const keyIndexes = new WeakMap<Obj, Map<string, string>>();

function keyIndex(object: Obj): Map<string, string> {
  let index = keyIndexes.get(object);
  if (!index) {
    index = new Map();
    for (const key of Object.keys(object)) {
      const lowered = key.toLowerCase();
      if (!index.has(lowered)) index.set(lowered, key);
    }
    keyIndexes.set(object, index);
  }
  return index;
}

/** The own key of `object` that equals `name` ignoring case. */
function keyOf(object: Obj, name: string): string | undefined {
  return keyIndex(object).get(name.toLowerCase());
}

function getAttr(object: Obj, name: string): unknown {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

/** Sets an own data property, reusing the existing key when the attribute is present under another case. */
function putAttr(object: Obj, name: string, value: unknown): void {
  const index = keyIndex(object);
  const lowered = name.toLowerCase();
  const key = index.get(lowered) ?? name;
  index.set(lowered, key);
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

function lower(values: string[]): Set<string> {
  return new Set(values.map((v) => v.toLowerCase()));
}

/** JSON-like equality; strings compare exactly, null and absent are the same. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)].map((k) => k.toLowerCase()));
    for (const key of keys) if (!deepEqual(getAttr(a, key), getAttr(b, key))) return false;
    return true;
  }
  return false;
}

/**
 * A text that is the same for two values exactly when `deepEqual` says they are equal: object keys lower-cased and
 * sorted (the first key of a name, as `getAttr` reads it), null and absent members left out, primitives as JSON. It
 * lets a Map find equal elements in one pass where comparing each with all others was quadratic.
 */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObj(value)) {
    const entries: string[] = [];
    for (const [lowered, key] of keyIndex(value)) {
      const member = value[key];
      if (member !== null && member !== undefined) entries.push(`${JSON.stringify(lowered)}:${canonical(member)}`);
    }
    return `{${entries.sort().join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

// ---------------------------------------------------------------------------------------------------------------
// Request parsing

const OPS: readonly PatchOpName[] = ['add', 'replace', 'remove'];

function error(scimType: ScimType, detail: string): ScimError {
  return new ScimError(400, detail, scimType);
}

/**
 * Validates a PATCH request body (RFC 7644 §3.5.2) and returns its operations with `op` in lower case. The
 * `Operations`, `op`, `path` and `value` keys are matched ignoring case; a blank `path` counts as no path.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObj(body)) {
    throw error('invalidSyntax', `The PATCH body must be a JSON object with "schemas": ["${PATCH_OP_SCHEMA}"] and "Operations".`);
  }
  const schemas = getAttr(body, 'schemas');
  if (schemas !== undefined && schemas !== null) {
    const ok =
      Array.isArray(schemas) &&
      schemas.some((s) => typeof s === 'string' && s.trim().toLowerCase() === PATCH_OP_SCHEMA.toLowerCase());
    if (!ok) throw error('invalidSyntax', `"schemas" of a PATCH request must contain "${PATCH_OP_SCHEMA}".`);
  }
  const operations = getAttr(body, 'Operations');
  if (operations === undefined || operations === null) {
    throw error('invalidSyntax', 'The PATCH body has no "Operations" array.');
  }
  if (!Array.isArray(operations)) throw error('invalidSyntax', '"Operations" must be an array of operations.');
  if (operations.length === 0) throw error('invalidSyntax', '"Operations" is empty: send at least one operation.');
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw error(
      'tooMany',
      `The request has ${operations.length} operations; at most ${MAX_PATCH_OPERATIONS} are accepted per PATCH. Split it into several requests.`,
    );
  }
  return operations.map((raw, index) => parseOperation(raw, index));
}

function parseOperation(raw: unknown, index: number): PatchOperation {
  const where = `Operation ${index + 1}`;
  if (!isObj(raw)) throw error('invalidSyntax', `${where} must be an object with "op", "path" and "value".`);
  const opValue = getAttr(raw, 'op');
  if (typeof opValue !== 'string') {
    throw error('invalidSyntax', `${where} has no "op": use "add", "replace" or "remove".`);
  }
  const op = opValue.trim().toLowerCase() as PatchOpName;
  if (!OPS.includes(op)) {
    throw error('invalidSyntax', `${where}: op "${opValue}" is not supported; use "add", "replace" or "remove".`);
  }
  const pathValue = getAttr(raw, 'path');
  let path: string | undefined;
  if (pathValue !== undefined && pathValue !== null) {
    if (typeof pathValue !== 'string') {
      throw error('invalidPath', `${where} ("${op}"): "path" must be a string such as "emails[type eq \\"work\\"].value".`);
    }
    if (pathValue.trim() !== '') path = pathValue.trim();
  }
  const hasValue = keyOf(raw, 'value') !== undefined;
  const value = getAttr(raw, 'value');
  if (op === 'remove') {
    if (path === undefined) throw error('noTarget', `${where}: "remove" needs a "path" naming the attribute to remove.`);
    return hasValue ? { op, path, value } : { op, path };
  }
  if (path === undefined) {
    if (!isObj(value)) {
      throw error(
        'invalidValue',
        `${where}: "${op}" without a "path" needs a "value" object of the attributes to set, e.g. {"active": false}.`,
      );
    }
    return { op, value };
  }
  if (!hasValue) throw error('invalidValue', `${where}: "${op}" at "${path}" needs a "value".`);
  return { op, path, value };
}

// ---------------------------------------------------------------------------------------------------------------
// Applying operations

interface Context extends PatchSchema {
  /** "Operation 2 (replace "emails[type eq "work"].value")", the prefix of every error detail. */
  where: string;
  /** Shared by the operations of one request: how many `remove` items without a `value` they listed so far. */
  removals: { byFields: number };
}

/** What a path names. */
type Target =
  | { kind: 'resource' } // the core schema URN alone: the value holds resource attributes
  | { kind: 'extension'; urn: string } // an extension URN alone: the value holds the extension's attributes
  | {
      kind: 'attribute';
      /** The extension the attribute lives in; undefined for core attributes. */
      urn?: string;
      attribute: string;
      /** A sub-attribute: of a complex attribute (`name.givenName`) or of the filtered elements (`emails[...].value`). */
      sub?: string;
      filter?: FilterNode;
      /** Lower-case qualified name for schema lookups: `emails`, `urn:...:user:employeenumber`. */
      name: string;
      /** The path as sent, for error details. */
      text: string;
    };

type AttributeTarget = Extract<Target, { kind: 'attribute' }>;

/**
 * Applies `operations`, as `parsePatchRequest` returned them, in order to a copy of the User document `resource`
 * and returns the copy; the input is never modified. Throws a 400 ScimError on the first operation that cannot
 * apply, so either all operations take effect or none does.
 */
export function applyPatch(resource: Record<string, unknown>, operations: readonly PatchOperation[]): Record<string, unknown> {
  const document = cloneResource(resource) as Obj;
  const removals = { byFields: 0 };
  operations.forEach((operation, index) => {
    const where = `Operation ${index + 1}`;
    if (operation.path === undefined) {
      const ctx: Context = { ...USER_PATCH_SCHEMA, where: `${where} (${operation.op})`, removals };
      applyValueMap(ctx, document, operation.op, cloneValue(ctx, operation.value, true, 0) as Obj, undefined);
    } else {
      const ctx: Context = { ...USER_PATCH_SCHEMA, where: `${where} (${operation.op} "${operation.path}")`, removals };
      applyPath(ctx, document, operation.op, operation.path, cloneValue(ctx, operation.value, false, 0), false);
    }
  });
  return document;
}

/** A deep copy of the resource built from own data properties. */
function cloneResource(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneResource);
  if (!isObj(value)) return value;
  const copy: Obj = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(copy, key, { value: cloneResource(value[key]), writable: true, enumerable: true, configurable: true });
  }
  return copy;
}

/**
 * A deep copy of an operation's value that refuses prototype-reaching keys. The top-level keys of a pathless value
 * are attribute paths (invalidPath); keys nested deeper are data (invalidValue).
 */
function cloneValue(ctx: Context, value: unknown, keysArePaths: boolean, depth: number): unknown {
  if (depth > MAX_VALUE_DEPTH) throw error('invalidValue', `${ctx.where}: the value is nested too deeply.`);
  if (Array.isArray(value)) return value.map((v) => cloneValue(ctx, v, false, depth + 1));
  if (!isObj(value)) return value;
  const copy: Obj = {};
  for (const key of Object.keys(value)) {
    if (isForbiddenKey(key)) {
      throw keysArePaths
        ? error('invalidPath', `${ctx.where}: "${key}" is not an attribute name Rollcall accepts.`)
        : error('invalidValue', `${ctx.where}: the value contains the key "${key}", which is not an attribute name Rollcall accepts.`);
    }
    Object.defineProperty(copy, key, {
      value: cloneValue(ctx, value[key], false, depth + 1),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return copy;
}

/** Refuses `__proto__`, `constructor` and `prototype` anywhere in a path outside quoted filter values. */
function assertSafePath(ctx: Context, path: string): void {
  const unquoted = path.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const segment of unquoted.split(/[^A-Za-z0-9_$]+/)) {
    if (isForbiddenKey(segment)) {
      throw error('invalidPath', `${ctx.where}: the path "${path}" names "${segment}", which is not an attribute Rollcall accepts.`);
    }
  }
}

function resolve(ctx: Context, text: string): Target {
  assertSafePath(ctx, text);
  const trimmed = text.trim();
  const extension = ctx.extensions.find((urn) => urn.toLowerCase() === trimmed.toLowerCase());
  if (extension) return { kind: 'extension', urn: extension };
  if (trimmed.toLowerCase() === ctx.coreSchema.toLowerCase()) return { kind: 'resource' };
  let parsed: PatchPath;
  try {
    parsed = parsePatchPath(trimmed);
  } catch (e) {
    if (e instanceof ScimError) throw error('invalidPath', `${ctx.where}: ${e.detail}`);
    throw e;
  }
  let urn: string | undefined;
  const schema = parsed.path.schema;
  if (schema !== undefined && schema.toLowerCase() !== ctx.coreSchema.toLowerCase()) {
    urn = ctx.extensions.find((u) => u.toLowerCase() === schema.toLowerCase());
    if (!urn) {
      const known = [ctx.coreSchema, ...ctx.extensions].map((u) => `"${u}"`).join(', ');
      throw error('invalidPath', `${ctx.where}: the path "${text}" names the unknown schema "${schema}"; Rollcall knows ${known}.`);
    }
  }
  const sub = parsed.path.subAttribute ?? parsed.subAttribute;
  const attribute = parsed.path.attribute;
  const name = (urn ? `${urn}:${attribute}` : attribute).toLowerCase();
  return {
    kind: 'attribute',
    ...(urn ? { urn } : {}),
    attribute,
    ...(sub ? { sub } : {}),
    ...(parsed.filter ? { filter: parsed.filter } : {}),
    name,
    text,
  };
}

function readOnlyName(ctx: Context, target: AttributeTarget): string | undefined {
  if (ctx.readOnly.has(target.name)) return target.attribute;
  if (target.sub && ctx.readOnly.has(`${target.name}.${target.sub.toLowerCase()}`)) return `${target.attribute}.${target.sub}`;
  return undefined;
}

function mutability(ctx: Context, attribute: string): ScimError {
  return error(
    'mutability',
    `${ctx.where}: "${attribute}" is read-only in Rollcall and cannot be changed; remove it from the attribute mappings or the request.`,
  );
}

/**
 * Applies `op` at `path`. `fromValueMap` is true for the keys of a pathless value: a read-only attribute there is
 * ignored when its value equals the current one (a client that sends back the user it read echoes `id` and `meta`),
 * instead of refused.
 */
function applyPath(ctx: Context, document: Obj, op: PatchOpName, path: string, value: unknown, fromValueMap: boolean): void {
  const target = resolve(ctx, path);
  if (target.kind === 'resource') {
    if (op === 'remove') throw error('invalidPath', `${ctx.where}: "remove" cannot target the whole resource; name an attribute.`);
    if (!isObj(value)) throw error('invalidValue', `${ctx.where}: the value for "${path}" must be an object of attributes.`);
    applyValueMap(ctx, document, op, value, undefined);
    return;
  }
  if (target.kind === 'extension') {
    applyExtension(ctx, document, op, target.urn, value);
    return;
  }
  const readOnly = readOnlyName(ctx, target);
  if (readOnly !== undefined) {
    if (fromValueMap && op !== 'remove' && !target.filter && deepEqualEcho(currentValue(document, target), value)) return;
    throw mutability(ctx, readOnly);
  }
  applyAttribute(ctx, document, op, target, value);
}

function deepEqualEcho(current: unknown, value: unknown): boolean {
  return (isEmpty(current) && isEmpty(value)) || deepEqual(current, value);
}

function currentValue(document: Obj, target: AttributeTarget): unknown {
  const container = target.urn ? getAttr(document, target.urn) : document;
  if (!isObj(container)) return undefined;
  const value = getAttr(container, target.attribute);
  if (!target.sub) return value;
  return isObj(value) ? getAttr(value, target.sub) : undefined;
}

/** Each key of a pathless value (or of an extension object) is applied as a path at that key. */
function applyValueMap(ctx: Context, document: Obj, op: PatchOpName, value: Obj, urn: string | undefined): void {
  for (const key of Object.keys(value)) {
    applyPath(ctx, document, op, urn ? `${urn}:${key}` : key, value[key], true);
  }
}

function applyExtension(ctx: Context, document: Obj, op: PatchOpName, urn: string, value: unknown): void {
  if (op === 'remove') {
    // Clear every attribute of the extension: null is what the mapping layer reads as "clear".
    const extension = getAttr(document, urn);
    if (isObj(extension)) for (const key of Object.keys(extension)) putAttr(extension, key, null);
    return;
  }
  if (!isObj(value)) {
    throw error('invalidValue', `${ctx.where}: the value for "${urn}" must be an object of the extension's attributes.`);
  }
  extensionObject(ctx, document, urn, true);
  applyValueMap(ctx, document, op, value, urn);
}

/** The object holding an extension's attributes, created (and listed in `schemas`) when `create` is set. */
function extensionObject(ctx: Context, document: Obj, urn: string, create: boolean): Obj | undefined {
  const current = getAttr(document, urn);
  if (isObj(current)) return current;
  if (current !== undefined && current !== null) {
    throw error('invalidPath', `${ctx.where}: "${urn}" in this resource is not an object of extension attributes.`);
  }
  if (!create) return undefined;
  const created: Obj = {};
  putAttr(document, urn, created);
  const schemas = getAttr(document, 'schemas');
  if (Array.isArray(schemas) && !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === urn.toLowerCase())) {
    putAttr(document, 'schemas', [...schemas, urn]);
  }
  return created;
}

function applyAttribute(ctx: Context, document: Obj, op: PatchOpName, target: AttributeTarget, value: unknown): void {
  const container = target.urn ? extensionObject(ctx, document, target.urn, op !== 'remove') : document;
  if (!container) return; // removing from an extension the resource does not have: nothing to clear
  const current = getAttr(container, target.attribute);
  const multiValued =
    ctx.multiValued.has(target.name) ||
    Array.isArray(current) ||
    (op !== 'remove' && !target.sub && !target.filter && Array.isArray(value));
  if (target.filter || (target.sub && multiValued)) applyToElements(ctx, container, op, target, current, value);
  else if (target.sub) applySubAttribute(ctx, container, op, target, current, value);
  else if (multiValued) applyMultiValued(ctx, container, op, target, current, value);
  else applySingular(ctx, container, op, target, current, value);
}

/** Coerces the value of a boolean attribute ("True"/"False" from Entra) and refuses anything else. */
function coerce(ctx: Context, name: string, display: string, value: unknown): unknown {
  if (!ctx.booleans.has(name)) return value;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  throw error('invalidValue', `${ctx.where}: "${display}" must be true or false (or "True"/"False"), got ${JSON.stringify(value) ?? 'nothing'}.`);
}

/**
 * Sets the sub-attributes in `value` on the complex value `into` (RFC 7644: sub-attributes not in the value are left
 * unchanged). Read-only sub-attributes echoed with their current value are ignored.
 */
function merge(ctx: Context, into: Obj, value: Obj, name: string, display: string): void {
  for (const key of Object.keys(value)) {
    const subName = `${name}.${key.toLowerCase()}`;
    if (ctx.readOnly.has(subName)) {
      if (deepEqualEcho(getAttr(into, key), value[key])) continue;
      throw mutability(ctx, `${display}.${key}`);
    }
    putAttr(into, key, coerce(ctx, subName, `${display}.${key}`, value[key]));
  }
}

function applySingular(ctx: Context, container: Obj, op: PatchOpName, target: AttributeTarget, current: unknown, value: unknown): void {
  if (op === 'remove') {
    putAttr(container, target.attribute, null);
    return;
  }
  if (isObj(value) && !ctx.booleans.has(target.name)) {
    // A complex attribute: add and replace both set the given sub-attributes and keep the others.
    const into: Obj = isObj(current) ? current : {};
    merge(ctx, into, value, target.name, target.attribute);
    putAttr(container, target.attribute, into);
    return;
  }
  putAttr(container, target.attribute, coerce(ctx, target.name, target.text, value));
}

function applySubAttribute(ctx: Context, container: Obj, op: PatchOpName, target: AttributeTarget, current: unknown, value: unknown): void {
  const sub = target.sub!;
  if (current === undefined || current === null) {
    if (op === 'remove') return; // nothing to clear
    const created: Obj = {};
    putAttr(created, sub, coerce(ctx, `${target.name}.${sub.toLowerCase()}`, target.text, value));
    putAttr(container, target.attribute, created);
    return;
  }
  if (!isObj(current)) {
    throw error(
      'invalidPath',
      `${ctx.where}: "${target.attribute}" is not a complex attribute, so the path "${target.text}" does not exist.`,
    );
  }
  putAttr(current, sub, op === 'remove' ? null : coerce(ctx, `${target.name}.${sub.toLowerCase()}`, target.text, value));
}

/**
 * Two elements are the same element when their `value`s are equal (strings ignoring case), or, when either has no
 * `value`, when they are deepEqual. `elementKey(a) === elementKey(b)` exactly when they are the same element, so a
 * Set of keys finds duplicates in one pass.
 */
function elementKey(element: unknown): string {
  const value = isObj(element) ? getAttr(element, 'value') : element;
  if (value === undefined || value === null) return `e${canonical(element)}`;
  return typeof value === 'string' ? `s${value.toLowerCase()}` : `v${canonical(value)}`;
}

/**
 * The elements not selected by the `items` to remove: an item selects by `value` when it has one (as elementKey
 * compares), else by its listed fields (strings ignoring case). The work is linear in the elements times the
 * field-only items, so a request may list at most MAX_MULTI_VALUED_ELEMENTS of those in all its operations.
 */
function withoutRemoved(ctx: Context, target: AttributeTarget, elements: unknown[], items: unknown[]): unknown[] {
  const byValue = new Set<string>();
  /** Each field-only item as its fields: the lower-cased name and the value, strings lower-cased. */
  const byFields: [string, unknown][][] = [];
  for (const item of items) {
    const value = isObj(item) ? getAttr(item, 'value') : undefined;
    if (isObj(item) && (value === undefined || value === null)) {
      const fields = Object.keys(item).map((key): [string, unknown] => [key.toLowerCase(), lowerString(item[key])]);
      if (fields.length > 0) byFields.push(fields);
    } else byValue.add(elementKey(item));
  }
  ctx.removals.byFields += byFields.length;
  if (ctx.removals.byFields > MAX_MULTI_VALUED_ELEMENTS) {
    throw error(
      'invalidValue',
      `${ctx.where}: the request lists ${ctx.removals.byFields} "${target.attribute}" elements to remove without a "value"; Rollcall accepts at most ${MAX_MULTI_VALUED_ELEMENTS} such elements per request (elements with a "value" are not limited this way).`,
    );
  }
  if (byValue.size === 0 && byFields.length === 0) return elements;
  return elements.filter((element) => {
    if (byValue.has(elementKey(element))) return false;
    if (byFields.length === 0 || !isObj(element)) return true;
    const index = keyIndex(element);
    const fieldOf = (key: string) => {
      const name = index.get(key);
      return lowerString(name === undefined ? undefined : element[name]);
    };
    return !byFields.some((fields) =>
      fields.every(([key, b]) => {
        const a = fieldOf(key);
        return typeof a === 'string' && typeof b === 'string' ? a === b : deepEqual(a, b);
      }),
    );
  });
}

function lowerString(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** Refuses a multi-valued attribute with more than MAX_MULTI_VALUED_ELEMENTS elements. */
function assertElementCount(ctx: Context, target: AttributeTarget, count: number, what: string): void {
  if (count <= MAX_MULTI_VALUED_ELEMENTS) return;
  throw error(
    'invalidValue',
    `${ctx.where}: ${what} "${target.attribute}" holds ${count} elements; Rollcall accepts at most ${MAX_MULTI_VALUED_ELEMENTS} elements in a multi-valued attribute.`,
  );
}

/** RFC 7643 §2.4: once an element is made primary, no other element stays primary. */
function keepOnePrimary(elements: unknown[], touched: Set<unknown>): void {
  const primary = elements.find((e) => touched.has(e) && isObj(e) && isTrue(getAttr(e, 'primary')));
  if (!primary) return;
  for (const element of elements) {
    if (element !== primary && isObj(element) && isTrue(getAttr(element, 'primary'))) putAttr(element, 'primary', false);
  }
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function applyMultiValued(ctx: Context, container: Obj, op: PatchOpName, target: AttributeTarget, current: unknown, value: unknown): void {
  const elements = asList(current);
  if (op === 'remove') {
    if (value === undefined || value === null) {
      putAttr(container, target.attribute, []);
      return;
    }
    // RFC 7644 gives "remove" no value. With one, only the listed elements go rather than all of them: what Entra
    // means by that shape, which it sends for group members (read in group-patch.ts).
    const items = asList(value);
    assertElementCount(ctx, target, items.length, 'the value for');
    putAttr(container, target.attribute, withoutRemoved(ctx, target, elements, items));
    return;
  }
  const listed = asList(value);
  assertElementCount(ctx, target, listed.length, 'the value for');
  const items = listed.map((item) => coerceElement(ctx, target, item));
  if (op === 'replace') {
    putAttr(container, target.attribute, items);
    return;
  }
  const next = [...elements];
  const present = new Set(elements.map(elementKey));
  const added = new Set<unknown>();
  for (const item of items) {
    const key = elementKey(item);
    if (present.has(key)) continue; // already there: adding it again is a no-op
    present.add(key);
    next.push(item);
    added.add(item);
  }
  assertElementCount(ctx, target, next.length, 'after it,');
  keepOnePrimary(next, added);
  putAttr(container, target.attribute, next);
}

/** Coerces boolean sub-attributes of an element of a multi-valued attribute (e.g. `emails.primary` if so listed). */
function coerceElement(ctx: Context, target: AttributeTarget, element: unknown): unknown {
  if (!isObj(element)) return element;
  for (const key of Object.keys(element)) {
    const name = `${target.name}.${key.toLowerCase()}`;
    if (ctx.booleans.has(name)) putAttr(element, key, coerce(ctx, name, `${target.attribute}.${key}`, element[key]));
  }
  return element;
}

/** `attr[filter]`, `attr[filter].sub`, and `attr.sub` on a multi-valued attribute (all its elements). */
function applyToElements(ctx: Context, container: Obj, op: PatchOpName, target: AttributeTarget, current: unknown, value: unknown): void {
  if (current !== undefined && current !== null && !Array.isArray(current)) {
    throw error(
      'invalidPath',
      `${ctx.where}: "${target.attribute}" is not multi-valued, so the path "${target.text}" cannot select elements of it.`,
    );
  }
  const elements = Array.isArray(current) ? [...current] : [];
  const filter = target.filter;
  const hits = elements.filter((element) => (filter ? matches(filter, element) : true));
  const sub = target.sub;
  const subName = sub ? `${target.name}.${sub.toLowerCase()}` : '';

  if (op === 'remove') {
    if (hits.length === 0) return; // nothing matches: removing it is a no-op
    if (!sub) {
      const removed = new Set(hits);
      putAttr(container, target.attribute, elements.filter((element) => !removed.has(element)));
      return;
    }
    for (const element of hits) if (isObj(element)) putAttr(element, sub, null);
    putAttr(container, target.attribute, elements);
    return;
  }

  if (!sub && !isObj(value)) {
    throw error(
      'invalidValue',
      `${ctx.where}: the value must be an object of sub-attributes for the selected "${target.attribute}" element.`,
    );
  }
  const apply = (element: Obj) => {
    if (sub) putAttr(element, sub, coerce(ctx, subName, target.text, value));
    else merge(ctx, element, value as Obj, target.name, target.attribute);
  };
  const touched = new Set<unknown>();
  if (hits.length > 0) {
    for (const element of hits) {
      if (!isObj(element)) {
        throw error('invalidPath', `${ctx.where}: the elements of "${target.attribute}" have no sub-attributes.`);
      }
      apply(element);
      touched.add(element);
    }
  } else {
    // Entra adds and replaces `emails[type eq "work"].value` before any work email exists: create the element.
    const created = elementFromFilter(ctx, target);
    apply(created);
    elements.push(created);
    touched.add(created);
    assertElementCount(ctx, target, elements.length, 'after it,');
  }
  keepOnePrimary(elements, touched);
  putAttr(container, target.attribute, elements);
}

/** The new element a filter describes: its `eq` comparisons joined by `and` give the element's fields. */
function elementFromFilter(ctx: Context, target: AttributeTarget): Obj {
  const element: Obj = {};
  const collect = (node: FilterNode): boolean => {
    if (node.kind === 'and') return collect(node.left) && collect(node.right);
    if (node.kind !== 'compare' || node.op !== 'eq' || node.path.subAttribute || node.value === null) return false;
    putAttr(element, node.path.attribute, node.value);
    return true;
  };
  if (target.filter && !collect(target.filter)) {
    throw error(
      'noTarget',
      `${ctx.where}: no "${target.attribute}" element matches, and Rollcall can only create a missing one from a filter of "eq" comparisons joined by "and", e.g. emails[type eq "work"].value.`,
    );
  }
  return element;
}
