import { ConfigError, loadConfig } from '../src/config';

/** A bad start-up value stops start-up with a message naming the variable. */
test.each([
  [{ PORT: 'abc' }, 'PORT'],
  [{ PORT: '70000' }, 'PORT'],
  [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
  [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
  [{ DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE'],
  [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  [{ WEB_CONCURRENCY: '2' }, 'WEB_CONCURRENCY'],
  [{ WEB_CONCURRENCY: '0', DATABASE_URL: 'postgres://x@localhost/db' }, 'WEB_CONCURRENCY'],
  [{ GRAPHQL_SANDBOX: 'maybe' }, 'GRAPHQL_SANDBOX'],
  [{ METRICS_ENABLED: 'maybe' }, 'METRICS_ENABLED'],
  [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
  [{ METRICS_TOKEN: 'has spaces in the middle of it' }, 'METRICS_TOKEN'],
  [{ METRICS_TOKEN: 'x'.repeat(16), METRICS_ENABLED: 'false' }, 'METRICS_TOKEN'],
  [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
  [{ WEBHOOK_ALLOW_INSECURE_HOSTS: 'http://localhost:3000' }, 'WEBHOOK_ALLOW_INSECURE_HOSTS'],
  [{ WEBHOOK_ALLOW_INSECURE_HOSTS: 'localhost, evil host' }, 'WEBHOOK_ALLOW_INSECURE_HOSTS'],
  [{ WEBHOOK_DISPATCHER: 'thread' }, 'WEBHOOK_DISPATCHER'],
  [{ WEBHOOK_DISPATCHER: 'worker' }, 'WEBHOOK_DISPATCHER'],
  [{ SERVER_NICE: 'high' }, 'SERVER_NICE'],
  [{ SERVER_NICE: '-21' }, 'SERVER_NICE'],
  [{ SERVER_NICE: '20' }, 'SERVER_NICE'],
  [{ SERVER_NICE: '1.5' }, 'SERVER_NICE'],
  [{ ROLLCALL_BOOTSTRAP_TENANT: 'Not A Slug' }, 'ROLLCALL_BOOTSTRAP_TENANT'],
  [{ ROLLCALL_BOOTSTRAP_TENANT: 'acme', ROLLCALL_BOOTSTRAP_SCIM_TOKEN: 'short' }, 'ROLLCALL_BOOTSTRAP_SCIM_TOKEN'],
  [{ ROLLCALL_BOOTSTRAP_SCIM_TOKEN: 'x'.repeat(40) }, 'ROLLCALL_BOOTSTRAP_TENANT'],
  [
    { ROLLCALL_BOOTSTRAP_TENANT: 'acme', ROLLCALL_BOOTSTRAP_SCIM_TOKEN: 'x'.repeat(40), ROLLCALL_BOOTSTRAP_ADMIN_TOKEN: 'x'.repeat(40) },
    'ROLLCALL_BOOTSTRAP_ADMIN_TOKEN',
  ],
])('%j is refused naming %s', (env, variable) => {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).variable).toBe(variable);
  expect((error as Error).message).toContain(variable);
});

test('defaults', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, databaseUrl: undefined, dbPoolSize: 10 });
  expect(config.dataDir).toMatch(/\/data$/);
  expect(config.publicUrl).toBe('http://127.0.0.1:3000');
  expect(config.metrics).toEqual({ enabled: true, token: undefined });
  expect(config.logLevel).toBe('info');
});

test('metrics and log level settings', () => {
  expect(loadConfig({ METRICS_ENABLED: 'false' }).metrics).toEqual({ enabled: false, token: undefined });
  expect(loadConfig({ METRICS_TOKEN: 'scrape-secret-0123456789' }).metrics).toEqual({ enabled: true, token: 'scrape-secret-0123456789' });
  for (const level of ['silent', 'error', 'warn', 'info', 'debug']) expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  expect(loadConfig({ NODE_ENV: 'test' }).logLevel).toBe('silent');
});

test('where webhooks are sent from: chosen by the database unless WEBHOOK_DISPATCHER says', () => {
  expect(loadConfig({}).webhookDispatcher).toBeUndefined();
  expect(loadConfig({ WEBHOOK_DISPATCHER: 'inline' }).webhookDispatcher).toBe('inline');
  expect(loadConfig({ WEBHOOK_DISPATCHER: 'Worker', DATABASE_URL: 'postgres://db/rollcall' }).webhookDispatcher).toBe('worker');
});

test('webhook hosts allowed plain http and private addresses: none by default, a comma list', () => {
  expect(loadConfig({}).webhookAllowInsecureHosts).toEqual([]);
  expect(loadConfig({ WEBHOOK_ALLOW_INSECURE_HOSTS: ' 127.0.0.1, localhost ,[::1],receiver.internal' }).webhookAllowInsecureHosts).toEqual([
    '127.0.0.1',
    'localhost',
    '[::1]',
    'receiver.internal',
  ]);
});

test('SERVER_NICE: the event loop at nice -10 by default when the database runs on this machine, left alone otherwise', () => {
  expect(loadConfig({}).serverNice).toBe(-10);
  for (const url of [
    'postgres://postgres@127.0.0.1:5432/rollcall',
    'postgres://postgres@127.0.0.2/rollcall',
    'postgresql://localhost/rollcall',
    'postgres://u@[::1]:5432/rollcall',
    'postgres://u@%2Fvar%2Frun%2Fpostgresql/rollcall',
    'postgres:///rollcall',
    'postgres://u@ignored/rollcall?host=/var/run/postgresql',
  ]) {
    expect([url, loadConfig({ DATABASE_URL: url }).serverNice]).toEqual([url, -10]);
  }
  for (const url of ['postgres://u@db.internal:5432/rollcall', 'postgres://u@10.0.0.5/rollcall', 'postgres://u@128.0.0.1/rollcall', 'postgres://u@localhost.example.com/r']) {
    expect([url, loadConfig({ DATABASE_URL: url }).serverNice]).toEqual([url, 'off']);
  }
  expect(loadConfig({ SERVER_NICE: 'off' }).serverNice).toBe('off');
  expect(loadConfig({ SERVER_NICE: 'AUTO', DATABASE_URL: 'postgres://db/r' }).serverNice).toBe('off');
  expect(loadConfig({ SERVER_NICE: '-5', DATABASE_URL: 'postgres://db/r' }).serverNice).toBe(-5);
  expect(loadConfig({ SERVER_NICE: '+19' }).serverNice).toBe(19);
  expect(loadConfig({ SERVER_NICE: '-20' }).serverNice).toBe(-20);
});
