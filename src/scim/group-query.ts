import { GroupQuery, GroupQueryField, GroupSortField, groupFieldType } from '../services/group-query';
import { QueryOp } from '../services/query-compiler';
import { ScimError } from './errors';
import { AttrPath, CompareOp, CompareValue, FilterNode } from './filter';
import { CORE_GROUP_SCHEMA_URN as GROUP_SCHEMA, GROUP_ATTRIBUTE_BINDINGS, GroupAttributeBinding } from './schema-definitions';

/**
 * Translates a parsed SCIM filter over Groups into the domain's group query: `displayName`, `externalId`, `id`,
 * `meta.created`, `meta.lastModified`, and membership as `members[value eq "<user id>"]`,
 * `members[type eq "User"].value eq "<id>"`, `members.value eq "<id>"` or `members pr`. Attribute names are matched
 * case-insensitively, with or without the Group schema URN. What each attribute but `members` compares comes from the
 * attribute registry (GROUP_ATTRIBUTE_BINDINGS in schema-definitions.ts).
 */

type Target =
  | { kind: 'field'; field: GroupQueryField }
  | { kind: 'members' }
  /** A member's `type`: always "User", since groups cannot contain groups. */
  | { kind: 'memberType' }
  | { kind: 'constant'; value: string };

const BINDINGS = Object.entries(GROUP_ATTRIBUTE_BINDINGS) as [string, GroupAttributeBinding][];
/** The filterable attributes but `members`, by their lower-case path (`displayname`, `meta.created`). */
const TARGETS = new Map<string, Target>(
  BINDINGS.flatMap(([path, b]): [string, Target][] => {
    if (b.query) return [[path.toLowerCase(), { kind: 'field', field: b.query }]];
    return b.constant !== undefined ? [[path.toLowerCase(), { kind: 'constant', value: b.constant }]] : [];
  }),
);
const FILTERABLE = BINDINGS.filter(([, b]) => b.query).map(([path]) => path);

function pathText(path: AttrPath): string {
  return `${path.schema ? `${path.schema}:` : ''}${path.attribute}${path.subAttribute ? `.${path.subAttribute}` : ''}`;
}

function unknown(path: AttrPath): ScimError {
  return new ScimError(
    400,
    `Unknown or unfilterable attribute "${pathText(path)}" in the filter; groups filter on ${FILTERABLE.join(', ')} ` +
      'and members by value or type (members[type eq "User"].value eq "<user id>").',
    'invalidFilter',
  );
}

function resolve(path: AttrPath): Target {
  if (path.schema !== undefined && path.schema.toLowerCase() !== GROUP_SCHEMA.toLowerCase()) throw unknown(path);
  const attribute = path.attribute.toLowerCase();
  const sub = path.subAttribute?.toLowerCase();
  if (attribute === 'members' && (sub === undefined || sub === 'value')) return { kind: 'members' };
  if (attribute === 'members' && sub === 'type') return { kind: 'memberType' };
  const target = TARGETS.get(sub === undefined ? attribute : `${attribute}.${sub}`);
  if (!target) throw unknown(path);
  return target;
}

function checkValue(field: GroupQueryField, op: CompareOp, value: CompareValue, path: AttrPath): void {
  const name = pathText(path);
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw new ScimError(400, `"${name} ${op} null" is not a valid comparison.`, 'invalidFilter');
    return;
  }
  if (typeof value !== 'string') {
    throw new ScimError(400, `${name} is a string attribute: compare it with a "quoted string".`, 'invalidFilter');
  }
  if (groupFieldType(field) === 'timestamp' && !['co', 'sw', 'ew'].includes(op) && Number.isNaN(Date.parse(value))) {
    throw new ScimError(400, `${name} is a date-time: compare it with an ISO 8601 string.`, 'invalidFilter');
  }
}

function constantCompare(constant: string, op: CompareOp, value: CompareValue): GroupQuery {
  const equal = typeof value === 'string' && value.toLowerCase() === constant.toLowerCase();
  return { kind: 'const', value: op === 'eq' ? equal : op === 'ne' ? !equal : false };
}

function memberCompare(op: CompareOp, value: CompareValue, path: AttrPath): GroupQuery {
  if (op !== 'eq' || typeof value !== 'string') {
    throw new ScimError(400, `"${pathText(path)} ${op}": members are filtered with value eq "<user id>" or pr.`, 'invalidFilter');
  }
  return { kind: 'hasMember', employeeId: value };
}

function translate(node: FilterNode, inMembers: boolean): GroupQuery {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, left: translate(node.left, inMembers), right: translate(node.right, inMembers) };
    case 'not':
      return { kind: 'not', query: translate(node.filter, inMembers) };
    case 'valuePath': {
      if (inMembers) throw new ScimError(400, 'Value filters cannot be nested.', 'invalidFilter');
      if (resolve(node.path).kind !== 'members') {
        throw new ScimError(400, `"${pathText(node.path)}[...]": value filters apply to members only.`, 'invalidFilter');
      }
      // The inner filter speaks of one member, so a group without members matches nothing, whatever the filter says
      // of constants (`members[type eq "User"]`, `members[not (value eq "x")]`).
      return { kind: 'and', left: { kind: 'hasMembers' }, right: translate(node.filter, true) };
    }
    case 'present':
    case 'compare': {
      if (inMembers) {
        // Inside members[...] (and after it, `members[...].value`), names are sub-attributes of a member.
        const sub = node.path.attribute.toLowerCase();
        if (node.path.schema || node.path.subAttribute || (sub !== 'value' && sub !== 'type')) {
          throw new ScimError(
            400,
            `"members[${pathText(node.path)} ...]": members can be filtered on value and type (members[type eq "User"].value eq "<user id>").`,
            'invalidFilter',
          );
        }
        if (sub === 'type') return node.kind === 'present' ? { kind: 'const', value: true } : constantCompare('User', node.op, node.value);
        return node.kind === 'present' ? { kind: 'hasMembers' } : memberCompare(node.op, node.value, node.path);
      }
      const target = resolve(node.path);
      if (target.kind === 'members') {
        return node.kind === 'present' ? { kind: 'hasMembers' } : memberCompare(node.op, node.value, node.path);
      }
      if (target.kind === 'memberType') {
        const holds: GroupQuery = node.kind === 'present' ? { kind: 'const', value: true } : constantCompare('User', node.op, node.value);
        return { kind: 'and', left: { kind: 'hasMembers' }, right: holds };
      }
      if (target.kind === 'constant') {
        return node.kind === 'present' ? { kind: 'const', value: true } : constantCompare(target.value, node.op, node.value);
      }
      if (node.kind === 'present') return { kind: 'present', field: target.field };
      checkValue(target.field, node.op, node.value, node.path);
      return { kind: 'compare', field: target.field, op: node.op as QueryOp, value: node.value };
    }
  }
}

export function groupFilterToQuery(filter: FilterNode): GroupQuery {
  return translate(filter, false);
}

const SORT_FIELDS = new Map(BINDINGS.flatMap(([path, b]) => (b.sort ? [[path.toLowerCase(), b.sort] as const] : [])));
const SORTABLE = BINDINGS.filter(([, b]) => b.sort).map(([path]) => path);

/** `sortBy` (RFC 7644 §3.4.2.3) to a group sort field; unknown attributes are `invalidValue`. */
export function groupSortField(sortBy: string): GroupSortField {
  const trimmed = sortBy.trim();
  const key = (trimmed.toLowerCase().startsWith(`${GROUP_SCHEMA.toLowerCase()}:`) ? trimmed.slice(GROUP_SCHEMA.length + 1) : trimmed).toLowerCase();
  const field = SORT_FIELDS.get(key);
  if (!field) {
    const names = `${SORTABLE.slice(0, -1).join(', ')} or ${SORTABLE[SORTABLE.length - 1]}`;
    throw new ScimError(400, `Cannot sort groups by "${sortBy}": use ${names}.`, 'invalidValue');
  }
  return field;
}
