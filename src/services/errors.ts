/**
 * The one error type services throw. Each surface maps `code` once: src/scim/errors.ts to an HTTP status and
 * `scimType`, src/graphql/errors.ts to a `userErrors` entry or a top-level error.
 */
export enum ErrorCode {
  /** The token is missing, unknown, revoked or expired. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** The token is valid but its scope does not allow this operation. */
  FORBIDDEN = 'FORBIDDEN',
  /** The thing does not exist in the caller's tenant (other tenants' rows are indistinguishable from absent ones). */
  NOT_FOUND = 'NOT_FOUND',
  /** A value is malformed or names something that does not exist (an unknown role name, a bad time zone...). */
  INVALID_VALUE = 'INVALID_VALUE',
  /** A required value is missing. */
  REQUIRED = 'REQUIRED',
  /** Another row already holds this unique value (e.g. the username). */
  UNIQUENESS = 'UNIQUENESS',
  /** The field is owned by the identity provider for this employee; change it there. */
  IDP_MANAGED_FIELD = 'IDP_MANAGED_FIELD',
  /** The tenant's default role for IdP-created employees does not exist. */
  DEFAULT_ROLE_MISSING = 'DEFAULT_ROLE_MISSING',
  /** The row changed since the caller read it (stale version / If-Match). */
  VERSION_CONFLICT = 'VERSION_CONFLICT',
  /** The thing is still referenced and cannot be deleted. */
  IN_USE = 'IN_USE',
  /** The database cannot be reached (down, restarting, or no connection free in time); the client should retry. */
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
}

export interface ErrorIssue {
  code: ErrorCode;
  message: string;
  /** The domain field concerned, e.g. `username` or `primaryRoleId`. */
  field?: string;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  /** Every problem found: services check everything before they refuse, so a client can fix all at once. */
  readonly issues: readonly ErrorIssue[];

  constructor(code: ErrorCode, message: string, field?: string);
  constructor(issues: readonly ErrorIssue[]);
  constructor(codeOrIssues: ErrorCode | readonly ErrorIssue[], message?: string, field?: string) {
    const issues: readonly ErrorIssue[] =
      typeof codeOrIssues === 'string' ? [{ code: codeOrIssues, message: message ?? codeOrIssues, field }] : codeOrIssues;
    if (issues.length === 0) throw new Error('DomainError needs at least one issue');
    super(issues.map((i) => i.message).join(' '));
    this.name = 'DomainError';
    this.code = issues[0].code;
    this.field = issues[0].field;
    this.issues = issues;
  }
}

/** Collects issues while a service checks its input, then throws them together. */
export class IssueCollector {
  private readonly list: ErrorIssue[] = [];

  add(code: ErrorCode, message: string, field?: string): void {
    this.list.push({ code, message, field });
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new DomainError(this.list);
  }
}

/** PostgreSQL unique_violation, raised when a concurrent write won the race for a unique value. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}

/** PostgreSQL foreign_key_violation (e.g. deleting a role that employees still hold). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e.driverError?.code ?? e.code) === '23503';
}

/** Socket errors of a connection that could not be made or was cut. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * SQLSTATEs meaning "this connection or server is going away", not "this statement is wrong": class 08
 * (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting or stopping).
 */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
/** node-postgres and pg-pool say these in words only (no code). */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection closed',
];

/**
 * True when `error` (a pg error, a TypeORM QueryFailedError wrapping one, or a pool timeout) says the database could
 * not be reached, as opposed to a statement it refused. The one place that tells the two apart: both surfaces answer
 * the first kind with 503 and Retry-After, so an IdP retries instead of recording a failed provisioning.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as { code?: unknown; message?: unknown; errors?: unknown; driverError?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (CONNECTION_ERRNOS.has(code) || CONNECTION_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
  // A host with several addresses fails with an AggregateError of socket errors.
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.driverError ?? e.cause, depth + 1);
}

/** Seconds a client is told to wait (Retry-After) when the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The DomainError for a connection-level failure, or undefined when `error` is something else. */
export function asDatabaseUnavailable(error: unknown): DomainError | undefined {
  if (error instanceof DomainError || !isDatabaseUnavailable(error)) return undefined;
  return new DomainError(ErrorCode.DATABASE_UNAVAILABLE, `The database is unavailable; retry in ${DATABASE_RETRY_AFTER_SECONDS} s.`);
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled value: ${String(value)}`);
}

/** An If-Match that no longer holds (SCIM 412): one check, in the same words, for every versioned resource. */
export function checkVersion(resource: 'employee' | 'group', expected: number | undefined, current: number): void {
  if (expected !== undefined && expected !== current) {
    throw new DomainError(
      ErrorCode.VERSION_CONFLICT,
      `The ${resource} changed since version ${expected} (now version ${current}); read it again and retry.`,
    );
  }
}
