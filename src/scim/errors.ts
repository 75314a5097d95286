import type { AuthRefusal } from '../http/auth';
import { DATABASE_RETRY_AFTER_SECONDS, DomainError, ErrorCode, assertUnreachable } from '../services/errors';
import { USER_ATTRIBUTE_OF_FIELD } from './schema-definitions';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** An error to answer with a SCIM error body (RFC 7644 §3.12). */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export function scimErrorBody(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  // RFC 7644 gives `status` as a string; Okta's SPEC test checks that it is one.
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/**
 * Domain field names (and the IdP view's attribute names) as the SCIM attribute an IdP admin maps, so `detail` and
 * the provisioning log's warnings speak their language. Read from the attribute registry (schema-definitions.ts).
 */
const SCIM_ATTRIBUTE: ReadonlyMap<string, string> = new Map(Object.entries(USER_ATTRIBUTE_OF_FIELD));

/** The SCIM path of a domain field or IdP attribute (the name itself when it has no other). */
export function scimAttribute(field: string): string {
  return SCIM_ATTRIBUTE.get(field) ?? field;
}

/** The one mapping of domain error codes to SCIM statuses and scimTypes. */
export function fromDomainError(error: DomainError): ScimError {
  const detail = error.issues
    .map((issue) => {
      const attribute = issue.field ? SCIM_ATTRIBUTE.get(issue.field) : undefined;
      return attribute ? `${attribute}: ${issue.message}` : issue.message;
    })
    .join(' ');
  const code = error.code;
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return new ScimError(401, detail);
    case ErrorCode.FORBIDDEN:
      return new ScimError(403, detail);
    case ErrorCode.NOT_FOUND:
      return new ScimError(404, detail);
    case ErrorCode.INVALID_VALUE:
    case ErrorCode.REQUIRED:
    case ErrorCode.DEFAULT_ROLE_MISSING:
      return new ScimError(400, detail, 'invalidValue');
    case ErrorCode.IDP_MANAGED_FIELD:
      return new ScimError(400, detail, 'mutability');
    case ErrorCode.UNIQUENESS:
      return new ScimError(409, detail, 'uniqueness');
    case ErrorCode.VERSION_CONFLICT:
      return new ScimError(412, detail);
    case ErrorCode.IN_USE:
      return new ScimError(409, detail);
    case ErrorCode.DATABASE_UNAVAILABLE:
      // Okta and Entra retry a 503 that carries Retry-After instead of recording a failed provisioning.
      return new ScimError(503, detail, undefined, { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) });
    default:
      return assertUnreachable(code);
  }
}

/** A refused authentication as SCIM answers it; a 401 carries the Bearer challenge (RFC 6750 §3). */
export function fromAuthRefusal(refusal: AuthRefusal): ScimError {
  switch (refusal.reason) {
    case 'unauthenticated':
      return new ScimError(401, 'Authentication failed: send a Rollcall SCIM token as "Authorization: Bearer <token>".', undefined, {
        'WWW-Authenticate': 'Bearer realm="rollcall-scim"',
      });
    case 'forbidden':
      return new ScimError(403, `This token has scope "${refusal.scope}"; the SCIM API needs a token with scope "scim".`);
    case 'rate-limited':
      return new ScimError(429, `Too many requests for this token; retry after ${refusal.retryAfterSeconds} s.`, undefined, {
        'Retry-After': String(refusal.retryAfterSeconds),
      });
    default:
      return assertUnreachable(refusal);
  }
}
