import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Maps a raw row (snake_case columns, e.g. from `RETURNING *`) onto an entity's property names, using the entity's
 * own metadata, so hot paths can run one SQL statement without hydrating through the ORM.
 */
export function mapRow<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, raw: Record<string, unknown>): T {
  const metadata = manager.connection.getMetadata(target);
  const out: Record<string, unknown> = {};
  for (const column of metadata.columns) {
    if (column.databaseName in raw) out[column.propertyName] = raw[column.databaseName];
  }
  return out as T;
}
