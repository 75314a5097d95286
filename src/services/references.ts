import type { ScimImportField } from '../entities/enums';
import type { CatalogKind } from './catalog.service';
import type { EmployeeField } from './ownership';

/**
 * THE table of an employee's references: the role, team and login authenticator it points at. By the name the IdP
 * view and the API use (`primaryRole`): the employee field holding the id, the catalog kind it names, and the SCIM
 * import setting that lets an identity provider set it. Everything that lists references (validation, the IdP
 * mapping, page reads, audit names, template presets, GraphQL) derives from here; `satisfies` makes a reference that
 * is missing a part a compile error.
 */
export const EMPLOYEE_REFERENCES = {
  primaryRole: { field: 'primaryRoleId', kind: 'role', importSetting: 'PRIMARY_ROLE' },
  team: { field: 'teamId', kind: 'team', importSetting: 'TEAM' },
  loginAuthenticator: { field: 'loginAuthenticatorId', kind: 'loginAuthenticator', importSetting: 'LOGIN_AUTHENTICATOR' },
} as const satisfies Record<string, { field: EmployeeField; kind: CatalogKind; importSetting: ScimImportField }>;

export type EmployeeReference = keyof typeof EMPLOYEE_REFERENCES;
export type EmployeeReferenceField = (typeof EMPLOYEE_REFERENCES)[EmployeeReference]['field'];
/** The catalog kinds an employee can point at (every kind but templates). */
export type ReferenceKind = (typeof EMPLOYEE_REFERENCES)[EmployeeReference]['kind'];

/** The references as a list, in the table's order. */
export const EMPLOYEE_REFERENCE_LIST = (Object.keys(EMPLOYEE_REFERENCES) as EmployeeReference[]).map((name) => ({
  name,
  ...EMPLOYEE_REFERENCES[name],
}));
