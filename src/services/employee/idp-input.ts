// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { ScimImportField } from '../../entities/enums';
import { CATALOGS, catalogService } from '../catalog.service';
import { EMPLOYEE_REFERENCE_LIST } from '../references';
import { RequestContext } from '../context';
import type { TenantDefaults } from '../tenant-defaults';
import { MAX_TEXT_LENGTH, canonicalTimeZone, phoneNumberProblem, timeZoneProblem } from '../validation';
import { REQUIRED_EMPLOYEE_FIELDS, EmployeeChanges, IdpEmployee, IdpWarning } from './types';
import { optionalTextProblem } from './rules';

/** An optional IdP attribute, the tenant setting that lets it in, and the domain field it fills. */
const OPTIONAL_IDP_FIELDS = [
  { attribute: 'displayName', setting: 'DISPLAY_NAME' },
  { attribute: 'middleName', setting: 'MIDDLE_NAME' },
  { attribute: 'mobileNumber', setting: 'MOBILE_NUMBER' },
  { attribute: 'timeZone', setting: 'TIME_ZONE' },
  { attribute: 'type', setting: 'TYPE' },
  ...EMPLOYEE_REFERENCE_LIST.map(({ name, importSetting }) => ({ attribute: name, setting: importSetting })),
] as const satisfies readonly { attribute: keyof IdpEmployee; setting: ScimImportField }[];

/** References the IdP names (`primaryRole: "Supervisor"`), resolved to ids by name. */
const NAMED_REFERENCES = EMPLOYEE_REFERENCE_LIST.map(({ name, field, kind }) => ({ attribute: name, field, kind }));


export interface ResolvedIdpInput {
  changes: EmployeeChanges;
  ignoredAttributes: string[];
  warnings: IdpWarning[];
  /** `name.formatted` to store (undefined: leave it as it is). */
  formattedName?: string | null;
  /** The IdP's own id to store (undefined: leave it as it is). */
  externalId?: string | null;
}


/** Why an optional value an IdP sent cannot be used, or undefined when it can (references are checked apart). */
function optionalValueProblem(attribute: keyof IdpEmployee, value: string): string | undefined {
  const text = optionalTextProblem(value, attribute === 'timeZone' ? 64 : MAX_TEXT_LENGTH);
  if (text) return text;
  if (value.trim() === '') return undefined; // empty clears
  if (attribute === 'timeZone' && canonicalTimeZone(value) === undefined) return timeZoneProblem(value);
  if (attribute === 'mobileNumber') return phoneNumberProblem(value);
  return undefined;
}

/**
 * The domain changes an IdP's view of an employee asks for, under the tenant's settings: the named template's presets
 * (creates only), the required fields, the optional fields the tenant imports, and role, team and authenticator names
 * turned into ids. An optional value that cannot be used (unparseable, unknown name, too long) never fails the
 * request: it is left out, so the stored value stays (or, on a create, the default applies), and a warning says why.
 * Required fields are left to validate(), which refuses the request.
 */
export async function resolveIdpInput(
  ctx: RequestContext,
  input: Partial<IdpEmployee>,
  isCreate: boolean,
  defaults: TenantDefaults,
): Promise<ResolvedIdpInput> {
  const changes: EmployeeChanges = {};
  const ignoredAttributes: string[] = [];
  const warnings: IdpWarning[] = [];
  const imported = new Set(defaults.scimImportFields);
  const skip = (attribute: keyof IdpEmployee, value: string, reason: string, consequence: string) =>
    warnings.push({ attribute, value, reason: `${reason} ${consequence}` });
  const kept = isCreate ? 'It was not stored.' : 'The stored value was kept.';

  if (isCreate && typeof input.employeeTemplate === 'string' && input.employeeTemplate.trim() !== '') {
    const name = input.employeeTemplate;
    const templateId = optionalTextProblem(name) ? null : await catalogService.idByName(ctx, 'employeeTemplate', name.trim());
    const template = templateId ? await catalogService.template(ctx, templateId) : null;
    if (!template) {
      skip('employeeTemplate', name, `No employee template named "${name}" exists in Rollcall.`, "The template's presets were not applied.");
    } else {
      for (const field of ['primaryRoleId', 'teamId', 'timeZone', 'type', 'loginAuthenticatorId'] as const) {
        if (template[field] !== null) changes[field] = template[field];
      }
    }
  }

  for (const field of REQUIRED_EMPLOYEE_FIELDS) {
    if (input[field] !== undefined) changes[field] = input[field];
  }
  if (input.active !== undefined && input.active !== null) changes.status = input.active ? 'ACTIVE' : 'INACTIVE';

  // The IdP's metadata about its record (not imported fields): stored whatever the settings, kept as sent, and like
  // any optional value skipped with a warning when it cannot be stored.
  const metadata = (attribute: 'formattedName' | 'externalId'): string | null | undefined => {
    const value = input[attribute];
    if (typeof value !== 'string') return value === null ? null : undefined;
    const problem = optionalTextProblem(value);
    if (problem) skip(attribute, value, problem, kept);
    else return value.trim() === '' ? null : value;
    return undefined;
  };
  const formattedName = metadata('formattedName');
  const externalId = metadata('externalId');

  const referenceAttributes = new Set<string>(NAMED_REFERENCES.map((r) => r.attribute));
  for (const { attribute, setting } of OPTIONAL_IDP_FIELDS) {
    const value = input[attribute];
    if (value === undefined) continue;
    if (!imported.has(setting)) {
      // RFC 7643 null means "unassigned": only a real value is worth reporting as ignored.
      if (value !== null) ignoredAttributes.push(attribute);
      continue;
    }
    if (referenceAttributes.has(attribute)) continue;
    const problem = typeof value === 'string' ? optionalValueProblem(attribute, value) : undefined;
    if (problem) skip(attribute, String(value), problem, kept);
    else (changes as Record<string, unknown>)[attribute] = value;
  }

  // Looked up together: each kind's names share a statement with concurrent requests (catalogService.idByName).
  const named = NAMED_REFERENCES.filter(({ attribute }) => {
    const name = input[attribute];
    return name !== undefined && imported.has(OPTIONAL_IDP_FIELDS.find((f) => f.attribute === attribute)!.setting);
  });
  const ids = await Promise.all(
    named.map(({ attribute, kind }) => {
      const name = input[attribute];
      if (name === null || name === undefined || name.trim() === '' || optionalTextProblem(name)) return null;
      return catalogService.idByName(ctx, kind, name.trim());
    }),
  );
  named.forEach(({ attribute, field, kind }, i) => {
    const name = input[attribute];
    if (name === null || name === undefined || name.trim() === '') {
      changes[field] = null;
    } else if (!ids[i]) {
      // Skipping never grants more than the default: a create falls back to the tenant's default role and
      // authenticator, an update keeps what the employee has.
      const fallback = !isCreate
        ? 'The stored value was kept.'
        : changes[field] !== undefined
          ? "The employee template's value was used."
          : field === 'primaryRoleId'
            ? 'The default role was given.'
            : field === 'loginAuthenticatorId'
              ? 'The default login authenticator was given.'
              : 'It was not stored.';
      skip(attribute, name, `No ${CATALOGS[kind].label} named "${name}" exists in Rollcall.`, fallback);
    } else {
      changes[field] = ids[i];
    }
  });
  return {
    changes,
    ignoredAttributes,
    warnings,
    ...(formattedName !== undefined ? { formattedName } : {}),
    ...(externalId !== undefined ? { externalId } : {}),
  };
}
