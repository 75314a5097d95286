// Part of the catalog service (src/services/catalog.service.ts is its facade).
import { EmployeeTemplate, LoginAuthenticator, Role, Team } from '../../entities';
import { KEYSET_TIME } from '../keyset';
import { EMPLOYEE_REFERENCE_LIST } from '../references';

/** The tenant's named things an employee refers to. */
export const CATALOGS = {
  role: { entity: Role, table: 'roles', label: 'role' },
  team: { entity: Team, table: 'teams', label: 'team' },
  loginAuthenticator: { entity: LoginAuthenticator, table: 'login_authenticators', label: 'login authenticator' },
  employeeTemplate: { entity: EmployeeTemplate, table: 'employee_templates', label: 'employee template' },
} as const;
export type CatalogKind = keyof typeof CATALOGS;

/** Longest name of a role, team, login authenticator or template: they are picked from lists, so they stay short. */
export const MAX_CATALOG_NAME_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 1000;

export type CatalogRow<K extends CatalogKind> = InstanceType<(typeof CATALOGS)[K]['entity']>;

/** `target_type` of audit rows, and the prefix of their actions (`role.created`, ...). */
export const AUDIT_TARGET: Record<CatalogKind, string> = {
  role: 'role',
  team: 'team',
  loginAuthenticator: 'login_authenticator',
  employeeTemplate: 'employee_template',
};

/** The employee and template column that refers to each kind (templates are referred to by nothing). */
export const REFERENCE_COLUMN: Record<CatalogKind, string | null> = {
  role: 'primary_role_id',
  team: 'team_id',
  loginAuthenticator: 'login_authenticator_id',
  employeeTemplate: null,
};

export type CatalogSortField = 'name' | 'createdAt';

/**
 * The column each sort uses, the lossless text of its value for cursors, and the cast back. Timestamps are
 * `microseconds` cursors (keyset.ts).
 */
export const SORT_KEYS = {
  name: { column: 'name', key: 'name::text', cast: '::citext' },
  createdAt: { column: 'created_at', key: KEYSET_TIME.text('created_at'), cast: KEYSET_TIME.cast },
} as const satisfies Record<CatalogSortField, { column: string; key: string; cast: string }>;

export interface CatalogListOptions {
  first: number;
  /** The sort key and id of the last row of the previous page. */
  after?: { key: string; id: string } | null;
  sortBy: CatalogSortField;
  descending: boolean;
}

export interface CatalogPage<T> {
  /** Each row with its sort key, to hand back as `after`. */
  items: { row: T; sortKey: string }[];
  totalCount: number;
  hasNextPage: boolean;
}

/** `name: null` is refused (REQUIRED): GraphQL clients can send it, and a name cannot be cleared. */
export interface DescribedChanges {
  name?: string | null;
  /** null (or blank) clears it. */
  description?: string | null;
}

export interface LoginAuthenticatorChanges {
  name?: string | null;
  /** true makes it the tenant's default (the previous default stops being one). */
  isDefault?: boolean;
}

/** Template presets; null clears one. Related ids are uuids of the caller's tenant. */
export interface EmployeeTemplateChanges {
  name?: string | null;
  primaryRoleId?: string | null;
  teamId?: string | null;
  timeZone?: string | null;
  type?: string | null;
  loginAuthenticatorId?: string | null;
}

export const AUDITED = {
  role: ['name', 'description'],
  team: ['name', 'description'],
  loginAuthenticator: ['name', 'isDefault'],
  employeeTemplate: ['name', 'primaryRoleId', 'teamId', 'timeZone', 'type', 'loginAuthenticatorId'],
} as const satisfies { [K in CatalogKind]: readonly (keyof CatalogRow<K> & string)[] };

/** A template presets the employee's references (src/services/references.ts), under the same field names. */
export const TEMPLATE_REFERENCES = EMPLOYEE_REFERENCE_LIST satisfies readonly { field: keyof EmployeeTemplateChanges; kind: CatalogKind }[];


