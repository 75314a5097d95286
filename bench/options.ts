import { parseArgs } from 'node:util';

/**
 * The bench's command line (`npm run bench -- …`), parsed without side effects so that a test can check it
 * (test/bench-options.test.ts). See docs/benchmarks.md for what each scenario does.
 */
export type Scenario = 'onboarding' | 'shared' | 'seeded';
export type ClientKind = 'undici' | 'node-http';

export const SCENARIOS: readonly Scenario[] = ['onboarding', 'shared', 'seeded'];
export const CLIENTS: readonly ClientKind[] = ['undici', 'node-http'];

export interface BenchOptions {
  scenario: Scenario;
  /** The measured tenant's people: created over SCIM (onboarding, shared) or seeded by SQL (seeded). */
  employees: number;
  /** shared: the rows another, analyzed tenant already holds. */
  otherEmployees: number;
  /** shared: keep the seeded other tenant in a template database and copy it on later runs. */
  reuseSeed: boolean;
  client: ClientKind;
  concurrency: number;
  /**
   * Open loop: every measured phase starts this many requests a second on schedule, whether or not earlier ones have
   * answered, and times each from its scheduled start. Undefined: closed loop, `concurrency` requests in flight.
   */
  rate?: number;
  seconds: number;
  groupMembers: number;
  groups: number;
  embedded: boolean;
  keep: boolean;
  noReferences: boolean;
  team: boolean;
  /**
   * onboarding and shared: before the import, this many people provisioned step by step as Okta provisions a new app
   * (a userName lookup, the create, a get, an externalId lookup, a PUT, a deactivation; each step for all of them at
   * the bench's concurrency), so that every pool connection plans those statements while the tenant is nearly empty.
   */
  oktaFirst: number;
  poolSize: number;
  workers?: string;
  only?: Set<string>;
  cpuProf?: string;
  nodeFlags?: string;
  /** Log the plans of statements slower than this many ms to the PostgreSQL server log (auto_explain). */
  autoExplainMs?: number;
  /** Webhook endpoints subscribed to every event, all delivering to a receiver in the bench process (issue 18). */
  webhooks: number;
}

export class BenchUsageError extends Error {}

function positiveInteger(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new BenchUsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

function positiveNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new BenchUsageError(`--${name} must be a number > 0, got "${value}"`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      // onboarding (default): a fresh tenant's people created over SCIM, then the other phases at once, no ANALYZE.
      // shared: the same for a new tenant of a database where another tenant holds --other-employees analyzed rows.
      // seeded: the tenant seeded by SQL and vacuumed (the scenario of sessions 9-15).
      scenario: { type: 'string', default: 'onboarding' },
      // Default 5,000 (onboarding, shared) or 100,000 (seeded).
      employees: { type: 'string' },
      'other-employees': { type: 'string', default: '1000000' },
      'reuse-seed': { type: 'boolean', default: false },
      client: { type: 'string', default: 'undici' },
      concurrency: { type: 'string', default: '16' },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '8' },
      'group-members': { type: 'string', default: '50000' },
      groups: { type: 'string', default: '1000' },
      embedded: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'no-references': { type: 'boolean', default: false },
      // The tenant imports team names, and every create and PUT names one (an Okta profile mapping team).
      team: { type: 'boolean', default: false },
      'pool-size': { type: 'string', default: '16' },
      workers: { type: 'string' },
      only: { type: 'string' },
      // Write a V8 CPU profile of the server to this folder (open it in Chrome DevTools or speedscope).
      'cpu-prof': { type: 'string' },
      // Extra Node options for the server only (not the load client), e.g. --node-flags=--max-semi-space-size=32.
      'node-flags': { type: 'string' },
      'auto-explain': { type: 'string' },
      webhooks: { type: 'string', default: '0' },
      // onboarding, shared: before the import, N people provisioned as Okta provisions a new app, person by person.
      'okta-first': { type: 'string', default: '0' },
    },
  });
  const scenario = args.scenario as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new BenchUsageError(`--scenario must be one of ${SCENARIOS.join(', ')}, got "${args.scenario}"`);
  const client = args.client as ClientKind;
  if (!CLIENTS.includes(client)) throw new BenchUsageError(`--client must be one of ${CLIENTS.join(', ')}, got "${args.client}"`);
  const employees = positiveInteger('employees', args.employees ?? (scenario === 'seeded' ? '100000' : '5000'));
  if (scenario === 'shared' && args.embedded) throw new BenchUsageError('--scenario shared needs PostgreSQL (DATABASE_URL), not --embedded');
  if (args['reuse-seed'] && scenario !== 'shared') throw new BenchUsageError('--reuse-seed applies to --scenario shared only');
  const rate = args.rate === undefined ? undefined : positiveNumber('rate', args.rate);
  // The references measure how much a closed loop gets through (ceiling req/s, Rollcall/ceiling): beside a fixed rate
  // their columns would compare an offered load with a capacity.
  if (rate !== undefined && !args['no-references']) throw new BenchUsageError('--rate needs --no-references (the references measure closed-loop capacity)');
  return {
    scenario,
    employees,
    otherEmployees: positiveInteger('other-employees', args['other-employees']),
    reuseSeed: args['reuse-seed'],
    client,
    concurrency: positiveInteger('concurrency', args.concurrency),
    rate,
    seconds: positiveNumber('seconds', args.seconds),
    groupMembers: Math.min(positiveInteger('group-members', args['group-members'], 0), employees),
    groups: positiveInteger('groups', args.groups, 0),
    embedded: args.embedded,
    keep: args.keep,
    noReferences: args['no-references'],
    team: args.team,
    poolSize: positiveInteger('pool-size', args['pool-size']),
    workers: args.workers,
    only: args.only ? new Set(args.only.split(',').map((s) => s.trim()).filter(Boolean)) : undefined,
    cpuProf: args['cpu-prof'],
    nodeFlags: args['node-flags'],
    oktaFirst: positiveInteger('okta-first', args['okta-first'], 0),
    autoExplainMs: args['auto-explain'] === undefined ? undefined : positiveInteger('auto-explain', args['auto-explain'], 0),
    webhooks: positiveInteger('webhooks', args.webhooks, 0),
  };
}
