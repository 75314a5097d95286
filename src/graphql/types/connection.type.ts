import { ClassType, Field, Int, ObjectType } from 'type-graphql';

@ObjectType('PageInfo', { description: 'Where a page sits in a connection.' })
export class PageInfo {
  @Field({ description: 'Whether more items follow this page.' })
  hasNextPage: boolean;

  @Field({ description: 'Whether items precede this page.' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item of the page.' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item; pass it as `after` for the next page.' })
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A Relay-style connection type for `T`: `{ edges { cursor node } nodes pageInfo totalCount }`. */
export function Connection<T extends object>(itemType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { description: `One ${name} in a connection, with its cursor.` })
  class EdgeType implements Edge<T> {
    @Field({ description: 'Opaque cursor of this item.' })
    cursor: string;

    @Field(() => itemType, { description: `The ${name}.` })
    node: T;
  }

  // Abstract base: only the concrete subclasses (e.g. EmployeeConnection) reach the schema.
  @ObjectType()
  abstract class ConnectionType {
    @Field(() => [EdgeType], { description: 'The items of this page with their cursors.' })
    edges: Edge<T>[];

    @Field(() => [itemType], { description: 'The items of this page.' })
    nodes: T[];

    @Field(() => PageInfo, { description: 'Paging information.' })
    pageInfo: PageInfo;

    @Field(() => Int, { description: 'How many items match, across all pages.' })
    totalCount: number;
  }
  return ConnectionType;
}
