import { Field, ID, InterfaceType } from 'type-graphql';

@InterfaceType('Node', { description: 'An object with a globally unique, opaque id that `node(id:)` can fetch.' })
export abstract class NodeType {
  @Field(() => ID, { description: 'The opaque global id of this object.' })
  id: string;
}
