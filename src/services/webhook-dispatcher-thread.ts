import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { Config } from '../config';
import { DataSourceSettings } from '../db/data-source';
import { logger } from '../logging';
import { WebhookDispatch, WebhookDispatcher } from './webhook-dispatcher';

/** What the thread needs to build its own dispatcher (src/services/webhook-worker.ts): no live objects cross. */
export interface WebhookWorkerData {
  database: Pick<DataSourceSettings, 'url' | 'poolSize' | 'applicationName'>;
  logLevel: Config['logLevel'];
  allowInsecureHosts: string[];
}

/** Messages to the thread. */
export type WebhookWorkerMessage = 'wake' | 'stop';

/**
 * Connections of the thread's pool. A claim reads events and records deliveries between sends that take far longer,
 * so a few connections serve the 16 endpoints the dispatcher works at once.
 */
const WORKER_POOL_SIZE = 4;
const FIRST_RESTART_MS = 1_000;
const LONGEST_RESTART_MS = 30_000;
/** A thread that ran this long before it died was healthy: the next one starts after the shortest wait again. */
const HEALTHY_AFTER_MS = 60_000;

/**
 * The compiled build runs dist/src/services/webhook-worker.js; Jest, `npm run dev` and bin/rollcall.js without a build
 * run the TypeScript sources, which a new thread can only load through the same register hook (it keeps decorator
 * metadata, which the entities need).
 */
const ENTRY = path.join(__dirname, `webhook-worker${path.extname(__filename)}`);
// By its resolved path: a bare `-r` name is resolved from the working directory, and `rollcall serve` may run anywhere.
const EXEC_ARGV = path.extname(__filename) === '.ts' ? ['-r', require.resolve('@swc-node/register')] : [];

/**
 * The dispatcher in a worker thread with its own event loop and pool (PostgreSQL). Inline, each send's answer waited
 * in the server's event loop behind SCIM requests (about 5 ms a delivery under load, docs/benchmarks.md), and one
 * endpoint's events go one after another, so that wait capped each endpoint at ~200 deliveries a second. The thread
 * runs the same WebhookDispatcher, so leases, order, retries and the SSRF guard are unchanged; this side only
 * forwards wake and stop, and starts another thread (after a backoff) when one dies.
 */
export class WebhookDispatcherThread implements WebhookDispatch {
  private worker: Worker | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  private stopped = false;

  constructor(private readonly data: WebhookWorkerData) {}

  start(): this {
    this.spawn();
    return this;
  }

  wake(): void {
    // While a dead thread waits to be replaced, a wake has nowhere to go: the next thread's poll finds the events.
    this.worker?.postMessage('wake' satisfies WebhookWorkerMessage);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // The thread finishes its sends in flight, records them and closes its pool before it exits: keep the process
    // alive for that.
    worker.ref();
    worker.postMessage('stop' satisfies WebhookWorkerMessage);
    await exited;
  }

  private spawn(): void {
    const startedAt = Date.now();
    const worker = new Worker(ENTRY, { workerData: this.data, execArgv: EXEC_ARGV, name: 'webhook-dispatcher' });
    // Like the inline dispatcher's timer, the thread alone does not keep the process running.
    worker.unref();
    this.worker = worker;
    worker.on('error', (err) => logger.error({ err }, 'webhook dispatcher thread failed'));
    worker.on('exit', (code) => {
      this.worker = undefined;
      if (this.stopped) return;
      if (Date.now() - startedAt >= HEALTHY_AFTER_MS) this.restarts = 0;
      const delayMs = Math.min(LONGEST_RESTART_MS, FIRST_RESTART_MS * 2 ** this.restarts++);
      logger.error({ code, restartInMs: delayMs }, 'webhook dispatcher thread exited; starting another');
      this.restartTimer = setTimeout(() => this.spawn(), delayMs);
      this.restartTimer.unref();
    });
  }
}

/**
 * The app's dispatcher: in a thread on PostgreSQL, inline on the embedded database (PGlite is one session, which a
 * second pool cannot share), unless WEBHOOK_DISPATCHER says which. The thread connects to the database the app's
 * DataSource is connected to, with the same options and a small pool of its own.
 */
export function startWebhookDispatcher(config: Config, dataSource: DataSource): WebhookDispatch {
  const extra = dataSource.options.extra as { preparedStatements?: boolean } | undefined;
  const embedded = extra?.preparedStatements === false;
  const mode = config.webhookDispatcher ?? (embedded ? 'inline' : 'worker');
  if (mode === 'inline') return new WebhookDispatcher(dataSource).start();
  const options = dataSource.options as { url?: string; applicationName?: string };
  return new WebhookDispatcherThread({
    database: { url: options.url ?? '', poolSize: WORKER_POOL_SIZE, applicationName: `${options.applicationName ?? 'rollcall'}-webhooks` },
    logLevel: config.logLevel,
    allowInsecureHosts: config.webhookAllowInsecureHosts,
  }).start();
}
