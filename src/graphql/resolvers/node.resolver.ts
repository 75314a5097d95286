import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { auditService } from '../../services/audit.service';
import { catalogService } from '../../services/catalog.service';
import { employeeService } from '../../services/employee.service';
import { provisioningLogService } from '../../services/provisioning-log.service';
import { tenantService } from '../../services/tenant.service';
import { tokenService } from '../../services/token.service';
import { oauthClientService } from '../../services/oauth/client.service';
import { webhookService } from '../../services/webhook.service';
import { GraphQLContext } from '../context';
import { fromGlobalId } from '../global-id';
import { EmployeeTemplateType, LoginAuthenticatorType, RoleType, TeamType } from '../types/catalog.type';
import { AccessTokenType } from '../types/access-token.type';
import { EmployeeType } from '../types/employee.type';
import { GroupType } from '../types/group.type';
import { AuditEventType, ProvisioningEventType } from '../types/log.type';
import { TenantType } from '../types/tenant.type';
import { NodeType } from '../types/node.type';
import { OAuthClientType } from '../types/oauth.type';
import { WebhookEndpointType } from '../types/webhook.type';

/** Fetches any object of the caller's tenant by its global id; ids of other tenants resolve to null. */
@Resolver()
export class NodeResolver {
  @Query(() => NodeType, { nullable: true, description: 'Any object by its global id; null when it does not exist in your tenant.' })
  async node(
    @Arg('id', () => ID, { description: 'A global id, as returned in any `id` field.' }) id: string,
    @Ctx() { ctx, loaders, scope }: GraphQLContext,
  ): Promise<NodeType | null> {
    const parsed = fromGlobalId(id);
    if (!parsed) return null;
    switch (parsed.type) {
      case 'Employee': {
        const employee = await employeeService.get(ctx, parsed.id);
        return employee ? EmployeeType.from(employee) : null;
      }
      case 'Role': {
        const role = await loaders.role.load(parsed.id);
        return role ? RoleType.from(role) : null;
      }
      case 'Team': {
        const team = await loaders.team.load(parsed.id);
        return team ? TeamType.from(team) : null;
      }
      case 'LoginAuthenticator': {
        const authenticator = await loaders.loginAuthenticator.load(parsed.id);
        return authenticator ? LoginAuthenticatorType.from(authenticator) : null;
      }
      case 'EmployeeTemplate': {
        const template = await catalogService.template(ctx, parsed.id);
        return template ? EmployeeTemplateType.from(template) : null;
      }
      case 'Group': {
        const group = await loaders.group.load(parsed.id);
        return group ? GroupType.from(group) : null;
      }
      case 'Tenant':
        return parsed.id === ctx.tenantId ? TenantType.from(await tenantService.get(ctx)) : null;
      case 'AccessToken': {
        const token = await tokenService.get(ctx, parsed.id);
        return token ? AccessTokenType.from(token) : null;
      }
      case 'AuditEvent': {
        const event = await auditService.get(ctx, parsed.id);
        return event ? AuditEventType.from(event) : null;
      }
      case 'ProvisioningEvent': {
        const event = await provisioningLogService.get(ctx, parsed.id);
        return event ? ProvisioningEventType.from(event) : null;
      }
      case 'WebhookEndpoint': {
        const endpoint = await webhookService.get(ctx, parsed.id);
        return endpoint ? WebhookEndpointType.from(endpoint) : null;
      }
      case 'OAuthClient': {
        // Connections are admin business, as the oauthClients query is.
        if (scope !== 'admin') return null;
        const client = await oauthClientService.get(ctx, parsed.id);
        return client ? OAuthClientType.from(client, await oauthClientService.secrets(ctx, [client.id])) : null;
      }
      default:
        return null;
    }
  }
}
