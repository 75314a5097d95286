import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { ErrorCode, type ErrorIssue } from '../errors';
import { describeTextProblem, textProblem } from '../validation';
import { isInsecureHostAllowed, parseWebhookUrl } from '../webhook-url';
import { jwksUrlProblem } from './jwks';

/**
 * A client's federation as an admin gives it (createOAuthClient's `federation`), checked before it is stored. The
 * shapes Microsoft Entra shows for workload identity federation pass as pasted (docs/oauth-federation.md).
 */

/** Whom a client trusts: the assertion's issuer, subject and audience, and the issuer's keys (a URL or inline). */
export interface Federation {
  issuer: string;
  subject: string;
  audience: string;
  jwksUrl: string | null;
  jwks: JSONWebKeySet | null;
}

/** As received: every field may be missing; `jwks` is a JWKS object or its JSON text. */
export interface FederationInput {
  issuer?: string | null;
  subject?: string | null;
  audience?: string | null;
  jwksUrl?: string | null;
  jwks?: unknown;
}

/**
 * Issuers that are not URLs but are what a known identity provider puts in `iss`: Google's ID tokens carry either
 * `https://accounts.google.com` or `accounts.google.com`.
 */
const NON_URL_ISSUERS: readonly string[] = ['accounts.google.com'];

const MAX_TEXT = 1000;
const MAX_KEYS = 20;
const MAX_JWKS_JSON = 64 * 1024;
/** Members that carry private or secret key material (RFC 7518 section 6): a client's federation holds public keys only. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
/** Key types that can verify the asymmetric algorithms accepted (see ASSERTION_ALGORITHMS). */
const KEY_TYPES = ['RSA', 'EC', 'OKP'];

/** Every problem with a federation, each for one field (`federation.issuer`, …); empty when it can be stored. */
export function validateFederation(input: FederationInput): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const add = (field: string, message: string, code = ErrorCode.INVALID_VALUE) => issues.push({ code, field: `federation.${field}`, message });
  const text = (field: 'issuer' | 'subject' | 'audience' | 'jwksUrl'): string | null => {
    const value = input[field];
    if (value === undefined || value === null || value.trim() === '') return null;
    const problem = textProblem(value.trim(), { max: MAX_TEXT });
    if (problem) {
      add(field, `${describeTextProblem(field, problem, MAX_TEXT)}.`);
      return null;
    }
    return value.trim();
  };

  const issuer = text('issuer');
  if (input.issuer == null || input.issuer.trim() === '') add('issuer', 'issuer is required: the `iss` of the assertions.', ErrorCode.REQUIRED);
  else if (issuer !== null && !NON_URL_ISSUERS.includes(issuer)) {
    const problem = urlProblem(issuer);
    if (problem) add('issuer', `issuer must be an https:// URL (the \`iss\` of the assertions): ${problem}`);
  }
  for (const field of ['subject', 'audience'] as const) {
    if (input[field] == null || input[field].trim() === '') {
      add(field, `${field} is required: the \`${field === 'subject' ? 'sub' : 'aud'}\` of the assertions.`, ErrorCode.REQUIRED);
    } else text(field);
  }

  const jwksUrl = text('jwksUrl');
  const hasJwks = input.jwks !== undefined && input.jwks !== null && input.jwks !== '';
  if ((input.jwksUrl == null || input.jwksUrl.trim() === '') === !hasJwks) {
    add(hasJwks ? 'jwks' : 'jwksUrl', 'Give exactly one of jwksUrl (where the issuer publishes its keys) and jwks (the keys themselves).', ErrorCode.REQUIRED);
  } else if (jwksUrl !== null) {
    const problem = urlProblem(jwksUrl);
    if (problem) add('jwksUrl', `jwksUrl ${problem}`);
  } else if (hasJwks) {
    const problem = jwksProblem(input.jwks);
    if (problem) add('jwks', `jwks ${problem}`);
  }
  return issues;
}

/** The federation to store, from an input validateFederation found no problem with. */
export function normalizeFederation(input: FederationInput): Federation {
  const jwksUrl = input.jwksUrl?.trim() ? new URL(input.jwksUrl.trim()).href : null;
  return {
    issuer: (input.issuer ?? '').trim(),
    subject: (input.subject ?? '').trim(),
    audience: (input.audience ?? '').trim(),
    jwksUrl,
    jwks: jwksUrl === null && input.jwks != null ? (parseJwks(input.jwks) as JSONWebKeySet) : null,
  };
}

/** The SSRF rules of webhooks (https and a public address; hosts in WEBHOOK_ALLOW_INSECURE_HOSTS exempt). */
function urlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = parseWebhookUrl(raw);
  } catch (error) {
    return (error as Error).message.replace(/^url:? /, '');
  }
  if (url.protocol === 'http:' && !isInsecureHostAllowed(url.hostname)) return 'must start with https://';
  return jwksUrlProblem(url);
}

function parseJwks(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.length > MAX_JWKS_JSON) throw new Error(`is longer than ${MAX_JWKS_JSON} characters`);
  return JSON.parse(value) as unknown;
}

function jwksProblem(value: unknown): string | null {
  let jwks: unknown;
  try {
    jwks = parseJwks(value);
  } catch (error) {
    return error instanceof SyntaxError ? 'is not valid JSON.' : `${(error as Error).message}.`;
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    return 'must be a JSON Web Key Set: {"keys": [ … ]}.';
  }
  if (JSON.stringify(jwks).length > MAX_JWKS_JSON) return `is longer than ${MAX_JWKS_JSON} characters.`;
  const keys = (jwks as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > MAX_KEYS) return `must hold 1 to ${MAX_KEYS} keys, got ${keys.length}.`;
  for (const [index, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) return `key ${index} is not a JSON object.`;
    const jwk = key as Record<string, unknown>;
    const secret = PRIVATE_MEMBERS.find((m) => m in jwk);
    if (secret !== undefined) return `key ${index} holds private key material ("${secret}"): give the public keys only.`;
    if (typeof jwk.kty !== 'string' || !KEY_TYPES.includes(jwk.kty)) return `key ${index}: kty must be one of ${KEY_TYPES.join(', ')}.`;
    if (jwk.use !== undefined && jwk.use !== 'sig') return `key ${index}: use must be "sig".`;
    let bits: number | undefined;
    try {
      bits = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
    } catch {
      return `key ${index} is not a valid ${jwk.kty} public key.`;
    }
    // jose verifies RS* and PS* with 2048-bit keys or larger only.
    if (jwk.kty === 'RSA' && (bits ?? 0) < 2048) return `key ${index} is an RSA key of ${bits ?? 0} bits; at least 2048 are needed.`;
  }
  return null;
}
