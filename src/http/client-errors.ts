import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { logger } from '../logging';
import { scimErrorBody } from '../scim/errors';

/**
 * Requests Node's HTTP parser refuses never reach Express (an over-long URL such as a 20 KB filter, oversized
 * headers, malformed request lines). IdPs still need a body they can parse, so answer with a SCIM error.
 */
export function answerClientErrors(server: http.Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = tooLarge ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    const detail = tooLarge
      ? 'The request line or headers are too large (over 16 KB): shorten the URL (e.g. the filter) or the headers.'
      : 'The HTTP request could not be parsed.';
    // No request was parsed, so no caller id either: a fresh one, answered and logged like any other.
    const requestId = randomUUID();
    const body = JSON.stringify({ ...scimErrorBody(status, detail, tooLarge ? 'tooMany' : 'invalidSyntax'), requestId });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
    logger.info({ requestId, status, route: 'unparsed', code: error.code }, 'request');
  });
}
