import http from 'node:http';
import { AddressInfo } from 'node:net';
import { WebhookDispatcher } from '../src/services/webhook-dispatcher';
import { WebhookDispatcherThread } from '../src/services/webhook-dispatcher-thread';
import { Harness, TestTenant } from './support/harness';
import { Receiver, until } from './support/webhook-receiver';

/**
 * Where webhooks are sent from (src/services/webhook-dispatcher-thread.ts): on PostgreSQL a worker thread with its own
 * pool sends them, so its round trips do not wait behind SCIM requests in the server's event loop; on the embedded
 * database (one session) the dispatcher stays inline. The delivery rules themselves are webhooks.test.ts's.
 */
jest.setTimeout(120_000);

const postgres = Boolean(process.env.DATABASE_URL);
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CREATE = `mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } }
}`;

let h: Harness;
let t: TestTenant;
let receiver: Receiver;

beforeAll(async () => {
  h = await Harness.start({ WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1,localhost' });
  t = await h.tenant('worker');
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});
afterEach(() => jest.restoreAllMocks());

async function createEndpoint(url: string): Promise<void> {
  const res = await h.graphql(t.tokens.admin, CREATE, { input: { url, eventTypes: ['EMPLOYEE_CREATED'] } });
  expect(res.body.data.createWebhookEndpoint.userErrors).toEqual([]);
}

async function createUser(userName: string): Promise<void> {
  const res = await h.scim('POST', '/Users', t.tokens.scim, {
    schemas: [USER], userName, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: userName, primary: true }], active: true,
  });
  expect(res.status).toBe(201);
}

/** The connections of the dispatcher thread's own pool (its application_name), to this test's database. */
async function threadConnections(): Promise<number> {
  const [row] = await h.dataSource.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rollcall-webhooks'`,
  );
  return row.n;
}

async function removeEndpoints(): Promise<void> {
  await h.dataSource.query('DELETE FROM webhook_endpoints WHERE tenant_id = $1', [t.tenant.id]);
  receiver.received.length = 0;
}

(postgres ? describe : describe.skip)('on PostgreSQL', () => {
  afterEach(removeEndpoints);

  it('sends from the worker thread: the main thread never delivers, the thread pool does, in order', async () => {
    expect(h.app.webhooks).toBeInstanceOf(WebhookDispatcherThread);
    // Any delivery on this thread would go through the inline dispatcher's claim.
    const claim = jest.spyOn(WebhookDispatcher.prototype as unknown as { claim(): Promise<unknown[]> }, 'claim');
    await createEndpoint(receiver.url);
    for (const name of ['w1', 'w2', 'w3']) await createUser(`${name}@example.com`);
    await until('3 deliveries', () => receiver.unique().length >= 3 || undefined);
    expect(receiver.unique().map((r) => r.json.data.employee.username)).toEqual(['w1@example.com', 'w2@example.com', 'w3@example.com']);
    expect(claim).not.toHaveBeenCalled();
    expect(await threadConnections()).toBeGreaterThan(0);
    // The thread records a delivery once its receiver has answered, so the record may follow the receipt by a moment.
    const delivered = async () =>
      (await h.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE tenant_id = $1 AND status = 'delivered'`, [t.tenant.id]))[0].n as number;
    await until('3 deliveries recorded', async () => ((await delivered()) >= 3 ? true : undefined), 10_000);
    expect(await delivered()).toBe(3);
  });

  it('starts another thread when the thread dies, and sends on', async () => {
    const thread = h.app.webhooks as unknown as { worker?: { terminate(): Promise<number> } };
    await until('a running thread', () => thread.worker);
    await thread.worker!.terminate();
    await createEndpoint(receiver.url);
    await createUser('after-crash@example.com');
    await until('the delivery after the restart', () => receiver.unique().find((r) => r.json.data.employee.username === 'after-crash@example.com'));
  });
});

(postgres ? describe : describe.skip)('stopping on PostgreSQL', () => {
  it('stop() resolves after the send in flight is answered and recorded, and the thread closed its pool', async () => {
    let held = 0;
    let answered = 0;
    const slow = http.createServer((req, res) => {
      held++;
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          answered++;
          res.writeHead(200).end('ok');
        }, 1_000),
      );
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      await createEndpoint(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/hook`);
      await createUser('slow@example.com');
      // The send is in flight once the receiver holds the request.
      await until('the send in flight', () => held > 0 || undefined);
      await h.app.webhooks.stop();
      expect(answered).toBe(1);
      const [recorded] = await h.dataSource.query(`SELECT status FROM webhook_deliveries WHERE tenant_id = $1`, [t.tenant.id]);
      expect(recorded).toEqual({ status: 'delivered' });
      // The server notes a closed connection's end a moment after the client's.
      await until('the pool closed', async () => ((await threadConnections()) === 0 ? true : undefined), 5_000);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });
});

(postgres ? describe.skip : describe)('on the embedded database', () => {
  it('sends inline: PGlite serves one session, which a second pool cannot share', async () => {
    expect(h.app.webhooks).toBeInstanceOf(WebhookDispatcher);
    await createEndpoint(receiver.url);
    await createUser('inline@example.com');
    await until('the delivery', () => receiver.unique().find((r) => r.json.data.employee.username === 'inline@example.com'));
  });
});
