import type { Request, Response } from 'express';
import { EMPLOYEE_STATUSES, EmployeeStatus, MANAGED_BY, ManagedBy } from '../entities/enums';
import { toGlobalId, idOfType } from '../graphql/global-id';
import { EmployeeOrderField } from '../services/employee-query';
import { employeeService } from '../services/employee.service';
import type { EmployeeReferences, SearchOptions } from '../services/employee.service';
import { hasControlCharacters } from '../services/validation';
import type { Authenticate, AuthRefusal } from './auth';
import type { HttpRequest } from './types';

/** Rows read per statement: large enough that the statements cost little per row, small enough to stay a page. */
const EXPORT_PAGE = 1000;

/** The columns, in order: a header and how each row's cell is read. */
const COLUMNS: { header: string; cell: (e: ExportRow) => string | null }[] = [
  { header: 'id', cell: (r) => toGlobalId('Employee', r.employee.id) },
  { header: 'username', cell: (r) => r.employee.username },
  { header: 'firstName', cell: (r) => r.employee.firstName },
  { header: 'lastName', cell: (r) => r.employee.lastName },
  { header: 'middleName', cell: (r) => r.employee.middleName },
  { header: 'displayName', cell: (r) => r.employee.displayName },
  { header: 'email', cell: (r) => r.employee.email },
  { header: 'status', cell: (r) => r.employee.status },
  { header: 'managedBy', cell: (r) => r.employee.managedBy },
  { header: 'type', cell: (r) => r.employee.type },
  { header: 'primaryRole', cell: (r) => r.references.primaryRole?.name ?? null },
  { header: 'team', cell: (r) => r.references.team?.name ?? null },
  { header: 'loginAuthenticator', cell: (r) => r.references.loginAuthenticator?.name ?? null },
  { header: 'timeZone', cell: (r) => r.employee.timeZone },
  { header: 'mobileNumber', cell: (r) => r.employee.mobileNumber },
  { header: 'externalId', cell: (r) => r.employee.externalId },
  { header: 'createdAt', cell: (r) => r.employee.createdAt.toISOString() },
  { header: 'updatedAt', cell: (r) => r.employee.updatedAt.toISOString() },
];

interface ExportRow {
  employee: Awaited<ReturnType<typeof employeeService.search>>['employees'][number];
  references: EmployeeReferences;
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. A value a spreadsheet would
 * run as a formula (starting with = + - @, or a tab or CR that some strip first) gets a leading `'` (OWASP "CSV
 * injection"): a name typed in an IdP must not become a formula on an admin's machine.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvLine(cells: (string | null)[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

class BadExportRequest extends Error {}

/**
 * Resolves once the response takes more (`drain`) or is gone (`close`), its two listeners removed either way: a page
 * per wait, and `events.once` would leave a `close` and an `error` listener behind on each.
 */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The list's search, filter and order from the query string, with the names and checks of GraphQL `employees`. */
function exportOptions(url: URL): Omit<SearchOptions, 'first' | 'after'> {
  const param = (name: string): string | undefined => {
    const values = url.searchParams.getAll(name);
    if (values.length > 1) throw new BadExportRequest(`\`${name}\` may be given once.`);
    return values[0];
  };
  const text = (name: string): string | undefined => {
    const value = param(name);
    if (value !== undefined && (value.length > 200 || hasControlCharacters(value))) {
      throw new BadExportRequest(`\`${name}\` must be at most 200 characters without control characters.`);
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = param(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw new BadExportRequest(`\`${name}\` must be one of ${allowed.join(', ')}.`);
    return value as T;
  };
  const ids = (name: string, type: string): string[] | undefined => {
    const value = param(name);
    if (value === undefined) return undefined;
    return value.split(',').filter(Boolean).map((g) => {
      const id = idOfType(g.trim(), type);
      if (!id) throw new BadExportRequest(`\`${name}\`: "${g.slice(0, 100)}" is not the id of a ${type}.`);
      return id;
    });
  };
  const orderNames = Object.keys(EmployeeOrderField) as (keyof typeof EmployeeOrderField)[];
  const order = oneOf('orderBy', orderNames) ?? 'USERNAME';
  return {
    search: text('search'),
    filter: {
      status: oneOf<EmployeeStatus>('status', EMPLOYEE_STATUSES),
      managedBy: oneOf<ManagedBy>('managedBy', MANAGED_BY),
      type: text('type'),
      primaryRoleIds: ids('primaryRoleIds', 'Role'),
      teamIds: ids('teamIds', 'Team'),
    },
    orderBy: { field: EmployeeOrderField[order], descending: oneOf('direction', ['ASC', 'DESC'] as const) === 'DESC' },
  };
}

function refuse(res: Response, refusal: AuthRefusal, requestId: string): void {
  switch (refusal.reason) {
    case 'unauthenticated':
      res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ error: 'unauthenticated', message: 'A valid ADMIN or READ token is required.', requestId });
      return;
    case 'forbidden':
      res.status(403).json({ error: 'forbidden', message: `A ${refusal.scope} token cannot export; use an ADMIN or READ token.`, requestId });
      return;
    case 'rate-limited':
      res.status(429).setHeader('Retry-After', String(refusal.retryAfterSeconds)).json({ error: 'rate_limited', message: 'Too many requests for this token.', requestId });
      return;
  }
}

/**
 * `GET /export/employees.csv`: every employee the GraphQL `employees` list with the same `search`, filter and order
 * would page through, as one CSV download (UTF-8 with a BOM, so Excel reads accents; CRLF lines, RFC 4180). Who is in
 * it, and in which order, is one snapshot taken at the start (employeeService.snapshotPages); each person appears once.
 * Streamed: pages of EXPORT_PAGE rows, each written before the next is read, and the next read only once the client
 * has taken the previous one (backpressure), so a slow client holds no database connection and memory holds the
 * page and 16 bytes per person (docs/graphql.md).
 * Authenticated as GraphQL is (ADMIN or READ token).
 */
export function employeesCsv(authenticate: Authenticate) {
  return async (req: Request, res: Response): Promise<void> => {
    const request = req as unknown as HttpRequest;
    const auth = await authenticate(request, { surface: 'graphql', scopes: ['admin', 'read'] });
    if (!auth.ok) return refuse(res, auth.refusal, request.requestId);
    let options: Omit<SearchOptions, 'first' | 'after'>;
    try {
      options = exportOptions(new URL(req.originalUrl, 'http://localhost'));
    } catch (error) {
      if (!(error instanceof BadExportRequest)) throw error;
      res.status(400).json({ error: 'bad_request', message: error.message, requestId: request.requestId });
      return;
    }
    // The first page before any byte is sent: a failure there is still an ordinary error answer.
    const pages = employeeService.snapshotPages(auth.ctx, { ...options, withReferences: ['primaryRole', 'team', 'loginAuthenticator'] }, EXPORT_PAGE);
    let page = await pages.next();
    const stamp = new Date().toISOString().slice(0, 10);
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="employees-${stamp}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    res.write(`\uFEFF${csvLine(COLUMNS.map((c) => c.header))}`);
    let rows = 0;
    while (!page.done) {
      const lines = page.value.map((row) => csvLine(COLUMNS.map((c) => c.cell(row)))).join('');
      rows += page.value.length;
      if (!res.write(lines)) await writable(res);
      if (res.destroyed) {
        await pages.return(undefined);
        return;
      }
      try {
        page = await pages.next();
      } catch (error) {
        // Headers are sent: the only honest signal left is a cut connection (the file is visibly incomplete).
        request.log.error({ err: error, rows }, 'employee export failed mid-stream');
        res.destroy();
        return;
      }
    }
    res.end();
  };
}
