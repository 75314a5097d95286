import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import bodyParser from 'body-parser';
import { GraphQLHttpRequest, apolloHandler } from '../src/graphql/http-handler';

/**
 * The reference ceiling: a no-storage Node HTTP server answering Rollcall's routes with the same JSON shapes from
 * memory (it still reads and parses every body). What Node HTTP plus the load client can do on this machine.
 *
 * `/graphql` is answered by Apollo Server and graphql-js (the versions Rollcall uses, through Rollcall's own HTTP
 * integration, apolloHandler) executing the bench's operations against objects in memory: the floor of the GraphQL stack itself,
 * with no database and no Rollcall code.
 */
function user(id: string, userName = `user-${id.slice(0, 8)}@bench.example`): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User'],
    id,
    externalId: 'ext',
    userName,
    name: { givenName: 'Bench', familyName: 'User', formatted: 'Bench User' },
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
    'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User': { primaryRole: 'Agent', loginAuthenticator: 'Default' },
    meta: {
      resourceType: 'User',
      created: '2026-01-01T00:00:00.000Z',
      lastModified: '2026-01-01T00:00:00.000Z',
      location: `http://127.0.0.1/scim/v2/Users/${id}`,
      version: 'W/"1"',
    },
  };
}

const ID = '6f2ed6ad-0bd5-4bc3-b5cd-7a7dbc7c2b02';

/** What the onboarding scenario's warm-up reads. */
const SERVICE_PROVIDER_CONFIG = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 200 },
  changePassword: { supported: false },
  sort: { supported: true },
  etag: { supported: true },
  authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Bearer token', primary: true }],
};

function list(count: number, total: number, startIndex = 1): Record<string, unknown> {
  // As Rollcall pages: at most `count` of the `total`, from startIndex (an import walk ends at the total).
  const items = Math.max(0, Math.min(count, total - startIndex + 1));
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: total,
    startIndex,
    itemsPerPage: items,
    Resources: Array.from({ length: items }, () => user(ID)),
  };
}

const SDL = `#graphql
  type Role { name: String! }
  type Team { name: String! }
  type Employee { id: ID! username: String! firstName: String! lastName: String! displayName: String primaryRole: Role team: Team }
  type EmployeeConnection { totalCount: Int! nodes: [Employee!]! }
  type UserError { code: String! }
  type UpdateEmployeePayload { employee: Employee userErrors: [UserError!]! }
  input UpdateEmployeeInput { id: ID! displayName: String }
  type Query { employees(search: String, first: Int): EmployeeConnection! }
  type Mutation { updateEmployee(input: UpdateEmployeeInput!): UpdateEmployeePayload! }
`;

const NODES = Array.from({ length: 100 }, (_, i) => ({
  id: Buffer.from(`Employee:${ID.slice(0, -3)}${String(i).padStart(3, '0')}`).toString('base64url'),
  username: `seed${i}@bench.example`,
  firstName: `First${i}`,
  lastName: `Last${i}`,
  displayName: null as string | null,
  primaryRole: { name: 'Agent' },
  team: { name: `Team ${1 + (i % 20)}` },
}));

async function graphqlHandler(): Promise<http.RequestListener> {
  const apollo = new ApolloServer({
    typeDefs: SDL,
    resolvers: {
      Query: {
        employees: (_: unknown, args: { search?: string; first?: number }) =>
          args.search ? { totalCount: 1, nodes: NODES.slice(0, 1) } : { totalCount: NODES.length, nodes: NODES.slice(0, args.first ?? 100) },
      },
      Mutation: {
        updateEmployee: (_: unknown, { input }: { input: { id: string; displayName?: string } }) => ({
          employee: { ...NODES[0], id: input.id, displayName: input.displayName ?? null },
          userErrors: [],
        }),
      },
    },
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    introspection: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
  });
  await apollo.start();
  const parse = bodyParser.json({ limit: '1mb' });
  const handler = apolloHandler(apollo, async () => ({}));
  return (req, res) => {
    parse(req, res, (error?: unknown) => {
      if (error) {
        res.statusCode = 400;
        res.end();
        return;
      }
      handler(req as GraphQLHttpRequest, res).catch(() => res.destroy());
    });
  };
}

export async function startCeilingServer(totalEmployees: number): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const graphql = await graphqlHandler();
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/graphql')) {
      graphql(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, payload?: unknown) => {
        const text = payload === undefined ? '' : JSON.stringify(payload);
        res.writeHead(status, { 'Content-Type': 'application/scim+json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (url.pathname.startsWith('/scim/v2/Groups')) {
        if (req.method === 'PATCH' || req.method === 'DELETE') return send(204);
        if (url.pathname === '/scim/v2/Groups') {
          return send(200, { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1000, startIndex: 1, itemsPerPage: 100, Resources: Array.from({ length: 100 }, (_, i) => ({ id: ID, displayName: `Group ${i}`, meta: { resourceType: 'Group' } })) });
        }
        return send(200, { id: ID, displayName: 'Group', members: [] });
      }
      if (url.pathname === '/scim/v2/ServiceProviderConfig') return send(200, SERVICE_PROVIDER_CONFIG);
      const idMatch = /^\/scim\/v2\/Users\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'POST') return send(201, user(ID, String(body?.userName ?? 'x')));
      if (idMatch && (req.method === 'PUT' || req.method === 'PATCH' || req.method === 'GET')) return send(200, user(idMatch[1]));
      if (url.pathname === '/scim/v2/Users') {
        const filter = url.searchParams.get('filter');
        const count = Math.min(200, Number(url.searchParams.get('count') ?? 100));
        return send(200, filter ? list(1, 1) : list(count, totalEmployees, Math.max(1, Number(url.searchParams.get('startIndex') ?? 1))));
      }
      send(404, { detail: 'not found' });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pid: process.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (require.main === module) {
  void startCeilingServer(Number(process.argv[2] ?? 100_000)).then((server) => {
    process.stdout.write(`${server.url}\n`);
  });
}
