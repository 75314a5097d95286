import { KEYSET_TIME } from './keyset';

/**
 * The order of SCIM user lists without sortBy (RFC 7644 leaves it to the server): creation, then id. An import walk
 * (Okta pages with count=100 until totalResults) that runs while people are created then finds them at its end; an
 * order by random id put some of them among the pages already read, and the walk skipped them. The partial index
 * ix_employees_tenant_created serves this order, so neither the first page nor a keyset continuation sorts the
 * tenant. A batched create writes its rows at one transaction time: the id breaks such ties, and the order is total.
 */
export const CREATION_ORDER = {
  sql: 'e.created_at',
  cast: KEYSET_TIME.cast,
  /** The keyset value as a `microseconds` cursor holds it (keyset.ts). */
  key: KEYSET_TIME.text('e.created_at'),
} as const;
