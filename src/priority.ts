import os from 'node:os';
import { logger } from './logging';

/**
 * Gives the event-loop thread of a serving process the nice value SERVER_NICE asks for (src/config.ts).
 *
 * Why: every request of a process passes through its one event-loop thread. On a machine it shares with PostgreSQL,
 * each statement the server sends and each response it writes wakes another process (a database backend, the client),
 * and the scheduler often gave that process the core at once: the event loop then waited, runnable, with every
 * request behind it. Measured on the onboarding bench on 2 cores (docs/benchmarks.md, "Session 26"): at nice -10 the
 * event loop's delay fell from 1.7-2.8 ms to 1.3-1.7 ms on average (p90 3.4-6.1 to 2.1-3.0 ms), and creates and PUTs
 * went 8 % and 11 % further on the same CPU. The database still has every other core; the event loop can only ever
 * use one.
 *
 * On Linux a nice value belongs to a thread: this sets the calling thread's, the event loop's. Threads started before
 * (V8's) keep theirs; threads started later (libuv's pool, the webhook thread) take the event loop's. Lowering a nice
 * value needs root or CAP_SYS_NICE: without them the process serves at the nice value it was started with, and says so
 * once.
 */
export function applyServerNice(nice: number | 'off'): void {
  if (nice === 'off') return;
  const before = os.getPriority();
  if (before === nice) return;
  try {
    os.setPriority(nice);
    logger.info({ nice, before }, `event loop at nice ${nice} (SERVER_NICE)`);
  } catch (error) {
    logger.info(
      { nice, before, code: (error as { code?: string }).code },
      `event loop stays at nice ${before}: setting ${nice} needs root or CAP_SYS_NICE (SERVER_NICE=off skips this)`,
    );
  }
}
