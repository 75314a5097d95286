import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ServerProcess, oktaUser } from './support/processes';
import { withDatabase } from './support/test-databases';
import { Receiver, until } from './support/webhook-receiver';

/**
 * Webhook delivery survives `kill -9` (issue 18): a `rollcall serve` process is killed while a receiver holds its
 * delivery open; another process takes the endpoint over once the dead one's lease runs out and delivers every event,
 * the interrupted one again with the same webhook-id, in order. PostgreSQL only: two processes share the database.
 */
jest.setTimeout(120_000);

const SERVER_URL = process.env.DATABASE_URL;

(SERVER_URL ? describe : describe.skip)(`webhooks across a kill -9${SERVER_URL ? '' : ' (skipped: DATABASE_URL is unset)'}`, () => {
  const name = `rollcall_hooks_kill_${randomBytes(6).toString('hex')}`;
  const url = SERVER_URL ? withDatabase(SERVER_URL, name) : '';
  const scimToken = `hooks-scim-${randomBytes(24).toString('base64url')}`;
  const adminToken = `hooks-admin-${randomBytes(24).toString('base64url')}`;
  const env = {
    DATABASE_URL: url,
    DB_POOL_SIZE: '4',
    ROLLCALL_BOOTSTRAP_TENANT: 'hooks',
    ROLLCALL_BOOTSTRAP_SCIM_TOKEN: scimToken,
    ROLLCALL_BOOTSTRAP_ADMIN_TOKEN: adminToken,
    WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1',
  };
  const servers: ServerProcess[] = [];
  let receiver: Receiver;

  async function onServer(sql: string): Promise<void> {
    const admin = new Client({ connectionString: SERVER_URL });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  }

  beforeAll(async () => {
    await onServer(`CREATE DATABASE ${name}`);
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await receiver?.close();
    if (SERVER_URL) await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  test('an instance killed mid-delivery loses nothing: another delivers every event once more at most, in order', async () => {
    const a = await ServerProcess.spawn(env);
    servers.push(a);
    await a.waitReady();
    const created = await a.graphql(
      adminToken,
      'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret userErrors { message } } }',
      { input: { url: receiver.url, eventTypes: ['EMPLOYEE_CREATED'] } },
    );
    expect(created.body.data.createWebhookEndpoint.userErrors).toEqual([]);

    receiver.answer = 0; // holds every delivery open: A is mid-delivery
    for (const n of [1, 2, 3]) expect((await a.scim('POST', '/Users', scimToken, oktaUser(`killed${n}@example.com`))).status).toBe(201);
    await until('A to start delivering', () => (receiver.received.length >= 1 ? true : undefined));
    const interrupted = receiver.received[0].id;
    await a.kill('SIGKILL');

    receiver.answer = 200;
    const b = await ServerProcess.spawn(env);
    servers.push(b);
    await b.waitReady();
    expect((await b.scim('POST', '/Users', scimToken, oktaUser('after@example.com'))).status).toBe(201);
    // A's lease (send timeout + claim budget + 5 s) runs out, then B takes over.
    const got = await until('every event through B', () => (receiver.unique().length >= 4 ? receiver.unique() : undefined), 60_000);
    expect(got.map((r) => r.json.data.employee.username)).toEqual(['killed1@example.com', 'killed2@example.com', 'killed3@example.com', 'after@example.com']);
    expect(got[0].id).toBe(interrupted);
    const sequences = got.map((r) => r.json.data.sequence);
    expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    // At least once: only the interrupted event may have come twice.
    const counts = new Map<string, number>();
    for (const r of receiver.received) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    expect([...counts.entries()].filter(([id, n]) => n > 1 && id !== interrupted)).toEqual([]);

    // Two live instances share the endpoint: changes through both, every event delivered once, in order.
    const c = await ServerProcess.spawn(env);
    servers.push(c);
    await c.waitReady();
    const before = receiver.received.length;
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => expect((await (i % 2 ? b : c).scim('POST', '/Users', scimToken, oktaUser(`both${i}@example.com`))).status).toBe(201)),
    );
    const later = await until('20 more deliveries', () => (receiver.received.length >= before + 20 ? receiver.received.slice(before) : undefined));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receiver.received.length).toBe(before + 20);
    expect(new Set(later.map((r) => r.id)).size).toBe(20);
    const laterSequences = later.map((r) => r.json.data.sequence);
    expect(laterSequences).toEqual([...laterSequences].sort((x, y) => x - y));
  });
});
