// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { Employee } from '../../entities';
import { EMPLOYEE_STATUSES } from '../../entities/enums';
import { CATALOGS, catalogService } from '../catalog.service';
import { EMPLOYEE_REFERENCE_LIST } from '../references';
import { RequestContext } from '../context';
import { DomainError, ErrorCode, IssueCollector, isForeignKeyViolation, isUniqueViolation } from '../errors';
import { EMPLOYEE_FIELDS, EmployeeField } from '../ownership';
import type { TenantDefaults } from '../tenant-defaults';
import {
  MAX_TEXT_LENGTH,
  canonicalTimeZone,
  describeTextProblem,
  textProblem,
  isValidEmail,
  phoneNumberProblem,
  strictPhoneNumberProblem,
  timeZoneProblem,
  usernameProblem,
} from '../validation';
import { usernameKey } from '../username-key';
import { EmployeeChanges } from './types';


export const REQUIRED_TEXT = ['firstName', 'lastName'] as const;
export const OPTIONAL_TEXT = ['displayName', 'middleName', 'type'] as const;

/** Audited fields: every writable field plus the ones only the system or the IdP's metadata change. */
export const AUDITED_FIELDS = [...EMPLOYEE_FIELDS, 'externalId', 'formattedName', 'managedBy'] as const;
/** The columns a write may set: the audited fields and the username's key (derived, so never audited: see withKey). */
export const WRITTEN_FIELDS = [...AUDITED_FIELDS, 'usernameKey'] as const;
/** The columns a create writes. */
export const CREATED_FIELDS = ['tenantId', ...WRITTEN_FIELDS] as const;

/**
 * Adds the username's canonical key (username-key.ts) to a row or a set of changes that has a username: every write
 * path calls it, so that the unique index and every lookup compare the key the username has now.
 */
export function withKey<T extends { username?: unknown; usernameKey?: unknown }>(values: T): T {
  if (typeof values.username === 'string') values.usernameKey = usernameKey(values.username);
  return values;
}


export function normalizeUsername(value: string): string {
  // Unicode-equivalent spellings must collide on the unique index, so store one canonical form.
  return value.trim().normalize('NFC');
}


/** Why an optional value cannot be stored, as a warning's sentence, or undefined (the rule validate() applies). */
export function optionalTextProblem(value: string, max = MAX_TEXT_LENGTH): string | undefined {
  const problem = textProblem(value, { max });
  return problem && `${describeTextProblem('It', problem, max)}.`;
}


/** Checks every value; collects all problems so the caller can fix them at once. */
export async function validate(
  ctx: RequestContext,
  changes: EmployeeChanges,
  issues: IssueCollector,
  defaults: TenantDefaults,
  current?: Employee,
): Promise<void> {
  const text = (field: EmployeeField, value: unknown, required: boolean): value is string => {
    if (value === null || value === undefined) {
      if (required) issues.add(ErrorCode.REQUIRED, `${field} is required.`, field);
      return false;
    }
    if (typeof value !== 'string') {
      issues.add(ErrorCode.INVALID_VALUE, `${field} must be a string.`, field);
      return false;
    }
    const problem = textProblem(value);
    if (problem) {
      issues.add(ErrorCode.INVALID_VALUE, `${describeTextProblem(field, problem)}.`, field);
      return false;
    }
    if (required && value.trim() === '') {
      issues.add(ErrorCode.REQUIRED, `${field} must not be empty.`, field);
      return false;
    }
    return true;
  };

  // A username stored under an earlier username format stays valid: Okta's PUT sends it back on every update.
  const unchangedUsername = current !== undefined && changes.username !== undefined && normalizeUsername(changes.username) === current.username;
  if (changes.username !== undefined && text('username', changes.username, true) && !unchangedUsername) {
    const problem = usernameProblem(changes.username, defaults.usernameFormat);
    if (problem) issues.add(ErrorCode.INVALID_VALUE, problem, 'username');
  }
  if (changes.email !== undefined && text('email', changes.email, true) && !isValidEmail(changes.email.trim())) {
    issues.add(ErrorCode.INVALID_VALUE, `email must be a valid email address, got "${changes.email}".`, 'email');
  }
  for (const field of REQUIRED_TEXT) if (changes[field] !== undefined) text(field, changes[field], true);
  for (const field of OPTIONAL_TEXT) if (changes[field] !== undefined) text(field, changes[field], false);

  if (changes.status !== undefined && !EMPLOYEE_STATUSES.includes(changes.status)) {
    issues.add(ErrorCode.INVALID_VALUE, `status must be ACTIVE or INACTIVE, got "${String(changes.status)}".`, 'status');
  }
  if (changes.timeZone !== undefined && changes.timeZone !== null && text('timeZone', changes.timeZone, false)) {
    if (changes.timeZone.trim() !== '' && canonicalTimeZone(changes.timeZone) === undefined) {
      issues.add(ErrorCode.INVALID_VALUE, `timeZone: ${timeZoneProblem(changes.timeZone)}`, 'timeZone');
    }
  }
  const mobile = changes.mobileNumber;
  if (mobile !== undefined && mobile !== null && text('mobileNumber', mobile, false) && mobile.trim() !== '') {
    // An IdP's number is stored as sent when it is a phone number at all; a person typing in Rollcall sees at once
    // whether the phone-number library understands it, with the tenant's region for national numbers.
    const problem = ctx.actor.surface === 'scim' ? phoneNumberProblem(mobile) : strictPhoneNumberProblem(mobile.trim(), defaults.defaultPhoneRegion);
    if (problem) issues.add(ErrorCode.INVALID_VALUE, `mobileNumber: ${problem}`, 'mobileNumber');
  }
  const given = EMPLOYEE_REFERENCE_LIST.filter(({ field }) => changes[field] !== undefined && changes[field] !== null);
  const found = await Promise.all(given.map(({ field, kind }) => catalogService.exists(ctx, kind, changes[field]!)));
  given.forEach(({ field, kind }, i) => {
    if (!found[i]) issues.add(ErrorCode.INVALID_VALUE, `No ${CATALOGS[kind].label} with id "${changes[field]}" exists in this tenant.`, field);
  });
}


/** The stored form of validated values: trimmed, canonical, empty optional text as null. */
export function normalize(changes: EmployeeChanges): EmployeeChanges {
  const out: EmployeeChanges = { ...changes };
  if (out.username !== undefined) out.username = normalizeUsername(out.username);
  if (out.email !== undefined) out.email = out.email.trim().normalize('NFC');
  for (const field of REQUIRED_TEXT) if (out[field] !== undefined) out[field] = out[field]!.trim();
  for (const field of OPTIONAL_TEXT) {
    const value = out[field];
    if (typeof value === 'string') out[field] = value.trim() === '' ? null : value.trim();
  }
  if (typeof out.timeZone === 'string') out.timeZone = out.timeZone.trim() === '' ? null : canonicalTimeZone(out.timeZone)!;
  // Kept as sent (Microsoft asks that values come back exactly so); only surrounding blanks go.
  if (typeof out.mobileNumber === 'string') out.mobileNumber = out.mobileNumber.trim() === '' ? null : out.mobileNumber.trim();
  return out;
}


export function usernameTaken(username: string): DomainError {
  return new DomainError(
    ErrorCode.UNIQUENESS,
    `An employee with username "${username}" already exists in this tenant (usernames are compared ignoring case and character width: "ＪＯＳＥ@example.com" is "jose@example.com").`,
    'username',
  );
}

/**
 * What a failed employee write means to the client: the partial unique index decides races on a username (of two
 * concurrent writes of one username, the loser gets UNIQUENESS, never a 500), and a composite foreign key refuses a
 * role, team or authenticator deleted since validation. Anything else is returned as it is.
 */
export function asWriteError(error: unknown, username: string): unknown {
  if (isUniqueViolation(error)) return usernameTaken(username);
  if (isForeignKeyViolation(error)) {
    return new DomainError(ErrorCode.INVALID_VALUE, 'A role, team or login authenticator given was deleted meanwhile; retry.');
  }
  return error;
}

/** Thrown by updateEmployee when the row's version moved since it was read (an optimistic write lost a race). */
export class StaleVersion extends Error {}

/** Built only when thrown: an Error captures a stack trace, which costs the write paths measurable CPU. */
export function employeeNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `No employee with id "${id}" exists in this tenant.`, 'id');
}
