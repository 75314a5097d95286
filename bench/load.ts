import fs from 'node:fs';
import http from 'node:http';
import { Pool } from 'undici';

/** One request of a phase: what to send and which statuses count as success. */
export interface BenchRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  expect: number[];
}

export interface PhaseResult {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Server CPU time (user + system) per request, in ms; null when the server is this process. */
  cpuPerRequestMs: number | null;
  /** This load client's own CPU time per request, in ms (it shares the machine with the server). */
  clientCpuPerRequestMs?: number;
  /** PostgreSQL's CPU time per request, in ms, when its server runs on this machine (see databasePid). */
  databaseCpuPerRequestMs?: number | null;
  /** Open loop: the requests sent late (behind schedule or waiting for a socket, see LATE_MS). */
  late?: number;
  firstError?: string;
}

const CLOCK_TICK_MS = 10; // Linux USER_HZ is 100 on every kernel Node supports here

function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process and its children (cluster workers), from /proc. */
export function processTree(pid: number): number[] {
  const children = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => statFields(child)?.[1] === String(pid));
  return [pid, ...children];
}

/** CPU time (user + system) of a process and its children (cluster workers), in ms, from /proc. */
export function processCpuMs(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    const fields = statFields(p);
    if (fields) total += (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  }
  return total;
}

/** Peak resident set size (VmHWM) of a process plus its children, in MB. */
export function peakRssMb(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (match) total += Number(match[1]) / 1024;
    } catch {
      /* exited */
    }
  }
  return total;
}

/**
 * CPU time of a local PostgreSQL server in ms: the postmaster, its live backends and workers, and the children that
 * have exited (the postmaster's cutime and cstime, which is where a closed connection's backend time goes).
 */
export function databaseCpuMs(postmasterPid: number): number {
  const own = statFields(postmasterPid);
  if (!own) return 0;
  const exited = (Number(own[13]) + Number(own[14])) * CLOCK_TICK_MS;
  return processCpuMs(postmasterPid) + exited;
}

/** Server, client and database CPU time across a phase. */
export class CpuMeter {
  private readonly server: number;
  private readonly client: NodeJS.CpuUsage;
  private readonly database: number;

  constructor(
    private readonly serverPid?: number,
    private readonly databasePid?: number,
  ) {
    this.server = serverPid ? processCpuMs(serverPid) : 0;
    this.database = databasePid ? databaseCpuMs(databasePid) : 0;
    this.client = process.cpuUsage();
  }

  /** Per-request figures for `requests` requests. */
  perRequest(requests: number): Pick<PhaseResult, 'cpuPerRequestMs' | 'clientCpuPerRequestMs' | 'databaseCpuPerRequestMs'> {
    const n = Math.max(1, requests);
    const client = process.cpuUsage(this.client);
    return {
      cpuPerRequestMs: this.serverPid ? (processCpuMs(this.serverPid) - this.server) / n : null,
      clientCpuPerRequestMs: (client.user + client.system) / 1000 / n,
      databaseCpuPerRequestMs: this.databasePid ? (databaseCpuMs(this.databasePid) - this.database) / n : null,
    };
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Which HTTP client drives the load: undici's Pool, or a plain node:http keep-alive Agent (as Okta-like Java/Node clients do). */
export type LoadClientKind = 'undici' | 'node-http';

interface Transport {
  request(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

class UndiciTransport implements Transport {
  private readonly pool: Pool;

  constructor(baseUrl: string, connections: number) {
    this.pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async request(method: string, path: string, headers: Record<string, string>, body: string | undefined) {
    const response = await this.pool.request({ method: method as 'GET', path, headers, body });
    return { status: response.statusCode, body: await response.body.text() };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** node:http with a keep-alive Agent of `maxSockets` = the client's connections: every request waits for a free socket. */
class NodeHttpTransport implements Transport {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, connections: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: connections, maxFreeSockets: connections });
  }

  request(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** Open loop (--rate): at most this many requests in flight, each on its own keep-alive connection. */
export const OPEN_LOOP_SOCKETS = 256;
/**
 * An open-loop request sent more than this after its scheduled start counts as late (below it: timer granularity and
 * the client's event-loop jitter); so does one that had to wait for a free socket.
 */
export const LATE_MS = 10;

export class LoadClient {
  private readonly transport: Transport;

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    readonly concurrency: number,
    readonly kind: LoadClientKind = 'undici',
    /** Connections to the server: `concurrency` for a closed loop, OPEN_LOOP_SOCKETS for an open one. */
    sockets = concurrency,
  ) {
    this.transport = kind === 'node-http' ? new NodeHttpTransport(baseUrl, sockets) : new UndiciTransport(baseUrl, sockets);
  }

  async send(request: BenchRequest): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...request.headers };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/scim+json';
    }
    return this.transport.request(request.method, request.path, headers, body);
  }

  /**
   * Runs `make(i)` for i = 0..count-1 with `concurrency` requests in flight (keep-alive), stopping early after
   * `maxSeconds`; or, with `rate`, open loop: request i is due `i / rate` s after the start and is sent then, whatever
   * is still in flight (up to OPEN_LOOP_SOCKETS), and its latency runs from that due time, so that a server falling
   * behind shows in the latencies rather than in a slower schedule (no coordinated omission). `serverPid` lets it charge
   * the server's CPU time to the phase.
   */
  async phase(
    name: string,
    count: number,
    make: (i: number) => BenchRequest,
    options: {
      serverPid?: number;
      databasePid?: number;
      maxSeconds?: number;
      concurrency?: number;
      /** Requests started per second, open loop; the phase's requests stop being scheduled after `maxSeconds`. */
      rate?: number;
      /** Sees every answer with an expected status (e.g. to collect the ids of created people). */
      onResponse?: (i: number, status: number, body: string) => void;
    } = {},
  ): Promise<PhaseResult> {
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const attempt = async (i: number, request: BenchRequest, from: number) => {
      try {
        const { status, body } = await this.send(request);
        latencies.push(performance.now() - from);
        if (!request.expect.includes(status)) {
          errors++;
          firstError ??= `${request.method} ${request.path.slice(0, 100)} -> ${status} ${body.slice(0, 200)}`;
        } else {
          options.onResponse?.(i, status, body);
        }
      } catch (error) {
        latencies.push(performance.now() - from);
        errors++;
        firstError ??= `${request.method} ${request.path.slice(0, 100)} -> ${(error as Error).message}`;
      }
    };
    const maxMs = (options.maxSeconds ?? 60) * 1000;
    const deadline = performance.now() + maxMs;
    const meter = new CpuMeter(options.serverPid, options.databasePid);
    const started = performance.now();
    let late: number | undefined;
    if (options.rate === undefined) {
      let next = 0;
      await Promise.all(
        Array.from({ length: options.concurrency ?? this.concurrency }, async () => {
          while (next < count && performance.now() < deadline) {
            const i = next++;
            const request = make(i);
            await attempt(i, request, performance.now());
          }
        }),
      );
    } else {
      // The schedule's window starts with it (the meter's reading of /proc would cost it its last requests).
      late = await openLoop(count, options.rate, started, started + maxMs, (i, due) => attempt(i, make(i), due));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = meter.perRequest(latencies.length);
    latencies.sort((a, b) => a - b);
    return {
      name,
      requests: latencies.length,
      errors,
      seconds,
      perSecond: latencies.length / seconds,
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? 0,
      ...cpu,
      late,
      firstError,
    };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/**
 * Starts `send(i, due)` for i = 0..count-1 at `started + i / rate` s (a burst of the overdue ones when the client's timer
 * fires late), until `deadline`, with at most OPEN_LOOP_SOCKETS in flight: a request due while all are busy waits for
 * the first to finish. Resolves when every request has answered, with the number sent late.
 */
async function openLoop(count: number, rate: number, started: number, deadline: number, send: (i: number, due: number) => Promise<void>): Promise<number> {
  let inFlight = 0;
  let late = 0;
  const waiting: (() => void)[] = [];
  const start = async (i: number, due: number) => {
    if (inFlight < OPEN_LOOP_SOCKETS) {
      inFlight++;
      if (performance.now() - due > LATE_MS) late++;
    } else {
      late++;
      // The request that finishes hands its slot over (inFlight unchanged), so no request due meanwhile can take it.
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      await send(i, due);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else inFlight--;
    }
  };
  const sent: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    if (due >= deadline) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sent.push(start(i, due));
  }
  await Promise.all(sent);
  return late;
}

/** Runs async work `count` times with `concurrency` in flight and measures it like a phase (for the pg reference). */
export async function timedWork(
  name: string,
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
  maxSeconds = 60,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const deadline = performance.now() + maxSeconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        try {
          await work(i);
        } catch (error) {
          errors++;
          firstError ??= (error as Error).message;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? 0,
    cpuPerRequestMs: null,
    firstError,
  };
}
