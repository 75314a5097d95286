import fs from 'node:fs';
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

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export class LoadClient {
  private readonly pool: Pool;

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    readonly concurrency: number,
  ) {
    this.pool = new Pool(baseUrl, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async send(request: BenchRequest): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...request.headers };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/scim+json';
    }
    const response = await this.pool.request({ method: request.method, path: request.path, headers, body });
    return { status: response.statusCode, body: await response.body.text() };
  }

  /**
   * Runs `make(i)` for i = 0..count-1 with `concurrency` requests in flight (keep-alive), stopping early after
   * `maxSeconds`. `serverPid` lets it charge the server's CPU time to the phase.
   */
  async phase(
    name: string,
    count: number,
    make: (i: number) => BenchRequest,
    options: { serverPid?: number; maxSeconds?: number; concurrency?: number } = {},
  ): Promise<PhaseResult> {
    const latencies: number[] = [];
    let next = 0;
    let errors = 0;
    let firstError: string | undefined;
    const deadline = performance.now() + (options.maxSeconds ?? 60) * 1000;
    const cpuBefore = options.serverPid ? processCpuMs(options.serverPid) : 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency ?? this.concurrency }, async () => {
        while (next < count && performance.now() < deadline) {
          const request = make(next++);
          const t0 = performance.now();
          try {
            const { status, body } = await this.send(request);
            if (!request.expect.includes(status)) {
              errors++;
              firstError ??= `${request.method} ${request.path.slice(0, 100)} -> ${status} ${body.slice(0, 200)}`;
            }
          } catch (error) {
            errors++;
            firstError ??= `${request.method} ${request.path.slice(0, 100)} -> ${(error as Error).message}`;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = options.serverPid ? processCpuMs(options.serverPid) - cpuBefore : null;
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
      cpuPerRequestMs: cpu === null ? null : cpu / Math.max(1, latencies.length),
      firstError,
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
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
