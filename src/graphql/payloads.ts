import { ClassType, Field, ID, ObjectType } from 'type-graphql';
import { withUserErrors } from './errors';
import { UserError } from './types/user-error.type';

const NOTHING_WRITTEN = 'Why the change was refused; empty on success. Nothing is written when not empty.';

/** What every mutation answers: its result under the payload's own field name (null when refused), and why not. */
export interface Payload<T> {
  result: T | null;
  userErrors: UserError[];
}

/**
 * Names a payload type after its mutation (`createRole` answers `CreateRolePayload`, "Result of createRole."), on a
 * class extending `ObjectPayload` or `DeletePayload`, as `Connection` types extend theirs.
 */
export function PayloadOf(mutation: string): ClassDecorator {
  return ObjectType(`${mutation.charAt(0).toUpperCase()}${mutation.slice(1)}Payload`, { description: `Result of ${mutation}.` });
}

/**
 * `{ <field>: T, userErrors }`, the payload of a mutation that answers an object. The descriptions default to those of
 * a change ("The role after the change").
 */
export function ObjectPayload<T extends object>(
  type: ClassType<T>,
  field: string,
  descriptions: { result?: string; userErrors?: string } = {},
) {
  const label = field.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
  // Abstract base: only the named subclasses reach the schema.
  @ObjectType()
  abstract class PayloadType implements Payload<T> {
    @Field(() => type, {
      name: field,
      nullable: true,
      description: descriptions.result ?? `The ${label} after the change; null when refused.`,
    })
    result: T | null;

    @Field(() => [UserError], { description: descriptions.userErrors ?? NOTHING_WRITTEN })
    userErrors: UserError[];
  }
  return PayloadType;
}

/** `{ deleted<Type>Id, userErrors }`, the payload of a delete mutation. */
export function DeletePayload(type: string) {
  @ObjectType()
  abstract class PayloadType implements Payload<string> {
    @Field(() => ID, {
      name: `deleted${type}Id`,
      nullable: true,
      description: `Global id of the deleted ${type.replace(/(.)([A-Z])/g, '$1 $2').toLowerCase()}; null when refused.`,
    })
    result: string | null;

    @Field(() => [UserError], { description: NOTHING_WRITTEN })
    userErrors: UserError[];
  }
  return PayloadType;
}

/**
 * Runs a mutation's service call and fills its payload: the converted result, or the userErrors of a refusal.
 * `extra` fills a payload's own further fields (e.g. a new token's secret).
 */
export async function payload<R, T, P extends Payload<T>>(
  type: new () => P,
  work: () => Promise<R>,
  convert: (result: R) => T,
  extra?: (result: R | null) => Omit<Partial<P>, keyof Payload<T>>,
): Promise<P> {
  const { result, userErrors } = await withUserErrors(work);
  return Object.assign(new type(), { result: result === null ? null : convert(result), userErrors }, extra?.(result));
}
