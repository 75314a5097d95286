import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/**
 * `rollcall serve` as a real child process (for the several-instances and outage tests): configured only through its
 * environment, spoken to over HTTP; and the helpers every test of child processes shares. startup.test.ts keeps its
 * own ServerProcess variant with the checks of the start-up banner.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const LAUNCHER = path.join(ROOT, 'bin', 'rollcall.js');
const HEALTHY_TIMEOUT_MS = 60_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The environment of an operator's shell: ours without anything that configures Rollcall (Jest's NODE_ENV=test would
 * also silence the start-up output), plus `extra`.
 */
export function operatorEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const configuring = new Set(['DATABASE_URL', 'DATA_DIR', 'NODE_ENV', 'LOG_LEVEL', 'PORT', 'HOST', 'PUBLIC_URL', 'DB_POOL_SIZE']);
  for (const [key, value] of Object.entries(process.env)) {
    if (!configuring.has(key) && !key.startsWith('ROLLCALL_') && !key.startsWith('RATE_LIMIT')) env[key] = value;
  }
  return { ...env, ...extra };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
  /** Milliseconds from sending the request to reading the whole answer. */
  ms: number;
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class ServerProcess {
  stdout = '';
  stderr = '';
  exit: Exit | undefined;
  private readonly closed: Promise<Exit>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.closed = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  /** Spawns `rollcall serve` on a free port with `env`; call waitHealthy() before sending requests. */
  static async spawn(env: Record<string, string>): Promise<ServerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [LAUNCHER, 'serve'], {
      cwd: ROOT,
      env: operatorEnv({ HOST: '127.0.0.1', PORT: String(port), ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child, port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  describe(): string {
    return `exit: ${JSON.stringify(this.exit)}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Polls GET /readyz until this child answers 200 (app built and database reachable). */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`rollcall serve exited before it was ready.\n${this.describe()}`);
      try {
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await response.text();
        if (response.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    throw new Error(`rollcall serve was not ready within ${HEALTHY_TIMEOUT_MS} ms.\n${this.describe()}`);
  }

  async request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; contentType?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/scim+json';
    const started = Date.now();
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, body, text, ms: Date.now() - started };
  }

  scim(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult> {
    return this.request(method, `/scim/v2${path}`, { token, body, headers });
  }

  graphql(token: string, query: string, variables?: Record<string, unknown>): Promise<HttpResult> {
    return this.request('POST', '/graphql', { token, body: { query, variables }, contentType: 'application/json' });
  }

  /** Sends `signal` (unless the child is gone already) and resolves with how it exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.closed;
  }
}

/** The body Okta sends when an admin assigns a person to the app. */
export function oktaUser(userName: string): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    active: true,
  };
}
