import 'reflect-metadata';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createDataSource } from '../../src/db/data-source';
import { startEmbeddedDatabase } from '../../src/db/embedded';
import { FACTORY_ENV, TEMPLATE_ENV, withDatabase } from './test-databases';

type Stoppable = { stop(): Promise<void> };
const state: { server?: http.Server; databases: Map<string, Stoppable>; template?: string } = { databases: new Map() };
(globalThis as Record<string, unknown>).__ROLLCALL_TEST_STATE__ = state;

async function migrate(url: string): Promise<void> {
  const dataSource = createDataSource({ url, poolSize: 1 });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

export default async function globalSetup(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const template = `rollcall_tpl_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${template}`);
    } finally {
      await admin.end();
    }
    await migrate(withDatabase(serverUrl, template));
    process.env[TEMPLATE_ENV] = template;
    state.template = template;
    return;
  }

  // One migrated PGlite, dumped once; every test file gets a fresh in-memory clone of it.
  const template = await startEmbeddedDatabase();
  await migrate(template.url);
  const dump = await template.dump();
  await template.stop();

  state.server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      // One request per connection: a kept-alive socket that this server closes when idle races the test process's next
      // request on it ("other side closed"), which a loaded CI machine hit.
      res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && req.url === '/databases') {
      startEmbeddedDatabase({ loadDataDir: dump }).then(
        (db) => {
          const id = randomBytes(6).toString('hex');
          state.databases.set(id, db);
          reply(201, { id, url: db.url });
        },
        (error: Error) => reply(500, { error: error.message }),
      );
      return;
    }
    const match = /^\/databases\/(\w+)$/.exec(req.url ?? '');
    if (req.method === 'DELETE' && match) {
      const db = state.databases.get(match[1]);
      state.databases.delete(match[1]);
      void (db ? db.stop() : Promise.resolve()).then(() => reply(204, null));
      return;
    }
    reply(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => state.server!.listen(0, '127.0.0.1', resolve));
  process.env[FACTORY_ENV] = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
}
