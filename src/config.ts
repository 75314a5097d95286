import path from 'node:path';

/**
 * Every start-up variable is read and validated here, once. A bad value stops start-up with a message that names the
 * variable, so a container that is misconfigured fails fast instead of serving with a surprising default.
 */
export interface Config {
  host: string;
  port: number;
  /** PostgreSQL connection string; undefined means the embedded database. */
  databaseUrl: string | undefined;
  /** Where the embedded database keeps its files. */
  dataDir: string;
  /** Connections in the `pg` pool (PostgreSQL only: the embedded database takes one). */
  dbPoolSize: number;
  nodeEnv: string;
  isProduction: boolean;
  /** Public base URL used in SCIM `Location` headers and printed curls; derived from host and port when unset. */
  publicUrl: string;
  bootstrap: {
    tenant: string | undefined;
    scimToken: string | undefined;
    adminToken: string | undefined;
  };
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** Serve Apollo Sandbox at GET /graphql (default: on outside production). */
  graphqlSandbox: boolean;
  /** Answer introspection queries (default: on outside production). */
  graphqlIntrospection: boolean;
  /** Server processes sharing the port (node:cluster); more than one needs DATABASE_URL. */
  workers: number;
  /** Per-token request rate (RATE_LIMIT_PER_SECOND, 0 = off) and burst (RATE_LIMIT_BURST). */
  rateLimit: { perSecond: number; burst: number };
  /** GET /metrics on the main port (METRICS_ENABLED), readable only with METRICS_TOKEN as a bearer token when it is set. */
  metrics: { enabled: boolean; token: string | undefined };
  /** WEBHOOK_ALLOW_INSECURE_HOSTS: hosts webhooks may reach over plain http and at private addresses (development, tests). */
  webhookAllowInsecureHosts: string[];
  /**
   * WEBHOOK_DISPATCHER: where webhooks are sent from, `inline` (the server's event loop) or `worker` (a thread of its
   * own); unset chooses by database: a worker on PostgreSQL, inline on the embedded database.
   */
  webhookDispatcher: 'inline' | 'worker' | undefined;
  /**
   * SERVER_NICE: the nice value each serving process gives its event-loop thread, or 'off' to leave it. The default,
   * `auto`, is -10 when the database runs on this machine and 'off' otherwise (src/priority.ts says why).
   */
  serverNice: number | 'off';
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Bootstrap tokens are chosen by the operator; require enough length to carry at least 128 bits of randomness. */
export const MIN_BOOTSTRAP_TOKEN_LENGTH = 32;

/** A scrape secret sits in Prometheus' configuration; 16 characters is enough to make guessing it pointless. */
export const MIN_METRICS_TOKEN_LENGTH = 16;

type Env = Record<string, string | undefined>;

/** SERVER_NICE=auto with the database on this machine (see src/priority.ts). */
export const LOCAL_DATABASE_NICE = -10;

/**
 * Whether a DATABASE_URL names a server on this machine: localhost, a loopback address, or a Unix socket (an empty
 * host, a percent-encoded path as host, or a `host=/path` parameter). Another name of this machine counts as remote.
 */
export function isLocalDatabase(url: URL): boolean {
  const socket = url.searchParams.get('host');
  if (socket !== null) return socket.startsWith('/');
  const host = url.hostname.toLowerCase();
  return host === '' || host.startsWith('%2f') || host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

function bootstrapToken(env: Env, name: string): string | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  if (value.length < MIN_BOOTSTRAP_TOKEN_LENGTH) {
    throw new ConfigError(name, `must be at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters long`);
  }
  if (!/^[\x21-\x7e]+$/.test(value)) throw new ConfigError(name, 'must be printable ASCII without spaces');
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const host = nonEmpty(env, 'HOST') ?? '127.0.0.1';
  const port = integer(env, 'PORT', 3000, 0, 65535);

  const databaseUrl = nonEmpty(env, 'DATABASE_URL');
  if (databaseUrl !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(databaseUrl);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgres://user@host:port/database)');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new ConfigError('DATABASE_URL', `must start with postgres:// or postgresql://, got "${parsed.protocol}//"`);
    }
  }

  const nodeEnv = nonEmpty(env, 'NODE_ENV') ?? 'development';
  const logLevel = (nonEmpty(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info')) as Config['logLevel'];
  if (!['silent', 'error', 'warn', 'info', 'debug'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of silent, error, warn, info, debug, got "${logLevel}"`);
  }

  const publicUrlRaw = nonEmpty(env, 'PUBLIC_URL');
  let publicUrl: string;
  if (publicUrlRaw !== undefined) {
    try {
      const u = new URL(publicUrlRaw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new ConfigError('PUBLIC_URL', `must be an http(s) URL, got "${publicUrlRaw}"`);
    }
    publicUrl = publicUrlRaw.replace(/\/+$/, '');
  } else {
    const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    publicUrl = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  }

  const tenant = nonEmpty(env, 'ROLLCALL_BOOTSTRAP_TENANT');
  if (tenant !== undefined && !SLUG_PATTERN.test(tenant)) {
    throw new ConfigError(
      'ROLLCALL_BOOTSTRAP_TENANT',
      `must be a slug (lower-case letters, digits and inner hyphens, at most 63 characters), got "${tenant}"`,
    );
  }
  const scimToken = bootstrapToken(env, 'ROLLCALL_BOOTSTRAP_SCIM_TOKEN');
  const adminToken = bootstrapToken(env, 'ROLLCALL_BOOTSTRAP_ADMIN_TOKEN');
  if ((scimToken !== undefined || adminToken !== undefined) && tenant === undefined) {
    throw new ConfigError(
      'ROLLCALL_BOOTSTRAP_TENANT',
      'must be set when ROLLCALL_BOOTSTRAP_SCIM_TOKEN or ROLLCALL_BOOTSTRAP_ADMIN_TOKEN is set',
    );
  }
  if (scimToken !== undefined && scimToken === adminToken) {
    throw new ConfigError('ROLLCALL_BOOTSTRAP_ADMIN_TOKEN', 'must differ from ROLLCALL_BOOTSTRAP_SCIM_TOKEN');
  }

  const workers = integer(env, 'WEB_CONCURRENCY', 1, 1, 32);
  if (workers > 1 && databaseUrl === undefined) {
    throw new ConfigError('WEB_CONCURRENCY', 'above 1 needs DATABASE_URL: the embedded database belongs to one process');
  }

  const metricsEnabled = boolean(env, 'METRICS_ENABLED', true);
  const metricsToken = nonEmpty(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined) {
    if (!metricsEnabled) throw new ConfigError('METRICS_TOKEN', 'is set but METRICS_ENABLED is false: unset one of them');
    if (metricsToken.length < MIN_METRICS_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(metricsToken)) {
      throw new ConfigError('METRICS_TOKEN', `must be at least ${MIN_METRICS_TOKEN_LENGTH} printable ASCII characters without spaces`);
    }
  }

  const insecureHosts = (nonEmpty(env, 'WEBHOOK_ALLOW_INSECURE_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const badHost = insecureHosts.find((h) => !/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/.test(h));
  if (badHost !== undefined) {
    throw new ConfigError('WEBHOOK_ALLOW_INSECURE_HOSTS', `must be a comma-separated list of host names or IP addresses, got "${badHost}"`);
  }

  const webhookDispatcher = nonEmpty(env, 'WEBHOOK_DISPATCHER')?.toLowerCase();
  if (webhookDispatcher !== undefined && webhookDispatcher !== 'inline' && webhookDispatcher !== 'worker') {
    throw new ConfigError('WEBHOOK_DISPATCHER', `must be inline or worker, got "${env.WEBHOOK_DISPATCHER}"`);
  }
  if (webhookDispatcher === 'worker' && databaseUrl === undefined) {
    // The embedded database serves one connection at a time: a thread's pool of its own cannot share it.
    throw new ConfigError('WEBHOOK_DISPATCHER', 'worker needs DATABASE_URL: the embedded database serves one connection');
  }

  const niceRaw = nonEmpty(env, 'SERVER_NICE')?.toLowerCase() ?? 'auto';
  let serverNice: number | 'off';
  if (niceRaw === 'auto') serverNice = databaseUrl === undefined || isLocalDatabase(new URL(databaseUrl)) ? LOCAL_DATABASE_NICE : 'off';
  else if (niceRaw === 'off') serverNice = 'off';
  else if (/^[+-]?\d+$/.test(niceRaw) && Number(niceRaw) >= -20 && Number(niceRaw) <= 19) serverNice = Number(niceRaw);
  else throw new ConfigError('SERVER_NICE', `must be auto, off or a nice value from -20 to 19, got "${env.SERVER_NICE}"`);

  return {
    host,
    port,
    databaseUrl,
    dataDir: path.resolve(nonEmpty(env, 'DATA_DIR') ?? './data'),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 200),
    nodeEnv,
    isProduction: nodeEnv === 'production',
    publicUrl,
    bootstrap: { tenant, scimToken, adminToken },
    logLevel,
    workers,
    rateLimit: {
      perSecond: integer(env, 'RATE_LIMIT_PER_SECOND', 1000, 0, 1_000_000),
      burst: integer(env, 'RATE_LIMIT_BURST', 2000, 1, 1_000_000),
    },
    metrics: { enabled: metricsEnabled, token: metricsToken },
    webhookAllowInsecureHosts: insecureHosts,
    webhookDispatcher,
    serverNice,
    graphqlSandbox: boolean(env, 'GRAPHQL_SANDBOX', nodeEnv !== 'production'),
    graphqlIntrospection: boolean(env, 'GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
  };
}
