import type { Request } from 'express';

/**
 * The secret from `Authorization: Bearer <token>`. Okta's "HTTP Header" mode sends exactly this; some clients send
 * the bare token, which is accepted too. Anything else (Basic, garbage) yields undefined.
 */
export function presentedToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  if (match) return match[1];
  if (/^rc_[a-z]+_\S+$/.test(value)) return value;
  return undefined;
}
