import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';
import { App, createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createDataSource } from '../src/db/data-source';
import { toGlobalId } from '../src/graphql/global-id';
import { eventService } from '../src/services/event.service';
import { Harness, TestTenant } from './support/harness';

/**
 * The change feed (issue 18): events written with each change, in the change's transaction; the `events` connection
 * and its cursors; the subscription over WebSocket. Everything goes through HTTP (SCIM, GraphQL) and WebSocket.
 */
jest.setTimeout(120_000);

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const postgres = Boolean(process.env.DATABASE_URL);

const EVENTS = `query ($after: String, $first: Int, $types: [EventType!]) {
  events(after: $after, first: $first, types: $types) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id type sequence occurredAt actor { surface tokenName } resourceType resourceId data cursor }
  }
}`;

interface Ev {
  id: string;
  type: string;
  sequence: number;
  actor: { surface: string; tokenName: string | null };
  resourceType: string;
  resourceId: string;
  data: any;
  cursor: string;
}

let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start({ RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' });
  t = await h.tenant('events');
});
afterAll(async () => {
  await h?.close();
});

async function page(token: string, variables: { after?: string | null; first?: number; types?: string[] } = {}, on: Harness | { graphql: Harness['graphql'] } = h) {
  const res = await on.graphql(token, EVENTS, { first: 100, ...variables });
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data.events as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Ev[] };
}

/** Every event after `after`, all pages. */
async function all(token: string, after: string | null = null, types?: string[]): Promise<{ events: Ev[]; cursor: string | null }> {
  const events: Ev[] = [];
  let cursor = after;
  for (;;) {
    const p = await page(token, { after: cursor, types });
    events.push(...p.nodes);
    cursor = p.pageInfo.endCursor ?? cursor;
    if (!p.pageInfo.hasNextPage) return { events, cursor };
  }
}

async function endCursor(token: string): Promise<string | null> {
  return (await all(token)).cursor;
}

function userBody(userName: string, extra: Record<string, unknown> = {}) {
  return { schemas: [USER], userName, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: userName, primary: true }], active: true, ...extra };
}

async function createUser(tenant: TestTenant, userName: string): Promise<string> {
  const res = await h.scim('POST', '/Users', tenant.tokens.scim, userBody(userName));
  expect(res.status).toBe(201);
  return res.body.id;
}

function patch(operations: unknown[]) {
  return { schemas: [PATCH], Operations: operations };
}

describe('an event per committed change', () => {
  test('each employee and group change, through SCIM and GraphQL, in order, with actor and resource after the change', async () => {
    const start = await endCursor(t.tokens.admin);
    const id = await createUser(t, 'grace@example.com');
    expect((await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, patch([{ op: 'replace', value: { 'name.givenName': 'Grace' } }]))).status).toBe(200);
    expect((await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, patch([{ op: 'replace', value: { active: false } }]))).status).toBe(200);
    expect((await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, patch([{ op: 'replace', value: { active: true } }]))).status).toBe(200);
    const gql = await h.graphql(t.tokens.admin, 'mutation ($id: ID!) { updateEmployee(input: { id: $id, timeZone: "Europe/Paris" }) { userErrors { code } } }', {
      id: toGlobalId('Employee', id),
    });
    expect(gql.body.data.updateEmployee.userErrors).toEqual([]);
    const other = await createUser(t, 'other@example.com');
    const group = await h.scim('POST', '/Groups', t.tokens.scim, { schemas: [GROUP], displayName: 'Night shift', members: [{ value: id }] });
    expect(group.status).toBe(201);
    const gid = group.body.id;
    expect((await h.scim('PATCH', `/Groups/${gid}`, t.tokens.scim, patch([{ op: 'replace', path: 'displayName', value: 'Late shift' }]))).status).toBe(204);
    expect((await h.scim('PATCH', `/Groups/${gid}`, t.tokens.scim, patch([{ op: 'add', path: 'members', value: [{ value: other }] }]))).status).toBe(204);
    expect((await h.scim('PATCH', `/Groups/${gid}`, t.tokens.scim, patch([{ op: 'remove', path: `members[value eq "${id}"]` }]))).status).toBe(204);
    expect((await h.scim('DELETE', `/Groups/${gid}`, t.tokens.scim)).status).toBe(204);
    expect((await h.scim('DELETE', `/Users/${id}`, t.tokens.scim)).status).toBe(204);

    const { events } = await all(t.tokens.read, start);
    expect(events.map((e) => e.type)).toEqual([
      'EMPLOYEE_CREATED',
      'EMPLOYEE_UPDATED',
      'EMPLOYEE_DEACTIVATED',
      'EMPLOYEE_REACTIVATED',
      'EMPLOYEE_UPDATED',
      'EMPLOYEE_CREATED',
      'GROUP_CREATED',
      'GROUP_MEMBERS_ADDED',
      'GROUP_UPDATED',
      'GROUP_MEMBERS_ADDED',
      'GROUP_MEMBERS_REMOVED',
      'GROUP_DELETED',
      'EMPLOYEE_DELETED',
    ]);
    // Gapless tenant-local sequence numbers.
    for (let i = 1; i < events.length; i++) expect(events[i].sequence).toBe(events[i - 1].sequence + 1);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    const [created, renamed, deactivated, reactivated, viaGraphql] = events;
    expect(created.actor).toEqual({ surface: 'SCIM', tokenName: 'test-scim' });
    expect(created).toMatchObject({ resourceType: 'employee', resourceId: id });
    expect(created.data.employee).toMatchObject({ id, username: 'grace@example.com', firstName: 'Ada', status: 'ACTIVE', version: 1 });
    expect(created.data.employee.primaryRole).toMatchObject({ name: 'Agent' });
    expect(renamed.data.changes).toEqual({ firstName: { from: 'Ada', to: 'Grace' } });
    expect(renamed.data.employee).toMatchObject({ firstName: 'Grace', version: 2 });
    expect(deactivated.data.changes.status).toEqual({ from: 'ACTIVE', to: 'INACTIVE' });
    expect(deactivated.data.employee.status).toBe('INACTIVE');
    expect(reactivated.data.employee.status).toBe('ACTIVE');
    expect(viaGraphql.actor).toEqual({ surface: 'GRAPHQL', tokenName: 'test-admin' });
    expect(viaGraphql.data.changes.timeZone).toEqual({ from: null, to: 'Europe/Paris' });

    const byType = (type: string) => events.filter((e) => e.type === type);
    expect(byType('GROUP_CREATED')[0].data.group).toMatchObject({ id: gid, displayName: 'Night shift' });
    expect(byType('GROUP_MEMBERS_ADDED').map((e) => e.data.memberIds)).toEqual([[id], [other]]);
    expect(byType('GROUP_MEMBERS_ADDED')[0].data.chunk).toEqual({ index: 1, count: 1 });
    expect(byType('GROUP_UPDATED')[0].data).toMatchObject({ group: { displayName: 'Late shift' }, changes: { displayName: { from: 'Night shift', to: 'Late shift' } } });
    expect(byType('GROUP_MEMBERS_REMOVED')[0].data.memberIds).toEqual([id]);
    expect(byType('GROUP_DELETED')[0].data.group).toEqual({ id: gid, displayName: 'Late shift', externalId: null });
    expect(byType('EMPLOYEE_DELETED')[0].data.employee.deletedAt).not.toBeNull();
  });

  test('batched SCIM writes (one statement with writable CTEs): the trigger sees the rows the statement wrote', async () => {
    const start = await endCursor(t.tokens.admin);
    const names = Array.from({ length: 6 }, (_, i) => `batch${i}@example.com`);
    const created = await Promise.all(names.map((n) => h.scim('POST', '/Users', t.tokens.scim, userBody(n))));
    expect(created.map((r) => r.status)).toEqual(names.map(() => 201));
    const patched = await Promise.all(
      created.map((r, i) => h.scim('PATCH', `/Users/${r.body.id}`, t.tokens.scim, patch([{ op: 'replace', value: { 'name.familyName': `Batch${i}` } }]))),
    );
    expect(patched.map((r) => r.status)).toEqual(names.map(() => 200));
    const { events } = await all(t.tokens.admin, start);
    for (const [i, r] of created.entries()) {
      const mine = events.filter((e) => e.resourceId === r.body.id);
      expect(mine.map((e) => e.type)).toEqual(['EMPLOYEE_CREATED', 'EMPLOYEE_UPDATED']);
      expect(mine[0].data.employee).toMatchObject({ username: names[i], lastName: 'Lovelace', version: 1 });
      expect(mine[1].data.employee).toMatchObject({ lastName: `Batch${i}`, version: 2 });
    }
  });
});

describe("the trigger's two statements (migration EventsTriggerEmployeeStatement)", () => {
  test('an employee event is the same whether its statement audited only employees or a group too, and events keep the audit rows order', async () => {
    const ids = [await createUser(t, 'statement-a@example.com'), await createUser(t, 'statement-b@example.com')];
    const group = await h.scim('POST', '/Groups', t.tokens.scim, { schemas: [GROUP], displayName: 'Statement group' });
    expect(group.status).toBe(201);
    // One statement per call; rows in the order given (the `changes` say which).
    const audit = (rows: { action: string; type: string; id: string }[]) =>
      h.dataSource.query(
        `INSERT INTO audit_events (tenant_id, actor_surface, actor_token_id, action, target_type, target_id, changes)
         SELECT $1, 'scim', (SELECT k.id FROM access_tokens k WHERE k.tenant_id = $1 AND k.name = 'test-scim'), x.action, x.type, x.id::uuid, jsonb_build_object('lastName', jsonb_build_object('from', 'n' || x.n, 'to', 'm' || x.n))
           FROM jsonb_to_recordset($2::jsonb) AS x(action text, type text, id text, n int)
          ORDER BY x.n
         RETURNING id`,
        [t.tenant.id, JSON.stringify(rows.map((r, i) => ({ ...r, n: i })))],
      );
    const employeesOnly = await audit([
      { action: 'employee.updated', type: 'employee', id: ids[0] },
      { action: 'employee.deleted', type: 'employee', id: ids[1] },
      { action: 'employee.updated', type: 'employee', id: ids[1] },
      { action: 'employee.claimed', type: 'employee', id: ids[0] },
    ]);
    const mixed = await audit([
      { action: 'employee.updated', type: 'employee', id: ids[0] },
      { action: 'employee.deleted', type: 'employee', id: ids[1] },
      { action: 'group.updated', type: 'group', id: group.body.id },
      { action: 'employee.updated', type: 'employee', id: ids[1] },
      { action: 'employee.claimed', type: 'employee', id: ids[0] },
    ]);
    const events = async (audited: { id: string }[]) =>
      h.dataSource.query(
        `SELECT v.type, v.actor_surface, v.actor_token_name, v.resource_type, v.resource_id, v.data, v.request_id
           FROM events v WHERE v.tenant_id = $1 AND v.audit_event_id = ANY($2::uuid[]) ORDER BY v.position`,
        [t.tenant.id, audited.map((a) => a.id)],
      );
    const fromEmployeesOnly = await events(employeesOnly);
    const fromMixed = await events(mixed);
    expect(fromEmployeesOnly.map((e: { type: string }) => e.type)).toEqual(['employee.updated', 'employee.deleted', 'employee.updated', 'employee.updated']);
    // In the order of the audit rows, and field for field the same (the group's event aside).
    expect(fromEmployeesOnly.map((e: { data: { changes: unknown } }) => e.data.changes)).toEqual([
      { lastName: { from: 'n0', to: 'm0' } },
      undefined,
      { lastName: { from: 'n2', to: 'm2' } },
      { lastName: { from: 'n3', to: 'm3' } },
    ]);
    expect(fromMixed.filter((e: { resource_type: string }) => e.resource_type === 'employee').map(withoutChanges)).toEqual(
      fromEmployeesOnly.map(withoutChanges),
    );
    expect(fromEmployeesOnly[0]).toMatchObject({ actor_surface: 'scim', actor_token_name: 'test-scim', resource_id: ids[0] });
    expect(fromEmployeesOnly[0].data.employee).toMatchObject({ id: ids[0], username: 'statement-a@example.com', primaryRole: { name: 'Agent' } });
  });
});

/** An event row without the audit rows' `changes`, which differ between the two statements of the test above. */
function withoutChanges(event: { data: Record<string, unknown> }): unknown {
  const { changes: _changes, ...data } = event.data;
  return { ...event, data };
}

describe('no event for a change that is not committed', () => {
  test('a refused SCIM create, a refused group change, and a transaction rolled back', async () => {
    const start = await endCursor(t.tokens.admin);
    await createUser(t, 'taken@example.com');
    const after = await endCursor(t.tokens.admin);
    expect((await h.scim('POST', '/Users', t.tokens.scim, userBody('taken@example.com'))).status).toBe(409);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await h.scim('POST', '/Groups', t.tokens.scim, { schemas: [GROUP], displayName: 'Refused', members: [{ value: unknown }] })).status).toBe(400);
    // A change whose transaction fails after the change and its audit row are written.
    const runner = h.dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query(
      `INSERT INTO audit_events (tenant_id, actor_surface, action, target_type, target_id, changes)
       SELECT tenant_id, 'system', 'employee.updated', 'employee', id, '{}' FROM employees WHERE tenant_id = $1 LIMIT 1`,
      [t.tenant.id],
    );
    await runner.rollbackTransaction();
    await runner.release();
    expect((await all(t.tokens.admin, after)).events).toEqual([]);
    expect((await all(t.tokens.admin, start)).events.map((e) => e.type)).toEqual(['EMPLOYEE_CREATED']);
  });
});

describe('cursors', () => {
  test('types filter, and the total', async () => {
    const start = await endCursor(t.tokens.admin);
    const id = await createUser(t, 'filter@example.com');
    await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, patch([{ op: 'replace', value: { active: false } }]));
    const only = await page(t.tokens.admin, { after: start, types: ['EMPLOYEE_DEACTIVATED'] });
    expect(only.nodes.map((e) => [e.type, e.resourceId])).toEqual([['EMPLOYEE_DEACTIVATED', id]]);
    const everything = await page(t.tokens.admin, { types: ['EMPLOYEE_DEACTIVATED'] });
    expect(everything.totalCount).toBe(everything.nodes.length);
  });

  test('a forged cursor is BAD_USER_INPUT', async () => {
    const res = await h.graphql(t.tokens.admin, EVENTS, { after: Buffer.from('["seq","-1"]').toString('base64url') });
    expect(res.body.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('tenant isolation: another tenant sees none of these events', async () => {
    const other = await h.tenant('events-other');
    expect((await all(other.tokens.admin)).events).toEqual([]);
    await createUser(other, 'mine@example.com');
    const theirs = (await all(other.tokens.admin)).events;
    expect(theirs.map((e) => [e.type, e.sequence])).toEqual([['EMPLOYEE_CREATED', 1]]);
    // A cursor of the first tenant read by the second gives only the second's events.
    const cursor = await endCursor(t.tokens.admin);
    const mine = (await all(t.tokens.admin)).events;
    expect(mine.every((e) => e.resourceId !== theirs[0].resourceId)).toBe(true);
    expect((await all(other.tokens.admin, cursor)).events.every((e) => e.resourceId === theirs[0].resourceId)).toBe(true);
  });

  test('a READ token reads the feed; a SCIM token cannot', async () => {
    expect((await h.graphql(t.tokens.read, EVENTS)).body.errors).toBeUndefined();
    const refused = await h.graphql(t.tokens.scim, EVENTS);
    expect(refused.body.errors![0].extensions?.code).toBe('FORBIDDEN');
  });

  test('a cursor keeps its place on another instance and after a restart', async () => {
    const cursor = await endCursor(t.tokens.admin);
    const second = await startInstance(h);
    try {
      const id = await createUser(t, 'restart@example.com');
      const onSecond = await second.all(t.tokens.admin, cursor);
      expect(onSecond.map((e) => [e.type, e.resourceId])).toEqual([['EMPLOYEE_CREATED', id]]);
    } finally {
      await second.close();
    }
    // The first instance stopped and started again on the same database.
    await h.app.stop();
    const app = await createApp(loadConfig({ NODE_ENV: 'test', DATABASE_URL: h.db.url }), h.dataSource);
    h.server.removeAllListeners('request');
    h.server.removeAllListeners('upgrade');
    h.server.on('request', app.handler);
    h.server.on('upgrade', app.upgrade);
    (h as { app: App }).app = app;
    expect((await all(t.tokens.admin, cursor)).events.map((e) => e.type)).toEqual(['EMPLOYEE_CREATED']);
  });

  (postgres ? test : test.skip)('late commit: a transaction that commits after a consumer read past it appears after its cursor (PostgreSQL)', async () => {
    const id = await createUser(t, 'late@example.com');
    const start = await endCursor(t.tokens.admin);
    // An open transaction that changed an employee and wrote its audit row (and so its event, unnumbered).
    const late = new Client({ connectionString: h.db.url });
    await late.connect();
    try {
      await late.query('BEGIN');
      await late.query(`UPDATE employees SET display_name = 'Late', version = version + 1 WHERE tenant_id = $1 AND id = $2`, [t.tenant.id, id]);
      await late.query(
        `INSERT INTO audit_events (tenant_id, actor_surface, action, target_type, target_id, changes)
         VALUES ($1, 'system', 'employee.updated', 'employee', $2, '{"displayName":{"from":null,"to":"Late"}}')`,
        [t.tenant.id, id],
      );
      // Another change commits, and the consumer reads it.
      const other = await createUser(t, 'early@example.com');
      const first = await all(t.tokens.admin, start);
      expect(first.events.map((e) => e.resourceId)).toEqual([other]);
      await late.query('COMMIT');
      const next = await all(t.tokens.admin, first.cursor);
      expect(next.events.map((e) => [e.type, e.resourceId])).toEqual([['EMPLOYEE_UPDATED', id]]);
      expect(next.events[0].sequence).toBe(first.events[0].sequence + 1);
      expect(next.events[0].data.employee.displayName).toBe('Late');
    } finally {
      await late.end();
    }
  });
});

describe('membership events are chunked', () => {
  test('a 2,500-member PATCH gives events of 1,000, 1,000 and 500 ids', async () => {
    const rows: { id: string }[] = await h.dataSource.query(
      `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by)
       SELECT $1, 'bulk' || i || '@example.com', 'bulk' || i || '@example.com', 'B', 'Ulk', 'bulk' || i || '@example.com', 'IDENTITY_PROVIDER'
         FROM generate_series(1, 2500) i RETURNING id`,
      [t.tenant.id],
    );
    const group = await h.scim('POST', '/Groups', t.tokens.scim, { schemas: [GROUP], displayName: 'Everyone' });
    const start = await endCursor(t.tokens.admin);
    const ids = rows.map((r) => r.id);
    const res = await h.scim('PATCH', `/Groups/${group.body.id}`, t.tokens.scim, patch([{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }]));
    expect(res.status).toBe(204);
    const { events } = await all(t.tokens.admin, start);
    expect(events.map((e) => [e.type, e.data.memberIds.length, e.data.chunk])).toEqual([
      ['GROUP_MEMBERS_ADDED', 1000, { index: 1, count: 3 }],
      ['GROUP_MEMBERS_ADDED', 1000, { index: 2, count: 3 }],
      ['GROUP_MEMBERS_ADDED', 500, { index: 3, count: 3 }],
    ]);
    expect(events.flatMap((e) => e.data.memberIds).sort()).toEqual([...ids].sort());
  });
});

describe('retention', () => {
  test('eventRetentionDays is a tenant setting, and the purge deletes older events', async () => {
    const set = await h.graphql(t.tokens.admin, 'mutation { updateTenantSettings(input: { eventRetentionDays: 7 }) { tenantSettings { eventRetentionDays } userErrors { code } } }');
    expect(set.body.data.updateTenantSettings).toEqual({ tenantSettings: { eventRetentionDays: 7 }, userErrors: [] });
    const id = await createUser(t, 'old@example.com');
    await all(t.tokens.admin);
    await h.dataSource.query(`UPDATE events SET occurred_at = now() - interval '8 days' WHERE tenant_id = $1 AND resource_id = $2`, [t.tenant.id, id]);
    expect(await eventService.purgeExpired(h.dataSource.manager)).toBeGreaterThanOrEqual(1);
    expect((await all(t.tokens.admin)).events.some((e) => e.resourceId === id)).toBe(false);
    // The purged events' numbers went with them; nothing is left pending once read.
    const orphans = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM event_numbers n
        WHERE n.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = n.tenant_id AND e.position = n.position)`,
      [t.tenant.id],
    );
    expect(orphans).toEqual([{ n: 0 }]);
    expect(await h.dataSource.query('SELECT count(*)::int AS n FROM event_pending WHERE tenant_id = $1', [t.tenant.id])).toEqual([{ n: 0 }]);
  });
});

describe('reading across a gap that retention left', () => {
  test('a cursor before a purged stretch longer than a page still reaches what follows, with and without types', async () => {
    const g = await h.tenant('events-gap');
    const start = await endCursor(g.tokens.admin);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await createUser(g, `gap${i}@example.com`));
    await all(g.tokens.admin);
    // The first six people's events are purged: readers page in ranges of numbers, so a range that finds nothing
    // must jump to the next kept number rather than report the end of the feed.
    await h.dataSource.query(`UPDATE events SET occurred_at = now() - interval '40 days' WHERE tenant_id = $1 AND resource_id = ANY($2::uuid[])`, [
      g.tenant.id,
      ids.slice(0, 6),
    ]);
    expect(await eventService.purgeExpired(h.dataSource.manager)).toBe(6);
    const first = await page(g.tokens.admin, { after: start, first: 2 });
    expect(first.nodes.map((e) => e.resourceId)).toEqual(ids.slice(6));
    expect(first.pageInfo.hasNextPage).toBe(false);
    const typed = await page(g.tokens.admin, { after: start, first: 5, types: ['EMPLOYEE_CREATED'] });
    expect(typed.nodes.map((e) => e.resourceId)).toEqual(ids.slice(6));
    // Past the end: nothing, and no next page.
    const end = await page(g.tokens.admin, { after: first.pageInfo.endCursor, first: 2 });
    expect(end.nodes).toEqual([]);
    expect(end.pageInfo.hasNextPage).toBe(false);
  });
});

describe('subscription over WebSocket (graphql-ws)', () => {
  const SUBSCRIPTION = 'subscription ($after: String, $types: [EventType!]) { events(after: $after, types: $types) { type resourceId sequence cursor actor { tokenName } } }';

  function connect(baseUrl: string, params: Record<string, unknown>): WsClient {
    return createClient({ url: baseUrl.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: params, retryAttempts: 0, lazy: true });
  }

  /** Collects the events of a subscription until `count` have come, or fails after 20 s. */
  function collect(client: WsClient, variables: Record<string, unknown>, count: number): { done: Promise<any[]>; ready: Promise<void> } {
    const received: any[] = [];
    let readyResolve: () => void;
    const ready = new Promise<void>((r) => (readyResolve = r));
    const done = new Promise<any[]>((resolve, rejectNow) => {
      const timer = setTimeout(() => rejectNow(new Error(`timed out with ${JSON.stringify(received)}`)), 20_000);
      const reject = (error: Error) => {
        clearTimeout(timer);
        rejectNow(error);
      };
      const stop = client.subscribe(
        { query: SUBSCRIPTION, variables },
        {
          next: (value) => {
            if (value.errors) return reject(new Error(JSON.stringify(value.errors)));
            received.push(value.data!.events);
            if (received.length >= count) {
              clearTimeout(timer);
              stop();
              resolve(received);
            }
          },
          error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
          complete: () => undefined,
        },
      );
      client.on('connected', () => setTimeout(() => readyResolve(), 300));
    });
    return { done, ready };
  }

  test('a SCIM deactivation through this instance reaches a subscriber live; a reconnect with `after` resumes', async () => {
    const id = await createUser(t, 'live@example.com');
    const client = connect(h.baseUrl, { authorization: `Bearer ${t.tokens.read}` });
    try {
      const live = collect(client, { types: ['EMPLOYEE_DEACTIVATED'] }, 1);
      await live.ready;
      expect((await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, patch([{ op: 'replace', value: { active: false } }]))).status).toBe(200);
      const [event] = await live.done;
      expect(event).toMatchObject({ type: 'EMPLOYEE_DEACTIVATED', resourceId: id, actor: { tokenName: 'test-scim' } });
      // Resume after the deactivation's predecessor: the deactivation comes again, then live ones.
      const before = (await all(t.tokens.admin)).events.filter((e) => e.sequence < event.sequence).pop()!;
      const resumed = collect(client, { after: before.cursor }, 2);
      await resumed.ready;
      await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, patch([{ op: 'replace', value: { active: true } }]));
      expect((await resumed.done).map((e: any) => e.type)).toEqual(['EMPLOYEE_DEACTIVATED', 'EMPLOYEE_REACTIVATED']);
    } finally {
      await client.dispose();
    }
  });

  test('a query over the connection gets the URLs HTTP gives (oauthEndpoints), not empty ones', async () => {
    const QUERY = '{ oauthEndpoints { scimBaseUrl tokenUrl authorizeUrl issuer } }';
    const overHttp = (await h.graphql(t.tokens.admin, QUERY)).body.data.oauthEndpoints;
    expect(overHttp.tokenUrl).toMatch(/^http:\/\/.+\/oauth\/token$/);
    const client = connect(h.baseUrl, { authorization: `Bearer ${t.tokens.admin}` });
    try {
      const result = await new Promise<any>((resolve, reject) => {
        let value: any;
        client.subscribe({ query: QUERY }, { next: (v) => (value = v), error: reject, complete: () => resolve(value) });
      });
      expect(result.errors).toBeUndefined();
      expect(result.data.oauthEndpoints).toEqual(overHttp);
    } finally {
      await client.dispose();
    }
  });

  test('refused without a valid read or admin token', async () => {
    for (const params of [{}, { token: t.tokens.scim }, { authorization: 'Bearer rc_admin_nope' }]) {
      const client = connect(h.baseUrl, params);
      try {
        await expect(collect(client, {}, 1).done).rejects.toBeDefined();
      } finally {
        await client.dispose();
      }
    }
  });

  test('shutdown closes the subscriptions (1001) and, on PostgreSQL, the LISTEN connection', async () => {
    const listeners = async () =>
      postgres
        ? ((await h.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rollcall-events'`)) as { n: number }[])[0].n
        : 0;
    const baseline = await listeners();
    const other = await startInstance(h);
    // The instance connects its LISTEN connection in the background (start-up does not wait for it).
    for (let i = 0; postgres && i < 100 && (await listeners()) === baseline; i++) await new Promise((r) => setTimeout(r, 50));
    const before = await listeners();
    if (postgres) expect(before).toBe(baseline + 1);
    const closed = new Promise<number>((resolve) => {
      const client = connect(other.baseUrl, { token: t.tokens.read });
      client.on('closed', (event) => resolve((event as { code: number }).code));
      client.subscribe({ query: SUBSCRIPTION, variables: {} }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    });
    await new Promise((r) => setTimeout(r, 300));
    await other.close();
    expect(await closed).toBe(1001);
    if (postgres) expect(await listeners()).toBe(before - 1);
  });

  (postgres ? test : test.skip)('a SCIM deactivation through another instance reaches the subscriber (LISTEN/NOTIFY, PostgreSQL)', async () => {
    const id = await createUser(t, 'remote@example.com');
    const other = await startInstance(h);
    const client = connect(h.baseUrl, { token: t.tokens.admin });
    try {
      const live = collect(client, { types: ['EMPLOYEE_DEACTIVATED'] }, 1);
      await live.ready;
      const started = Date.now();
      const res = await other.scim('PATCH', `/Users/${id}`, t.tokens.scim, patch([{ op: 'replace', value: { active: false } }]));
      expect(res.status).toBe(200);
      const [event] = await live.done;
      expect(event).toMatchObject({ type: 'EMPLOYEE_DEACTIVATED', resourceId: id });
      // Well before the 5-s sweep: the notification carried it.
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await client.dispose();
      await other.close();
    }
  });
});

/** A second app instance on the same database: its own pool, its own LISTEN connection, its own HTTP port. */
async function startInstance(first: Harness) {
  const embedded = first.db.kind === 'embedded';
  // The embedded database takes one connection: a second instance shares the first one's pool.
  const dataSource = embedded ? first.dataSource : createDataSource({ url: first.db.url, poolSize: 3 });
  if (!embedded) await dataSource.initialize();
  const app = await createApp(loadConfig({ NODE_ENV: 'test', DATABASE_URL: first.db.url, RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' }), dataSource);
  const server = http.createServer(app.handler);
  server.on('upgrade', app.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': path.startsWith('/graphql') ? 'application/json' : 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    baseUrl: base,
    scim: (method: string, path: string, token: string, body?: unknown) => request(method, `/scim/v2${path}`, token, body),
    async all(token: string, after: string | null) {
      const res = await request('POST', '/graphql', token, { query: EVENTS, variables: { after, first: 100 } });
      return res.body.data.events.nodes as Ev[];
    },
    async close() {
      await app.closeSockets();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.stop();
      if (!embedded) await dataSource.destroy();
    },
  };
}
