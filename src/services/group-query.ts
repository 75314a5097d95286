import { Bind, Query, QueryTable, compileWhere } from './query-compiler';
import { isUuid } from './validation';

/**
 * The query over groups (the SCIM filter is translated into it): its FIELDS table over alias `g`, the only place SQL
 * identifiers for group queries come from, and the membership nodes only groups have. src/services/query-compiler.ts
 * compiles the rest.
 */
export type GroupQueryField = keyof typeof GROUP_FIELDS;

/** The nodes only groups have. */
type MembershipNode =
  /** The group has this employee as a member (SCIM `members[value eq "<id>"]`). */
  | { kind: 'hasMember'; employeeId: string }
  /** The group has at least one member (SCIM `members pr`). */
  | { kind: 'hasMembers' };

export type GroupQuery = Query<GroupQueryField, MembershipNode>;

export const GROUP_FIELDS = {
  id: { type: 'uuid', sql: 'g.id' },
  displayName: { type: 'citext', sql: 'g.display_name' },
  externalId: { type: 'exactText', sql: 'g.external_id' },
  createdAt: { type: 'timestamp', sql: 'g.created_at' },
  updatedAt: { type: 'timestamp', sql: 'g.updated_at' },
} as const satisfies QueryTable<string>['fields'];

export function groupFieldType(field: GroupQueryField): (typeof GROUP_FIELDS)[GroupQueryField]['type'] {
  return GROUP_FIELDS[field].type;
}

/** Sort keys for group lists; each is followed by `g.id` so the order is total and stable. */
export const GROUP_SORT_FIELDS = {
  displayName: 'g.display_name',
  id: 'g.id',
  externalId: "COALESCE(g.external_id, '')",
  createdAt: 'g.created_at',
  updatedAt: 'g.updated_at',
} as const;
export type GroupSortField = keyof typeof GROUP_SORT_FIELDS;

/** The memberships of `g` (deleted employees have none: see group.service.ts). */
const MEMBERS_OF_G = 'SELECT 1 FROM group_members m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id';

function membership(node: MembershipNode, bind: Bind): string {
  if (node.kind === 'hasMembers') return `EXISTS (${MEMBERS_OF_G})`;
  if (!isUuid(node.employeeId)) return 'FALSE';
  return `EXISTS (${MEMBERS_OF_G} AND m.employee_id = ${bind(node.employeeId.toLowerCase(), '::uuid')})`;
}

const GROUPS: QueryTable<GroupQueryField, never, MembershipNode> = { fields: GROUP_FIELDS, node: membership };

/** Compiles a query to a SQL boolean expression over `g`; `params` receives the values. */
export function compileGroupQuery(query: GroupQuery, params: unknown[]): string {
  return compileWhere(GROUPS, query, params);
}
