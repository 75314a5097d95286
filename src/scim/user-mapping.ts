import { Employee } from '../entities';
import { EmployeeReferenceNames, IdpEmployee } from '../services/employee.service';
import { GroupRef } from '../services/group.service';
import { ScimError } from './errors';
import { CORE_USER_SCHEMA_URN, ROLLCALL_USER_EXTENSION_URN } from './schema-definitions';

/** The URNs under the names test/scim-discovery.test.ts imports; Rollcall's modules import schema-definitions.ts. */
export { CORE_USER_SCHEMA_URN as USER_SCHEMA, ROLLCALL_USER_EXTENSION_URN as ROLLCALL_USER_SCHEMA } from './schema-definitions';

export interface ScimUser {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  name: { givenName: string; familyName: string; middleName?: string; formatted: string };
  displayName?: string;
  emails: { value: string; type: string; primary: boolean }[];
  phoneNumbers?: { value: string; type: string }[];
  timezone?: string;
  userType?: string;
  active: boolean;
  /** Read-only: membership changes through /Groups. Omitted when the user is in no group. */
  groups?: { value: string; display: string; $ref: string }[];
  [ROLLCALL_USER_EXTENSION_URN]: { primaryRole?: string; team?: string; loginAuthenticator?: string };
  meta: { resourceType: 'User'; created: string; lastModified: string; location: string; version: string };
}

/** The weak ETag of an employee version (RFC 7644 §3.14). */
export function etag(employee: Pick<Employee, 'version'>): string {
  return `W/"${employee.version}"`;
}

export function toScimUser(
  employee: Employee,
  names: EmployeeReferenceNames,
  baseUrl: string,
  groups: readonly GroupRef[] = [],
): ScimUser {
  const extension: ScimUser[typeof ROLLCALL_USER_EXTENSION_URN] = {};
  if (names.primaryRole !== null) extension.primaryRole = names.primaryRole;
  if (names.team !== null) extension.team = names.team;
  if (names.loginAuthenticator !== null) extension.loginAuthenticator = names.loginAuthenticator;
  const user: ScimUser = {
    schemas: [CORE_USER_SCHEMA_URN, ROLLCALL_USER_EXTENSION_URN],
    id: employee.id,
    ...(employee.externalId !== null ? { externalId: employee.externalId } : {}),
    userName: employee.username,
    name: {
      givenName: employee.firstName,
      familyName: employee.lastName,
      ...(employee.middleName !== null ? { middleName: employee.middleName } : {}),
      // As the IdP sent it (Microsoft checks that values come back as sent), else computed from the parts.
      formatted: employee.formattedName ?? [employee.firstName, employee.middleName, employee.lastName].filter(Boolean).join(' '),
    },
    ...(employee.displayName !== null ? { displayName: employee.displayName } : {}),
    emails: [{ value: employee.email, type: 'work', primary: true }],
    ...(employee.mobileNumber !== null ? { phoneNumbers: [{ value: employee.mobileNumber, type: 'mobile' }] } : {}),
    ...(employee.timeZone !== null ? { timezone: employee.timeZone } : {}),
    ...(employee.type !== null ? { userType: employee.type } : {}),
    active: employee.status === 'ACTIVE',
    ...(groups.length > 0
      ? { groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${baseUrl}/Groups/${g.id}` })) }
      : {}),
    [ROLLCALL_USER_EXTENSION_URN]: extension,
    meta: {
      resourceType: 'User',
      created: employee.createdAt.toISOString(),
      lastModified: employee.updatedAt.toISOString(),
      location: `${baseUrl}/Users/${employee.id}`,
      version: etag(employee),
    },
  };
  return user;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Attribute lookup that ignores case (RFC 7643 §2.1: attribute names are case-insensitive) and reads only own
 * properties, so keys like `__proto__` or `constructor` can never resolve to an object's prototype.
 */
export function attribute(object: Record<string, Json>, name: string): Json | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(object)) {
    if (key.toLowerCase() === wanted) return object[key];
  }
  return undefined;
}

function optionalString(value: Json | undefined, path: string): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null; // RFC 7643 §2.5: null means unassigned.
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ScimError(400, `${path} must be a string.`, 'invalidValue');
}

/** Entra ID sends booleans as strings ("True"/"False") unless its aadOptscim062020 flag is set. */
export function scimBoolean(value: Json | undefined, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw new ScimError(400, `${path} must be true or false, got ${JSON.stringify(value)}.`, 'invalidValue');
}

function multiValued(value: Json | undefined, path: string): Record<string, Json>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ScimError(400, `${path} must be an array.`, 'invalidValue');
  return value.filter(isObject);
}

/** The employee email from SCIM `emails`: the primary one, else the one of type work, else the first. */
function pickEmail(emails: Record<string, Json>[]): string | null | undefined {
  if (emails.length === 0) return undefined;
  const primary = emails.find((e) => scimBoolean(attribute(e, 'primary'), 'emails.primary') === true);
  const work = emails.find((e) => String(attribute(e, 'type') ?? '').toLowerCase() === 'work');
  const chosen = primary ?? work ?? emails[0];
  return optionalString(attribute(chosen, 'value'), 'emails.value');
}

function pickMobile(phones: Record<string, Json>[]): string | null | undefined {
  const mobile = phones.find((p) => String(attribute(p, 'type') ?? '').toLowerCase() === 'mobile');
  if (!mobile) return undefined;
  return optionalString(attribute(mobile, 'value'), 'phoneNumbers[type eq "mobile"].value');
}

/**
 * Reads a SCIM User body (POST or PUT) into the domain's IdP view. Attributes Rollcall has no field for (password,
 * locale, groups, the enterprise extension, ...) are ignored without error; readOnly ones echoed back (id, meta) too.
 */
export function fromScimUser(body: unknown): IdpEmployee {
  if (!isObject(body)) throw new ScimError(400, 'The request body must be a JSON object (a SCIM User).', 'invalidSyntax');
  const userName = optionalString(attribute(body, 'userName'), 'userName');
  const nameValue = attribute(body, 'name');
  const name = isObject(nameValue) ? nameValue : {};
  const givenName = optionalString(attribute(name, 'givenName'), 'name.givenName');
  const familyName = optionalString(attribute(name, 'familyName'), 'name.familyName');
  const email = pickEmail(multiValued(attribute(body, 'emails'), 'emails'));
  const missing: string[] = [];
  if (!userName) missing.push('userName');
  if (!givenName) missing.push('name.givenName');
  if (!familyName) missing.push('name.familyName');
  if (missing.length > 0) {
    throw new ScimError(400, `Required attribute${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}.`, 'invalidValue');
  }
  const extensionValue = attribute(body, ROLLCALL_USER_EXTENSION_URN);
  const extension = isObject(extensionValue) ? extensionValue : {};
  const ext = (key: string) => optionalString(attribute(extension, key), `${ROLLCALL_USER_EXTENSION_URN}:${key}`);

  return {
    username: userName!,
    firstName: givenName!,
    lastName: familyName!,
    // userName must be an email address, so it stands in when an IdP sends no email at all.
    email: email ?? userName!,
    active: scimBoolean(attribute(body, 'active'), 'active'),
    externalId: optionalString(attribute(body, 'externalId'), 'externalId'),
    displayName: optionalString(attribute(body, 'displayName'), 'displayName'),
    middleName: optionalString(attribute(name, 'middleName'), 'name.middleName'),
    formattedName: optionalString(attribute(name, 'formatted'), 'name.formatted'),
    mobileNumber: pickMobile(multiValued(attribute(body, 'phoneNumbers'), 'phoneNumbers')),
    timeZone: optionalString(attribute(body, 'timezone'), 'timezone'),
    type: optionalString(attribute(body, 'userType'), 'userType'),
    primaryRole: ext('primaryRole'),
    team: ext('team'),
    loginAuthenticator: ext('loginAuthenticator'),
    employeeTemplate: ext('employeeTemplate'),
  };
}
