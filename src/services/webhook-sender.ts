import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { WebhookSigningSecret } from '../entities/webhook-endpoint.entity';
import { guardedLookup, sendCheck } from './webhook-url';

/** An event as a webhook carries it. */
export interface WebhookEvent {
  id: string;
  seq: string;
  type: string;
  occurredAt: Date;
  actorSurface: string;
  actorTokenName: string | null;
  /** The event's payload as JSON text (jsonb as PostgreSQL prints it): spliced into the body, never parsed. */
  dataJson: string;
}

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  /** Why it failed, for the delivery log; null on success. Never the receiver's body. */
  error: string | null;
  latencyMs: number;
}

/** A receiver that does not answer within this time is cut off: it never holds a dispatcher. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** At most this much of a receiver's answer is read (and then thrown away). */
const MAX_ANSWER_BYTES = 64 * 1024;
const USER_AGENT = 'Rollcall-Webhooks/1.0';

// Keep-alive connections per receiver, so that a run of deliveries to one endpoint does not pay a handshake each.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 4, lookup: guardedLookup as never }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 4, lookup: guardedLookup as never }),
};

/**
 * The body of a delivery, as Standard Webhooks shapes it: `{id, type, timestamp, data}`. `data` holds the event's
 * payload (the resource after the change, the changes, the member ids: docs/events.md) with its sequence and actor.
 */
export function webhookBody(event: WebhookEvent): string {
  // Built as text around the stored payload: a delivery costs no JSON parse and re-serialization of the resource.
  const head = `{"sequence":${Number(event.seq)},"actor":${JSON.stringify({ surface: event.actorSurface, tokenName: event.actorTokenName })}`;
  const rest = event.dataJson.trim();
  const data = rest === '{}' ? `${head}}` : `${head},${rest.slice(1)}`;
  return `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(event.occurredAt.toISOString())},"data":${data}}`;
}

const signers = new Map<string, Webhook>();

/** The library's signer of a secret, kept (it decodes the key once); bounded by the endpoints' secrets in use. */
function signer(secret: string): Webhook {
  let found = signers.get(secret);
  if (!found) {
    if (signers.size >= 1_000) signers.clear();
    found = new Webhook(secret);
    signers.set(secret, found);
  }
  return found;
}

/** `webhook-signature`: one `v1,<base64>` per secret still signing (two during a rotation), space separated. */
export function webhookSignature(secrets: readonly WebhookSigningSecret[], id: string, timestamp: Date, body: string, now = new Date()): string {
  return secrets
    .filter((s) => s.expiresAt === null || new Date(s.expiresAt) > now)
    .map((s) => signer(s.secret).sign(id, timestamp, body))
    .join(' ');
}

/** Sends one event to one URL, signed; resolves (never rejects) with what happened. */
export function sendWebhook(
  target: string,
  secrets: readonly WebhookSigningSecret[],
  event: WebhookEvent,
  timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS,
): Promise<SendResult> {
  const started = performance.now();
  const result = (ok: boolean, statusCode: number | null, error: string | null): SendResult => ({
    ok,
    statusCode,
    error,
    latencyMs: Math.round(performance.now() - started),
  });
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return Promise.resolve(result(false, null, 'the URL is not valid'));
  }
  const refused = sendCheck(url);
  if (refused) return Promise.resolve(result(false, null, `refused: ${refused}`));
  const body = webhookBody(event);
  // The send time, as the specification asks (a receiver refuses old timestamps to stop replays).
  const timestamp = new Date();
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'user-agent': USER_AGENT,
    'webhook-id': event.id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': webhookSignature(secrets, event.id, timestamp, body),
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const request = transport.request(url, { method: 'POST', headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) response.destroy();
      });
      const done = () => {
        const status = response.statusCode ?? null;
        const ok = status !== null && status >= 200 && status < 300;
        settle(result(ok, status, ok ? null : `answered HTTP ${status}`));
      };
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    // The whole exchange, not just the connection, is bounded.
    const timer = setTimeout(() => {
      request.destroy();
      settle(result(false, null, `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EWEBHOOKADDRESS' ? `refused: ${error.message}` : `${error.code ?? 'error'}: ${error.message}`;
      settle(result(false, null, why.slice(0, 300)));
    });
    request.end(body);
  });
}
