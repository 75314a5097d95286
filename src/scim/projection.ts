import { parseAttrPath } from './filter';
import { ScimError } from './errors';

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) applied to a resource document. `id` and `schemas` are
 * always returned. Names are case-insensitive and may carry a schema URN (`urn:...:User:name.givenName`).
 */
export interface Projection {
  attributes?: string[][];
  excluded?: string[][];
}

function parseList(value: unknown, parameter: string, coreSchema: string): string[][] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ScimError(400, `${parameter} must be given once, as a comma-separated list.`, 'invalidValue');
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length > 100) throw new ScimError(400, `${parameter} lists more than 100 attributes.`, 'invalidValue');
  return items.map((item) => {
    let path;
    try {
      path = parseAttrPath(item);
    } catch {
      throw new ScimError(400, `${parameter}: "${item}" is not an attribute name.`, 'invalidValue');
    }
    const segments: string[] = [];
    if (path.schema && path.schema.toLowerCase() !== coreSchema.toLowerCase()) segments.push(path.schema.toLowerCase());
    segments.push(path.attribute.toLowerCase());
    if (path.subAttribute) segments.push(path.subAttribute.toLowerCase());
    return segments;
  });
}

export function parseProjection(query: Record<string, unknown>, coreSchema: string): Projection {
  return {
    attributes: parseList(query.attributes, 'attributes', coreSchema),
    excluded: parseList(query.excludedAttributes, 'excludedAttributes', coreSchema),
  };
}

const ALWAYS = new Set(['id', 'schemas']);

function pick(object: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const lower = key.toLowerCase();
    const matching = paths.filter((p) => p[0] === lower);
    if (matching.length === 0) continue;
    if (matching.some((p) => p.length === 1)) out[key] = value;
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = pick(value as Record<string, unknown>, matching.map((p) => p.slice(1)));
    } else if (Array.isArray(value)) {
      out[key] = value.map((v) => (v && typeof v === 'object' ? pick(v as Record<string, unknown>, matching.map((p) => p.slice(1))) : v));
    }
  }
  return out;
}

function drop(object: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const lower = key.toLowerCase();
    const matching = paths.filter((p) => p[0] === lower);
    if (matching.some((p) => p.length === 1) && !ALWAYS.has(lower)) continue;
    const deeper = matching.map((p) => p.slice(1)).filter((p) => p.length > 0);
    if (deeper.length > 0 && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = drop(value as Record<string, unknown>, deeper);
    } else if (deeper.length > 0 && Array.isArray(value)) {
      out[key] = value.map((v) => (v && typeof v === 'object' ? drop(v as Record<string, unknown>, deeper) : v));
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function applyProjection<T extends object>(resource: T, projection: Projection): Record<string, unknown> {
  let out = resource as unknown as Record<string, unknown>;
  if (projection.attributes && projection.attributes.length > 0) {
    const picked = pick(out, projection.attributes);
    for (const key of Object.keys(out)) if (ALWAYS.has(key.toLowerCase())) picked[key] = out[key];
    out = picked;
  }
  if (projection.excluded && projection.excluded.length > 0) out = drop(out, projection.excluded);
  return out;
}

/**
 * Whether the top-level core attribute `attribute` survives the projection, so that a handler can skip loading what
 * would be dropped (e.g. `excludedAttributes=members` must not read any member).
 */
export function requests(projection: Projection, attribute: string): boolean {
  const name = attribute.toLowerCase();
  if (projection.attributes && projection.attributes.length > 0 && !projection.attributes.some((p) => p[0] === name)) {
    return false;
  }
  return !projection.excluded?.some((p) => p.length === 1 && p[0] === name);
}
