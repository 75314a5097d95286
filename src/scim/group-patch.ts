import { GroupChanges, MemberOperation } from '../services/group.service';
import { ScimError } from './errors';
import { FilterNode, parsePatchPath } from './filter';
import { isObject, memberIdsOf } from './group-mapping';
import { CORE_GROUP_SCHEMA_URN as GROUP_SCHEMA } from './schema-definitions';
import { PatchOperation } from './patch';

/**
 * Turns the operations of a Group PATCH (already validated by `parsePatchRequest`) into domain changes. Member
 * operations are interpreted here rather than applied to a rendered member array (as src/scim/patch.ts does for
 * users), so a change to a group of 50,000 members never reads or rebuilds the 50,000: the service applies them
 * set-based. The shapes accepted are what the IdPs send (docs/okta.md, docs/entra.md):
 *
 *   Okta   {"op":"replace","value":{"id":"<group id>","displayName":"..."}}        rename, echoing the id
 *          {"op":"remove","path":"members[value eq \"<id>\"]"} + {"op":"add","path":"members","value":[{"value":"<id>"}]}
 *          {"op":"replace","path":"members","value":[...all...]}                  "push now"
 *   Entra  {"op":"Add","path":"members","value":[{"$ref":null,"value":"<id>"}]}
 *          {"op":"Remove","path":"members","value":[{"value":"<id>"}]}             removes only those members
 *          {"op":"Replace","path":"displayName","value":"..."}, externalId likewise
 *
 * `remove` of `members` without a value empties the group. Attributes and schema URNs Rollcall does not keep are
 * ignored (Entra sends extra ones on groups). Writes to `id` and `meta` are refused unless they echo the current value.
 */
export function toGroupChanges(operations: readonly PatchOperation[], groupId: string): GroupChanges {
  const changes: { displayName?: string; externalId?: string | null; members: MemberOperation[] } = { members: [] };
  operations.forEach((operation, index) => {
    const where = `Operation ${index + 1} (${operation.op}${operation.path !== undefined ? ` "${operation.path}"` : ''})`;
    const apply = new Applier(changes, groupId, where);
    if (operation.path === undefined) apply.valueMap(operation.op, operation.value);
    else apply.path(operation.op, operation.path, operation.value);
  });
  return {
    ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
    ...(changes.externalId !== undefined ? { externalId: changes.externalId } : {}),
    ...(changes.members.length > 0 ? { members: changes.members } : {}),
  };
}

type Op = PatchOperation['op'];

class Applier {
  constructor(
    private readonly changes: { displayName?: string; externalId?: string | null; members: MemberOperation[] },
    private readonly groupId: string,
    private readonly where: string,
  ) {}

  private error(scimType: 'invalidPath' | 'invalidValue' | 'mutability' | 'invalidFilter', detail: string): ScimError {
    return new ScimError(400, `${this.where}: ${detail}`, scimType);
  }

  /** A pathless add/replace (or one at the Group schema URN): each key is an attribute. */
  valueMap(op: Op, value: unknown): void {
    if (op === 'remove') throw this.error('invalidPath', '"remove" needs a path naming the attribute to remove.');
    if (!isObject(value)) throw this.error('invalidValue', 'the value must be an object of Group attributes.');
    const prefix = `${GROUP_SCHEMA.toLowerCase()}:`;
    for (const key of Object.keys(value)) {
      const lower = key.toLowerCase();
      if (lower === GROUP_SCHEMA.toLowerCase()) {
        this.valueMap(op, value[key]);
        continue;
      }
      const name = lower.startsWith(prefix) ? lower.slice(prefix.length) : lower;
      if (name.startsWith('urn:')) continue; // an extension Rollcall does not keep
      this.attribute(op, name, value[key], true);
    }
  }

  path(op: Op, path: string, value: unknown): void {
    if (path.toLowerCase() === GROUP_SCHEMA.toLowerCase()) {
      this.valueMap(op, value);
      return;
    }
    let parsed;
    try {
      parsed = parsePatchPath(path);
    } catch (e) {
      if (e instanceof ScimError) throw this.error('invalidPath', e.detail);
      throw e;
    }
    const schema = parsed.path.schema;
    if (schema !== undefined && schema.toLowerCase() !== GROUP_SCHEMA.toLowerCase()) return; // an unknown extension
    const name = parsed.path.attribute.toLowerCase();
    const sub = parsed.path.subAttribute ?? parsed.subAttribute;
    if (name === 'members') {
      this.members(op, parsed.filter, sub, value);
      return;
    }
    if (parsed.filter || sub) {
      if (name === 'displayname' || name === 'externalid' || name === 'id') {
        throw this.error('invalidPath', `"${path}": ${parsed.path.attribute} is a single value; name it without a filter.`);
      }
      if (name === 'meta') throw this.error('mutability', '"meta" is read-only.');
      return;
    }
    this.attribute(op, name, value, false);
  }

  /** A top-level attribute without filter. `echo` is true for keys of a pathless value (Okta echoes `id`). */
  private attribute(op: Op, name: string, value: unknown, echo: boolean): void {
    switch (name) {
      case 'members':
        this.members(op, undefined, undefined, value);
        return;
      case 'displayname':
        if (op === 'remove' || value === null) throw this.error('invalidValue', 'displayName is required and cannot be removed.');
        if (typeof value !== 'string' || value.trim() === '') throw this.error('invalidValue', 'displayName must be a non-empty string.');
        this.changes.displayName = value;
        return;
      case 'externalid':
        if (op === 'remove' || value === null) this.changes.externalId = null;
        else if (typeof value === 'string' || typeof value === 'number') this.changes.externalId = String(value);
        else throw this.error('invalidValue', 'externalId must be a string.');
        return;
      case 'id':
        if (op !== 'remove' && typeof value === 'string' && value.trim().toLowerCase() === this.groupId.toLowerCase()) return;
        throw this.error('mutability', `"id" is read-only; a PATCH may only echo the group's own id ("${this.groupId}").`);
      case 'meta':
        if (echo) return; // echoed metadata is ignored, like Okta's echo of `id`
        throw this.error('mutability', '"meta" is read-only.');
      default:
        return; // schemas, and attributes Rollcall does not keep
    }
  }

  private members(op: Op, filter: FilterNode | undefined, sub: string | undefined, value: unknown): void {
    if (sub !== undefined) {
      throw this.error('invalidPath', 'members are changed as whole elements: use the path "members" or members[value eq "<id>"].');
    }
    if (filter) {
      if (op !== 'remove') {
        throw this.error('invalidPath', `"${op}" takes the path "members" with a list of members, not a filtered path.`);
      }
      // Okta: remove members[value eq "<id>"].
      this.changes.members.push({ kind: 'remove', ids: this.idsOf(filter) });
      return;
    }
    if (op === 'remove') {
      // Entra: {"op":"Remove","path":"members","value":[{"value":"<id>"}]} removes those members only.
      if (value === undefined || value === null) this.changes.members.push({ kind: 'replace', ids: [] });
      else this.changes.members.push({ kind: 'remove', ids: memberIdsOf(value, `${this.where}: value`) });
      return;
    }
    const ids = memberIdsOf(value, `${this.where}: value`);
    this.changes.members.push({ kind: op === 'add' ? 'add' : 'replace', ids });
  }

  /** The ids a member filter selects: `value eq "<id>"`, possibly several joined by `or`. */
  private idsOf(filter: FilterNode): string[] {
    if (filter.kind === 'or') return [...this.idsOf(filter.left), ...this.idsOf(filter.right)];
    if (
      filter.kind === 'compare' &&
      filter.op === 'eq' &&
      typeof filter.value === 'string' &&
      !filter.path.schema &&
      !filter.path.subAttribute &&
      filter.path.attribute.toLowerCase() === 'value'
    ) {
      return [filter.value];
    }
    throw this.error('invalidFilter', 'members are selected by value eq "<user id>" (several joined by "or").');
  }
}

/** Whether a parsed body's `id` (PUT) is absent or the group's own. */
export function echoesOwnId(id: unknown, groupId: string): boolean {
  return id === undefined || id === null || (typeof id === 'string' && id.trim().toLowerCase() === groupId.toLowerCase());
}
