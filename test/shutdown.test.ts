import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ServerProcess, sleep } from './support/processes';

/**
 * Issue 17, point 7: SIGTERM on a real `rollcall serve`. A request still running at the end of the grace period is
 * answered 503 before its socket is closed; a request arriving on a kept-alive connection after the signal is answered
 * (with `Connection: close`), not reset.
 */
const GRACE_MS = 10_000;

/** One raw HTTP/1.1 connection: what the server sent, and whether it closed the connection. */
class Connection {
  received = '';
  ended = false;
  error: Error | undefined;
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (this.received += chunk));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.ended = true));
    socket.on('error', (error) => (this.error = error));
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  /** Waits until `count` complete responses (Content-Length bodies) arrived, or the connection ended. */
  async responses(count: number, timeoutMs: number): Promise<{ head: string; body: string }[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponses(this.received);
      if (parsed.length >= count || this.ended || Date.now() > deadline) return parsed;
      await sleep(20);
    }
  }

  async closed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await sleep(20);
    return this.ended;
  }
}

function parseResponses(text: string): { head: string; body: string }[] {
  const out: { head: string; body: string }[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const head = rest.slice(0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    if (Buffer.byteLength(body) < length) return out;
    out.push({ head, body });
    rest = rest.slice(end + 4 + length);
  }
}

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-shutdown-'));
  server = await ServerProcess.spawn({ DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'info' });
  await server.waitReady();
});
afterAll(async () => {
  await server?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('after SIGTERM: kept-alive connections are answered with Connection: close; a request still running at the end of the grace period gets a 503', async () => {
  // A kept-alive connection, idle when the signal comes.
  const idle = await Connection.open(server.port);
  idle.socket.write('GET /healthz HTTP/1.1\r\nHost: rollcall\r\n\r\n');
  const [first] = await idle.responses(1, 10_000);
  expect(first.head).toMatch(/^HTTP\/1\.1 200 /);
  expect(first.head.toLowerCase()).not.toContain('connection: close');

  // A second kept-alive connection, as a load balancer's health checks use.
  const probe = await Connection.open(server.port);
  probe.socket.write('GET /readyz HTTP/1.1\r\nHost: rollcall\r\n\r\n');
  const [ready] = await probe.responses(1, 10_000);
  expect(ready.head).toMatch(/^HTTP\/1\.1 200 /);

  // A request that will still be running when the grace period ends: its body never finishes arriving.
  const slow = await Connection.open(server.port);
  slow.socket.write('POST /graphql HTTP/1.1\r\nHost: rollcall\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":');
  await sleep(300);

  const signalled = Date.now();
  server.child.kill('SIGTERM');
  while (!server.stdout.includes('SIGTERM received') && Date.now() - signalled < 10_000) await sleep(20);
  expect(server.stdout).toContain('SIGTERM received');

  // The next request on the idle connection is answered, and the server closes the connection after it.
  idle.socket.write('GET /healthz HTTP/1.1\r\nHost: rollcall\r\n\r\n');
  const after = await idle.responses(2, 5_000);
  expect({ responses: after.length, error: idle.error?.message }).toEqual({ responses: 2, error: undefined });
  expect(after[1].head).toMatch(/^HTTP\/1\.1 200 /);
  expect(after[1].head.toLowerCase()).toContain('\r\nconnection: close');
  expect(await idle.closed(5_000)).toBe(true);

  // Readiness says the instance is going: 503 while it drains, so a balancer takes it out.
  probe.socket.write('GET /readyz HTTP/1.1\r\nHost: rollcall\r\n\r\n');
  const probed = await probe.responses(2, 5_000);
  expect(probed[1]?.head).toMatch(/^HTTP\/1\.1 503 /);
  expect(JSON.parse(probed[1].body)).toEqual({ status: 'draining' });

  // No new connections once the signal is handled.
  await expect(Connection.open(server.port)).rejects.toThrow(/ECONNREFUSED/);

  // The stalled request: answered 503 with Retry-After once the grace period is over, then its socket is closed.
  const [answer] = await slow.responses(1, GRACE_MS + 20_000);
  expect(answer?.head).toMatch(/^HTTP\/1\.1 503 /);
  expect(Date.now() - signalled).toBeGreaterThanOrEqual(GRACE_MS - 500);
  expect(answer.head.toLowerCase()).toMatch(/\r\nretry-after: \d+/);
  expect(answer.head.toLowerCase()).toContain('\r\nconnection: close');
  expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  expect(await slow.closed(5_000)).toBe(true);

  // The database closed, the process exits 0 (without a second signal).
  const exitBy = Date.now() + 15_000;
  while (server.alive && Date.now() < exitBy) await sleep(50);
  expect(server.exit).toEqual({ code: 0, signal: null });
  expect(server.stdout).toContain('answered 503');
}, 60_000);
