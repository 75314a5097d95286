import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import {
  equivalentIssuers,
  normalizeFederation,
  purgeExpiredAssertionJtis,
  validateFederation,
  verifyAssertion,
  type AssertionResult,
  type Federation,
} from '../src/services/oauth/assertion';
import { configureJwks, jwksFetchCount, resetJwks } from '../src/services/oauth/jwks';
import { Harness } from './support/harness';

/**
 * RFC 7523 assertions (issue 19) verified against a real issuer: a JWKS server on a local port that this file starts,
 * keys from jose's generateKeyPair, tokens from SignJWT, and the `jti` table of the real database (both databases).
 */
jest.setTimeout(60_000);

// Long enough that a slow machine stays within it between two statements, short enough to wait out.
const COOLDOWN_MS = 1000;
const BACKOFF_MS = 400;
const AUDIENCE = 'https://rollcall.test/oauth/token';

interface Key {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(alg: Key['alg'] = 'RS256', kid: string = randomUUID()): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } };
}

/** A JWKS endpoint that counts its requests and can be told to fail. */
class JwksServer {
  keys: JWK[] = [];
  requests = 0;
  status = 200;
  private server: Server;
  url = '';
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.requests += 1;
      if (this.status !== 200) {
        res.writeHead(this.status).end('unavailable');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}/discovery/keys`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let h: Harness;
let issuer: JwksServer;
let key: Key;
let federation: Federation;

beforeAll(async () => {
  h = await Harness.start({ WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1' });
  configureJwks({ cooldownMs: COOLDOWN_MS, failureBackoffMs: BACKOFF_MS, cacheMaxAgeMs: 60_000 });
  issuer = await new JwksServer().start();
  key = await newKey();
  issuer.keys = [key.jwk];
  federation = { issuer: 'https://issuer.test', subject: 'workload-1', audience: AUDIENCE, jwksUrl: issuer.url, jwks: null };
});
afterAll(async () => {
  resetJwks();
  await issuer?.close();
  await h?.close();
});

const now = () => Math.floor(Date.now() / 1000);

function sign(claims: JWTPayload = {}, signer: Key = key, header: Record<string, unknown> = {}): Promise<string> {
  const t = now();
  return new SignJWT({ iss: federation.issuer, sub: federation.subject, aud: AUDIENCE, iat: t, exp: t + 300, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', ...header })
    .sign(signer.privateKey);
}

const verify = (assertion: string, f: Federation = federation) => verifyAssertion({ manager: h.dataSource.manager }, assertion, f);

function refused(result: AssertionResult): string {
  expect(result.ok).toBe(false);
  return result.ok ? '' : result.reason;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a valid assertion', () => {
  it('is accepted, and its jti is recorded until it expires (plus the leeway)', async () => {
    const jti = randomUUID();
    const exp = now() + 300;
    const result = await verify(await sign({ jti, exp }));
    expect(result).toEqual({ ok: true, jti, expiresAt: new Date((exp + 60) * 1000) });
    const rows = await h.dataSource.query('SELECT issuer, expires_at FROM oauth_assertion_jtis WHERE jti = $1', [jti]);
    expect(rows).toEqual([{ issuer: federation.issuer, expires_at: new Date((exp + 60) * 1000) }]);
  });

  it.each(['ES256', 'EdDSA'] as const)('is accepted signed with %s', async (alg) => {
    const other = await newKey(alg);
    const result = await verify(await sign({}, other), { ...federation, jwksUrl: null, jwks: { keys: [other.jwk] } });
    expect(result.ok).toBe(true);
  });

  it('tolerates 60 s of clock skew on exp, nbf and iat', async () => {
    const t = now();
    expect((await verify(await sign({ exp: t - 30 }))).ok).toBe(true);
    expect((await verify(await sign({ nbf: t + 30 }))).ok).toBe(true);
    expect((await verify(await sign({ iat: t + 30, exp: t + 300 }))).ok).toBe(true);
  });

  it('may name the audience among several', async () => {
    expect((await verify(await sign({ aud: ['https://elsewhere.test', AUDIENCE] }))).ok).toBe(true);
  });
});

describe('refused assertions', () => {
  it('expired', async () => {
    expect(refused(await verify(await sign({ iat: now() - 600, exp: now() - 120 })))).toBe('expired');
  });

  it('not yet valid (nbf) or issued in the future (iat)', async () => {
    expect(refused(await verify(await sign({ nbf: now() + 300, exp: now() + 600 })))).toMatch(/nbf/);
    expect(refused(await verify(await sign({ iat: now() + 300, exp: now() + 600 })))).toMatch(/iat/);
  });

  it('without exp', async () => {
    const t = now();
    const assertion = await new SignJWT({ iss: federation.issuer, sub: federation.subject, aud: AUDIENCE, iat: t })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .sign(key.privateKey);
    expect(refused(await verify(assertion))).toMatch(/exp/);
  });

  it('valid for more than an hour (exp − iat, or exp − now without iat)', async () => {
    const t = now();
    expect(refused(await verify(await sign({ iat: t, exp: t + 2 * 3600 })))).toMatch(/more than the 3600 s/);
    expect(refused(await verify(await sign({ iat: undefined, exp: t + 2 * 3600 })))).toMatch(/more than the 3600 s/);
    expect(refused(await verify(await sign({ iat: t - 10, exp: t + 3590 + 65 })))).toMatch(/more than the 3600 s/);
    expect((await verify(await sign({ iat: t, exp: t + 3600 }))).ok).toBe(true);
  });

  it('for another audience', async () => {
    expect(refused(await verify(await sign({ aud: 'https://other.test/oauth/token' })))).toMatch(/aud/);
    expect(refused(await verify(await sign({ aud: undefined })))).toMatch(/aud/);
  });

  it('from another issuer', async () => {
    expect(refused(await verify(await sign({ iss: 'https://evil.test' })))).toMatch(/iss/);
  });

  it('for another subject', async () => {
    expect(refused(await verify(await sign({ sub: 'workload-2' })))).toMatch(/sub/);
  });

  it('signed by another key under a known kid', async () => {
    const impostor = { ...(await newKey()), kid: key.kid };
    expect(refused(await verify(await sign({}, impostor)))).toBe('signature invalid');
  });

  it('with alg none', async () => {
    const t = now();
    const unsecured = new UnsecuredJWT({ iss: federation.issuer, sub: federation.subject, aud: AUDIENCE, iat: t, exp: t + 300, jti: randomUUID() }).encode();
    expect(refused(await verify(unsecured))).toBe('algorithm not allowed');
    // The same with a kid, in case a key lookup came first.
    const withKid = `${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url')}.${unsecured.split('.')[1]}.`;
    expect(refused(await verify(withKid))).toBe('algorithm not allowed');
  });

  it('with HS256, even keyed with the public key set', async () => {
    const t = now();
    const secret = new TextEncoder().encode(JSON.stringify({ keys: [key.jwk] }));
    const hs = await new SignJWT({ iss: federation.issuer, sub: federation.subject, aud: AUDIENCE, iat: t, exp: t + 300, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(secret);
    expect(refused(await verify(hs))).toBe('algorithm not allowed');
  });

  it('replayed: the same jti from the same issuer a second time', async () => {
    const assertion = await sign();
    expect((await verify(assertion)).ok).toBe(true);
    expect(refused(await verify(assertion))).toBe('jti replayed');
    // A new assertion carrying a used jti is a replay too.
    const { jti } = JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString()) as { jti: string };
    expect(refused(await verify(await sign({ jti })))).toBe('jti replayed');
  });

  it('replays are refused when presented concurrently: exactly one wins', async () => {
    const assertion = await sign();
    const results = await Promise.all(Array.from({ length: 5 }, () => verify(assertion)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('garbage and oversized input, without throwing', async () => {
    for (const bad of ['', 'not.a.jwt', 'a.b.c', '...', `${'x'.repeat(20_000)}`]) expect((await verify(bad)).ok).toBe(false);
  });
});

describe('assertions without jti', () => {
  it('are accepted, again and again until exp: replay protection is by exp only', async () => {
    const assertion = await sign({ jti: undefined });
    expect(await verify(assertion)).toMatchObject({ ok: true, jti: null });
    expect(await verify(assertion)).toMatchObject({ ok: true, jti: null });
  });
});

describe('the jti table', () => {
  it('is purged of expired rows', async () => {
    await h.dataSource.query(`INSERT INTO oauth_assertion_jtis (issuer, jti, expires_at) VALUES ('https://old.test', 'old', now() - interval '1 minute')`);
    await h.dataSource.query(`INSERT INTO oauth_assertion_jtis (issuer, jti, expires_at) VALUES ('https://old.test', 'live', now() + interval '1 minute')`);
    expect(await purgeExpiredAssertionJtis(h.dataSource.manager)).toBeGreaterThanOrEqual(1);
    const left = await h.dataSource.query(`SELECT jti FROM oauth_assertion_jtis WHERE issuer = 'https://old.test'`);
    expect(left).toEqual([{ jti: 'live' }]);
  });
});

describe('the issuer key set', () => {
  it('picks up a rotated key after the cooldown, with one request', async () => {
    const rotating = await new JwksServer().start();
    try {
      // Both keys and an assertion of the second made first: generating an RSA key took over a second (the whole
      // cooldown) on a loaded CI machine, and the check within the cooldown then came after it.
      const first = await newKey();
      const second = await newKey();
      const bySecond = await sign({}, second);
      rotating.keys = [first.jwk];
      const f = { ...federation, jwksUrl: rotating.url };
      expect((await verify(await sign({}, first), f)).ok).toBe(true);
      expect(rotating.requests).toBe(1);

      rotating.keys = [first.jwk, second.jwk];
      // Within the cooldown the cached set is used: the new kid is not found yet, and nothing is fetched.
      expect(refused(await verify(bySecond, f))).toMatch(/no key/);
      expect(rotating.requests).toBe(1);

      await sleep(COOLDOWN_MS + 100);
      expect((await verify(await sign({}, second), f)).ok).toBe(true);
      expect(rotating.requests).toBe(2);
      expect((await verify(await sign({}, first), f)).ok).toBe(true);
      expect(rotating.requests).toBe(2);
    } finally {
      await rotating.close();
    }
  });

  it('a flood of unknown kids fetches at most once per cooldown', async () => {
    const flooded = await new JwksServer().start();
    try {
      flooded.keys = [key.jwk];
      const f = { ...federation, jwksUrl: flooded.url };
      expect((await verify(await sign(), f)).ok).toBe(true);
      expect(flooded.requests).toBe(1);
      await sleep(COOLDOWN_MS + 100);

      const strangers = await Promise.all(Array.from({ length: 5 }, () => newKey()));
      const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => sign({}, strangers[i % 5])));
      const started = Date.now();
      const results = await Promise.all(burst.map((assertion) => verify(assertion, f)));
      expect(results.every((r) => !r.ok)).toBe(true);
      // The burst: one fetch (the cooldown had passed), shared by every verification in flight.
      expect(flooded.requests).toBe(2);
      // Sequential unknown kids for about three cooldowns: at most one fetch per cooldown.
      while (Date.now() - started < 3 * COOLDOWN_MS) {
        expect((await verify(await sign({}, strangers[0]), f)).ok).toBe(false);
        await sleep(20);
      }
      const periods = Math.ceil((Date.now() - started) / COOLDOWN_MS);
      expect(flooded.requests - 2).toBeLessThanOrEqual(periods);
      expect(jwksFetchCount(flooded.url)).toBe(flooded.requests);
    } finally {
      await flooded.close();
    }
  });

  it('unreachable: refused with a reason, no throw, and no request storm while it fails', async () => {
    const down = await new JwksServer().start();
    down.status = 503;
    const f = { ...federation, jwksUrl: down.url };
    // Signed before the first fetch fails: all 30 verifications must fall within the backoff, on a slow machine too.
    const assertions = await Promise.all(Array.from({ length: 30 }, () => sign()));
    const results = await Promise.all(assertions.slice(0, 20).map((assertion) => verify(assertion, f)));
    for (const r of results) expect(refused(r)).toMatch(/JSON Web Key Set|keys unavailable/);
    for (const assertion of assertions.slice(20)) expect((await verify(assertion, f)).ok).toBe(false);
    expect(down.requests).toBe(1);

    // Back up: after the backoff the keys are fetched again.
    down.status = 200;
    down.keys = [key.jwk];
    await sleep(BACKOFF_MS + 100);
    expect((await verify(await sign(), f)).ok).toBe(true);
    expect(down.requests).toBe(2);

    // Nothing listening at all.
    await down.close();
    const closed = { ...federation, jwksUrl: `http://127.0.0.1:${down.port}/gone` };
    expect(refused(await verify(await sign(), closed))).toMatch(/keys unavailable|ECONNREFUSED/);
  });

  it('does not follow redirects', async () => {
    const target = await new JwksServer().start();
    target.keys = [key.jwk];
    const redirecting = createServer((_req, res) => res.writeHead(302, { location: target.url }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const port = (redirecting.address() as AddressInfo).port;
      expect(refused(await verify(await sign(), { ...federation, jwksUrl: `http://127.0.0.1:${port}/keys` }))).toMatch(/200 OK/);
      expect(target.requests).toBe(0);
    } finally {
      await new Promise((resolve) => redirecting.close(resolve));
      await target.close();
    }
  });

  it('answers within the timeout when the server hangs', async () => {
    configureJwks({ cooldownMs: COOLDOWN_MS, failureBackoffMs: BACKOFF_MS, timeoutMs: 300 });
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hanging.address() as AddressInfo).port;
      const started = Date.now();
      expect((await verify(await sign(), { ...federation, jwksUrl: `http://127.0.0.1:${port}/keys` })).ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
      configureJwks({ cooldownMs: COOLDOWN_MS, failureBackoffMs: BACKOFF_MS, timeoutMs: 5000 });
    }
  });

  it('without kid, when several keys fit: the one that verifies', async () => {
    const [a, b, c] = await Promise.all([newKey(), newKey(), newKey()]);
    const f: Federation = { ...federation, jwksUrl: null, jwks: { keys: [a.jwk, b.jwk, c.jwk] } };
    const noKid = async (signer: Key, claims: JWTPayload = {}) => {
      const t = now();
      return new SignJWT({ iss: federation.issuer, sub: federation.subject, aud: AUDIENCE, iat: t, exp: t + 300, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'RS256' })
        .sign(signer.privateKey);
    };
    expect((await verify(await noKid(c), f)).ok).toBe(true);
    expect(refused(await verify(await noKid(key), f))).toBe('signature invalid');
    expect(refused(await verify(await noKid(b, { aud: 'https://other.test' }), f))).toMatch(/aud/);
  });

  it('given inline', async () => {
    const inline = await newKey('ES256');
    const f: Federation = { ...federation, jwksUrl: null, jwks: { keys: [inline.jwk] } };
    expect((await verify(await sign({}, inline), f)).ok).toBe(true);
    expect(refused(await verify(await sign({}, key), f))).toMatch(/no key/);
  });

  it('at a private address, refused without a request unless the host is in WEBHOOK_ALLOW_INSECURE_HOSTS', async () => {
    const before = issuer.requests;
    for (const jwksUrl of [
      `http://localhost:${issuer.port}/discovery/keys`, // plain http to a host not in the list
      `https://localhost:${issuer.port}/discovery/keys`, // resolves to loopback: refused by the guarded lookup
      'https://10.1.2.3/keys',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/keys',
      'ftp://127.0.0.1/keys',
    ]) {
      const reason = refused(await verify(await sign(), { ...federation, jwksUrl }));
      expect(reason).toMatch(/not a public address|not allowed|keys unavailable/);
    }
    expect(issuer.requests).toBe(before);
  });
});

describe('Microsoft Entra workload identity federation', () => {
  const tenant = 'ce5f061f-abe6-4e40-9615-301f87bcb7f0';
  const appId = 'b5ba7a93-4452-4522-aeb4-a2b5da870c16';
  let entra: Federation;
  let entraKey: Key;

  beforeAll(async () => {
    entraKey = await newKey('RS256', 'kid-entra');
    // What the Entra portal shows to copy (the JWKS URL stands in for https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys).
    entra = {
      issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
      subject: 'd2f8ee76-c549-45b8-a143-f5b640669704',
      audience: `api://${appId}/.default`,
      jwksUrl: null,
      jwks: { keys: [{ ...entraKey.jwk, use: 'sig', x5t: 'kid-entra' }] },
    };
  });

  /** An Entra access token's shape: no jti, 65 minutes, `uti`, v1 claims such as appid. */
  async function entraToken(claims: JWTPayload = {}): Promise<string> {
    const t = now();
    return new SignJWT({
      aud: `api://${appId}`,
      iss: entra.issuer,
      iat: t,
      nbf: t,
      exp: t + 3900,
      appid: appId,
      appidacr: '2',
      idp: entra.issuer,
      oid: entra.subject,
      sub: entra.subject,
      tid: tenant,
      uti: 'AbCdEfGhIjKlMnOp',
      ver: '2.0',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: entraKey.kid, x5t: entraKey.kid } as never)
      .sign(entraKey.privateKey);
  }

  it('accepts a token as Entra issues it, against the values the portal shows', async () => {
    const token = await entraToken();
    expect(await verify(token, entra)).toMatchObject({ ok: true, jti: null });
    // The provisioning service may present a cached token again.
    expect((await verify(token, entra)).ok).toBe(true);
  });

  it('accepts the v1.0 issuer form of the same tenant, and a v2.0 token against a v1.0 issuer', async () => {
    expect((await verify(await entraToken({ iss: `https://sts.windows.net/${tenant}/` }), entra)).ok).toBe(true);
    expect((await verify(await entraToken(), { ...entra, issuer: `https://sts.windows.net/${tenant}/` })).ok).toBe(true);
  });

  it("refuses another tenant's issuer, and tokens living longer than 90 minutes", async () => {
    const otherTenant = '11111111-2222-3333-4444-555555555555';
    expect(refused(await verify(await entraToken({ iss: `https://login.microsoftonline.com/${otherTenant}/v2.0` }), entra))).toMatch(/iss/);
    expect(refused(await verify(await entraToken({ iss: `https://sts.windows.net/${otherTenant}/` }), entra))).toMatch(/iss/);
    expect((await verify(await entraToken({ exp: now() + 5400 }), entra)).ok).toBe(true);
    expect(refused(await verify(await entraToken({ exp: now() + 7200 }), entra))).toMatch(/more than the 5400 s/);
    // Outside Entra, 65 minutes is too long.
    expect(refused(await verify(await sign({ iat: now(), exp: now() + 3900 })))).toMatch(/more than the 3600 s/);
  });

  it('names both issuer forms for a token endpoint that looks a client up by iss', () => {
    const forms = [`https://login.microsoftonline.com/${tenant}/v2.0`, `https://sts.windows.net/${tenant}/`];
    expect(equivalentIssuers(forms[0]).sort()).toEqual([...forms].sort());
    expect(equivalentIssuers(forms[1]).sort()).toEqual([...forms].sort());
    expect(equivalentIssuers(`https://login.microsoftonline.com/${tenant.toUpperCase()}/v2.0`)).toContain(forms[1]);
    expect(equivalentIssuers('https://issuer.test')).toEqual(['https://issuer.test']);
  });

  it('accepts the audience pasted with or without /.default', async () => {
    expect((await verify(await entraToken(), { ...entra, audience: `api://${appId}` })).ok).toBe(true);
    expect(refused(await verify(await entraToken({ aud: `api://${appId}/other` }), entra))).toMatch(/aud/);
  });

  it('passes validateFederation as the portal shows it', () => {
    expect(
      validateFederation({
        issuer: entra.issuer,
        subject: entra.subject,
        audience: entra.audience,
        jwksUrl: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
      }),
    ).toEqual([]);
  });
});

describe('validateFederation', () => {
  const base = { issuer: 'https://issuer.test', subject: 'workload-1', audience: AUDIENCE };
  const fields = (input: Parameters<typeof validateFederation>[0]) => validateFederation(input).map((i) => [i.field, i.code]);

  it('accepts a JWKS URL or inline keys (object or JSON text)', async () => {
    expect(validateFederation({ ...base, jwksUrl: 'https://issuer.test/keys' })).toEqual([]);
    expect(validateFederation({ ...base, jwksUrl: issuer.url })).toEqual([]); // 127.0.0.1 is in the allow list
    expect(validateFederation({ ...base, jwks: { keys: [key.jwk] } })).toEqual([]);
    expect(validateFederation({ ...base, jwks: JSON.stringify({ keys: [key.jwk] }) })).toEqual([]);
    expect(validateFederation({ ...base, issuer: 'accounts.google.com', jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs' })).toEqual([]);
  });

  it('requires issuer, subject, audience and exactly one of jwksUrl and jwks', () => {
    expect(fields({})).toEqual([
      ['federation.issuer', 'REQUIRED'],
      ['federation.subject', 'REQUIRED'],
      ['federation.audience', 'REQUIRED'],
      ['federation.jwksUrl', 'REQUIRED'],
    ]);
    expect(fields({ ...base, jwksUrl: 'https://issuer.test/keys', jwks: { keys: [key.jwk] } })).toEqual([['federation.jwks', 'REQUIRED']]);
    expect(fields({ ...base, subject: '  ', jwksUrl: 'https://issuer.test/keys' })).toEqual([['federation.subject', 'REQUIRED']]);
  });

  it('refuses issuers and JWKS URLs that are not https or not public', () => {
    expect(fields({ ...base, issuer: 'issuer', jwksUrl: 'https://issuer.test/keys' })).toEqual([['federation.issuer', 'INVALID_VALUE']]);
    for (const jwksUrl of ['http://issuer.test/keys', 'https://10.0.0.1/keys', 'https://[::1]/keys', 'https://user:pw@issuer.test/keys', 'not a url']) {
      expect(fields({ ...base, jwksUrl })).toEqual([['federation.jwksUrl', 'INVALID_VALUE']]);
    }
  });

  it('normalizeFederation: trimmed, the URL normalized, JSON text parsed, the unused one null', () => {
    expect(normalizeFederation({ ...base, issuer: ' https://issuer.test ', jwksUrl: 'https://Issuer.TEST/keys', jwks: null })).toEqual({
      ...base,
      jwksUrl: 'https://issuer.test/keys',
      jwks: null,
    });
    expect(normalizeFederation({ ...base, jwksUrl: '', jwks: JSON.stringify({ keys: [key.jwk] }) })).toEqual({ ...base, jwksUrl: null, jwks: { keys: [key.jwk] } });
  });

  it('refuses private key material, symmetric keys and malformed sets', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const problems = (jwks: unknown) => validateFederation({ ...base, jwks }).map((i) => i.message);
    expect(problems({ keys: [privateJwk] })[0]).toMatch(/private key material \("d"\)/);
    expect(problems({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })[0]).toMatch(/private key material \("k"\)/);
    expect(problems({ keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB' }] })[0]).toMatch(/RSA key of \d+ bits/);
    expect(problems({ keys: [] })[0]).toMatch(/1 to 20 keys/);
    expect(problems({ key: [] })[0]).toMatch(/JSON Web Key Set/);
    expect(problems('{"keys": [')[0]).toMatch(/not valid JSON/);
    expect(problems({ keys: [{ ...key.jwk, use: 'enc' }] })[0]).toMatch(/use must be "sig"/);
  });
});
