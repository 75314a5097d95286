import { ManagedBy } from '../entities/enums';

/**
 * The employee fields a client can write, by their domain names (GraphQL input fields carry the same names).
 * `externalId` is not here: only the SCIM mapping sets it, as metadata about the IdP's record.
 */
export const EMPLOYEE_FIELDS = [
  'username',
  'firstName',
  'lastName',
  'email',
  'status',
  'displayName',
  'middleName',
  'mobileNumber',
  'timeZone',
  'type',
  'primaryRoleId',
  'teamId',
  'loginAuthenticatorId',
] as const;
export type EmployeeField = (typeof EMPLOYEE_FIELDS)[number];

/**
 * Who may write each field of an IdP-managed employee. THE ownership table: the GraphQL refusal, the `lockedFields`
 * GraphQL shows and the docs derive from it; nothing re-lists these fields. `satisfies Record<EmployeeField, ...>`
 * makes a new field that is missing here a compile error, so nothing is writable by omission.
 *
 * - `IDENTITY_PROVIDER`: once the IdP manages the employee, only SCIM changes it.
 * - `ANY`: Rollcall admins may edit it too (role and team assignments are local operational decisions).
 */
export const EMPLOYEE_FIELD_OWNER = {
  username: 'IDENTITY_PROVIDER',
  firstName: 'IDENTITY_PROVIDER',
  lastName: 'IDENTITY_PROVIDER',
  email: 'IDENTITY_PROVIDER',
  status: 'IDENTITY_PROVIDER',
  displayName: 'ANY',
  middleName: 'ANY',
  mobileNumber: 'ANY',
  timeZone: 'ANY',
  type: 'ANY',
  primaryRoleId: 'ANY',
  teamId: 'ANY',
  loginAuthenticatorId: 'ANY',
} as const satisfies Record<EmployeeField, 'IDENTITY_PROVIDER' | 'ANY'>;

/** Fields only the IdP may change on an employee managed as `managedBy`; empty for LOCAL employees. */
export function lockedFields(managedBy: ManagedBy): EmployeeField[] {
  if (managedBy !== 'IDENTITY_PROVIDER') return [];
  return EMPLOYEE_FIELDS.filter((field) => EMPLOYEE_FIELD_OWNER[field] === 'IDENTITY_PROVIDER');
}

/** Whether an actor on `surface` may write `field` of an employee managed as `managedBy`. */
export function canWrite(surface: string, managedBy: ManagedBy, field: EmployeeField): boolean {
  if (surface === 'scim') return true;
  return !(managedBy === 'IDENTITY_PROVIDER' && EMPLOYEE_FIELD_OWNER[field] === 'IDENTITY_PROVIDER');
}
