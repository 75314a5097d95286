import { AccessToken } from './access-token.entity';
import { AuditEvent } from './audit-event.entity';
import { Event, EventNumber, EventPending, EventSequence } from './event.entity';
import { EmployeeTemplate } from './employee-template.entity';
import { Employee } from './employee.entity';
import { GroupMember } from './group-member.entity';
import { Group } from './group.entity';
import { OAuthAuthorization } from './oauth-authorization.entity';
import { OAuthClient, OAuthClientSecret } from './oauth-client.entity';
import { OAuthToken } from './oauth-token.entity';
import { OAuthPlatformAuthorizationRequest, OAuthPlatformClient, OAuthPlatformClientSecret } from './oauth-platform-client.entity';
import { LoginAuthenticator } from './login-authenticator.entity';
import { OAuthAssertionJti } from './oauth-assertion-jti.entity';
import { ProvisioningEvent } from './provisioning-event.entity';
import { Role } from './role.entity';
import { Team } from './team.entity';
import { Tenant } from './tenant.entity';
import { WebhookDelivery, WebhookEndpoint } from './webhook-endpoint.entity';

export {
  AccessToken,
  AuditEvent,
  Employee,
  EmployeeTemplate,
  Event,
  EventSequence,
  EventPending,
  EventNumber,
  Group,
  GroupMember,
  LoginAuthenticator,
  OAuthAuthorization,
  OAuthClient,
  OAuthClientSecret,
  OAuthToken,
  OAuthAssertionJti,
  OAuthPlatformClient,
  OAuthPlatformClientSecret,
  OAuthPlatformAuthorizationRequest,
  ProvisioningEvent,
  Role,
  Team,
  Tenant,
  WebhookDelivery,
  WebhookEndpoint,
};

/** Every entity, listed explicitly so the compiled and the TypeScript builds load the same set. */
export const ENTITIES = [
  Tenant,
  Role,
  Team,
  LoginAuthenticator,
  EmployeeTemplate,
  Employee,
  AccessToken,
  AuditEvent,
  ProvisioningEvent,
  Group,
  GroupMember,
  WebhookEndpoint,
  WebhookDelivery,
  Event,
  EventSequence,
  EventPending,
  EventNumber,
  OAuthClient,
  OAuthClientSecret,
  OAuthToken,
  OAuthAuthorization,
  OAuthAssertionJti,
  OAuthPlatformClient,
  OAuthPlatformClientSecret,
  OAuthPlatformAuthorizationRequest,
];
