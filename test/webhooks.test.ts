import { WebhookDispatcher, retryDelayMs } from '../src/services/webhook-dispatcher';
import { sendWebhook } from '../src/services/webhook-sender';
import { Harness, TestTenant } from './support/harness';
import { Receiver, signedBy, until } from './support/webhook-receiver';

/**
 * Webhooks of the change feed (issue 18): endpoints over GraphQL, deliveries signed per Standard Webhooks and checked
 * here by an independent implementation of the specification (node:crypto), in order, retried, shared by several
 * dispatchers without double sends, and the SSRF refusals. A real receiver on a local port; real SCIM changes.
 */
jest.setTimeout(120_000);

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const CREATE = `mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret webhookEndpoint { id url eventTypes enabled secretPrefix } userErrors { code field message } }
}`;
const ENDPOINTS = `{ webhookEndpoints { id url enabled disabledReason failingSince
  deliveries(first: 100) { totalCount nodes { id eventId eventType sequence status attempts lastStatusCode lastError latencyMs nextAttemptAt deliveredAt } } } }`;

let h: Harness;
let t: TestTenant;
let other: TestTenant;
let receiver: Receiver;

beforeAll(async () => {
  h = await Harness.start({ WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1,localhost', RATE_LIMIT_PER_SECOND: '1000' });
  t = await h.tenant('hooks');
  other = await h.tenant('hooks-other');
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

async function createEndpoint(tenant: TestTenant, url: string, eventTypes: string[]) {
  const res = await h.graphql(tenant.tokens.admin, CREATE, { input: { url, eventTypes, description: 'test' } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createWebhookEndpoint;
}

async function endpoints(tenant: TestTenant): Promise<any[]> {
  const res = await h.graphql(tenant.tokens.read, ENDPOINTS);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.webhookEndpoints;
}

async function createUser(userName: string): Promise<string> {
  const res = await h.scim('POST', '/Users', t.tokens.scim, {
    schemas: [USER], userName, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: userName, primary: true }], active: true,
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function deactivate(id: string): Promise<void> {
  const res = await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
  expect(res.status).toBe(200);
}

async function removeAll(tenant: TestTenant): Promise<void> {
  for (const e of await endpoints(tenant)) {
    await h.graphql(tenant.tokens.admin, 'mutation ($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { userErrors { message } } }', { id: e.id });
  }
}

describe('creating endpoints', () => {
  it.each([
    ['http://example.com/hook', 'must start with https://'],
    ['https://10.1.2.3/hook', 'not a public address'],
    ['https://127.0.0.2/hook', 'not a public address'],
    ['https://169.254.169.254/latest/meta-data', 'not a public address'],
    ['https://[::1]/hook', 'not a public address'],
    ['https://[::ffff:192.168.0.1]/hook', 'not a public address'],
    ['https://100.64.0.1/hook', 'not a public address'],
    ['https://user:pw@203.0.113.9/hook', 'user name or password'],
    ['not a url', 'not a valid absolute URL'],
    ['ftp://127.0.0.1/hook', 'must start with https:// or http://'],
  ])('refuses %s (SSRF and form), writing nothing', async (url, message) => {
    const res = await h.graphql(t.tokens.admin, CREATE, { input: { url, eventTypes: ['EMPLOYEE_CREATED'] } });
    const payload = res.body.data.createWebhookEndpoint;
    expect(payload.webhookEndpoint).toBeNull();
    expect(payload.secret).toBeNull();
    expect(payload.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', field: ['input', 'url'], message: expect.stringContaining(message) })]);
    expect(await endpoints(t)).toEqual([]);
  });

  it('refuses an empty list of event types, and READ tokens', async () => {
    const empty = await h.graphql(t.tokens.admin, CREATE, { input: { url: receiver.url, eventTypes: [] } });
    expect(empty.body.data.createWebhookEndpoint.userErrors).toEqual([expect.objectContaining({ field: ['input', 'eventTypes'] })]);
    const read = await h.graphql(t.tokens.read, CREATE, { input: { url: receiver.url, eventTypes: ['EMPLOYEE_CREATED'] } });
    expect(read.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await endpoints(t)).toEqual([]);
  });

  it('refuses a bad change to an endpoint and leaves its row as it was; an unknown delivery is NOT_FOUND', async () => {
    const created = await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED']);
    const row = () => h.dataSource.query('SELECT url, event_types, description, enabled, signing_secrets FROM webhook_endpoints WHERE tenant_id = $1', [t.tenant.id]);
    const before = await row();
    const UPDATE = 'mutation ($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code field } } }';
    for (const input of [
      { id: created.webhookEndpoint.id, url: 'https://192.168.1.10/hook', description: 'changed' },
      { id: created.webhookEndpoint.id, eventTypes: [], enabled: false },
      { id: created.webhookEndpoint.id, description: 'bad\u0000text' },
    ]) {
      const res = await h.graphql(t.tokens.admin, UPDATE, { input });
      expect(res.body.data.updateWebhookEndpoint.webhookEndpoint).toBeNull();
      expect(res.body.data.updateWebhookEndpoint.userErrors).toHaveLength(1);
    }
    expect(await row()).toEqual(before);
    const unknown = await h.graphql(t.tokens.admin, 'mutation ($id: ID!) { redeliverWebhookDelivery(input: { id: $id }) { webhookDelivery { id } userErrors { code } } }', {
      id: Buffer.from('WebhookDelivery:00000000-0000-4000-8000-000000000000').toString('base64url'),
    });
    expect(unknown.body.data.redeliverWebhookDelivery).toEqual({ webhookDelivery: null, userErrors: [{ code: 'NOT_FOUND' }] });
    await removeAll(t);
  });

  it('shows the secret once, and keeps endpoints apart per tenant', async () => {
    const created = await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.secret.startsWith(created.webhookEndpoint.secretPrefix)).toBe(true);
    expect(created.webhookEndpoint).toMatchObject({ url: receiver.url, eventTypes: ['EMPLOYEE_CREATED'], enabled: true });
    expect(JSON.stringify(await endpoints(t))).not.toContain(created.secret.slice(12));
    expect(await endpoints(other)).toEqual([]);
    const foreign = await h.graphql(other.tokens.admin, 'mutation ($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { userErrors { code } } }', {
      id: created.webhookEndpoint.id,
    });
    expect(foreign.body.data.deleteWebhookEndpoint.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    await removeAll(t);
  });
});

describe('deliveries', () => {
  afterEach(async () => {
    receiver.answer = 200;
    await removeAll(t);
    receiver.received.length = 0;
  });

  it('sends each event of the endpoint types once, signed, in sequence order, from the creation on', async () => {
    await createUser('before@example.com');
    const { secret } = await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED', 'EMPLOYEE_DEACTIVATED']);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createUser(`hook${i}@example.com`));
    await deactivate(ids[1]);
    const got = await until('6 deliveries', () => (receiver.unique().length >= 6 ? receiver.unique() : undefined));
    await new Promise((r) => setTimeout(r, 1_500)); // nothing more arrives
    expect(receiver.received).toHaveLength(6);
    expect(got.map((r) => r.json.type)).toEqual([...Array(5).fill('employee.created'), 'employee.deactivated']);
    for (const r of got) {
      expect(signedBy(secret, r)).toBe(true);
      expect(r.json.id).toBe(r.id);
      expect(Object.keys(r.json).sort()).toEqual(['data', 'id', 'timestamp', 'type']);
      expect(Math.abs(Number(r.timestamp) * 1000 - Date.now())).toBeLessThan(60_000);
    }
    const sequences = got.map((r) => r.json.data.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(got[0].json.data.employee.username).toBe('hook0@example.com');
    expect(got[5].json.data.employee).toMatchObject({ id: ids[1], status: 'INACTIVE' });
    expect(got[5].json.data.actor).toEqual({ surface: 'scim', tokenName: 'test-scim' });
    // A tampered body does not verify.
    expect(signedBy(secret, { ...got[0], body: got[0].body.replace('hook0', 'hookX') })).toBe(false);

    const [endpoint] = await endpoints(t);
    expect(endpoint.deliveries.totalCount).toBe(6);
    expect(endpoint.deliveries.nodes[0]).toMatchObject({ status: 'DELIVERED', attempts: 1, lastStatusCode: 200, eventType: 'EMPLOYEE_DEACTIVATED' });
  });

  it('retries a failing event with backoff, holds the later ones back, then delivers all in order', async () => {
    receiver.answer = 503;
    const { webhookEndpoint, secret } = await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED']);
    await createUser('down1@example.com');
    await until('a failed attempt', () => receiver.received.length >= 1 || undefined);
    await createUser('down2@example.com');
    await createUser('down3@example.com');
    const failing = await until('the log shows the retry', async () => {
      const [e] = await endpoints(t);
      return e.deliveries.nodes.length === 1 && e.failingSince ? e : undefined;
    });
    expect(failing.deliveries.nodes[0]).toMatchObject({ status: 'RETRYING', lastStatusCode: 503, lastError: 'answered HTTP 503' });
    expect(new Date(failing.deliveries.nodes[0].nextAttemptAt).getTime()).toBeGreaterThan(Date.now());
    // While the first fails, the later two are not sent.
    expect(new Set(receiver.received.map((r) => r.json.data.employee.username))).toEqual(new Set(['down1@example.com']));

    receiver.answer = 200;
    const got = await until('all three', () => (receiver.unique().length >= 3 ? receiver.unique() : undefined), 30_000);
    expect(got.map((r) => r.json.data.employee.username)).toEqual(['down1@example.com', 'down2@example.com', 'down3@example.com']);
    expect(got.every((r) => signedBy(secret, r))).toBe(true);
    // Every attempt at the first carried the same webhook-id.
    expect(new Set(receiver.received.filter((r) => r.json.data.employee.username === 'down1@example.com').map((r) => r.id)).size).toBe(1);
    // The claim records its deliveries when it ends, just after the receiver got them.
    const after = await until('the log to record the deliveries', async () => {
      const [e] = await endpoints(t);
      return e.failingSince === null ? e : undefined;
    });
    expect(after.id).toBe(webhookEndpoint.id);
    const first = after.deliveries.nodes.find((d: any) => d.eventId === got[0].id);
    expect(first.status).toBe('DELIVERED');
    expect(first.attempts).toBeGreaterThanOrEqual(2);
  });

  it('several dispatchers (instances) send each event once', async () => {
    const extra = [new WebhookDispatcher(h.dataSource, { pollMs: 50 }).start(), new WebhookDispatcher(h.dataSource, { pollMs: 50 }).start()];
    try {
      await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED']);
      await Promise.all(Array.from({ length: 30 }, (_, i) => createUser(`many${i}@example.com`)));
      await until('30 deliveries', () => (receiver.unique().length >= 30 ? true : undefined));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(receiver.received).toHaveLength(30);
      const sequences = receiver.received.map((r) => r.json.data.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    } finally {
      await Promise.all(extra.map((d) => d.stop()));
    }
  });

  it("takes over an endpoint whose instance died mid-delivery (its lease runs out): nothing is lost", async () => {
    await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED']);
    // A dead instance holds the endpoint: a lease that has not run out yet.
    const [{ id }] = await h.dataSource.query(`SELECT id FROM webhook_endpoints WHERE tenant_id = $1`, [t.tenant.id]);
    await h.dataSource.query(`UPDATE webhook_endpoints SET lease_owner = 'dead', lease_until = now() + interval '2 seconds' WHERE id = $1`, [id]);
    await createUser('orphan@example.com');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.received).toHaveLength(0);
    const got = await until('the delivery after the lease ran out', () => (receiver.unique().length >= 1 ? receiver.unique() : undefined));
    expect(got[0].json.data.employee.username).toBe('orphan@example.com');
  });

  it('disables an endpoint whose event failed for 3 days, audits it and shows why', async () => {
    receiver.answer = 500;
    await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED']);
    await createUser('never@example.com');
    await until('a failed attempt', async () => ((await endpoints(t))[0].failingSince ? true : undefined));
    await h.dataSource.query(
      `UPDATE webhook_endpoints SET failing_since = now() - interval '3 days 1 minute', next_attempt_at = now() WHERE tenant_id = $1`,
      [t.tenant.id],
    );
    const disabled = await until('disabled', async () => {
      const [e] = await endpoints(t);
      return e.enabled ? undefined : e;
    });
    expect(disabled.disabledReason).toContain('3 days');
    expect(disabled.deliveries.nodes[0]).toMatchObject({ status: 'FAILED', nextAttemptAt: null });
    const audit = await h.dataSource.query(`SELECT actor_surface FROM audit_events WHERE tenant_id = $1 AND action = 'webhook.disabled'`, [t.tenant.id]);
    expect(audit).toEqual([{ actor_surface: 'system' }]);

    // Enabled again, it resumes with the event it failed.
    receiver.answer = 200;
    const enable = await h.graphql(t.tokens.admin, 'mutation ($id: ID!) { updateWebhookEndpoint(input: { id: $id, enabled: true }) { webhookEndpoint { enabled disabledReason } userErrors { message } } }', {
      id: disabled.id,
    });
    expect(enable.body.data.updateWebhookEndpoint.webhookEndpoint).toEqual({ enabled: true, disabledReason: null });
    const failedAttempts = receiver.received.length;
    await until('the delivery after enabling', async () => ((await endpoints(t))[0].deliveries.nodes[0].status === 'DELIVERED' ? true : undefined));
    expect(receiver.received.length).toBe(failedAttempts + 1);
    expect(receiver.received.at(-1)!.json.data.employee.username).toBe('never@example.com');
  });

  it('rotating the secret signs with both for a day; redelivery sends the same webhook-id again', async () => {
    const created = await createEndpoint(t, receiver.url, ['EMPLOYEE_CREATED']);
    const rotated = await h.graphql(t.tokens.admin, 'mutation ($id: ID!) { rotateWebhookSecret(input: { id: $id }) { secret webhookEndpoint { secretPrefix } userErrors { message } } }', {
      id: created.webhookEndpoint.id,
    });
    const { secret, webhookEndpoint } = rotated.body.data.rotateWebhookSecret;
    expect(secret).not.toBe(created.secret);
    expect(secret.startsWith(webhookEndpoint.secretPrefix)).toBe(true);
    await createUser('rotated@example.com');
    const [got] = await until('a delivery', () => (receiver.received.length >= 1 ? receiver.received : undefined));
    expect(got.signature.split(' ')).toHaveLength(2);
    expect(signedBy(secret, got)).toBe(true);
    expect(signedBy(created.secret, got)).toBe(true);

    const [endpoint] = await until('the log', async () => {
      const list = await endpoints(t);
      return list[0]?.deliveries.nodes.length ? list : undefined;
    });
    const again = await h.graphql(t.tokens.admin, 'mutation ($id: ID!) { redeliverWebhookDelivery(input: { id: $id }) { webhookDelivery { attempts status lastStatusCode } userErrors { message } } }', {
      id: endpoint.deliveries.nodes[0].id,
    });
    expect(again.body.data.redeliverWebhookDelivery.webhookDelivery).toEqual({ attempts: 2, status: 'DELIVERED', lastStatusCode: 200 });
    expect(receiver.received.map((r) => r.id)).toEqual([got.id, got.id]);
  });
});

describe('sending', () => {
  it('cuts off a receiver that does not answer', async () => {
    const hanging = await new Receiver().start();
    hanging.answer = 0;
    try {
      const started = Date.now();
      const sent = await sendWebhook(hanging.url, [{ secret: 'whsec_' + Buffer.alloc(32, 1).toString('base64'), createdAt: '', expiresAt: null }], {
        id: '00000000-0000-4000-8000-000000000000', seq: '1', type: 'employee.created', occurredAt: new Date(), actorSurface: 'scim', actorTokenName: null, dataJson: '{}',
      }, 300);
      expect(sent).toMatchObject({ ok: false, statusCode: null, error: 'no answer within 300 ms' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await hanging.close();
    }
  });

  it('refuses at send time a stored URL the policy no longer allows', async () => {
    const sent = await sendWebhook('https://10.0.0.1/hook', [], {
      id: '00000000-0000-4000-8000-000000000000', seq: '1', type: 'employee.created', occurredAt: new Date(), actorSurface: 'scim', actorTokenName: null, dataJson: '{}',
    }, 300);
    expect(sent.ok).toBe(false);
    expect(sent.error).toContain('not a public address');
  });

  it('backs off exponentially with jitter, for at least 3 days', () => {
    expect(retryDelayMs(1, () => 0)).toBe(2_500);
    expect(retryDelayMs(1, () => 1)).toBe(5_000);
    expect(retryDelayMs(3, () => 1)).toBe(20_000);
    expect(retryDelayMs(50, () => 1)).toBe(4 * 60 * 60_000);
    let total = 0;
    let attempts = 0;
    while (total < 3 * 24 * 60 * 60_000) total += retryDelayMs(++attempts, () => 0);
    expect(attempts).toBeGreaterThan(15);
  });
});
