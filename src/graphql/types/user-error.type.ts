import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ErrorCode } from '../../services/errors';

registerEnumType(ErrorCode, {
  name: 'UserErrorCode',
  description: 'Why a mutation was refused.',
  valuesConfig: {
    UNAUTHENTICATED: { description: 'The token is missing or invalid.' },
    FORBIDDEN: { description: "The token's scope does not allow this." },
    NOT_FOUND: { description: 'No such object in this tenant.' },
    INVALID_VALUE: { description: 'A value is malformed or refers to something that does not exist.' },
    REQUIRED: { description: 'A required value is missing or empty.' },
    UNIQUENESS: { description: 'Another object already holds this unique value.' },
    IDP_MANAGED_FIELD: {
      description: 'The field belongs to the identity provider for this employee; change it there.',
    },
    DEFAULT_ROLE_MISSING: { description: "The tenant's default role does not exist." },
    VERSION_CONFLICT: { description: 'The object changed meanwhile; read it again.' },
    IN_USE: { description: 'The object is still in use and cannot be deleted.' },
    DATABASE_UNAVAILABLE: {
      description: 'The database cannot be reached; answered as a top-level SERVICE_UNAVAILABLE error (HTTP 503), retry.',
    },
  },
});

@ObjectType('UserError', { description: 'A problem with the input of a mutation; nothing was written.' })
export class UserError {
  @Field(() => ErrorCode, { description: 'Machine-readable reason.' })
  code: ErrorCode;

  @Field(() => [String], { nullable: true, description: 'Path to the input field concerned, e.g. ["input", "email"].' })
  field: string[] | null;

  @Field({ description: 'What is wrong and how to fix it, for people.' })
  message: string;
}
