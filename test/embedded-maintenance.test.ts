import { EmbeddedMaintenance } from '../src/db/embedded-maintenance';
import { eventService } from '../src/services/event.service';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * The embedded database has no autovacuum; the server vacuums and analyzes it when it changed (src/db/
 * embedded-maintenance.ts). On PostgreSQL the WAL position is the whole cluster's (other test files move it), and
 * autovacuum does this job, so this runs in the embedded pass.
 */
const reason = process.env.DATABASE_URL ? ' (skipped: the embedded database only; DATABASE_URL is set)' : '';
(reason ? describe.skip : describe)(`embedded database maintenance${reason}`, () => {
  let h: Harness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await Harness.start();
    t = await h.tenant('maintenance');
  });
  afterAll(async () => h?.close());

  const stats = async () =>
    (
      await h.dataSource.query(
        `SELECT last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
           FROM pg_stat_user_tables WHERE relname = 'employees'`,
      )
    )[0];

  test('vacuums and analyzes once the database changed, and not again until it changes', async () => {
    const maintenance = new EmbeddedMaintenance(h.dataSource, 60_000);
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('vacuumed@example.com'));
    expect(created.status).toBe(201);
    await h.scim('PATCH', `/Users/${created.body.id}`, t.tokens.scim, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    await h.app.provisioningLog.flush();
    // The change feed numbers these changes' events in the background, itself a change: done now, before the runs.
    await eventService.sequence(h.dataSource.manager, t.tenant.id);

    expect(await stats()).toEqual({ vacuumed: false, analyzed: false });
    // Two callers at once share one run.
    const [first, second] = await Promise.all([maintenance.runIfChanged(), maintenance.runIfChanged()]);
    expect([first, second]).toEqual([true, true]);
    expect(await stats()).toEqual({ vacuumed: true, analyzed: true });

    expect(await maintenance.runIfChanged()).toBe(false);
    await h.scim('PATCH', `/Users/${created.body.id}`, t.tokens.scim, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: true } }],
    });
    await h.app.provisioningLog.flush();
    expect(await maintenance.runIfChanged()).toBe(true);
    await maintenance.stop();
  });

  test('runs with 32 MB of shared buffers, set at every start (its memory is this process\'s)', async () => {
    expect(await h.dataSource.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '32MB' }]);
  });
});
