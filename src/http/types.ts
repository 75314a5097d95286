import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging';

/**
 * A request as the app-wide steps (request id, access log, metrics) see it. SCIM requests are plain Node requests
 * routed by `router` (see src/scim/router.ts), the others Express requests: both have these properties.
 */
export interface HttpRequest extends IncomingMessage {
  /** Always set on a server's requests (Node types them optional for client responses). */
  method: string;
  url: string;
  requestId: string;
  /** This request's logger: every line it writes carries `requestId`. */
  log: Logger;
  /** The tenant of the token, once a surface has authenticated the request (for the access log). */
  tenantId?: string;
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

export type HttpResponse = ServerResponse;
