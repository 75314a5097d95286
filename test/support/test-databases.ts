import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Fresh, migrated databases for test files. On PostgreSQL (DATABASE_URL set): a new database cloned from the
 * template that global setup migrated. On the embedded database: a new in-memory PGlite, cloned from a migrated
 * dump, served by the global-setup process (see global-setup.ts).
 */
export interface TestDatabase {
  url: string;
  kind: 'postgres' | 'embedded';
  drop(): Promise<void>;
}

export const TEMPLATE_ENV = 'ROLLCALL_TEST_TEMPLATE_DB';
export const FACTORY_ENV = 'ROLLCALL_TEST_PGLITE_FACTORY';

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const template = process.env[TEMPLATE_ENV];
    if (!template) throw new Error(`${TEMPLATE_ENV} is not set: run the tests through jest (global setup).`);
    const name = `rollcall_test_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await admin.end();
    }
    return {
      url: withDatabase(serverUrl, name),
      kind: 'postgres',
      async drop() {
        const c = new Client({ connectionString: serverUrl });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
  }
  const factory = process.env[FACTORY_ENV];
  if (!factory) throw new Error(`${FACTORY_ENV} is not set: run the tests through jest (global setup).`);
  const response = await fetch(`${factory}/databases`, { method: 'POST' });
  if (!response.ok) throw new Error(`PGlite factory: ${response.status} ${await response.text()}`);
  const { id, url } = (await response.json()) as { id: string; url: string };
  return {
    url,
    kind: 'embedded',
    async drop() {
      await fetch(`${factory}/databases/${id}`, { method: 'DELETE' });
    },
  };
}
