import { GraphQLError } from 'graphql';
import type { AuthRefusal } from '../http/auth';
import { DATABASE_RETRY_AFTER_SECONDS, DomainError, ErrorCode, assertUnreachable } from '../services/errors';
import { UserError } from './types/user-error.type';

export function unauthenticated(message = 'Send an admin or read token as "Authorization: Bearer <token>".'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/** The HTTP answer when the database is unavailable: 503 with Retry-After, so clients retry rather than give up. */
export const SERVICE_UNAVAILABLE_HTTP = {
  status: 503,
  headers: [['retry-after', String(DATABASE_RETRY_AFTER_SECONDS)]] as [string, string][],
};

/** The database is unavailable (an error thrown before execution, e.g. by token authentication). */
export function serviceUnavailable(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      http: { status: SERVICE_UNAVAILABLE_HTTP.status, headers: new Map(SERVICE_UNAVAILABLE_HTTP.headers) },
    },
  });
}

/** A refused authentication as GraphQL answers it: a top-level error with its code and HTTP status. */
export function fromAuthRefusal(refusal: AuthRefusal): GraphQLError {
  switch (refusal.reason) {
    case 'unauthenticated':
      return unauthenticated();
    case 'forbidden':
      return forbidden(`This token has scope "${refusal.scope}"; the GraphQL API needs an admin or read token.`);
    case 'rate-limited': {
      const wait = refusal.retryAfterSeconds;
      return new GraphQLError(`Too many requests for this token; retry after ${wait} s.`, {
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: wait, http: { status: 429, headers: new Map([['retry-after', String(wait)]]) } },
      });
    }
    default:
      return assertUnreachable(refusal);
  }
}

export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/**
 * The one mapping of domain errors for GraphQL: input problems become `userErrors` (field paths under `input`);
 * auth faults become top-level errors with `extensions.code`.
 */
export function toUserErrors(error: DomainError): UserError[] {
  return error.issues.map((issue) => {
    const code = issue.code;
    switch (code) {
      case ErrorCode.UNAUTHENTICATED:
        throw unauthenticated(issue.message);
      case ErrorCode.FORBIDDEN:
        throw forbidden(issue.message);
      case ErrorCode.DATABASE_UNAVAILABLE:
        throw serviceUnavailable(issue.message);
      case ErrorCode.NOT_FOUND:
      case ErrorCode.INVALID_VALUE:
      case ErrorCode.REQUIRED:
      case ErrorCode.UNIQUENESS:
      case ErrorCode.IDP_MANAGED_FIELD:
      case ErrorCode.DEFAULT_ROLE_MISSING:
      case ErrorCode.VERSION_CONFLICT:
      case ErrorCode.IN_USE:
        return Object.assign(new UserError(), {
          code,
          field: issue.field ? ['input', issue.field] : null,
          message: issue.message,
        });
      default:
        return assertUnreachable(code);
    }
  });
}

/** Runs a mutation's service call; domain refusals become the payload's userErrors, anything else propagates. */
export async function withUserErrors<T>(work: () => Promise<T>): Promise<{ result: T | null; userErrors: UserError[] }> {
  try {
    return { result: await work(), userErrors: [] };
  } catch (error) {
    if (error instanceof DomainError) return { result: null, userErrors: toUserErrors(error) };
    throw error;
  }
}
