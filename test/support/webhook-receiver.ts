import { createHmac } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One POST a webhook receiver got, with its Standard Webhooks headers. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: { id: string; type: string; timestamp: string; data: any };
}

/** A receiver that records every POST; `answer` decides the status (or 0: never answer). */
export class Receiver {
  readonly received: Received[] = [];
  answer = 200;
  private server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      this.received.push({
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        json: JSON.parse(body),
      });
      if (this.answer === 0) return; // hang
      res.writeHead(this.answer).end('ok');
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Delivered event ids in arrival order, each once (receivers de-duplicate by webhook-id). */
  unique(): Received[] {
    const seen = new Set<string>();
    return this.received.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
  }
}

/** Standard Webhooks verification, written from the specification: HMAC-SHA256 over `id.timestamp.body`. */
export function signedBy(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${r.id}.${r.timestamp}.${r.body}`).digest('base64');
  return r.signature.split(' ').includes(`v1,${expected}`);
}


/** Polls `probe` until it gives a value (not undefined or false). */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

