import { isUuid } from '../services/validation';

/**
 * Opaque global ids (`Node.id`): base64url of `Type:uuid`. Clients must not parse them; the type inside lets
 * `node(id)` find the object and lets a mutation refuse an id of the wrong type.
 */
export function toGlobalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function fromGlobalId(globalId: string): { type: string; id: string } | null {
  if (globalId.length > 200) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0) return null;
  const type = decoded.slice(0, separator);
  const id = decoded.slice(separator + 1);
  return isUuid(id) ? { type, id } : null;
}

/** The uuid inside a global id of `type`, or null when the id is malformed or of another type. */
export function idOfType(globalId: string, type: string): string | null {
  const parsed = fromGlobalId(globalId);
  return parsed && parsed.type === type ? parsed.id : null;
}
