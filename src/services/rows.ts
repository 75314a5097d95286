import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Maps a raw row (snake_case columns, e.g. from `RETURNING *`) onto an entity's property names, using the entity's
 * own metadata, so hot paths can run one SQL statement without hydrating through the ORM.
 */
export function mapRow<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, raw: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [databaseName, propertyName] of columnsOf(manager, target)) {
    if (databaseName in raw) out[propertyName] = raw[databaseName];
  }
  return out as T;
}

/** (column, property) pairs per entity, looked up once: pages map hundreds of rows. */
const columnCache = new WeakMap<object, Map<unknown, [string, string][]>>();

function columnsOf(manager: EntityManager, target: EntityTarget<ObjectLiteral>): [string, string][] {
  let perConnection = columnCache.get(manager.connection);
  if (!perConnection) columnCache.set(manager.connection, (perConnection = new Map()));
  let columns = perConnection.get(target);
  if (!columns) {
    columns = manager.connection.getMetadata(target).columns.map((c): [string, string] => [c.databaseName, c.propertyName]);
    perConnection.set(target, columns);
  }
  return columns;
}
