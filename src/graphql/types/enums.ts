import { registerEnumType } from 'type-graphql';
import { EMPLOYEE_FIELDS, EMPLOYEE_FIELD_OWNER, EmployeeField } from '../../services/ownership';

export enum EmployeeStatusEnum {
  ACTIVE = 'ACTIVE',
  INACTIVE = 'INACTIVE',
}
registerEnumType(EmployeeStatusEnum, {
  name: 'EmployeeStatus',
  description: 'Whether the employee may work. Deactivation keeps every record.',
  valuesConfig: {
    ACTIVE: { description: 'The employee is active.' },
    INACTIVE: { description: 'The employee is deactivated (e.g. unassigned in the identity provider).' },
  },
});

export enum ManagedByEnum {
  IDENTITY_PROVIDER = 'IDENTITY_PROVIDER',
  LOCAL = 'LOCAL',
}
registerEnumType(ManagedByEnum, {
  name: 'ManagedBy',
  description: 'Who owns the employee record.',
  valuesConfig: {
    IDENTITY_PROVIDER: {
      description: 'Created or claimed through SCIM: username, names, email and status change only in the identity provider.',
    },
    LOCAL: { description: 'Created in Rollcall: every field is editable here.' },
  },
});

/** GraphQL names of the domain's writable employee fields, e.g. `firstName` -> `FIRST_NAME`. */
function graphqlName(field: string): string {
  return field.replace(/Id$/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Built from the domain's field list, so it can never disagree with the ownership table. */
export const EmployeeFieldEnum = Object.fromEntries(EMPLOYEE_FIELDS.map((f) => [graphqlName(f), graphqlName(f)])) as Record<
  string,
  string
>;
registerEnumType(EmployeeFieldEnum, {
  name: 'EmployeeField',
  description: 'A writable employee field, as named in `lockedFields` and in mutation inputs.',
  valuesConfig: Object.fromEntries(
    EMPLOYEE_FIELDS.map((f) => [
      graphqlName(f),
      {
        description:
          EMPLOYEE_FIELD_OWNER[f] === 'IDENTITY_PROVIDER'
            ? `The \`${f}\` input field; changed only by the identity provider once it manages the employee.`
            : `The \`${f}\` input field; editable in Rollcall for every employee.`,
      },
    ]),
  ),
});

const GRAPHQL_NAMES = new Map(EMPLOYEE_FIELDS.map((f) => [f, graphqlName(f)]));

export function toEmployeeFieldEnum(field: EmployeeField): string {
  // Looked up, not recomputed: every employee of a page maps its locked fields.
  return GRAPHQL_NAMES.get(field) ?? graphqlName(field);
}
