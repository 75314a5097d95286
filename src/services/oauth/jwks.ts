import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, type FetchImplementation, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { guardedLookup, sendCheck } from '../webhook-url';

/**
 * The keys an assertion's signature is checked with: an issuer's JWKS URL, fetched by jose's remote JWKS resolver, or
 * keys given inline. One resolver per URL, kept in a bounded map, so every client federated with the same issuer (all
 * Entra tenants' clients share Microsoft's key endpoint per tenant) shares one cache and one refresh schedule.
 *
 * Bounded refresh, what keeps a flood of assertions from hammering the issuer:
 * - jose refetches a set with a known key only when it is older than `cacheMaxAge`, and on an unknown `kid` only once
 *   `cooldown` has passed since the last successful fetch; concurrent verifications share one fetch in flight.
 * - jose has no pause after a failed fetch (each verification would try again), so the fetch below refuses, without a
 *   request, for `failureBackoff` after a failure.
 * - The fetch reaches public addresses only (server-side request forgery): the rules and the guarded DNS lookup of
 *   webhooks (src/services/webhook-url.ts), including WEBHOOK_ALLOW_INSECURE_HOSTS for development and tests. No
 *   redirects are followed (jose asks for `redirect: 'manual'` and wants a 200), and the body is capped.
 */
export interface JwksOptions {
  /** After a successful fetch, how long an unknown `kid` waits before it may cause another (jose's cooldown). */
  cooldownMs: number;
  /** How long a fetched set is used before it is fetched again. */
  cacheMaxAgeMs: number;
  /** How long one fetch may take. */
  timeoutMs: number;
  /** After a failed fetch, how long further fetches of that URL are refused without a request. */
  failureBackoffMs: number;
  /** How many JWKS URLs are cached; the least recently used is dropped beyond it. */
  maxEntries: number;
}

/** Microsoft rotates its signing keys with notice and publishes new ones in advance; a minute's delay is harmless. */
const DEFAULTS: JwksOptions = { cooldownMs: 30_000, cacheMaxAgeMs: 10 * 60_000, timeoutMs: 5_000, failureBackoffMs: 10_000, maxEntries: 200 };
/** Entra's key set is about 10 KB; anything far larger is not a key set. */
const MAX_JWKS_BYTES = 256 * 1024;

let options: JwksOptions = { ...DEFAULTS };

interface Entry {
  keys: JWTVerifyGetKey;
  /** When the last fetch failed (ms since the epoch), 0 if the last fetch succeeded. */
  failedAt: number;
  /** Requests actually sent (for tests and metrics). */
  fetches: number;
}

const remote = new Map<string, Entry>();

/** Changes the cache's timings and size (tests); drops every cached set. */
export function configureJwks(changes: Partial<JwksOptions>): void {
  options = { ...options, ...changes };
  remote.clear();
}

/** Back to the defaults, cache emptied. */
export function resetJwks(): void {
  configureJwks(DEFAULTS);
}

/** How many requests were sent for a JWKS URL since it entered the cache (tests). */
export function jwksFetchCount(url: string): number {
  return remote.get(new URL(url).href)?.fetches ?? 0;
}

/**
 * Why a JWKS URL may not be fetched (scheme, or an IP literal that is not public), or null. Host names are checked
 * again at connection time by guardedLookup, so a name that resolves to an internal address is refused then.
 */
export function jwksUrlProblem(url: URL): string | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${url.protocol}// is not allowed`;
  if (url.username || url.password) return 'a user name or password is not allowed';
  return sendCheck(url);
}

/** The key resolver of an inline key set (jose's local JWKS); throws jose's JWKSInvalid for a malformed set. */
export function localKeys(jwks: JSONWebKeySet): JWTVerifyGetKey {
  return createLocalJWKSet(jwks);
}

/** The key resolver of a JWKS URL, from the cache or new. Throws for a URL that may not be fetched. */
export function remoteKeys(rawUrl: string): JWTVerifyGetKey {
  const url = new URL(rawUrl);
  const problem = jwksUrlProblem(url);
  if (problem) throw new Error(`JWKS URL refused: ${problem}`);
  const key = url.href;
  let entry = remote.get(key);
  if (entry) {
    // Most recently used last: the map's first key is the one to drop.
    remote.delete(key);
    remote.set(key, entry);
    return entry.keys;
  }
  const created: Entry = { keys: undefined as unknown as JWTVerifyGetKey, failedAt: 0, fetches: 0 };
  created.keys = createRemoteJWKSet(url, {
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    timeoutDuration: options.timeoutMs,
    [customFetch]: fetchFor(created),
  });
  entry = created;
  remote.set(key, entry);
  while (remote.size > options.maxEntries) remote.delete(remote.keys().next().value as string);
  return entry.keys;
}

function fetchFor(entry: Entry): FetchImplementation {
  return async (url, init) => {
    if (entry.failedAt !== 0 && Date.now() - entry.failedAt < options.failureBackoffMs) {
      throw new Error('JWKS fetch skipped: the last fetch failed moments ago');
    }
    entry.fetches += 1;
    entry.failedAt = Date.now();
    const { status, body } = await guardedGet(new URL(url), init.headers, init.signal);
    // A 200 that is not a key set counts as a failure too, or each verification would fetch it again.
    if (status === 200 && looksLikeJwks(body)) entry.failedAt = 0;
    return new Response(status === 200 ? body : null, { status, headers: { 'content-type': 'application/json' } });
  };
}

function looksLikeJwks(body: Buffer): boolean {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { keys?: unknown }).keys);
  } catch {
    return false;
  }
}

/**
 * GET with node:http(s), so that the connection goes through guardedLookup (Node's fetch takes no lookup). The status
 * as it came (no redirects followed, as jose asks), and the body of a 200.
 */
function guardedGet(url: URL, headers: Headers, signal: AbortSignal): Promise<{ status: number; body: Buffer }> {
  const problem = jwksUrlProblem(url);
  if (problem) return Promise.reject(new Error(`JWKS URL refused: ${problem}`));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: Object.fromEntries(headers), signal, lookup: guardedLookup as never }, (res: IncomingMessage) => {
      const code = res.statusCode ?? 0;
      const status = code >= 200 && code <= 599 ? code : 502;
      if (status !== 200) {
        res.resume();
        resolve({ status, body: Buffer.alloc(0) });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_JWKS_BYTES) {
          res.destroy(new Error(`JWKS response larger than ${MAX_JWKS_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
