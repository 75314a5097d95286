// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import type { Employee } from '../../entities';
import type { EmployeeStatus, ManagedBy } from '../../entities/enums';
import type { EmployeeQuery, EmployeeSortField, SearchOrderField } from '../employee-query';
import type { GroupRef } from '../group.service';

/** Values for the writable employee fields. `null` clears an optional field; `undefined` leaves it alone. */
export interface EmployeeChanges {
  username?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  status?: EmployeeStatus;
  displayName?: string | null;
  middleName?: string | null;
  mobileNumber?: string | null;
  timeZone?: string | null;
  type?: string | null;
  primaryRoleId?: string | null;
  teamId?: string | null;
  loginAuthenticatorId?: string | null;
}

/** The fields every employee must have (the IdP sends them; GraphQL cannot clear them). */
export const REQUIRED_EMPLOYEE_FIELDS = ['username', 'firstName', 'lastName', 'email'] as const;

export type NewEmployee = EmployeeChanges & { username: string; firstName: string; lastName: string; email: string };

/**
 * An employee as an identity provider describes it: related things by name, optional fields possibly present. The
 * tenant's settings decide which optional fields are imported (see `fromIdentityProvider`).
 */
export interface IdpEmployee {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  active?: boolean;
  externalId?: string | null;
  displayName?: string | null;
  middleName?: string | null;
  mobileNumber?: string | null;
  timeZone?: string | null;
  type?: string | null;
  primaryRole?: string | null;
  team?: string | null;
  loginAuthenticator?: string | null;
  employeeTemplate?: string | null;
  /** SCIM `name.formatted`, kept as sent (null: computed from the name's parts). */
  formattedName?: string | null;
}

/**
 * An optional value an IdP sent that could not be used: the write went ahead without it (a refused person is a red
 * flag in Okta, and enough refusals quarantine an Entra job), and the provisioning log says what was skipped and why.
 */
export interface IdpWarning {
  attribute: keyof IdpEmployee;
  /** The value as sent. */
  value: string;
  reason: string;
}


export interface IdpWriteResult {
  employee: Employee;
  /** The employee as representations show it (names and groups), from the write itself. */
  view: EmployeeView;
  /** Attributes the IdP sent that the tenant does not import (the provisioning log says so). */
  ignoredAttributes: string[];
  /** Optional values that could not be used and were skipped (the provisioning log says why). */
  warnings: IdpWarning[];
}

export interface UpdateOptions {
  /** Refuse with VERSION_CONFLICT unless the stored version equals this (SCIM If-Match). */
  expectedVersion?: number;
  /** Write only if the row still has this version (optimistic writes); otherwise StaleVersion. */
  ifVersion?: number;
  /** Set by the SCIM mapping only. */
  externalId?: string | null;
  /** SCIM `name.formatted`; set by the SCIM mapping only. */
  formattedName?: string | null;
}

export interface EmployeeSearchFilter {
  status?: EmployeeStatus | null;
  managedBy?: ManagedBy | null;
  primaryRoleIds?: string[] | null;
  teamIds?: string[] | null;
  type?: string | null;
}

export interface SearchOptions {
  search?: string | null;
  filter?: EmployeeSearchFilter;
  orderBy?: { field: SearchOrderField; descending: boolean };
  first: number;
  /** The keyset of the last row of the previous page: its sort values (searchSortValues) and id. */
  after?: { values: string[]; id: string } | null;
  /** Whether to count every match (GraphQL `totalCount`); default true. */
  withTotal?: boolean;
  /** Which of each employee's role, team and login authenticator to read in the same statement (`references`). */
  withReferences?: readonly EmployeeReference[];
  /** Only these properties of each employee (the others are undefined); default all. */
  properties?: readonly (keyof Employee)[];
}

/** What a page shows of the role, team and login authenticator an employee refers to (those it was asked for). */
export interface EmployeeReferences {
  primaryRole?: { id: string; name: string; description: string | null } | null;
  team?: { id: string; name: string; description: string | null } | null;
  loginAuthenticator?: { id: string; name: string; isDefault: boolean } | null;
}
export type EmployeeReference = keyof EmployeeReferences;

/**
 * The text `search` looks in: first and last name side by side (so "Ada Lovelace" matches), the username's canonical
 * key (so that a username is found as lookups find it, see username-key.ts), email, display and middle name; folded by
 * `rollcall_search_fold` (unaccent: "José Álvarez-Núñez" holds "Jose Alvarez-Nunez"), as the term is (SEARCH_FOLD), so
 * accents do not matter and ILIKE ignores case. Migration Lists indexes exactly this expression with gin_trgm_ops;
 * keep the two identical.
 */
export const SEARCH_DOCUMENT =
  "rollcall_search_fold(e.first_name || ' ' || e.last_name || ' ' || e.username_key || ' ' || e.email::text || ' ' || " +
  "coalesce(e.display_name, '') || ' ' || coalesce(e.middle_name, ''))";

/** SQL: a LIKE pattern (a parameter) folded as SEARCH_DOCUMENT is. */
export const SEARCH_FOLD = (pattern: string): string => `rollcall_search_fold(${pattern})`;

/**
 * SQL: the tenant condition of a search that reads all its matches (a first page with its total, a count, the
 * provisioning log's person search), `tenant` being the tenant id as text. Written on `tenant_id::text`, which only the
 * search index holds (migration SearchByTenant), so that PostgreSQL finds the tenant's matches in that index whatever
 * its statistics say: written `e.tenant_id = $1`, a tenant it had no statistics for looked like a few rows, and it
 * walked all of them through a btree led by `tenant_id`, folding each (issue 16, docs/benchmarks.md).
 */
export const SEARCH_TENANT = (tenant: string): string => `e.tenant_id::text = ${tenant}`;

/**
 * SQL: live employees only, beside SEARCH_TENANT. Not `e.deleted_at IS NULL`: that is the predicate of the partial
 * indexes on live employees, and PostgreSQL without statistics read one of them whole for it instead of the search index.
 */
export const SEARCH_LIVE = "coalesce(e.deleted_at, 'infinity') = 'infinity'";

export interface EmployeePage {
  employees: Employee[];
  /** With `withReferences`: each employee's references, in the order of `employees`. */
  references?: EmployeeReferences[];
  totalCount: number;
  hasNextPage: boolean;
}


/** An employee with the names of what it refers to, as list and representation endpoints need them. */
export interface EmployeeView {
  employee: Employee;
  names: EmployeeReferenceNames;
  /** The groups the employee belongs to (read in the same statement). */
  groups: GroupRef[];
}

export interface ListOptions {
  query?: EmployeeQuery;
  /** Without it, creation order (CREATION_ORDER). */
  sortBy?: EmployeeSortField;
  descending?: boolean;
  /** 1-based position of the first employee to return. */
  startIndex: number;
  /** How many to return; 0 returns only the total. */
  count: number;
}


/** Names of the role, team and login authenticator an employee refers to (for representations such as SCIM's). */
export interface EmployeeReferenceNames {
  primaryRole: string | null;
  team: string | null;
  loginAuthenticator: string | null;
}

