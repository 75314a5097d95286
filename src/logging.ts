import pino, { Logger } from 'pino';

export type { Logger };

/**
 * Token secrets start with these prefixes (src/services/token.service.ts). Nothing should ever log one; the last
 * line of defence rewrites any that slipped into a serialised line, before it is written.
 */
const TOKEN_SECRET = /\brc_(scim|admin|read)_[A-Za-z0-9_-]+/g;

/**
 * Where credentials would sit if anyone logged a request or its headers (nothing does: this is a safety net). Flat
 * paths only: wildcard paths cost several µs on every line.
 */
const REDACT_PATHS = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'secret',
  'token',
];

/**
 * Errors as `{ type, message, stack, code }`. TypeORM's QueryFailedError also carries `parameters` (tenant data such
 * as e-mail addresses) and `driverError`; neither belongs in a log.
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { code } = error as { code?: unknown };
  return {
    type: error.name,
    message: error.message,
    stack: error.stack,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(error.cause instanceof Error ? { cause: serializeError(error.cause) } : {}),
  };
}

/**
 * The one logger of the process: JSON lines on stdout (one object per line, ISO time, level as a word). Its level
 * follows LOG_LEVEL once the configuration is read (`setLogLevel`); until then it logs at info.
 */
export const logger: Logger = pino({
  level: 'info',
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  serializers: { err: serializeError },
  redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  hooks: { streamWrite: (line) => (line.includes('rc_') ? line.replace(TOKEN_SECRET, 'rc_$1_[redacted]') : line) },
});

export function setLogLevel(level: 'silent' | 'error' | 'warn' | 'info' | 'debug'): void {
  logger.level = level;
}
