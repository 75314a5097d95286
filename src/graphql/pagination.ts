import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';
import { badUserInput } from './errors';
import { PageInfo } from './types/connection.type';

/** `first` is bounded so that no query can ask for an unbounded page (and the cost limit can trust it). */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`\`first\` must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
  return first;
}

/**
 * Keyset cursors: opaque base64url of the sort key values of the last row (never an offset, so deep pages cost the
 * same as the first and rows inserted meanwhile do not shift pages).
 */
export function encodeCursor(values: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, length: number): (string | number | null)[] {
  try {
    if (cursor.length > 1000) throw new Error('too long');
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(values) &&
      values.length === length &&
      values.every((v) => v === null || typeof v === 'string' || typeof v === 'number')
    ) {
      return values as (string | number | null)[];
    }
  } catch {
    /* fall through */
  }
  throw badUserInput('`after` is not a cursor returned by this connection.');
}

/**
 * An edge whose cursor is encoded when read: most clients select pageInfo.endCursor and nodes, not a cursor per edge.
 * A class, so that the getter is the prototype's (an object literal with a getter builds one per edge).
 */
class LazyCursorEdge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (node: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

/** Builds `{ edges, nodes, pageInfo, totalCount }` from one page of nodes. */
export function connection<T>(
  nodes: T[],
  options: { cursorOf: (node: T) => string; hasNextPage: boolean; hasPreviousPage: boolean; totalCount: number },
): { edges: { cursor: string; node: T }[]; nodes: T[]; pageInfo: PageInfo; totalCount: number } {
  const edges = nodes.map((node) => new LazyCursorEdge(node, options.cursorOf));
  const pageInfo = Object.assign(new PageInfo(), {
    hasNextPage: options.hasNextPage,
    hasPreviousPage: options.hasPreviousPage,
    startCursor: nodes.length > 0 ? options.cursorOf(nodes[0]) : null,
    endCursor: nodes.length > 0 ? options.cursorOf(nodes[nodes.length - 1]) : null,
  });
  return { edges, nodes, pageInfo, totalCount: options.totalCount };
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
