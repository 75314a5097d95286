import { setImmediate as nextTurn } from 'node:timers/promises';
import { Batched } from '../src/services/coalesce';
import { RequestContext } from '../src/services/context';

/**
 * How Batched groups concurrent requests into statements. The statements themselves are tested on both databases
 * (test/scim-statements.test.ts); here `run` is a function the test holds open, so that the order of events (what
 * waits, what goes together, what runs at once) is decided by the test rather than by the machine's speed.
 */

const ctxOf = (tenantId: string): RequestContext => ({ tenantId, requestId: 'r', actor: { surface: 'scim', tokenId: null }, manager: {} } as unknown as RequestContext);

/** A run function whose statements stay open until the test releases them. */
function heldRuns() {
  const calls: { tenantId: string; items: number[]; release: (error?: Error) => void }[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const run = (ctx: RequestContext, items: readonly number[]) =>
    new Promise<(number | Error)[]>((resolve, reject) => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      calls.push({
        tenantId: ctx.tenantId,
        items: [...items],
        release: (error) => {
          running--;
          if (error) reject(error);
          else resolve(items.map((n) => (n < 0 ? new Error(`refused ${n}`) : n * 10)));
        },
      });
    });
  return { run, calls, mostAtOnce: () => mostAtOnce };
}

test('the requests of one turn share one statement, at most 64 to a statement; without a cap the statements run at once', async () => {
  const held = heldRuns();
  const batched = new Batched(held.run);
  const a = ctxOf('a');
  const answers = Promise.all(Array.from({ length: 70 }, (_, i) => batched.do(a, i)));
  await nextTurn();
  expect(held.calls.map((c) => c.items.length)).toEqual([64, 6]);
  held.calls.forEach((c) => c.release());
  expect(await answers).toEqual(Array.from({ length: 70 }, (_, i) => i * 10));
  expect(held.mostAtOnce()).toBe(2);
  expect(batched.activeTenants).toBe(0);
});

test('with one statement in flight, requests of later turns wait and then go together as the next statement', async () => {
  const held = heldRuns();
  const batched = new Batched(held.run, { inFlight: 1 });
  const a = ctxOf('a');
  const first = Promise.all([batched.do(a, 1), batched.do(a, 2), batched.do(a, 3)]);
  await nextTurn();
  expect(held.calls.map((c) => c.items)).toEqual([[1, 2, 3]]);

  // Five requests over three turns while the first statement runs: none starts a statement of its own.
  const later: Promise<number>[] = [];
  for (const turn of [[4, 5], [6], [7, 8]]) {
    later.push(...turn.map((n) => batched.do(a, n)));
    await nextTurn();
  }
  expect(held.calls).toHaveLength(1);

  // The waiting batch is sent before the first batch's requests are answered: the database is not left idle while
  // the server writes their responses.
  const statementsWhenAnswered = first.then(() => held.calls.length);
  held.calls[0].release();
  expect(await first).toEqual([10, 20, 30]);
  expect(await statementsWhenAnswered).toBe(2);
  expect(held.calls.map((c) => c.items)).toEqual([[1, 2, 3], [4, 5, 6, 7, 8]]);
  held.calls[1].release();
  expect(await Promise.all(later)).toEqual([40, 50, 60, 70, 80]);
  expect(held.mostAtOnce()).toBe(1);
  expect(batched.activeTenants).toBe(0);
});

test('one statement over the cap starts once enough requests wait, and never a third', async () => {
  const held = heldRuns();
  const batched = new Batched(held.run, { inFlight: 1, moreWhenWaiting: 3 });
  const a = ctxOf('a');
  const answers: Promise<number>[] = [batched.do(a, 1)];
  await nextTurn();
  // Two wait behind the first statement: too few for a second one.
  answers.push(batched.do(a, 2), batched.do(a, 3));
  await nextTurn();
  expect(held.calls.map((c) => c.items)).toEqual([[1]]);
  // A third makes a batch of its own, which starts beside the first.
  answers.push(batched.do(a, 4));
  await nextTurn();
  expect(held.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
  // With two under way, no number of waiting requests starts a third.
  answers.push(...[5, 6, 7, 8].map((n) => batched.do(a, n)));
  await nextTurn();
  expect(held.calls).toHaveLength(2);
  held.calls[0].release();
  await answers[0];
  expect(held.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5, 6, 7, 8]]);
  held.calls[1].release();
  held.calls[2].release();
  expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
  expect(held.mostAtOnce()).toBe(2);
  expect(batched.activeTenants).toBe(0);
});

test('the cap is per tenant: a tenant whose statement is under way holds back no other tenant', async () => {
  const held = heldRuns();
  const batched = new Batched(held.run, { inFlight: 1 });
  const importing = batched.do(ctxOf('a'), 1);
  await nextTurn();
  const waiting = batched.do(ctxOf('a'), 2);
  const other = batched.do(ctxOf('b'), 3);
  await nextTurn();
  expect(held.calls.map((c) => [c.tenantId, c.items])).toEqual([
    ['a', [1]],
    ['b', [3]],
  ]);
  held.calls[1].release();
  expect(await other).toBe(30);
  expect(held.calls).toHaveLength(2);
  held.calls[0].release();
  await importing;
  await nextTurn();
  held.calls[2].release();
  expect(await waiting).toBe(20);
  expect(batched.activeTenants).toBe(0);
});

test("a request's own error fails only it; a failed statement fails only its batch, and the next batch still runs", async () => {
  const held = heldRuns();
  const batched = new Batched(held.run, { inFlight: 1 });
  const a = ctxOf('a');
  const mixed = [batched.do(a, 1), batched.do(a, -2), batched.do(a, 3)].map((p) => p.then((n) => n, (e: Error) => e.message));
  await nextTurn();
  const next = [batched.do(a, 4), batched.do(a, 5)].map((p) => p.then((n) => n, (e: Error) => e.message));
  held.calls[0].release();
  expect(await Promise.all(mixed)).toEqual([10, 'refused -2', 30]);
  await nextTurn();
  held.calls[1].release(new Error('connection lost'));
  expect(await Promise.all(next)).toEqual(['connection lost', 'connection lost']);
  const after = batched.do(a, 6);
  await nextTurn();
  held.calls[2].release();
  expect(await after).toBe(60);
  expect(batched.activeTenants).toBe(0);
});

test("inside a transaction a request runs at once on the transaction's connection, whatever is under way", async () => {
  const held = heldRuns();
  const batched = new Batched(held.run, { inFlight: 1 });
  const outside = batched.do(ctxOf('a'), 1);
  await nextTurn();
  const tx = { ...ctxOf('a'), manager: { queryRunner: { isReleased: false } } } as unknown as RequestContext;
  const inside = batched.do(tx, 2);
  expect(held.calls.map((c) => c.items)).toEqual([[1], [2]]);
  held.calls[1].release();
  expect(await inside).toBe(20);
  held.calls[0].release();
  expect(await outside).toBe(10);
});
