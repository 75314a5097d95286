import { EmployeeQuery, EmployeeQueryField, EmployeeSortField, QueryOp, fieldType } from '../services/employee-query';
import { ScimError } from './errors';
import { AttrPath, CompareOp, CompareValue, FilterNode, matches } from './filter';
import { ROLLCALL_USER_SCHEMA, USER_SCHEMA } from './user-mapping';

/**
 * Translates a parsed SCIM filter over Users into the domain's employee query. Attribute names are matched
 * case-insensitively (RFC 7643 §2.1) with or without their schema URN; unknown attributes are `invalidFilter`.
 */

type Target =
  | { kind: 'field'; field: EmployeeQueryField }
  /** A sub-attribute Rollcall answers with a constant for every employee (e.g. emails.type is always "work"). */
  | { kind: 'constant'; value: CompareValue; presentWhen?: EmployeeQueryField }
  | { kind: 'none' };

/**
 * Multi-valued attributes Rollcall keeps with one element: its sub-attributes, and which field makes it exist. RFC 7643
 * sub-attributes Rollcall does not keep (`display`, a phone's `primary`) match nobody rather than fail an IdP's
 * request; any other name is refused like an unknown attribute.
 */
const MULTI: Record<string, { field: EmployeeQueryField; sub: Record<string, Target> }> = {
  emails: {
    field: 'email',
    sub: {
      value: { kind: 'field', field: 'email' },
      type: { kind: 'constant', value: 'work', presentWhen: 'email' },
      primary: { kind: 'constant', value: true, presentWhen: 'email' },
      display: { kind: 'none' },
    },
  },
  phonenumbers: {
    field: 'mobileNumber',
    sub: {
      value: { kind: 'field', field: 'mobileNumber' },
      type: { kind: 'constant', value: 'mobile', presentWhen: 'mobileNumber' },
      primary: { kind: 'none' },
      display: { kind: 'none' },
    },
  },
};

const SINGLE: Record<string, EmployeeQueryField> = {
  id: 'id',
  externalid: 'externalId',
  username: 'username',
  displayname: 'displayName',
  usertype: 'type',
  timezone: 'timeZone',
  active: 'status',
};

const NAME: Record<string, EmployeeQueryField> = {
  givenname: 'firstName',
  familyname: 'lastName',
  middlename: 'middleName',
  formatted: 'fullName',
};

const META: Record<string, EmployeeQueryField> = { created: 'createdAt', lastmodified: 'updatedAt' };

const EXTENSION: Record<string, EmployeeQueryField> = {
  primaryrole: 'primaryRole',
  team: 'team',
  loginauthenticator: 'loginAuthenticator',
};

function unknown(path: AttrPath): ScimError {
  const text = `${path.schema ? `${path.schema}:` : ''}${path.attribute}${path.subAttribute ? `.${path.subAttribute}` : ''}`;
  const multi = path.subAttribute && Object.hasOwn(MULTI, path.attribute.toLowerCase()) ? MULTI[path.attribute.toLowerCase()] : undefined;
  const hint = multi ? `; ${path.attribute} can be filtered on ${Object.keys(multi.sub).join(', ')}` : '';
  return new ScimError(400, `Unknown or unfilterable attribute "${text}" in the filter${hint}.`, 'invalidFilter');
}

function resolve(path: AttrPath): Target {
  const schema = path.schema?.toLowerCase();
  const attribute = path.attribute.toLowerCase();
  const sub = path.subAttribute?.toLowerCase();
  if (schema === ROLLCALL_USER_SCHEMA.toLowerCase()) {
    const field = EXTENSION[attribute];
    if (!field || sub) throw unknown(path);
    return { kind: 'field', field };
  }
  if (schema !== undefined && schema !== USER_SCHEMA.toLowerCase()) throw unknown(path);
  if (attribute === 'name' && sub && NAME[sub]) return { kind: 'field', field: NAME[sub] };
  if (attribute === 'meta' && sub) {
    if (META[sub]) return { kind: 'field', field: META[sub] };
    if (sub === 'resourcetype') return { kind: 'constant', value: 'User' };
    throw unknown(path);
  }
  if (Object.hasOwn(MULTI, attribute)) {
    const key = sub ?? 'value';
    if (!Object.hasOwn(MULTI[attribute].sub, key)) throw unknown(path);
    return MULTI[attribute].sub[key];
  }
  if (attribute === 'groups') return { kind: 'none' };
  if (!sub && SINGLE[attribute]) return { kind: 'field', field: SINGLE[attribute] };
  throw unknown(path);
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
      if ((schema && schema !== USER_SCHEMA.toLowerCase()) || (!Object.hasOwn(MULTI, attribute) && attribute !== 'groups')) {
        throw new ScimError(400, `"${node.path.attribute}[...]": value filters apply to multi-valued attributes.`, 'invalidFilter');
      }
      if (attribute === 'groups') return { kind: 'const', value: false };
      // One element exists when its field is set; the inner filter speaks of that element's sub-attributes.
      return and({ kind: 'present', field: MULTI[attribute].field }, translate(node.filter, { attribute: node.path.attribute }));
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

/** `sortBy` (RFC 7644 §3.4.2.3) to a sort field; unknown attributes are `invalidValue`. */
export function userSortField(sortBy: string): EmployeeSortField {
  const key = sortBy.replace(new RegExp(`^${USER_SCHEMA.replace(/[.]/g, '\\.')}:`, 'i'), '').toLowerCase();
  const map: Record<string, EmployeeSortField> = {
    id: 'id',
    username: 'username',
    'emails': 'email',
    'emails.value': 'email',
    'name.givenname': 'firstName',
    'name.familyname': 'lastName',
    displayname: 'displayName',
    externalid: 'externalId',
    'meta.created': 'createdAt',
    'meta.lastmodified': 'updatedAt',
  };
  const field = map[key];
  if (!field) throw new ScimError(400, `Cannot sort by "${sortBy}": use userName, name.familyName, name.givenName, displayName, emails.value, externalId, meta.created or meta.lastModified.`, 'invalidValue');
  return field;
}
