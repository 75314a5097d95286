import { errors as joseErrors, jwtVerify, type JWSAlgorithm, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { EntityManager } from 'typeorm';
import { logger } from '../../logging';
import * as sql from '../sql';
import type { Federation } from './federation';
import { localKeys, remoteKeys } from './jwks';

export { validateFederation, normalizeFederation, type Federation, type FederationInput } from './federation';

/**
 * Verification of RFC 7523 JWT assertions: the `assertion` of the jwt-bearer grant (section 2.1) and the
 * `client_assertion` of client authentication (section 2.2, private_key_jwt, and Microsoft Entra's workload identity
 * federation for SCIM provisioning, docs/oauth-federation.md). Signatures and claims are checked by jose; this file
 * says which keys, algorithms, issuers, audiences and lifetimes count, and refuses replays.
 */

export type AssertionResult = { ok: true; jti: string | null; expiresAt: Date } | { ok: false; reason: string /* for logs only */ };

/**
 * Asymmetric algorithms only. `none` would need no key at all and HS* would make the key set's public values a
 * shared secret; jose refuses every algorithm not listed here before it looks for a key.
 */
export const ASSERTION_ALGORITHMS: readonly JWSAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** Clock skew tolerated on exp, nbf and iat (RFC 7523 section 3 allows "some small leeway"). */
export const CLOCK_LEEWAY_SECONDS = 60;

/**
 * The longest validity accepted (exp − iat, or exp − now without iat), so that a leaked assertion is useful briefly.
 * Entra's tokens are access tokens of the workload identity app and live 60 to 90 minutes (Microsoft assigns a random
 * lifetime in that range; the example in Microsoft's guide to workload identity federation for SCIM has
 * exp − iat = 65 minutes), so an Entra issuer gets 90 minutes where every other issuer gets one hour.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
export const MAX_ENTRA_ASSERTION_LIFETIME_SECONDS = 5400;

/** Far above an Entra token (about 1.5 KB); bounds the work a stranger can make the endpoint do. */
const MAX_ASSERTION_LENGTH = 16 * 1024;
/** Keys tried for an assertion without `kid` that several keys could have signed. */
const MAX_CANDIDATE_KEYS = 10;
/** A `jti` longer than this is refused rather than stored. */
const MAX_JTI_LENGTH = 256;
/** Expired `jti` rows are deleted by the verifications themselves, at most this often per process. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * Microsoft Entra's two issuer forms for one tenant: v2.0 (`https://login.microsoftonline.com/<tenant>/v2.0`, what the
 * Entra portal shows) and v1.0 (`https://sts.windows.net/<tenant>/`). Which one a token carries depends on the
 * workload identity app's `accessTokenAcceptedVersion`, not on anything the admin pasted, so either is accepted for a
 * federation configured with the other. Both are signed with the keys of the same tenant.
 */
const ENTRA_V2 = /^https:\/\/login\.microsoftonline\.com\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0$/i;
const ENTRA_V1 = /^https:\/\/sts\.windows\.net\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/$/i;

/** The Entra tenant id of an Entra issuer, or null for any other issuer. */
export function entraTenantOf(issuer: string): string | null {
  const match = ENTRA_V2.exec(issuer) ?? ENTRA_V1.exec(issuer);
  return match ? match[1].toLowerCase() : null;
}

/**
 * Every `iss` that counts as `issuer` (itself; for Entra, both forms of its tenant). Symmetric, so a token endpoint that
 * finds a client by the assertion's `iss` can look for a stored issuer among equivalentIssuers(iss).
 */
export function equivalentIssuers(issuer: string): string[] {
  const tenant = entraTenantOf(issuer);
  if (tenant === null) return [issuer];
  return [...new Set([issuer, `https://login.microsoftonline.com/${tenant}/v2.0`, `https://sts.windows.net/${tenant}/`])];
}

/**
 * The Entra portal shows the audience as a scope, `api://<app id>/.default`, while the token's `aud` is the
 * resource, `api://<app id>`: an admin who pastes what the portal shows must not be refused.
 */
function acceptedAudiences(audience: string): string[] {
  return audience.endsWith('/.default') ? [audience, audience.slice(0, -'/.default'.length)] : [audience];
}

function keysOf(federation: Federation): JWTVerifyGetKey {
  if (federation.jwks) return localKeys(federation.jwks);
  if (federation.jwksUrl) return remoteKeys(federation.jwksUrl);
  throw new Error('the federation has neither a JWKS URL nor inline keys');
}

const refuse = (reason: string): AssertionResult => ({ ok: false, reason });

/**
 * Verifies an RFC 7523 JWT against a client's federation: signature by the issuer's keys, iss, sub, aud, exp (required),
 * nbf and iat with CLOCK_LEEWAY_SECONDS, the maximum lifetime, and a `jti` not seen before. Never throws for anything
 * about the assertion or the issuer's key endpoint (unreachable, slow, malformed): those are `{ ok: false, reason }`,
 * the reason for logs only (the client is told `invalid_client` or `invalid_grant`, nothing more). Database errors
 * propagate, so that the caller answers them as an outage rather than a refusal.
 *
 * An accepted `jti` is recorded in the caller's transaction (`ctx.manager`).
 */
export async function verifyAssertion(
  ctx: { manager: EntityManager },
  assertion: string,
  federation: Federation,
  options: { now?: Date } = {},
): Promise<AssertionResult> {
  if (typeof assertion !== 'string' || assertion.length === 0 || assertion.length > MAX_ASSERTION_LENGTH) {
    return refuse('assertion missing or too long');
  }
  const now = options.now ?? new Date();
  const checks: JWTVerifyOptions = {
    algorithms: [...ASSERTION_ALGORITHMS],
    issuer: equivalentIssuers(federation.issuer),
    subject: federation.subject,
    audience: acceptedAudiences(federation.audience),
    requiredClaims: ['exp'],
    clockTolerance: CLOCK_LEEWAY_SECONDS,
    currentDate: now,
  };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, keysOf(federation), checks));
  } catch (error) {
    if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) return refuse(reasonOf(error));
    const verified = await verifyWithCandidates(assertion, error, checks);
    if (!verified.ok) return refuse(verified.reason);
    payload = verified.payload;
  }

  const nowSeconds = Math.floor(now.getTime() / 1000);
  const exp = payload.exp as number; // required and checked to be a number by jose
  if (payload.iat !== undefined && payload.iat > nowSeconds + CLOCK_LEEWAY_SECONDS) return refuse('iat is in the future');
  const limit = entraTenantOf(federation.issuer) === null ? MAX_ASSERTION_LIFETIME_SECONDS : MAX_ENTRA_ASSERTION_LIFETIME_SECONDS;
  const lifetime = exp - (payload.iat ?? nowSeconds);
  if (lifetime > limit + CLOCK_LEEWAY_SECONDS) return refuse(`valid for ${lifetime} s, more than the ${limit} s allowed`);

  // Kept until the assertion could no longer pass the exp check, leeway included.
  const expiresAt = new Date((exp + CLOCK_LEEWAY_SECONDS) * 1000);
  const jti = payload.jti;
  if (jti === undefined) {
    // No jti: nothing identifies a second presentation, so only exp limits a replay. Entra's tokens carry none (their
    // `uti` is an internal claim, and the provisioning service may present one token again within its lifetime, so
    // it must not be treated as single use). RFC 7523 makes jti optional.
    return { ok: true, jti: null, expiresAt };
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return refuse('jti malformed');
  const inserted = await sql.returning(
    ctx,
    `INSERT INTO oauth_assertion_jtis (issuer, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (issuer, jti) DO NOTHING RETURNING jti`,
    [payload.iss, jti, expiresAt],
  );
  if (inserted.length === 0) return refuse('jti replayed');
  await purgeNowAndThen(ctx.manager);
  return { ok: true, jti, expiresAt };
}

/**
 * An assertion without `kid` when several of the issuer's keys fit its algorithm: jose leaves the choice to the caller
 * and hands over the candidates; the first key that verifies it wins (at most MAX_CANDIDATE_KEYS are tried).
 */
async function verifyWithCandidates(
  assertion: string,
  candidates: joseErrors.JWKSMultipleMatchingKeys,
  checks: JWTVerifyOptions,
): Promise<{ ok: true; payload: JWTPayload } | { ok: false; reason: string }> {
  let tried = 0;
  let last: unknown = candidates;
  for await (const key of candidates) {
    if (++tried > MAX_CANDIDATE_KEYS) break;
    try {
      return { ok: true, payload: (await jwtVerify(assertion, key, checks)).payload };
    } catch (error) {
      last = error;
      // Only a wrong key is worth another try; an expired or misaddressed assertion stays so under every key.
      if (!(error instanceof joseErrors.JWSSignatureVerificationFailed)) break;
    }
  }
  return { ok: false, reason: reasonOf(last) };
}

/** Deletes the `jti` rows of expired assertions; returns how many. */
export async function purgeExpiredAssertionJtis(manager: EntityManager): Promise<number> {
  return sql.affected({ manager }, 'DELETE FROM oauth_assertion_jtis WHERE expires_at < now()');
}

let lastPurge = 0;

async function purgeNowAndThen(manager: EntityManager): Promise<void> {
  if (Date.now() - lastPurge < PURGE_INTERVAL_MS) return;
  lastPurge = Date.now();
  try {
    await purgeExpiredAssertionJtis(manager);
  } catch (err) {
    logger.warn({ err }, 'purge of expired assertion jti rows failed');
  }
}

/** What went wrong, for the log: which check, never the assertion itself. */
function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason}: ${error.message}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature invalid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches the assertion';
  if (error instanceof joseErrors.JWKSTimeout) return 'the JWKS URL did not answer in time';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'several keys match and none verifies';
  if (error instanceof joseErrors.JOSEError) return `${error.code}: ${error.message}`;
  // Socket and DNS errors of the key fetch (not always `instanceof Error` here: Node's own errors come from its realm).
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return `keys unavailable: ${message}`;
  return 'unverifiable';
}
