import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';
import { KeysetPrecision, isKeysetTime } from '../services/keyset';
import { isUuid } from '../services/validation';
import { badUserInput } from './errors';
import { Edge, PageInfo } from './types/connection.type';

/** `first` is bounded so that no query can ask for an unbounded page (and the cost limit can trust it). */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** How each part of a cursor is checked when a client sends it back. */
export type CursorPart<T> = (value: unknown) => value is T;

/** The parts cursors are made of. Each accepts every value a page hands out, and nothing SQL would refuse. */
export const CURSOR_PART = {
  uuid: (value: unknown): value is string => typeof value === 'string' && isUuid(value),
  /** Text a row can hold: PostgreSQL's text cannot hold NUL, so a NUL is forged (and a database error). */
  text: (value: unknown): value is string => typeof value === 'string' && !value.includes('\u0000'),
  /** A keyset timestamp (src/services/keyset.ts) at the precision the service compares it. */
  time:
    (precision: KeysetPrecision) =>
    (value: unknown): value is string =>
      isKeysetTime(value, precision),
  /** A sequence number (a bigint as decimal text, e.g. the change feed's). */
  sequence: (value: unknown): value is string => typeof value === 'string' && /^(0|[1-9][0-9]{0,17})$/.test(value),
  /** A constant, e.g. the order a cursor was made in, so that it cannot continue another order. */
  tag:
    <T extends string>(tag: T) =>
    (value: unknown): value is T =>
      value === tag,
};

type CursorValues<P extends readonly CursorPart<unknown>[]> = { -readonly [K in keyof P]: P[K] extends CursorPart<infer T> ? T : never };

/** `first` and `after` of a request, checked; `after` holds the decoded parts of the cursor. */
export interface PageRequest<V> {
  first: number;
  after: V | null;
}

/** What a connection type (`Connection(ItemType, name)`) holds. */
export interface ConnectionShape<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Longer than any cursor a page hands out (a 256-character name of 3-byte or escaped characters, and a uuid). */
const MAX_CURSOR_LENGTH = 4096;

const NOT_A_CURSOR = '`after` is not a cursor returned by this connection.';

/**
 * An edge whose cursor is encoded when read: most clients select pageInfo.endCursor and nodes, not a cursor per edge.
 * A class, so that the getter is the prototype's (an object literal with a getter builds one per edge).
 */
class LazyCursorEdge<T> {
  constructor(
    readonly node: T,
    private readonly index: number,
    private readonly cursorOf: (node: T, index: number) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node, this.index);
  }
}

/**
 * One connection's paging: the limits of `first`, and cursors (opaque base64url of a JSON array of the parts, the
 * keyset of the last row: never an offset, so deep pages cost the same as the first and rows inserted meanwhile do
 * not shift pages). Every part of a cursor a client sends back is checked, so a forged or foreign cursor is
 * BAD_USER_INPUT before any SQL runs, never a database error.
 */
export class ConnectionKit<V extends unknown[]> {
  constructor(private readonly parts: readonly CursorPart<unknown>[]) {}

  /** The checked `first` and `after` of a connection's arguments. */
  page(args: { first: number; after?: string | null }): PageRequest<V> {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE_SIZE) {
      throw badUserInput(`\`first\` must be between 1 and ${MAX_PAGE_SIZE}.`);
    }
    return { first: args.first, after: args.after ? this.decode(args.after) : null };
  }

  cursor(values: V): string {
    return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
  }

  /**
   * The connection object of one page: `nodes` and the service's `page` they came from. `keyOf(node, i)` gives the
   * cursor parts of `nodes[i]`; it runs only for the cursors a client reads (an edge's, the page's first and last).
   */
  connection<T, C extends ConnectionShape<T>>(
    type: new () => C,
    request: PageRequest<V>,
    nodes: T[],
    page: { hasNextPage: boolean; totalCount: number },
    keyOf: (node: T, index: number) => V,
  ): C {
    const cursorOf = (node: T, index: number): string => this.cursor(keyOf(node, index));
    const last = nodes.length - 1;
    const pageInfo = Object.assign(new PageInfo(), {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: request.after !== null,
      startCursor: last >= 0 ? cursorOf(nodes[0], 0) : null,
      endCursor: last >= 0 ? cursorOf(nodes[last], last) : null,
    });
    const edges = nodes.map((node, index) => new LazyCursorEdge(node, index, cursorOf));
    return Object.assign(new type(), { edges, nodes, pageInfo, totalCount: page.totalCount });
  }

  private decode(cursor: string): V {
    let values: unknown;
    try {
      if (cursor.length <= MAX_CURSOR_LENGTH) values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      /* not JSON: refused below */
    }
    const valid =
      Array.isArray(values) && values.length === this.parts.length && this.parts.every((check, i) => check(values[i]));
    if (!valid) throw badUserInput(NOT_A_CURSOR);
    return values as V;
  }
}

/** A connection's kit, from the parts of its cursors in order, e.g. `defineConnection(CURSOR_PART.uuid)`. */
export function defineConnection<P extends readonly CursorPart<unknown>[]>(...parts: P): ConnectionKit<CursorValues<P>> {
  return new ConnectionKit<CursorValues<P>>(parts);
}

/**
 * Whether the client selected `field` on the connection this resolver returns. Fragments count as "maybe" (true), so
 * a total is never missing; the point is to skip a count(*) over a large tenant when nobody reads it.
 */
export function selects(info: GraphQLResolveInfo, field: string): boolean {
  return info.fieldNodes.some((node) =>
    (node.selectionSet?.selections ?? []).some(
      (selection) => selection.kind !== Kind.FIELD || selection.name.value === field,
    ),
  );
}

/**
 * The fields a connection's nodes select (under `nodes` or `edges { node }`), or undefined when a fragment makes that
 * unclear (callers then read everything). Fields under @skip/@include count as selected.
 */
export function nodeFields(info: GraphQLResolveInfo): Set<string> | undefined {
  const fields = new Set<string>();
  let clear = true;
  const collect = (set: SelectionSetNode | undefined, path: readonly string[]): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind !== Kind.FIELD) clear = false;
      else if (path.length === 0) fields.add(selection.name.value);
      else if (selection.name.value === path[0]) collect(selection.selectionSet, path.slice(1));
    }
  };
  for (const node of info.fieldNodes) {
    collect(node.selectionSet, ['nodes']);
    collect(node.selectionSet, ['edges', 'node']);
  }
  return clear ? fields : undefined;
}
