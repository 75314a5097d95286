import { GraphQLSchema } from 'graphql';
import { AuthChecker, buildSchema } from 'type-graphql';
import { GraphQLContext } from './context';
import { forbidden } from './errors';
import { AccessTokenResolver } from './resolvers/access-token.resolver';
import { CATALOG_RESOLVERS } from './resolvers/catalog.resolver';
import { EventResolver } from './resolvers/event.resolver';
import { EmployeeResolver } from './resolvers/employee.resolver';
import { EmployeeGroupsResolver, GroupResolver } from './resolvers/group.resolver';
import { NodeResolver } from './resolvers/node.resolver';
import { OAuthResolver } from './resolvers/oauth.resolver';
import { ActorResolver, AuditEventResolver, FieldChangeResolver, ProvisioningEventResolver } from './resolvers/log.resolver';
import { TenantSettingsResolver, ViewerResolver } from './resolvers/tenant.resolver';
import { WebhookResolver } from './resolvers/webhook.resolver';

/** `@Authorized('admin')` marks writes: `read` tokens may only query. */
const authChecker: AuthChecker<GraphQLContext> = ({ context }, scopes) => {
  if (scopes.length === 0 || scopes.includes(context.scope)) return true;
  throw forbidden(`This token has scope "${context.scope}"; this operation needs scope ${scopes.map((s) => `"${s}"`).join(' or ')}.`);
};

export async function createSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [
      EmployeeResolver,
      GroupResolver,
      EmployeeGroupsResolver,
      NodeResolver,
      ViewerResolver,
      TenantSettingsResolver,
      AccessTokenResolver,
      AuditEventResolver,
      ActorResolver,
      FieldChangeResolver,
      ProvisioningEventResolver,
      WebhookResolver,
      EventResolver,
      OAuthResolver,
      ...CATALOG_RESOLVERS,
    ],
    authChecker,
    validate: false,
    // type-graphql insists on a PubSub once a @Subscription exists, even one with its own `subscribe` (the change
    // feed reads the outbox: src/services/event-feed.ts). Nothing publishes through this one.
    pubSub: {
      publish: () => undefined,
      subscribe: () => {
        throw new Error('No topic-based subscriptions: every subscription has its own subscribe function.');
      },
    },
  });
  // type-graphql has no decorator for the root types; document them here.
  schema.getQueryType()!.description = "The query root of Rollcall's admin API. Everything is scoped to the token's tenant.";
  schema.getMutationType()!.description =
    'The mutation root. Every mutation takes one `input` and returns a payload with `userErrors`; needs an admin token.';
  schema.getSubscriptionType()!.description =
    'The subscription root, over WebSocket (graphql-ws) at /graphql, with the token in `connection_init`; read or admin tokens.';
  return schema;
}
