import { Field, ObjectType } from 'type-graphql';
import { Group } from '../../entities';
import { toGlobalId } from '../global-id';
import { NodeType } from './node.type';

@ObjectType('Group', {
  implements: NodeType,
  description: 'A group pushed by the identity provider (SCIM). Read-only here: the identity provider owns groups.',
})
export class GroupType extends NodeType {
  @Field({ description: 'The group name, unique in the tenant (case-insensitively).' })
  displayName: string;

  @Field(() => String, { nullable: true, description: "The identity provider's own id for the group." })
  externalId: string | null;

  @Field({ description: 'When the group was created.' })
  createdAt: Date;

  @Field({ description: 'When the group last changed.' })
  updatedAt: Date;

  /** Database uuid, for cursors and member pages; not exposed. */
  uuid: string;

  static from(group: Group): GroupType {
    return Object.assign(new GroupType(), {
      id: toGlobalId('Group', group.id),
      uuid: group.id,
      displayName: group.displayName,
      externalId: group.externalId,
      createdAt: group.createdAt,
      updatedAt: group.updatedAt,
    });
  }
}
