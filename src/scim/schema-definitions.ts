import type { EmployeeQueryField, EmployeeSortField } from '../services/employee-query';
import type { GroupQueryField, GroupSortField } from '../services/group-query';
import type { EmployeeField } from '../services/ownership';

/**
 * The SCIM attribute registry: the only description of the User and Group attributes Rollcall implements (RFC 7643
 * §2.2, §7), and of what Rollcall does with each. It holds the schema URNs, the definitions /Schemas serves as they
 * are (the core User schema limited to the attributes Rollcall keeps, the Rollcall extension, the core Group schema),
 * and the bindings of those attributes to employee and group fields. The PATCH schema (patch.ts), the filter and sort
 * tables (user-query.ts, group-query.ts) and the attribute names of errors and provisioning warnings (errors.ts) are
 * derived from it.
 *
 * Only types are imported, so any SCIM module can import it without creating an import cycle.
 */

export const CORE_USER_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** Rollcall's own extension (a fixed interface: Okta and Entra attribute mappings name it). */
export const ROLLCALL_USER_EXTENSION_URN = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
/**
 * RFC 7643 §4.3. Not served, since Rollcall keeps none of its attributes, but accepted in PATCH paths: IdPs put
 * custom attributes there, and a change to them must be ignored rather than refused.
 */
export const ENTERPRISE_USER_EXTENSION_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_GROUP_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

/** One attribute definition, with the characteristics of RFC 7643 §7 (all of them stated, none left to defaults). */
export interface AttributeDefinition {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  /** For type "reference": what the URI may point at (RFC 7643 §7). */
  readonly referenceTypes?: readonly string[];
  /** For type "complex": its sub-attributes (one level only, RFC 7643 §2.3.8). */
  readonly subAttributes?: readonly AttributeDefinition[];
}

/** A schema resource's content (RFC 7643 §7), without `schemas` and `meta` (discovery adds those). */
export interface SchemaDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDefinition[];
}

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description' | 'subAttributes'>>;

function attr(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

function complex(
  name: string,
  description: string,
  subAttributes: AttributeDefinition[],
  options: Options = {},
): AttributeDefinition {
  return { ...attr(name, 'complex', description, options), subAttributes };
}

const READ_ONLY = { mutability: 'readOnly' } as const;

/** RFC 7643 §3.1 `meta`, as both resources serve it (`lastModified` says what counts as a change). */
function metaAttribute(resourceType: 'User' | 'Group', lastModified: string): AttributeDefinition {
  const noun = resourceType.toLowerCase();
  return complex(
    'meta',
    'Resource metadata, maintained by Rollcall.',
    [
      attr('resourceType', 'string', `The resource type: ${resourceType}.`, { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', `When the ${noun} was created in Rollcall.`, READ_ONLY),
      attr('lastModified', 'dateTime', lastModified, READ_ONLY),
      attr('location', 'reference', `The URI of the ${noun}.`, { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
      attr('version', 'string', 'The entity tag of the current version (use it in If-Match).', { caseExact: true, mutability: 'readOnly' }),
    ],
    READ_ONLY,
  );
}

export const CORE_USER_SCHEMA: SchemaDefinition = {
  id: CORE_USER_SCHEMA_URN,
  name: 'User',
  // The core schema's own description (RFC 7643 §8.7.1); what Rollcall keeps is said per attribute.
  description: 'User Account',
  attributes: [
    attr('id', 'string', 'Identifier Rollcall assigns to the user: unique, stable, never reused.', {
      caseExact: true,
      mutability: 'readOnly',
      returned: 'always',
      uniqueness: 'server',
    }),
    attr('externalId', 'string', "The identity provider's own identifier for the user.", { caseExact: true }),
    attr(
      'userName',
      'string',
      "The user's sign-in name: an email address, or any text when the tenant's username format is ANY. Unique " +
        'within the tenant, compared without regard to case.',
      { required: true, uniqueness: 'server' },
    ),
    complex(
      'name',
      "The components of the user's name. givenName and familyName are required.",
      [
        attr('givenName', 'string', 'Given (first) name.', { required: true }),
        attr('familyName', 'string', 'Family (last) name.', { required: true }),
        attr('middleName', 'string', 'Middle name(s). Kept only if the tenant imports it.'),
        attr('formatted', 'string', 'The full name, kept as sent; when none was sent, composed from the given, middle and family names.'),
      ],
      { required: true },
    ),
    attr('displayName', 'string', 'The name shown for the user. Kept only if the tenant imports it.'),
    complex(
      'emails',
      'Email addresses. Rollcall keeps one: the primary one, else the one of type work, else the first; without ' +
        'any, the userName. It is returned as the primary work address.',
      [
        attr('value', 'string', 'The email address.'),
        attr('type', 'string', 'The kind of address.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Whether this is the preferred address.'),
      ],
      { multiValued: true },
    ),
    complex(
      'phoneNumbers',
      'Phone numbers. Rollcall keeps only the one of type mobile (if the tenant imports it); others are ignored.',
      [
        attr('value', 'string', 'The phone number, stored and returned exactly as sent (e.g. 312-320-1707 or +1 312 320 1707).'),
        attr('type', 'string', 'The kind of number; only mobile is kept.', { canonicalValues: ['mobile'] }),
      ],
      { multiValued: true },
    ),
    attr(
      'timezone',
      'string',
      "The user's IANA time zone, e.g. America/Chicago (any case; returned in canonical spelling). Abbreviations such as " +
        'PST are skipped. Kept only if the tenant imports it.',
    ),
    attr('userType', 'string', 'The kind of worker, e.g. Employee or Contractor. Kept only if the tenant imports it.'),
    attr('active', 'boolean', 'Whether the user may work in Rollcall. false deactivates the user; nothing is deleted.'),
    complex(
      'groups',
      'The groups the user belongs to. Read-only: membership is changed through the groups.',
      [
        attr('value', 'string', 'The id of the group.', { caseExact: true, mutability: 'readOnly' }),
        attr('$ref', 'reference', 'The URI of the group.', {
          caseExact: true,
          mutability: 'readOnly',
          referenceTypes: ['Group'],
        }),
        attr('display', 'string', 'The name of the group.', READ_ONLY),
      ],
      { multiValued: true, mutability: 'readOnly' },
    ),
    metaAttribute('User', 'When the user was last changed.'),
  ],
};

export const ROLLCALL_USER_EXTENSION: SchemaDefinition = {
  id: ROLLCALL_USER_EXTENSION_URN,
  name: 'Rollcall User',
  description: "Rollcall's assignments of a user. Names are the tenant's names, matched without regard to case.",
  attributes: [
    attr('primaryRole', 'string', "The name of the user's primary role. Kept only if the tenant imports it."),
    attr('team', 'string', "The name of the user's team. Kept only if the tenant imports it."),
    attr(
      'loginAuthenticator',
      'string',
      'The name of the login authenticator the user signs in with. Kept only if the tenant imports it.',
    ),
    attr(
      'employeeTemplate',
      'string',
      'The name of an employee template whose presets (role, team, time zone, type) apply when the user is ' +
        'created. Ignored on later updates; never returned.',
      { mutability: 'writeOnly', returned: 'never' },
    ),
  ],
};

/** Every schema a User is made of: the core schema first, then the extensions. */
export const USER_SCHEMAS: readonly SchemaDefinition[] = [CORE_USER_SCHEMA, ROLLCALL_USER_EXTENSION];

export const CORE_GROUP_SCHEMA: SchemaDefinition = {
  id: CORE_GROUP_SCHEMA_URN,
  name: 'Group',
  // The core schema's own description (RFC 7643 §8.7.1).
  description: 'Group',
  attributes: [
    attr('id', 'string', 'Identifier Rollcall assigns to the group: unique, stable, never reused.', {
      caseExact: true,
      mutability: 'readOnly',
      returned: 'always',
      uniqueness: 'server',
    }),
    attr('externalId', 'string', "The identity provider's own identifier for the group.", { caseExact: true }),
    attr('displayName', 'string', 'The name of the group. Unique within the tenant, compared without regard to case.', {
      required: true,
      uniqueness: 'server',
    }),
    complex(
      'members',
      'The users in the group. Only users of the same tenant can be members; groups cannot contain groups.',
      [
        attr('value', 'string', 'The id of the user.', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'reference', 'The URI of the user.', {
          caseExact: true,
          mutability: 'immutable',
          referenceTypes: ['User'],
        }),
        attr('display', 'string', "The user's display name, else their given and family names.", READ_ONLY),
        attr('type', 'string', 'The kind of member: only "User" is accepted. Not returned.', {
          canonicalValues: ['User'],
          mutability: 'immutable',
          returned: 'never',
        }),
      ],
      { multiValued: true },
    ),
    metaAttribute('Group', 'When the group or its membership last changed.'),
  ],
};

/** Every schema /Schemas serves: the User schemas, then the Group schema. */
export const SCIM_SCHEMAS: readonly SchemaDefinition[] = [...USER_SCHEMAS, CORE_GROUP_SCHEMA];

/** The schema with this URN among all those served (compared without regard to case), or undefined. */
export function findSchema(urn: string): SchemaDefinition | undefined {
  const wanted = urn.toLowerCase();
  return SCIM_SCHEMAS.find((schema) => schema.id.toLowerCase() === wanted);
}

/** The schema with this URN (compared without regard to case), or undefined. */
export function findUserSchema(urn: string): SchemaDefinition | undefined {
  const wanted = urn.toLowerCase();
  return USER_SCHEMAS.find((schema) => schema.id.toLowerCase() === wanted);
}

/** An attribute path resolved against the User or the Group schemas. */
export interface ResolvedAttribute {
  /** URN of the schema that defines the attribute. */
  readonly schema: string;
  /**
   * The path spelled as the schema spells it: `name.givenName`, or qualified with the URN for extension attributes
   * (`urn:ietf:params:scim:schemas:extension:rollcall:2.0:User:team`). A value filter in the path is dropped.
   */
  readonly path: string;
  /** The definition of the attribute itself (the sub-attribute's, for `name.givenName`). */
  readonly attribute: AttributeDefinition;
  /** For a sub-attribute: the complex attribute it belongs to. */
  readonly parent?: AttributeDefinition;
  /** Whether clients may not set it: the attribute, or the attribute it belongs to, is readOnly. */
  readonly readOnly: boolean;
  /** Whether it is never returned (writeOnly, or `returned: never`). */
  readonly neverReturned: boolean;
}

/**
 * Resolves a SCIM attribute path (RFC 7644 §3.10) against the User schemas, ignoring case: `userName`,
 * `name.givenName`, `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`,
 * `urn:ietf:params:scim:schemas:extension:rollcall:2.0:User:team`, and value paths such as
 * `emails[type eq "work"].value` (the filter is skipped, not evaluated). Unqualified names refer to the core schema.
 *
 * Returns undefined for anything Rollcall does not keep (`locale`, the enterprise extension, `name.nickName`), for a
 * schema URN on its own, and for malformed paths. Lookups go through arrays, never object keys, so names such as
 * `__proto__` or `constructor` simply do not resolve.
 */
export function findUserAttribute(path: string): ResolvedAttribute | undefined {
  return findAttribute(USER_SCHEMAS, path);
}

/** The same as findUserAttribute, against the Group schema. */
export function findGroupAttribute(path: string): ResolvedAttribute | undefined {
  return findAttribute([CORE_GROUP_SCHEMA], path);
}

/** `schemas[0]` is the core schema, whose attributes may go unqualified; the others are its extensions. */
function findAttribute(schemas: readonly SchemaDefinition[], path: string): ResolvedAttribute | undefined {
  const core = schemas[0];
  const trimmed = path.trim();
  let schema: SchemaDefinition = core;
  let rest = trimmed;
  const lower = trimmed.toLowerCase();
  const qualifier = schemas.find((s) => lower.startsWith(`${s.id.toLowerCase()}:`));
  if (qualifier) {
    schema = qualifier;
    rest = trimmed.slice(qualifier.id.length + 1);
  } else if (lower.startsWith('urn:')) {
    return undefined; // another schema's attribute, or a bare schema URN
  }

  const parts = splitPath(rest);
  if (!parts) return undefined;
  const [topName, subName] = parts;
  const top = byName(schema.attributes, topName);
  if (!top) return undefined;
  let attribute = top;
  let parent: AttributeDefinition | undefined;
  if (subName !== undefined) {
    const sub = byName(top.subAttributes ?? [], subName);
    if (!sub) return undefined;
    attribute = sub;
    parent = top;
  }
  const local = parent ? `${parent.name}.${attribute.name}` : attribute.name;
  return {
    schema: schema.id,
    path: schema === core ? local : `${schema.id}:${local}`,
    attribute,
    ...(parent ? { parent } : {}),
    readOnly: attribute.mutability === 'readOnly' || parent?.mutability === 'readOnly',
    neverReturned:
      attribute.returned === 'never' || attribute.mutability === 'writeOnly' ||
      parent?.returned === 'never' || parent?.mutability === 'writeOnly',
  };
}

function byName(attributes: readonly AttributeDefinition[], name: string): AttributeDefinition | undefined {
  const wanted = name.toLowerCase();
  return attributes.find((a) => a.name.toLowerCase() === wanted);
}

/**
 * `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub` into [attr, sub?]; undefined if malformed. The filter may
 * contain quoted strings with `]` or `"` (escaped) inside.
 */
function splitPath(path: string): [string, string?] | undefined {
  const NAME = /^\$?[A-Za-z][\w$-]*$/;
  const open = path.indexOf('[');
  let head = path;
  if (open >= 0) {
    const close = filterEnd(path, open);
    if (close < 0) return undefined;
    const after = path.slice(close + 1);
    if (after !== '' && !after.startsWith('.')) return undefined;
    if (path.slice(0, open).includes('.')) return undefined; // a value filter applies to a top-level attribute
    head = path.slice(0, open) + after;
  }
  const segments = head.split('.');
  if (segments.length > 2 || !segments.every((s) => NAME.test(s))) return undefined;
  return segments.length === 2 ? [segments[0], segments[1]] : [segments[0]];
}

/** Index of the `]` closing the filter that opens at `open`, or -1. */
function filterEnd(path: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < path.length; i++) {
    const c = path[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[') return -1;
    else if (c === ']') return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Bindings: what Rollcall does with each attribute it keeps

/**
 * A User attribute's binding to the employee. Attributes without one are returned or refused by their definition
 * alone (`groups`, read-only, is filled from the memberships).
 */
export interface UserAttributeBinding {
  /**
   * The employee fields, and IdP-view names (src/services/employee.service.ts `IdpEmployee`), written through this
   * attribute: DomainError issues and provisioning warnings that name them are reported under this attribute.
   */
  readonly fields?: readonly string[];
  /** How an IdP admin's attribute mapping spells the attribute, when it is not the path itself. */
  readonly mappedAs?: string;
  /** The employee query field a filter on this attribute compares. */
  readonly query?: EmployeeQueryField;
  /** The value every employee has (emails.type is always "work"): a filter compares it without reading a row. */
  readonly constant?: string | boolean;
  /** The sort key `sortBy` selects. */
  readonly sort?: EmployeeSortField;
}

const ROLLCALL = ROLLCALL_USER_EXTENSION_URN;

/**
 * Each User attribute Rollcall binds, by the path findUserAttribute spells (extension attributes qualified with
 * their URN), in schema order.
 */
export const USER_ATTRIBUTE_BINDINGS = {
  id: { query: 'id', sort: 'id' },
  externalId: { query: 'externalId', sort: 'externalId' },
  userName: { fields: ['username'], query: 'username', sort: 'username' },
  'name.givenName': { fields: ['firstName'], query: 'firstName', sort: 'firstName' },
  'name.familyName': { fields: ['lastName'], query: 'lastName', sort: 'lastName' },
  'name.middleName': { fields: ['middleName'], query: 'middleName' },
  'name.formatted': { fields: ['formattedName'], query: 'fullName' },
  displayName: { fields: ['displayName'], query: 'displayName', sort: 'displayName' },
  // Rollcall keeps one email, so the attribute itself names it (and sorts by it, as emails.value does).
  emails: { fields: ['email'], sort: 'email' },
  'emails.value': { query: 'email', sort: 'email' },
  'emails.type': { constant: 'work' },
  'emails.primary': { constant: true },
  'phoneNumbers.value': { fields: ['mobileNumber'], mappedAs: 'phoneNumbers[type eq "mobile"].value', query: 'mobileNumber' },
  'phoneNumbers.type': { constant: 'mobile' },
  timezone: { fields: ['timeZone'], query: 'timeZone' },
  userType: { fields: ['type'], query: 'type' },
  active: { fields: ['status'], query: 'status' },
  'meta.resourceType': { constant: 'User' },
  'meta.created': { query: 'createdAt', sort: 'createdAt' },
  'meta.lastModified': { query: 'updatedAt', sort: 'updatedAt' },
  [`${ROLLCALL}:primaryRole`]: { fields: ['primaryRoleId', 'primaryRole'], query: 'primaryRole' },
  [`${ROLLCALL}:team`]: { fields: ['teamId', 'team'], query: 'team' },
  [`${ROLLCALL}:loginAuthenticator`]: { fields: ['loginAuthenticatorId', 'loginAuthenticator'], query: 'loginAuthenticator' },
  [`${ROLLCALL}:employeeTemplate`]: { fields: ['employeeTemplate'] },
} as const satisfies Record<string, UserAttributeBinding>;

type UserBindings = typeof USER_ATTRIBUTE_BINDINGS;
type BoundField = {
  [P in keyof UserBindings]: UserBindings[P] extends { fields: readonly (infer F extends string)[] } ? F : never;
}[keyof UserBindings];

function attributesOfFields(): Record<BoundField, string> {
  const paths = new Map<string, string>();
  for (const [path, binding] of Object.entries(USER_ATTRIBUTE_BINDINGS) as [string, UserAttributeBinding][]) {
    for (const field of binding.fields ?? []) paths.set(field, binding.mappedAs ?? path);
  }
  return Object.fromEntries(paths) as Record<BoundField, string>;
}

/**
 * The SCIM attribute of each employee field and IdP-view name, as an IdP admin maps it. `satisfies
 * Record<EmployeeField, ...>`: a field added to EMPLOYEE_FIELDS (src/services/ownership.ts) that no User attribute
 * writes is a compile error here.
 */
export const USER_ATTRIBUTE_OF_FIELD = attributesOfFields() satisfies Record<EmployeeField, string>;

/** A Group attribute's binding to the group. `members` is bound by group-query.ts and group-patch.ts themselves. */
export interface GroupAttributeBinding {
  readonly query?: GroupQueryField;
  readonly constant?: string;
  readonly sort?: GroupSortField;
}

/** Each Group attribute Rollcall binds, by the path findGroupAttribute spells, in schema order. */
export const GROUP_ATTRIBUTE_BINDINGS = {
  id: { query: 'id', sort: 'id' },
  externalId: { query: 'externalId', sort: 'externalId' },
  displayName: { query: 'displayName', sort: 'displayName' },
  'meta.resourceType': { constant: 'Group' },
  'meta.created': { query: 'createdAt', sort: 'createdAt' },
  'meta.lastModified': { query: 'updatedAt', sort: 'updatedAt' },
} as const satisfies Record<string, GroupAttributeBinding>;

// A binding must name an attribute of its schema, spelled as the schema spells it; checked once, when loaded.
for (const [paths, find] of [
  [Object.keys(USER_ATTRIBUTE_BINDINGS), findUserAttribute],
  [Object.keys(GROUP_ATTRIBUTE_BINDINGS), findGroupAttribute],
] as const) {
  for (const path of paths) {
    if (find(path)?.path !== path) throw new Error(`schema-definitions.ts: the binding "${path}" names no attribute of its schema`);
  }
}
