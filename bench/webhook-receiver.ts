import http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * The bench's webhook receiver (--webhooks N): answers every delivery 204 and records, per delivery, how long after
 * the event's time (its transaction's start, just before the commit) it arrived. It runs in the bench process, beside
 * the load client: its CPU counts as the client's.
 */
export class BenchReceiver {
  readonly latenciesMs: number[] = [];
  private readonly ids = new Set<string>();
  duplicates = 0;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrived = Date.now();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
        const key = `${req.url} ${String(req.headers['webhook-id'])}`;
        if (this.ids.has(key)) this.duplicates++;
        else {
          this.ids.add(key);
          this.latenciesMs.push(arrived - new Date(body.timestamp).getTime());
        }
      } catch {
        /* counted as missing */
      }
      res.writeHead(204).end();
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get received(): number {
    return this.ids.size;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
