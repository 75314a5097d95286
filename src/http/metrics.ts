import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { RequestObserver } from './access-log';

/** The parts of a `pg` Pool the gauges read (TypeORM's PostgreSQL driver keeps it as `driver.master`). */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/** Request latencies are milliseconds when healthy; the upper buckets catch lock waits and slow list pages. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics of one server process: requests by route template and status, their latency, the database pool,
 * and Node's default process metrics. Each process (each WEB_CONCURRENCY worker) has its own registry.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;

  constructor(dataSource: DataSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status ("aborted" when the client left first).',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to the end of its answer, by method and route template.',
      labelNames: ['method', 'route'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    // Read at scrape time: the pool exists once the data source is initialised, and its counts change all the time.
    const pool = (): PgPool | undefined => (dataSource.driver as unknown as { master?: PgPool }).master;
    const gauge = (name: string, help: string, read: (p: PgPool) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const p = pool();
          const value = p ? read(p) : undefined;
          if (value !== undefined) this.set(value);
        },
      });
    gauge('db_pool_connections', 'Open connections in the database pool (busy and idle).', (p) => p.totalCount);
    gauge('db_pool_idle_connections', 'Open connections in the database pool that are idle.', (p) => p.idleCount);
    gauge('db_pool_waiting_requests', 'Queries waiting for a free connection of the database pool.', (p) => p.waitingCount);
    gauge('db_pool_max_connections', 'Size limit of the database pool.', (p) => p.options?.max);
  }

  readonly observe: RequestObserver = (method, route, status, seconds) => {
    this.requests.inc({ method, route, status });
    this.duration.observe({ method, route }, seconds);
  };

  /** GET /metrics. With a token configured, only `Authorization: Bearer <token>` may read them. */
  handler(token: string | undefined): RequestHandler {
    const expected = token === undefined ? undefined : digest(token);
    return async (req: Request, res: Response) => {
      if (expected) {
        const presented = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
          res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="rollcall-metrics"');
          res.json({ error: 'unauthenticated', message: 'Send the METRICS_TOKEN as "Authorization: Bearer <token>".', requestId: req.requestId });
          return;
        }
      }
      res.setHeader('Content-Type', this.registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(await this.registry.metrics());
    };
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
