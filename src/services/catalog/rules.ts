// Part of the catalog service (src/services/catalog.service.ts is its facade).
import { RequestContext } from '../context';
import { DomainError, ErrorCode, IssueCollector } from '../errors';
import * as sql from '../sql';
import { MAX_TEXT_LENGTH, canonicalTimeZone, describeTextProblem, textProblem, timeZoneProblem } from '../validation';
import { exists } from './lookups';
import { CATALOGS, CatalogKind, EmployeeTemplateChanges, MAX_CATALOG_NAME_LENGTH, TEMPLATE_REFERENCES } from './kinds';

/** The trimmed, NFC name; an issue when it is missing, blank, too long or holds control characters. */
export function checkName(issues: IssueCollector, value: string | null | undefined, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (value === undefined || value === null) {
    issues.add(ErrorCode.REQUIRED, value === null ? 'name cannot be null.' : 'name is required.', 'name');
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.add(ErrorCode.INVALID_VALUE, 'name must be a string.', 'name');
    return undefined;
  }
  const name = value.trim().normalize('NFC');
  if (name === '') {
    issues.add(ErrorCode.REQUIRED, 'name must not be empty.', 'name');
    return undefined;
  }
  const problem = textProblem(name, { max: MAX_CATALOG_NAME_LENGTH });
  if (problem === 'control characters') {
    issues.add(ErrorCode.INVALID_VALUE, 'name contains control characters (such as line breaks or tabs), which names cannot hold.', 'name');
    return undefined;
  }
  if (problem) {
    issues.add(ErrorCode.INVALID_VALUE, `${describeTextProblem('name', problem, MAX_CATALOG_NAME_LENGTH)}.`, 'name');
    return undefined;
  }
  return name;
}

/** Optional free text: trimmed, blank as null; line breaks and tabs are allowed only when `multiline`. */
export function checkText(
  issues: IssueCollector,
  field: string,
  value: string | null | undefined,
  max: number,
  multiline: boolean,
): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') {
    issues.add(ErrorCode.INVALID_VALUE, `${field} must be a string.`, field);
    return undefined;
  }
  const text = value.trim();
  const problem = textProblem(text, { max, multiline });
  if (problem) {
    issues.add(ErrorCode.INVALID_VALUE, `${describeTextProblem(field, problem, max)}.`, field);
    return undefined;
  }
  return text === '' ? null : text;
}

export async function checkTemplatePresets(
  ctx: RequestContext,
  input: EmployeeTemplateChanges,
  issues: IssueCollector,
): Promise<Omit<EmployeeTemplateChanges, 'name'>> {
  const presets: Omit<EmployeeTemplateChanges, 'name'> = {
    type: checkText(issues, 'type', input.type, MAX_TEXT_LENGTH, false),
  };
  if (input.timeZone !== undefined) {
    const timeZone = checkText(issues, 'timeZone', input.timeZone, 64, false);
    const canonical = typeof timeZone === 'string' ? canonicalTimeZone(timeZone) : undefined;
    if (typeof timeZone === 'string' && canonical === undefined) {
      issues.add(ErrorCode.INVALID_VALUE, `timeZone: ${timeZoneProblem(timeZone)}`, 'timeZone');
    } else {
      presets.timeZone = canonical ?? timeZone;
    }
  }
  for (const { field, kind } of TEMPLATE_REFERENCES) {
    const id = input[field];
    if (id === undefined) continue;
    if (id !== null && !(await exists(ctx, kind, id))) {
      issues.add(ErrorCode.INVALID_VALUE, `${field} is not the id of a ${CATALOGS[kind].label} in this tenant.`, field);
    } else {
      presets[field] = id;
    }
  }
  return presets;
}

export function nameTaken(kind: CatalogKind, name: string): DomainError {
  return new DomainError(
    ErrorCode.UNIQUENESS,
    `A ${CATALOGS[kind].label} named "${name}" already exists in this tenant (names are compared case-insensitively).`,
    'name',
  );
}

export async function checkNameFree(
  ctx: RequestContext,
  kind: CatalogKind,
  name: string | undefined,
  exceptId: string | null,
  issues: IssueCollector,
): Promise<void> {
  if (name === undefined) return;
  const rows = await sql.rows(
    ctx,
    `SELECT 1 FROM ${CATALOGS[kind].table} WHERE tenant_id = $1 AND name = $2::citext AND id IS DISTINCT FROM $3::uuid`,
    [ctx.tenantId, name, exceptId],
  );
  if (rows.length > 0) issues.add(ErrorCode.UNIQUENESS, nameTaken(kind, name).message, 'name');
}

export function notFound(kind: CatalogKind): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `No ${CATALOGS[kind].label} with this id exists in this tenant.`, 'id');
}

