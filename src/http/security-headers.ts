import type { ServerResponse } from 'node:http';

/**
 * Headers every answer carries, whatever answers it (SCIM, GraphQL, the admin console, probes, metrics, 404s, body
 * refusals; client-errors.ts writes the same on the raw socket): no browser may guess another type than the one given.
 */
export function baseSecurityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/**
 * No page of Rollcall may be shown inside another site's frame (clickjacking): the Apollo Sandbox page at GET /graphql
 * and the admin console (which sets them within its fuller policy). X-Frame-Options is for browsers without CSP 2.
 */
export const NO_FRAMING_CSP = "frame-ancestors 'none'";

export function noFramingHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', NO_FRAMING_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
}
