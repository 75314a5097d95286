import type { IncomingMessage } from 'node:http';
import type { DataSource } from 'typeorm';
import type { TokenScope } from '../entities/enums';
import type { RequestContext } from '../services/context';
import { OAUTH_ACCESS_TOKEN_PREFIX, lastKnownOAuthToken, oauthTokenService } from '../services/oauth/tokens';
import { AuthenticatedToken, tokenService } from '../services/token.service';
import type { RateLimiter } from './rate-limit';
import type { HttpRequest } from './types';

/**
 * The secret a client presents. Okta's "HTTP Header" mode and Entra send `Authorization: Bearer <token>`; Okta's
 * Basic auth mode sends `Basic base64(username:password)`, where Rollcall takes the password as the token (the
 * username is not checked). A bare `rc_...` token is accepted too. Anything else yields undefined.
 */
export function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || header.length > 2048) return undefined;
  const value = header.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(value);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    return password.length > 0 ? password : undefined;
  }
  if (/^rc_[a-z]+_\S+$/.test(value)) return value;
  return undefined;
}

/**
 * The tenant and token a request's secret last authenticated as in this process (tokenService.lastKnown), for
 * attributing the provisioning-log entry of a request refused because the database is unavailable. Never an
 * authorisation. Undefined for a request without a token or with one this process has not seen succeed.
 */
export function lastKnownAttribution(req: IncomingMessage): { tenantId: string; tokenId: string } | undefined {
  const secret = presentedToken(req);
  return (secret && (tokenService.lastKnown(secret) ?? lastKnownOAuthToken(secret))) || undefined;
}

/** What a surface accepts: its name in the audit log, and the token scopes that may use it. */
export interface Access {
  surface: 'scim' | 'graphql';
  scopes: readonly TokenScope[];
}

/**
 * Why a request was refused. Each surface answers every reason in its own words and error shape (a SCIM error body,
 * a GraphQL error code), with one exhaustive switch.
 */
export type AuthRefusal =
  | { reason: 'unauthenticated' }
  | { reason: 'forbidden'; scope: TokenScope }
  | { reason: 'rate-limited'; retryAfterSeconds: number };

export type AuthOutcome = { ok: true; ctx: RequestContext; scope: TokenScope } | { ok: false; refusal: AuthRefusal };

export type Authenticate = (req: HttpRequest, access: Access) => Promise<AuthOutcome>;

/**
 * A bearer token (tokenService) or an OAuth access token (`rc_oauth_…`, issued by POST /oauth/token). An OAuth access
 * token has scope `scim`, and stands for its OAuth client: the client's id is the actor's token id (audit log,
 * provisioning log, rate-limit bucket), so that what it does shows under the client's name.
 */
async function authenticate(dataSource: DataSource, secret: string): Promise<AuthenticatedToken | null> {
  if (!secret.startsWith(OAUTH_ACCESS_TOKEN_PREFIX)) return tokenService.authenticate(dataSource.manager, secret);
  const token = await oauthTokenService.authenticate(dataSource.manager, secret);
  return token && { tokenId: token.oauthClientId, tenantId: token.tenantId, scope: 'scim' };
}

/**
 * The one authentication of both APIs: the token (looked up by tokenService.authenticate), its scope, then the
 * token's rate limit, in that order, and the request context the services get. A database failure is thrown as the
 * driver's error, for each surface to answer as unavailable.
 */
export function authenticator(dataSource: DataSource, rateLimiter: RateLimiter): Authenticate {
  return async (req, access) => {
    const secret = presentedToken(req);
    const token = secret ? await authenticate(dataSource, secret) : null;
    if (!token) return { ok: false, refusal: { reason: 'unauthenticated' } };
    if (!access.scopes.includes(token.scope)) return { ok: false, refusal: { reason: 'forbidden', scope: token.scope } };
    const wait = rateLimiter.take(token.tokenId);
    if (wait > 0) return { ok: false, refusal: { reason: 'rate-limited', retryAfterSeconds: wait } };
    // For the access log.
    req.tenantId = token.tenantId;
    const ctx: RequestContext = {
      tenantId: token.tenantId,
      actor: { surface: access.surface, tokenId: token.tokenId },
      requestId: req.requestId,
      manager: dataSource.manager,
    };
    return { ok: true, ctx, scope: token.scope };
  };
}
