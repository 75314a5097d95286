import type { JSONWebKeySet } from 'jose';
import type { EntityManager } from 'typeorm';

/*
 * PLACEHOLDER (oauth-core): the real implementation comes from the oauth-assertion branch, which replaces this file.
 * It refuses every assertion, so that nothing authenticates by assertion until then.
 */

export interface Federation {
  issuer: string;
  subject: string;
  audience: string;
  jwksUrl: string | null;
  jwks: JSONWebKeySet | null;
}

export type AssertionResult = { ok: true; jti: string | null; expiresAt: Date } | { ok: false; reason: string /* for logs only */ };

/** Verifies an RFC 7523 JWT (signature by the issuer's keys, iss, sub, aud, exp/nbf/iat with small leeway, max lifetime, jti replay). */
export async function verifyAssertion(
  _ctx: { manager: EntityManager },
  _assertion: string,
  _federation: Federation,
  _options?: { now?: Date },
): Promise<AssertionResult> {
  return { ok: false, reason: 'not implemented' };
}
