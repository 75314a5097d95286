/**
 * The employee service: the one door both surfaces and the CLI use for employees. The work is split by job under
 * src/services/employee/: `rules` (validation and normalisation), `idp-input` (an identity provider's view of an
 * employee under the tenant's settings), `reads` (views, pages and their caches), `writes` (inserts, updates, the
 * optimistic retry) and `batches` (the statements concurrent SCIM requests share). docs/architecture.md maps them.
 */
import { employeeReads } from './employee/reads';
import { employeeWrites } from './employee/writes';

export const employeeService = { ...employeeReads, ...employeeWrites };

export { SEARCH_DOCUMENT, REQUIRED_EMPLOYEE_FIELDS } from './employee/types';
export type {
  EmployeeChanges,
  EmployeePage,
  EmployeeReference,
  EmployeeReferenceNames,
  EmployeeReferences,
  EmployeeSearchFilter,
  EmployeeView,
  IdpEmployee,
  IdpWarning,
  IdpWriteResult,
  ListOptions,
  NewEmployee,
  SearchOptions,
  UpdateOptions,
} from './employee/types';
