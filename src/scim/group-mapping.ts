import { GroupView } from '../services/group.service';
import { ScimError } from './errors';
import { CORE_GROUP_SCHEMA_URN } from './schema-definitions';
import { etag } from './user-mapping';

/** The URN under the name test/scim-groups.test.ts imports; Rollcall's modules import schema-definitions.ts. */
export { CORE_GROUP_SCHEMA_URN as GROUP_SCHEMA } from './schema-definitions';

export interface ScimGroupMember {
  value: string;
  display: string;
  $ref: string;
}

export interface ScimGroup {
  schemas: string[];
  id: string;
  externalId?: string;
  displayName: string;
  /** Present when the members were read (not for `excludedAttributes=members`). */
  members?: ScimGroupMember[];
  meta: { resourceType: 'Group'; created: string; lastModified: string; location: string; version: string };
}

export function toScimGroup(view: GroupView, baseUrl: string): ScimGroup {
  const { group } = view;
  return {
    schemas: [CORE_GROUP_SCHEMA_URN],
    id: group.id,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(view.members
      ? { members: view.members.map((m) => ({ value: m.id, display: m.display, $ref: `${baseUrl}/Users/${m.id}` })) }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${baseUrl}/Groups/${group.id}`,
      version: etag(group),
    },
  };
}

type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own attribute ignoring case (RFC 7643 §2.1); never reaches a prototype. */
export function attributeOf(object: Obj, name: string): unknown {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === wanted) return object[key];
  return undefined;
}

export function hasAttribute(object: Obj, name: string): boolean {
  const wanted = name.toLowerCase();
  return Object.keys(object).some((key) => key.toLowerCase() === wanted);
}

/**
 * The user ids of a `members` value: `[{ "value": "<id>" }, ...]`. `display` and `$ref` (Entra sends `"$ref": null`)
 * are ignored, `type` may be absent (Okta) or "User"; a member without `value` is refused rather than guessed, so a
 * malformed removal can never empty a group. null is the empty list.
 */
export function memberIdsOf(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, index) => {
    const position = `${where}[${index}]`;
    if (typeof item === 'string') return item;
    if (!isObject(item)) throw new ScimError(400, `${position} must be an object such as {"value": "<user id>"}.`, 'invalidValue');
    const type = attributeOf(item, 'type');
    if (typeof type === 'string' && type.trim().toLowerCase() !== 'user') {
      throw new ScimError(400, `${position}: members of type "${type}" are not supported; a group holds users only.`, 'invalidValue');
    }
    const id = attributeOf(item, 'value');
    if (typeof id !== 'string' || id.trim() === '') {
      throw new ScimError(400, `${position} has no "value": give the id of the user.`, 'invalidValue');
    }
    return id.trim();
  });
}

export interface ScimGroupInput {
  /** The `id` the body echoes, if any (it must be the group's own). */
  id?: unknown;
  displayName: string;
  /** undefined: not sent (unchanged on PUT); null: clear. */
  externalId?: string | null;
  /** undefined: `members` not sent (unchanged on PUT). */
  memberIds?: string[];
}

/**
 * Reads a SCIM Group body (POST or PUT). Attributes Rollcall does not keep, and extra schema URNs (Entra sends some),
 * are ignored; `displayName` is required.
 */
export function fromScimGroup(body: unknown): ScimGroupInput {
  if (!isObject(body)) throw new ScimError(400, 'The request body must be a JSON object (a SCIM Group).', 'invalidSyntax');
  const displayName = attributeOf(body, 'displayName');
  if (typeof displayName !== 'string' || displayName.trim() === '') {
    throw new ScimError(400, 'Required attribute missing: displayName.', 'invalidValue');
  }
  const externalId = attributeOf(body, 'externalId');
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string' && typeof externalId !== 'number') {
    throw new ScimError(400, 'externalId must be a string.', 'invalidValue');
  }
  return {
    ...(hasAttribute(body, 'id') ? { id: attributeOf(body, 'id') } : {}),
    displayName,
    ...(externalId !== undefined ? { externalId: externalId === null ? null : String(externalId) } : {}),
    ...(hasAttribute(body, 'members') ? { memberIds: memberIdsOf(attributeOf(body, 'members'), 'members') } : {}),
  };
}
