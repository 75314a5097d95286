import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__ROLLCALL_TEST_STATE__ as
    | { server?: import('node:http').Server; databases: Map<string, { stop(): Promise<void> }>; template?: string }
    | undefined;
  if (!state) return;
  for (const db of state.databases.values()) await db.stop().catch(() => undefined);
  state.server?.closeAllConnections();
  await new Promise<void>((resolve) => (state.server ? state.server.close(() => resolve()) : resolve()));
  if (state.template && process.env.DATABASE_URL) {
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${state.template} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
