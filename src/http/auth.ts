import type { IncomingMessage } from 'node:http';

/**
 * The secret a client presents. Okta's "HTTP Header" mode and Entra send `Authorization: Bearer <token>`; Okta's
 * Basic auth mode sends `Basic base64(username:password)`, where Rollcall takes the password as the token (the
 * username is not checked). A bare `rc_...` token is accepted too. Anything else yields undefined.
 */
export function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || header.length > 2048) return undefined;
  const value = header.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(value);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    return password.length > 0 ? password : undefined;
  }
  if (/^rc_[a-z]+_\S+$/.test(value)) return value;
  return undefined;
}
