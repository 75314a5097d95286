import { GraphQLSchema } from 'graphql';
import { AuthChecker, buildSchema } from 'type-graphql';
import { GraphQLContext } from './context';
import { forbidden } from './errors';
import { EmployeeResolver } from './resolvers/employee.resolver';

/** `@Authorized('admin')` marks writes: `read` tokens may only query. */
const authChecker: AuthChecker<GraphQLContext> = ({ context }, scopes) => {
  if (scopes.length === 0 || scopes.includes(context.scope)) return true;
  throw forbidden(`This token has scope "${context.scope}"; this operation needs scope ${scopes.map((s) => `"${s}"`).join(' or ')}.`);
};

export async function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [EmployeeResolver],
    authChecker,
    validate: false,
  });
}
