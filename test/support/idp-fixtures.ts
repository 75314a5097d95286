import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * What Okta and Entra send, kept as data (test/fixtures/idp/<idp>/*.json) and replayed in file order by
 * test/idp-tolerance.test.ts. Placeholders: `{id}` is the user created last, `{userN}` the N-th user created,
 * `{groupId}` the group created last.
 */
export interface IdpFixture {
  description: string;
  request: {
    method: string;
    path: string;
    /** The query string's parameters, each percent-encoded as the IdP sends it. */
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: unknown;
  };
  expect: {
    status: number;
    /** The row of `{id}`, read from the database. */
    stored?: Record<string, unknown>;
    /** Attributes of the answer by dotted path (`name.formatted`, `members.0.value`, `members.length`). */
    scim?: Record<string, unknown>;
    /** Attributes the answer must not have. */
    absent?: string[];
    /** The primary role's name in the answer. */
    role?: string;
    /** When given, the request's one provisioning-log entry and the attributes of its warnings. */
    warnings?: string[];
    /** A read after the request, and what it answers. */
    read?: { path: string; status?: number; scim?: Record<string, unknown>; absent?: string[] };
  };
}

const DIR = path.join(__dirname, '..', 'fixtures', 'idp');

export function idpFixtures(idp: string): (IdpFixture & { file: string })[] {
  return readdirSync(path.join(DIR, idp))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(path.join(DIR, idp, file), 'utf8')) as IdpFixture) }));
}

/** The request body of one fixture, for a test that sends the same shape: `idpRequestBody('okta', '05-create-user')`. */
export function idpRequestBody<T = any>(idp: string, name: string): T {
  return (JSON.parse(readFileSync(path.join(DIR, idp, `${name}.json`), 'utf8')) as IdpFixture).request.body as T;
}
