import { EmployeeQuery, EmployeeQueryField, EmployeeSortField, QueryOp, fieldType } from '../services/employee-query';
import { ScimError } from './errors';
import { AttrPath, CompareOp, CompareValue, FilterNode, matches } from './filter';
import {
  CORE_USER_SCHEMA,
  CORE_USER_SCHEMA_URN,
  ROLLCALL_USER_EXTENSION_URN,
  USER_ATTRIBUTE_BINDINGS,
  UserAttributeBinding,
  findUserAttribute,
} from './schema-definitions';

/**
 * Translates a parsed SCIM filter over Users into the domain's employee query. Attribute names are matched
 * case-insensitively (RFC 7643 §2.1) with or without their schema URN; unknown attributes are `invalidFilter`. What
 * each attribute compares comes from the attribute registry (USER_ATTRIBUTE_BINDINGS in schema-definitions.ts).
 */

type Target =
  | { kind: 'field'; field: EmployeeQueryField }
  /** A sub-attribute Rollcall answers with a constant for every employee (e.g. emails.type is always "work"). */
  | { kind: 'constant'; value: CompareValue; presentWhen?: EmployeeQueryField }
  | { kind: 'none' };

/**
 * RFC 7643 sub-attributes of the multi-valued attributes Rollcall keeps with one element, which Rollcall does not keep:
 * they match nobody rather than fail an IdP's request.
 */
const UNKEPT_SUB_ATTRIBUTES: Record<string, readonly string[]> = { emails: ['display'], phoneNumbers: ['primary', 'display'] };

const BINDINGS = Object.entries(USER_ATTRIBUTE_BINDINGS) as [string, UserAttributeBinding][];
const bindingOf = (path: string) => BINDINGS.find(([p]) => p === path)?.[1];

/** The filterable attributes by their lower-case path (`username`, `name.givenname`, `urn:...:user:team`). */
const TARGETS = new Map<string, Target>();
/**
 * Multi-valued attributes Rollcall keeps with one element: its sub-attributes, and which field makes it exist. Any
 * other sub-attribute name is refused like an unknown attribute.
 */
const MULTI = new Map<string, { field: EmployeeQueryField; sub: Map<string, Target> }>();
/** Multi-valued attributes a filter cannot read (groups: membership is filtered on /Groups): they match nobody. */
const UNFILTERABLE = new Set<string>();

for (const [path, binding] of BINDINGS) {
  const resolved = findUserAttribute(path)!;
  const presentWhen = resolved.parent?.multiValued ? bindingOf(`${resolved.parent.name}.value`)?.query : undefined;
  if (binding.query) TARGETS.set(path.toLowerCase(), { kind: 'field', field: binding.query });
  else if (binding.constant !== undefined) {
    TARGETS.set(path.toLowerCase(), { kind: 'constant', value: binding.constant, ...(presentWhen ? { presentWhen } : {}) });
  }
}
for (const attribute of CORE_USER_SCHEMA.attributes.filter((a) => a.multiValued)) {
  const field = bindingOf(`${attribute.name}.value`)?.query;
  if (!field) {
    UNFILTERABLE.add(attribute.name.toLowerCase());
    continue;
  }
  const sub = new Map<string, Target>();
  for (const { name } of attribute.subAttributes ?? []) {
    const target = TARGETS.get(`${attribute.name}.${name}`.toLowerCase());
    if (target) sub.set(name.toLowerCase(), target);
  }
  for (const name of UNKEPT_SUB_ATTRIBUTES[attribute.name] ?? []) sub.set(name.toLowerCase(), { kind: 'none' });
  MULTI.set(attribute.name.toLowerCase(), { field, sub });
}

const CORE = CORE_USER_SCHEMA_URN.toLowerCase();
const EXTENSION = ROLLCALL_USER_EXTENSION_URN.toLowerCase();

function unknown(path: AttrPath): ScimError {
  const text = `${path.schema ? `${path.schema}:` : ''}${path.attribute}${path.subAttribute ? `.${path.subAttribute}` : ''}`;
  const multi = path.subAttribute ? MULTI.get(path.attribute.toLowerCase()) : undefined;
  const hint = multi ? `; ${path.attribute} can be filtered on ${[...multi.sub.keys()].join(', ')}` : '';
  return new ScimError(400, `Unknown or unfilterable attribute "${text}" in the filter${hint}.`, 'invalidFilter');
}

function resolve(path: AttrPath): Target {
  const schema = path.schema?.toLowerCase();
  const attribute = path.attribute.toLowerCase();
  const sub = path.subAttribute?.toLowerCase();
  if (schema === EXTENSION) {
    const target = sub ? undefined : TARGETS.get(`${EXTENSION}:${attribute}`);
    if (target?.kind !== 'field') throw unknown(path);
    return target;
  }
  if (schema !== undefined && schema !== CORE) throw unknown(path);
  const multi = MULTI.get(attribute);
  if (multi) {
    const target = multi.sub.get(sub ?? 'value');
    if (!target) throw unknown(path);
    return target;
  }
  if (UNFILTERABLE.has(attribute)) return { kind: 'none' };
  // name.givenName, meta.created, ...; or a single-valued attribute.
  const target = TARGETS.get(sub ? `${attribute}.${sub}` : attribute);
  if (!target) throw unknown(path);
  return target;
}

function constantCompare(constant: CompareValue, op: CompareOp, value: CompareValue): boolean {
  return matches({ kind: 'compare', path: { attribute: 'v' }, op, value }, { v: constant });
}

function and(left: EmployeeQuery, right: EmployeeQuery): EmployeeQuery {
  return { kind: 'and', left, right };
}

function checkValue(field: EmployeeQueryField, op: CompareOp, value: CompareValue, path: AttrPath): void {
  const type = fieldType(field);
  const name = path.subAttribute ? `${path.attribute}.${path.subAttribute}` : path.attribute;
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw new ScimError(400, `"${name} ${op} null" is not a valid comparison.`, 'invalidFilter');
    return;
  }
  if (type === 'status') {
    const ok = typeof value === 'boolean' || (typeof value === 'string' && /^(true|false)$/i.test(value));
    if (!ok || (op !== 'eq' && op !== 'ne')) {
      throw new ScimError(400, `${name} is a boolean: use "${name} eq true" or "${name} eq false".`, 'invalidFilter');
    }
    return;
  }
  if (typeof value !== 'string') {
    throw new ScimError(400, `${name} is a string attribute: compare it with a "quoted string".`, 'invalidFilter');
  }
  if (type === 'timestamp' && !['co', 'sw', 'ew'].includes(op) && Number.isNaN(Date.parse(value))) {
    throw new ScimError(400, `${name} is a date-time: compare it with an ISO 8601 string.`, 'invalidFilter');
  }
}

function translate(node: FilterNode, scope?: { attribute: string }): EmployeeQuery {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, left: translate(node.left, scope), right: translate(node.right, scope) };
    case 'not':
      return { kind: 'not', query: translate(node.filter, scope) };
    case 'valuePath': {
      if (scope) throw new ScimError(400, 'Value filters cannot be nested.', 'invalidFilter');
      const attribute = node.path.attribute.toLowerCase();
      const schema = node.path.schema?.toLowerCase();
      const multi = MULTI.get(attribute);
      if ((schema && schema !== CORE) || (!multi && !UNFILTERABLE.has(attribute))) {
        throw new ScimError(400, `"${node.path.attribute}[...]": value filters apply to multi-valued attributes.`, 'invalidFilter');
      }
      if (!multi) return { kind: 'const', value: false };
      // One element exists when its field is set; the inner filter speaks of that element's sub-attributes.
      return and({ kind: 'present', field: multi.field }, translate(node.filter, { attribute: node.path.attribute }));
    }
    case 'present':
    case 'compare': {
      const path: AttrPath = scope
        ? { attribute: scope.attribute, subAttribute: node.path.attribute, ...(node.path.schema ? { schema: node.path.schema } : {}) }
        : node.path;
      if (scope && node.path.subAttribute) throw unknown(node.path);
      const target = resolve(path);
      if (target.kind === 'none') {
        return { kind: 'const', value: node.kind === 'compare' && node.op === 'ne' };
      }
      if (target.kind === 'constant') {
        const holds =
          node.kind === 'present' ? true : constantCompare(target.value, node.op, node.value);
        return target.presentWhen ? and({ kind: 'present', field: target.presentWhen }, { kind: 'const', value: holds }) : { kind: 'const', value: holds };
      }
      if (node.kind === 'present') return { kind: 'present', field: target.field };
      checkValue(target.field, node.op, node.value, path);
      return { kind: 'compare', field: target.field, op: node.op as QueryOp, value: node.value };
    }
  }
}

export function userFilterToQuery(filter: FilterNode): EmployeeQuery {
  return translate(filter);
}

const SORT_FIELDS = new Map(BINDINGS.flatMap(([path, b]) => (b.sort ? [[path.toLowerCase(), b.sort] as const] : [])));
/** The sortable attributes an error names: a multi-valued attribute itself only stands for its value. */
const SORTABLE = BINDINGS.filter(([path, b]) => b.sort && !findUserAttribute(path)!.attribute.multiValued).map(([path]) => path);

/** `sortBy` (RFC 7644 §3.4.2.3) to a sort field; unknown attributes are `invalidValue`. */
export function userSortField(sortBy: string): EmployeeSortField {
  const key = (sortBy.toLowerCase().startsWith(`${CORE}:`) ? sortBy.slice(CORE.length + 1) : sortBy).toLowerCase();
  const field = SORT_FIELDS.get(key);
  if (!field) {
    const names = `${SORTABLE.slice(0, -1).join(', ')} or ${SORTABLE[SORTABLE.length - 1]}`;
    throw new ScimError(400, `Cannot sort by "${sortBy}": use ${names}.`, 'invalidValue');
  }
  return field;
}
