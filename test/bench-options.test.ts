import { BenchUsageError, parseBenchArgs } from '../bench/options';

describe('npm run bench: command line', () => {
  it('defaults to the onboarding scenario: 5,000 people, 16 concurrent, the undici client', () => {
    const o = parseBenchArgs([]);
    expect(o).toMatchObject({ scenario: 'onboarding', employees: 5000, concurrency: 16, client: 'undici', seconds: 8, reuseSeed: false });
  });

  it('keeps the seeded scenario at 100,000 employees and its flags', () => {
    const o = parseBenchArgs(['--scenario', 'seeded', '--group-members', '2000', '--groups', '50', '--team', '--only', 'get,lookup', '--no-references']);
    expect(o).toMatchObject({ scenario: 'seeded', employees: 100000, groupMembers: 2000, groups: 50, team: true, noReferences: true });
    expect([...o.only!]).toEqual(['get', 'lookup']);
    expect(parseBenchArgs(['--scenario', 'seeded', '--employees', '1000000']).employees).toBe(1000000);
  });

  it('takes the shared scenario with its other tenant and template reuse, and node:http', () => {
    const o = parseBenchArgs(['--scenario', 'shared', '--other-employees', '20000', '--reuse-seed', '--client', 'node-http', '--seconds', '2.5']);
    expect(o).toMatchObject({ scenario: 'shared', employees: 5000, otherEmployees: 20000, reuseSeed: true, client: 'node-http', seconds: 2.5 });
    expect(parseBenchArgs(['--client', 'undici']).client).toBe('undici');
  });

  it('subscribes webhook endpoints when asked (issue 18 cost), none by default', () => {
    expect(parseBenchArgs([]).webhooks).toBe(0);
    expect(parseBenchArgs([]).oktaFirst).toBe(0);
    expect(parseBenchArgs(['--okta-first', '48']).oktaFirst).toBe(48);
    expect(() => parseBenchArgs(['--okta-first', 'some'])).toThrow(BenchUsageError);
    expect(parseBenchArgs(['--webhooks', '10']).webhooks).toBe(10);
    expect(() => parseBenchArgs(['--webhooks', 'many'])).toThrow(BenchUsageError);
  });

  it('runs open loop at a fixed rate when asked (issue 18 budget), closed loop by default', () => {
    expect(parseBenchArgs([]).rate).toBeUndefined();
    expect(parseBenchArgs(['--rate', '300', '--no-references']).rate).toBe(300);
    expect(parseBenchArgs(['--rate', '12.5', '--no-references', '--client', 'node-http'])).toMatchObject({ rate: 12.5, client: 'node-http' });
    for (const bad of ['0', '-5', 'fast', 'Infinity']) expect(() => parseBenchArgs([`--rate=${bad}`, '--no-references'])).toThrow(BenchUsageError);
    // The references measure closed-loop capacity.
    expect(() => parseBenchArgs(['--rate', '300'])).toThrow(BenchUsageError);
  });

  it('refuses what it cannot run', () => {
    expect(() => parseBenchArgs(['--scenario', 'vacuumed'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--client', 'fetch'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--employees', '0'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--reuse-seed'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--scenario', 'shared', '--embedded'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--unknown'])).toThrow();
  });
});
