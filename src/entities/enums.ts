/** Stored values of the domain's enumerations. The database enforces them with CHECK constraints. */
export const EMPLOYEE_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
export type EmployeeStatus = (typeof EMPLOYEE_STATUSES)[number];

export const MANAGED_BY = ['IDENTITY_PROVIDER', 'LOCAL'] as const;
export type ManagedBy = (typeof MANAGED_BY)[number];

export const TOKEN_SCOPES = ['scim', 'admin', 'read'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const ACTOR_SURFACES = ['scim', 'graphql', 'cli', 'system'] as const;
export type ActorSurface = (typeof ACTOR_SURFACES)[number];

/** Optional employee fields a tenant can choose to import from SCIM (all off by default). */
export const SCIM_IMPORT_FIELDS = [
  'DISPLAY_NAME',
  'MIDDLE_NAME',
  'MOBILE_NUMBER',
  'TIME_ZONE',
  'TYPE',
  'LOGIN_AUTHENTICATOR',
  'PRIMARY_ROLE',
  'TEAM',
] as const;
export type ScimImportField = (typeof SCIM_IMPORT_FIELDS)[number];

/** A tenant's rule for usernames: a valid email address (the directory's rule), or any text (see usernameProblem). */
export const USERNAME_FORMATS = ['EMAIL', 'ANY'] as const;
export type UsernameFormat = (typeof USERNAME_FORMATS)[number];

/** SQL list for CHECK constraints, e.g. `'ACTIVE','INACTIVE'`. */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(',');
}

/**
 * A webhook delivery: delivered (a 2xx answer), retrying (failed, another attempt is scheduled) or failed (given up:
 * the endpoint was disabled after 3 days of failures).
 */
export const WEBHOOK_DELIVERY_STATUSES = ['delivered', 'retrying', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * The change feed's event types (src/services/event.service.ts, docs/events.md). The database trigger that writes
 * them (migration Events) maps audit actions to these; a type added here needs it there too.
 */
export const EVENT_TYPES = [
  'employee.created',
  'employee.updated',
  'employee.deactivated',
  'employee.reactivated',
  'employee.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
