import { DataSource, EntityManager } from 'typeorm';
import { ProvisioningEvent } from '../entities';
import { logger } from '../logging';
import { ProvisioningOutcome, ProvisioningWarning } from '../entities/provisioning-event.entity';
import { LogPosition, newestFirstPage } from './audit.service';
import { RequestContext } from './context';
import { asDatabaseUnavailable } from './errors';
import { SEARCH_DOCUMENT, SEARCH_FOLD, SEARCH_TENANT } from './employee/types';
import { likePattern } from './query-compiler';
import * as sql from './sql';
import { usernameKey } from './username-key';
import { isUuid } from './validation';

export interface ProvisioningRecord {
  tenantId: string;
  /** When the request finished (the batch insert happens later). */
  occurredAt: Date;
  outcome: ProvisioningOutcome;
  method: string;
  path: string;
  status: number;
  scimType: string | null;
  detail: string | null;
  employeeId: string | null;
  userName: string | null;
  ignoredAttributes: string[];
  /** Optional values skipped by a write that succeeded (outcome WARNING). */
  warnings: ProvisioningWarning[];
  durationMs: number;
  requestId: string;
  tokenId: string | null;
}

/** How long entries wait in memory before one INSERT writes them. */
const FLUSH_DELAY_MS = 50;
const MAX_BATCH = 500;
/** At most this many entries wait; past it, the oldest are dropped (and counted) rather than exhausting memory. */
const MAX_PENDING = 20_000;
/** Waits before writing again while the database is unavailable (the last one repeats). */
const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000];
/** The columns a flush writes (the others take their defaults). */
const INSERTED =
  'tenant_id, occurred_at, outcome, method, path, status, scim_type, detail, employee_id, user_name, ignored_attributes, warnings, duration_ms, request_id, token_id';

/**
 * Writes the SCIM provisioning log off the request path: entries are buffered and flushed in one INSERT
 * shortly after, so recording costs a request almost nothing. A failed flush never fails a request. While the
 * database is unavailable the entries are kept (up to MAX_PENDING) and written once it is back: the log is where an
 * IdP admin looks for what happened during an outage, so its entries must not be lost with the database. A statement
 * the database refuses (a row of a tenant deleted meanwhile) loses only that row: the rest are written one by one.
 */
export class ProvisioningLogWriter {
  private pending: ProvisioningRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private failures = 0;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly onError: (error: unknown) => void = (err) => logger.error({ err }, 'provisioning-log write failed'),
  ) {}

  record(entry: ProvisioningRecord): void {
    this.pending.push(entry);
    this.trim();
    // During a retry wait the timer is already set: new entries wait with the others.
    if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes everything buffered so far (tests and shutdown wait on it). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.write(batch)).catch(this.onError);
    return this.flushing;
  }

  /** At shutdown: one last flush, no more retries; entries the database could not take are counted and logged. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      logger.error({ entries: this.pending.length }, 'provisioning-log entries lost at shutdown: the database is unavailable');
      this.dropped += this.pending.length;
      this.pending = [];
    }
  }

  private async write(batch: ProvisioningRecord[]): Promise<void> {
    let written = 0;
    try {
      for (; written < batch.length; written += MAX_BATCH) await this.insert(batch.slice(written, written + MAX_BATCH));
      this.failures = 0;
    } catch (error) {
      const rest = batch.slice(written);
      if (asDatabaseUnavailable(error)) return this.keep(rest, error);
      for (const entry of rest) {
        try {
          await this.insert([entry]);
        } catch (single) {
          if (asDatabaseUnavailable(single)) return this.keep(rest.slice(rest.indexOf(entry)), single);
          this.dropped++;
          this.onError(single);
        }
      }
    }
  }

  /** Puts entries the database could not take back ahead of newer ones, and writes again after a wait. */
  private keep(entries: ProvisioningRecord[], error: unknown): void {
    this.pending = [...entries, ...this.pending];
    this.trim();
    const delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length - 1)];
    if (this.failures++ === 0) logger.warn({ err: error, entries: this.pending.length }, 'provisioning log: database unavailable; entries kept and written when it is back');
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  private trim(): void {
    const excess = this.pending.length - MAX_PENDING;
    if (excess > 0) {
      this.pending.splice(0, excess);
      this.dropped += excess;
    }
  }

  private async insert(chunk: ProvisioningRecord[]): Promise<void> {
    const rows = chunk.map((e) => ({
      tenant_id: e.tenantId,
      occurred_at: e.occurredAt,
      outcome: e.outcome,
      method: e.method,
      path: storable(e.path.slice(0, 2000)),
      status: e.status,
      scim_type: e.scimType,
      detail: typeof e.detail === 'string' ? storable(e.detail.slice(0, 4000)) : null,
      employee_id: e.employeeId,
      user_name: typeof e.userName === 'string' ? storable(e.userName.slice(0, 300)) : null,
      ignored_attributes: e.ignoredAttributes.map(storable),
      warnings: e.warnings.map((w) => ({ attribute: storable(w.attribute), value: storable(w.value.slice(0, 1000)), reason: w.reason })),
      duration_ms: e.durationMs,
      request_id: storable(e.requestId),
      token_id: e.tokenId,
    }));
    // The rows as one JSON parameter: one prepared statement for any number of rows. A VALUES list has one text per
    // batch size, which PostgreSQL parsed and planned at every flush (1.2 ms for 74 rows, a fifth of the statement).
    await sql.affected(
      { manager: this.dataSource.manager },
      `INSERT INTO provisioning_events (${INSERTED})
       SELECT ${INSERTED} FROM json_populate_recordset(NULL::provisioning_events, $1::json)`,
      [JSON.stringify(rows)],
    );
  }
}

/**
 * Text an identity provider sent, as PostgreSQL can store it: a NUL, which no text or JSON value may hold, and half of
 * a surrogate pair (a cut at a length limit, or sent so; `\p{Cs}`, as textProblem in validation.ts finds it), which
 * the rows' JSON would carry as an escape PostgreSQL refuses, become U+FFFD. The log keeps the entry rather than lose
 * it over one character.
 */
function storable(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}
// eslint-disable-next-line no-control-regex -- NUL is the point: PostgreSQL text cannot hold it.
const UNSTORABLE = /\u0000|\p{Cs}/gu;

/**
 * Entries about a person `term` names: the employee's first, last, display or middle name, username or email holds it
 * as the employee search finds it (SEARCH_DOCUMENT, folded: "jose" finds José Álvarez; served by the trigram index
 * ix_employees_search_trgm, which SEARCH_TENANT makes PostgreSQL use for a tenant it has no statistics for), or the
 * userName the identity provider sent holds it (a failed create has no employee). Deleted employees count too: their
 * entries are still about them.
 *
 * The matching employees are a MATERIALIZED common table expression (PERSON_MATCHES), read once and whole: inside the
 * OR as `employee_id IN (SELECT …)`, PostgreSQL planned the subquery to stop early for an outer row it expected few of,
 * a sequential scan of `employees` run again for each log entry (test/query-plans.test.ts). A common term matches
 * thousands of people; the answer stays exact.
 */
const PERSON_MATCHES = 'person_matches';

function personMatches(term: string): string {
  const keyed = usernameKey(term) !== term.toLowerCase();
  const document = (param: string): string => `${SEARCH_DOCUMENT} ILIKE ${SEARCH_FOLD(`:${param}`)}`;
  return `SELECT e.id FROM employees e
    WHERE ${SEARCH_TENANT('CAST(CAST(:tenantId AS uuid) AS text)')} AND (${document('person')}${keyed ? ` OR ${document('personKey')}` : ''})`;
}

function personCondition(): string {
  return `(p.user_name ILIKE :person OR p.user_name ILIKE ${SEARCH_FOLD(':person')} OR p.employee_id IN (SELECT id FROM ${PERSON_MATCHES}))`;
}

function personParameters(term: string): Record<string, string> {
  // The term as typed finds names and emails; keyed as usernames are (`ＪＯＳＥ`, `Straße`), it finds usernames.
  return { person: likePattern(term, 'co'), personKey: likePattern(usernameKey(term), 'co') };
}

export const provisioningLogService = {
  /**
   * Newest first; `outcome` narrows to successes, warnings or failures, `employeeId` to one employee, `userName` to
   * entries whose userName contains it (case-insensitively; the trigram index ix_provisioning_events_user_name_trgm
   * finds a rare name in a long log), `person` to entries about a person whose name, username or email holds it (see
   * personCondition). Keyset paging on
   * (occurred_at, id); `positions[i]` is where `events[i]` sits, to pass back as `after`. `totalCount` is exact.
   */
  async list(
    ctx: RequestContext,
    options: { outcome?: ProvisioningOutcome; employeeId?: string; userName?: string; person?: string; first: number; after?: LogPosition },
  ): Promise<{ events: ProvisioningEvent[]; positions: LogPosition[]; hasNextPage: boolean; totalCount: number }> {
    const qb = ctx.manager
      .createQueryBuilder(ProvisioningEvent, 'p')
      .where('p.tenant_id = :tenantId', { tenantId: ctx.tenantId });
    if (options.outcome) qb.andWhere('p.outcome = :outcome', { outcome: options.outcome });
    if (options.employeeId) qb.andWhere('p.employee_id = :employeeId', { employeeId: options.employeeId });
    if (options.userName) qb.andWhere('p.user_name ILIKE :userName', { userName: likePattern(options.userName, 'co') });
    if (options.person) {
      qb.addCommonTableExpression(personMatches(options.person), PERSON_MATCHES, { materialized: true });
      qb.andWhere(personCondition(), personParameters(options.person));
    }
    return newestFirstPage(ctx, qb, 'p', options);
  },

  /** One provisioning-log entry of the caller's tenant by id, or null. */
  async get(ctx: RequestContext, id: string): Promise<ProvisioningEvent | null> {
    if (!isUuid(id)) return null;
    return ctx.manager.findOneBy(ProvisioningEvent, { tenantId: ctx.tenantId, id });
  },

  /** Deletes entries older than each tenant's retention; returns how many. */
  async purgeExpired(manager: EntityManager): Promise<number> {
    return sql.affected(
      { manager },
      `DELETE FROM provisioning_events p USING tenants t
        WHERE p.tenant_id = t.id AND p.occurred_at < now() - make_interval(days => t.provisioning_log_retention_days)`,
    );
  },
};
