import 'reflect-metadata';
import cluster from 'node:cluster';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createApp } from './app';
import { Config, ConfigError, loadConfig } from './config';
import { openDatabase } from './db/database';
import { answerClientErrors } from './http/client-errors';
import { gracefulShutdown } from './http/shutdown';
import { EmbeddedDatabaseBusyError } from './db/embedded';
import { EmbeddedMaintenance } from './db/embedded-maintenance';
import { logger, setLogLevel } from './logging';
import { applyServerNice } from './priority';
import { BootstrapResult, bootstrap } from './services/bootstrap.service';

export interface RunningServer {
  config: Config;
  url: string;
  stop(): Promise<void>;
}

/** How long SIGTERM waits for in-flight requests before answering them 503 and closing. */
const SHUTDOWN_GRACE_MS = 10_000;

function describeDatabase(config: Config): string {
  if (config.databaseUrl === undefined) return `embedded PostgreSQL (PGlite) in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

function printBootstrap(config: Config, result: BootstrapResult): void {
  if (result.bootstrapped) {
    const { tenant, created } = result.bootstrapped;
    console.log(`Bootstrap tenant "${tenant.slug}" ${created ? 'created' : 'present'}; bootstrap tokens are valid for it.`);
  }
  if (!result.demo) return;
  const { scimToken, adminToken } = result.demo;
  const base = config.publicUrl;
  // Shown once: only the hashes are stored.
  console.log(
    [
      '',
      'Created tenant "demo". These tokens are shown only this once; store them now.',
      '',
      `  SCIM base URL : ${base}/scim/v2`,
      `  SCIM token    : ${scimToken.secret}`,
      `  GraphQL URL   : ${base}/graphql`,
      `  Admin token   : ${adminToken.secret}`,
      `  Admin console : ${base}/admin (sign in with the admin token)`,
      '',
      'Create an employee over SCIM:',
      `  curl -s -X POST ${base}/scim/v2/Users \\`,
      `    -H 'Authorization: Bearer ${scimToken.secret}' -H 'Content-Type: application/scim+json' \\`,
      `    -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada@example.com","type":"work","primary":true}],"active":true}'`,
      '',
      'Find it over GraphQL:',
      `  curl -s -X POST ${base}/graphql \\`,
      `    -H 'Authorization: Bearer ${adminToken.secret}' -H 'Content-Type: application/json' \\`,
      `    -d '{"query":"{ employees(search: \\"ada@example.com\\") { totalCount nodes { id username managedBy lockedFields } } }"}'`,
      '',
    ].join('\n'),
  );
}

/**
 * Starts Rollcall: database (migrated), bootstrap, HTTP. Resolves once it serves. The human start-up banner (and the
 * demo tokens, the one secret ever printed) goes to stdout unless LOG_LEVEL is silent; everything else is JSON log
 * lines.
 */
export async function startServer(config: Config = loadConfig()): Promise<RunningServer> {
  setLogLevel(config.logLevel);
  const db = await openDatabase(config);
  let server: http.Server | undefined;
  try {
    const bootstrapResult = await bootstrap(db.dataSource, config);

    // Listen before building the app so that PORT=0 yields the real port for URLs the app prints and returns.
    let handler: http.RequestListener = (_req, res) => {
      res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1', 'X-Content-Type-Options': 'nosniff' });
      res.end(JSON.stringify({ status: 'starting' }));
    };
    server = http.createServer((req, res) => {
      shutdown.track(req, res);
      handler(req, res);
    });
    const shutdown = gracefulShutdown(server);
    let upgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void = (_req, socket) => socket.destroy();
    server.on('upgrade', (req, socket, head) => upgrade(req, socket, head));
    answerClientErrors(server);
    // Okta's socket timeout is 60 s; keep idle keep-alive sockets a little longer than typical load balancers.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.port, config.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const effective: Config =
      config.port === 0 && config.publicUrl.endsWith(':0')
        ? { ...config, port, publicUrl: config.publicUrl.replace(/:0$/, `:${port}`) }
        : config;
    const app = await createApp(effective, db.dataSource);
    handler = app.handler;
    upgrade = app.upgrade;
    const maintenance = db.embedded ? new EmbeddedMaintenance(db.dataSource).start() : undefined;

    if (effective.logLevel !== 'silent') {
      console.log(`Rollcall listening on ${effective.publicUrl} (database: ${describeDatabase(effective)})`);
      console.log(`  SCIM 2.0: ${effective.publicUrl}/scim/v2    GraphQL: ${effective.publicUrl}/graphql    Admin console: ${effective.publicUrl}/admin`);
      printBootstrap(effective, bootstrapResult);
    }

    let stopping: Promise<void> | undefined;
    return {
      config: effective,
      url: effective.publicUrl,
      stop() {
        stopping ??= (async () => {
          app.drain();
          // WebSocket connections are not requests the drain waits for: closed first (1001), so clients reconnect.
          upgrade = (_req, socket) => socket.destroy();
          await app.closeSockets();
          await shutdown.drain(SHUTDOWN_GRACE_MS);
          await maintenance?.stop();
          await app.stop();
          await db.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    server?.close();
    await db.close();
    throw error;
  }
}

/** Entry point of `npm start` / `rollcall serve`: exits non-zero with a clear message when start-up fails. */
/**
 * With WEB_CONCURRENCY > 1 (PostgreSQL only), the primary applies migrations and the bootstrap once, then forks that
 * many workers sharing the port: the server is stateless, so the second core serves requests too. The primary
 * replaces a worker that dies and, on SIGTERM, stops the workers (each finishes its in-flight requests) and exits 0.
 */
async function runPrimary(config: Config): Promise<void> {
  setLogLevel(config.logLevel);
  const db = await openDatabase(config);
  try {
    printBootstrap(config, await bootstrap(db.dataSource, config));
  } finally {
    await db.close();
  }
  let stopping = false;
  const fork = () => cluster.fork({ ROLLCALL_WORKER: '1' });
  for (let i = 0; i < config.workers; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ workerPid: worker.process.pid, code, signal }, 'worker exited; starting another');
    fork();
  });
  const shutdown = (signal: NodeJS.Signals) => {
    stopping = true;
    logger.info({ signal, workers: config.workers }, `${signal} received: stopping the workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS + 5_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // Human, like the banner: the operator reads it once at start-up.
  if (config.logLevel !== 'silent') console.log(`Rollcall primary ${process.pid}: ${config.workers} workers on ${config.publicUrl}`);
}

export async function main(): Promise<void> {
  let running: RunningServer;
  try {
    const config = loadConfig();
    if (config.workers > 1 && cluster.isPrimary) {
      await runPrimary(config);
      return;
    }
    // Before the server starts its threads (the webhook thread, libuv's pool), which take this thread's nice value.
    setLogLevel(config.logLevel);
    applyServerNice(config.serverNice);
    // Workers find the bootstrap done by the primary, so their banner has no tokens; they log like any server.
    running = await startServer(config);
  } catch (error) {
    // Before the configuration is known there is no log level: these are for the operator, as plain text.
    if (error instanceof ConfigError || error instanceof EmbeddedDatabaseBusyError) {
      console.error(error.message);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'Rollcall failed to start');
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, `${signal} received: finishing in-flight requests, then stopping`);
    running.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) void main();
