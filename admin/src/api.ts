/** The operations the console sends, and the shapes it reads back (as in schema.graphql). */

export type EmployeeStatus = 'ACTIVE' | 'INACTIVE';
export type ManagedBy = 'IDENTITY_PROVIDER' | 'LOCAL';
export type TokenScope = 'ADMIN' | 'READ' | 'SCIM';
export type ProvisioningOutcome = 'SUCCESS' | 'WARNING' | 'FAILURE';
export type UsernameFormat = 'EMAIL' | 'ANY';
export type EmployeeField =
  | 'USERNAME'
  | 'FIRST_NAME'
  | 'LAST_NAME'
  | 'MIDDLE_NAME'
  | 'DISPLAY_NAME'
  | 'EMAIL'
  | 'MOBILE_NUMBER'
  | 'TIME_ZONE'
  | 'TYPE'
  | 'PRIMARY_ROLE'
  | 'TEAM'
  | 'LOGIN_AUTHENTICATOR'
  | 'STATUS';

export interface Named {
  id: string;
  name: string;
}
export interface UserError {
  code: string;
  field: string[] | null;
  message: string;
}
export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  nodes: T[];
}

export const VIEWER = `
  query Viewer {
    viewer { scope tenant { id name slug } token { id name prefix } }
  }
`;
export interface ViewerData {
  viewer: { scope: TokenScope; tenant: { id: string; name: string; slug: string }; token: { id: string; name: string; prefix: string } };
}

/** Roles, teams, authenticators: the choices of the filters and edit forms. */
export const CATALOG = `
  query Catalog {
    roles(first: 100) { nodes { id name description } }
    teams(first: 100) { nodes { id name description } }
    loginAuthenticators(first: 100) { nodes { id name isDefault } }
  }
`;
export interface CatalogData {
  roles: { nodes: (Named & { description: string | null })[] };
  teams: { nodes: (Named & { description: string | null })[] };
  loginAuthenticators: { nodes: (Named & { isDefault: boolean })[] };
}

export const EMPLOYEES = `
  query Employees($search: String, $filter: EmployeeFilter, $orderBy: EmployeeOrder, $first: Int!, $after: String) {
    employees(search: $search, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id username firstName lastName displayName email status managedBy
        primaryRole { id name }
        team { id name }
      }
    }
  }
`;
export interface EmployeeRow {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  displayName: string | null;
  email: string;
  status: EmployeeStatus;
  managedBy: ManagedBy;
  primaryRole: Named | null;
  team: Named | null;
}
export interface EmployeesData {
  employees: Connection<EmployeeRow>;
}

const EMPLOYEE_FIELDS = `
  id username firstName middleName lastName displayName email mobileNumber mobileNumberE164 timeZone type status
  managedBy lockedFields externalId createdAt updatedAt
  primaryRole { id name }
  team { id name }
  loginAuthenticator { id name }
  groups { id displayName }
`;
export interface Employee extends EmployeeRow {
  middleName: string | null;
  /** As sent or typed, e.g. 312-320-1707. */
  mobileNumber: string | null;
  /** Derived by the server (with the tenant's default phone region for national numbers); null when it cannot be. */
  mobileNumberE164: string | null;
  timeZone: string | null;
  type: string | null;
  lockedFields: EmployeeField[];
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
  loginAuthenticator: Named | null;
  groups: { id: string; displayName: string }[];
}

export const EMPLOYEE = `
  query Employee($id: ID!) {
    employee(id: $id) { ${EMPLOYEE_FIELDS} }
    auditEvents(employeeId: $id, first: 50) {
      totalCount
      nodes { id action occurredAt requestId actor { surface name } changes { field from to fromName toName } }
    }
    provisioningEvents(employeeId: $id, first: 50) {
      totalCount
      nodes { id occurredAt method path status outcome scimType detail ignoredAttributes requestId warnings { attribute value reason } }
    }
    warningEvents: provisioningEvents(employeeId: $id, outcome: WARNING, first: 3) {
      totalCount
      nodes { id occurredAt method path status warnings { attribute value reason } }
    }
  }
`;
export interface AuditEvent {
  id: string;
  action: string;
  occurredAt: string;
  requestId: string | null;
  /** `name`: the current name of the token or OAuth connection that made the change, when there is one. */
  actor: { surface: string; name: string | null };
  /** `fromName`/`toName`: the current name of the role, team or authenticator an id field names, else null. */
  changes: { field: string; from: string | null; to: string | null; fromName: string | null; toName: string | null }[];
}
export interface ProvisioningEvent {
  id: string;
  occurredAt: string;
  method: string;
  path: string;
  status: number;
  outcome: ProvisioningOutcome;
  scimType: string | null;
  detail: string | null;
  ignoredAttributes: string[];
  requestId: string;
  /** Optional values the request sent that could not be used and were skipped (outcome WARNING). */
  warnings: ProvisioningWarning[];
  userName?: string | null;
  durationMs?: number;
  employee?: { id: string; username: string; firstName: string; lastName: string; displayName: string | null } | null;
}
export interface ProvisioningWarning {
  /** The SCIM path, e.g. `timezone` or `phoneNumbers[type eq "mobile"].value`. */
  attribute: string;
  /** The value as the identity provider sent it. */
  value: string;
  /** Why it was skipped, and what was stored instead. */
  reason: string;
}
export interface EmployeeData {
  employee: Employee | null;
  auditEvents: { totalCount: number; nodes: AuditEvent[] };
  provisioningEvents: { totalCount: number; nodes: ProvisioningEvent[] };
  /** The employee's latest requests with warnings, whether or not they are among `provisioningEvents`' first 50. */
  warningEvents: { totalCount: number; nodes: Pick<ProvisioningEvent, 'id' | 'occurredAt' | 'method' | 'path' | 'status' | 'warnings'>[] };
}

export const UPDATE_EMPLOYEE = `
  mutation UpdateEmployee($input: UpdateEmployeeInput!) {
    updateEmployee(input: $input) {
      employee { ${EMPLOYEE_FIELDS} }
      userErrors { code field message }
    }
  }
`;

export const CREATE_EMPLOYEE = `
  mutation CreateEmployee($input: CreateEmployeeInput!) {
    createEmployee(input: $input) {
      employee { id }
      userErrors { code field message }
    }
  }
`;

export const PROVISIONING_EVENTS = `
  query ProvisioningEvents($outcome: ProvisioningOutcome, $person: String, $first: Int!, $after: String) {
    provisioningEvents(outcome: $outcome, person: $person, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id occurredAt method path status outcome scimType detail ignoredAttributes requestId userName durationMs
        warnings { attribute value reason }
        employee { id username firstName lastName displayName }
      }
    }
  }
`;
export interface ProvisioningEventsData {
  provisioningEvents: Connection<ProvisioningEvent>;
}

export const SCIM_IMPORT_FIELDS = [
  ['DISPLAY_NAME', 'Display name', 'displayName'],
  ['MIDDLE_NAME', 'Middle name', 'name.middleName'],
  ['MOBILE_NUMBER', 'Mobile number', 'phoneNumbers[type eq "mobile"]'],
  ['TIME_ZONE', 'Time zone', 'timezone'],
  ['TYPE', 'Employee type', 'userType'],
  ['PRIMARY_ROLE', 'Primary role', 'Rollcall extension: primaryRole'],
  ['TEAM', 'Team', 'Rollcall extension: team'],
  ['LOGIN_AUTHENTICATOR', 'Login authenticator', 'Rollcall extension: loginAuthenticator'],
] as const;

/** The SCIM schema extension that carries Rollcall's own attributes (src/scim/schema-definitions.ts). */
export const EXTENSION = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
/** Its attributes, as an identity provider's mapping names them (Okta: "External name"). */
export const EXTENSION_ATTRIBUTES = [
  ['primaryRole', 'Primary role', 'PRIMARY_ROLE'],
  ['team', 'Team', 'TEAM'],
  ['loginAuthenticator', 'Login authenticator', 'LOGIN_AUTHENTICATOR'],
  ['employeeTemplate', 'Employee template (presets on create)', null],
] as const;

/** The SCIM paths a provisioning warning can name, as the console labels them (other paths are shown as sent). */
export const SCIM_ATTRIBUTE_LABELS: Record<string, string> = {
  displayName: 'Display name',
  'name.middleName': 'Middle name',
  'name.formatted': 'Formatted name',
  'phoneNumbers[type eq "mobile"].value': 'Mobile number',
  timezone: 'Time zone',
  userType: 'Employee type',
  [`${EXTENSION}:primaryRole`]: 'Primary role',
  [`${EXTENSION}:team`]: 'Team',
  [`${EXTENSION}:loginAuthenticator`]: 'Login authenticator',
  [`${EXTENSION}:employeeTemplate`]: 'Employee template',
};

export const USERNAME_FORMATS = [
  ['EMAIL', 'Email address', 'Every username must be a valid email address (the default).'],
  ['ANY', 'Any text', 'Usernames may be any text of 1 to 256 characters, e.g. employee numbers or Okta user ids.'],
] as const satisfies readonly (readonly [UsernameFormat, string, string])[];

export const SETTINGS = `
  query Settings {
    tenantSettings { scimImportFields provisioningLogRetentionDays defaultRole { id name } usernameFormat defaultPhoneRegion }
    roles(first: 100) { totalCount nodes { id name description } }
    teams(first: 100) { totalCount nodes { id name description } }
    loginAuthenticators(first: 100) { totalCount nodes { id name isDefault } }
    employeeTemplates(first: 100) {
      totalCount
      nodes { id name timeZone type primaryRole { id name } team { id name } loginAuthenticator { id name } }
    }
    accessTokens(first: 100) {
      totalCount
      nodes { id name scope prefix createdAt lastUsedAt expiresAt revokedAt }
    }
  }
`;
export interface Template {
  id: string;
  name: string;
  timeZone: string | null;
  type: string | null;
  primaryRole: Named | null;
  team: Named | null;
  loginAuthenticator: Named | null;
}
export interface AccessToken {
  id: string;
  name: string;
  scope: TokenScope;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}
export interface SettingsData {
  tenantSettings: {
    scimImportFields: string[];
    provisioningLogRetentionDays: number;
    defaultRole: Named | null;
    usernameFormat: UsernameFormat;
    defaultPhoneRegion: string | null;
  };
  roles: { totalCount: number; nodes: (Named & { description: string | null })[] };
  teams: { totalCount: number; nodes: (Named & { description: string | null })[] };
  loginAuthenticators: { totalCount: number; nodes: (Named & { isDefault: boolean })[] };
  employeeTemplates: { totalCount: number; nodes: Template[] };
  accessTokens: { totalCount: number; nodes: AccessToken[] };
}

export const UPDATE_SETTINGS = `
  mutation UpdateTenantSettings($input: UpdateTenantSettingsInput!) {
    updateTenantSettings(input: $input) {
      tenantSettings { scimImportFields provisioningLogRetentionDays defaultRole { id name } usernameFormat defaultPhoneRegion }
      userErrors { code field message }
    }
  }
`;

/** Create and delete mutations of the catalog share one shape: `<verb><Kind>(input) { <kind> userErrors }`. */
export function catalogMutation(name: string, returns: string): string {
  const inputType = name.charAt(0).toUpperCase() + name.slice(1) + 'Input';
  return `
    mutation ${name.charAt(0).toUpperCase() + name.slice(1)}($input: ${inputType}!) {
      ${name}(input: $input) { ${returns} userErrors { code field message } }
    }
  `;
}

export const CREATE_TOKEN = `
  mutation CreateAccessToken($input: CreateAccessTokenInput!) {
    createAccessToken(input: $input) {
      secret
      accessToken { id name scope prefix createdAt lastUsedAt expiresAt revokedAt }
      userErrors { code field message }
    }
  }
`;
export const REVOKE_TOKEN = `
  mutation RevokeAccessToken($input: RevokeAccessTokenInput!) {
    revokeAccessToken(input: $input) {
      accessToken { id revokedAt }
      userErrors { code field message }
    }
  }
`;

/** The change feed's event types: the API's enum, the name a webhook body carries, and what it means. */
export type EventType =
  | 'EMPLOYEE_CREATED'
  | 'EMPLOYEE_UPDATED'
  | 'EMPLOYEE_DEACTIVATED'
  | 'EMPLOYEE_REACTIVATED'
  | 'EMPLOYEE_DELETED'
  | 'GROUP_CREATED'
  | 'GROUP_UPDATED'
  | 'GROUP_DELETED'
  | 'GROUP_MEMBERS_ADDED'
  | 'GROUP_MEMBERS_REMOVED';
export const EVENT_TYPES = [
  ['EMPLOYEE_CREATED', 'employee.created', 'An employee was created'],
  ['EMPLOYEE_UPDATED', 'employee.updated', 'Fields of an employee changed'],
  ['EMPLOYEE_DEACTIVATED', 'employee.deactivated', 'An employee became inactive'],
  ['EMPLOYEE_REACTIVATED', 'employee.reactivated', 'An employee became active again'],
  ['EMPLOYEE_DELETED', 'employee.deleted', 'An employee was deleted'],
  ['GROUP_CREATED', 'group.created', 'A group was created'],
  ['GROUP_UPDATED', 'group.updated', 'A group was renamed'],
  ['GROUP_DELETED', 'group.deleted', 'A group was deleted'],
  ['GROUP_MEMBERS_ADDED', 'group.members_added', 'Employees were added to a group'],
  ['GROUP_MEMBERS_REMOVED', 'group.members_removed', 'Employees were removed from a group'],
] as const satisfies readonly (readonly [EventType, string, string])[];

/** `employee.created` for EMPLOYEE_CREATED: the name receivers see in a webhook body's `type`. */
export function eventTypeName(type: EventType): string {
  return EVENT_TYPES.find(([value]) => value === type)?.[1] ?? type;
}

export type WebhookDeliveryStatus = 'DELIVERED' | 'RETRYING' | 'FAILED';
export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: EventType;
  sequence: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  latencyMs: number | null;
  createdAt: string;
  lastAttemptAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: EventType[];
  enabled: boolean;
  /** Set when Rollcall disabled the endpoint itself (every delivery failed for 3 days); null otherwise. */
  disabledReason: string | null;
  secretPrefix: string;
  failingSince: string | null;
  lastDeliveryAt: string | null;
  createdAt: string;
}

const WEBHOOK_ENDPOINT_FIELDS = 'id url description eventTypes enabled disabledReason secretPrefix failingSince lastDeliveryAt createdAt';
const WEBHOOK_DELIVERY_FIELDS =
  'id eventId eventType sequence status attempts lastStatusCode lastError latencyMs createdAt lastAttemptAt nextAttemptAt deliveredAt';

export const WEBHOOK_ENDPOINTS = `
  query WebhookEndpoints {
    webhookEndpoints { ${WEBHOOK_ENDPOINT_FIELDS} }
  }
`;
export interface WebhookEndpointsData {
  webhookEndpoints: WebhookEndpoint[];
}

export const WEBHOOK_ENDPOINT = `
  query WebhookEndpoint($id: ID!, $first: Int!, $after: String) {
    node(id: $id) {
      ... on WebhookEndpoint {
        ${WEBHOOK_ENDPOINT_FIELDS}
        deliveries(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { ${WEBHOOK_DELIVERY_FIELDS} }
        }
      }
    }
  }
`;
export interface WebhookEndpointData {
  /** Null (or another type, without these fields) when there is no such endpoint. */
  node: (WebhookEndpoint & { deliveries: Connection<WebhookDelivery> }) | null;
}

export const CREATE_WEBHOOK_ENDPOINT = `
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      secret
      webhookEndpoint { ${WEBHOOK_ENDPOINT_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const UPDATE_WEBHOOK_ENDPOINT = `
  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      webhookEndpoint { ${WEBHOOK_ENDPOINT_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const DELETE_WEBHOOK_ENDPOINT = `
  mutation DeleteWebhookEndpoint($input: DeleteWebhookEndpointInput!) {
    deleteWebhookEndpoint(input: $input) {
      deletedWebhookEndpointId
      userErrors { code field message }
    }
  }
`;
export const ROTATE_WEBHOOK_SECRET = `
  mutation RotateWebhookSecret($input: RotateWebhookSecretInput!) {
    rotateWebhookSecret(input: $input) {
      secret
      webhookEndpoint { ${WEBHOOK_ENDPOINT_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const REDELIVER_WEBHOOK_DELIVERY = `
  mutation RedeliverWebhookDelivery($input: RedeliverWebhookDeliveryInput!) {
    redeliverWebhookDelivery(input: $input) {
      webhookDelivery { ${WEBHOOK_DELIVERY_FIELDS} }
      userErrors { code field message }
    }
  }
`;

export type ActorSurface = 'CLI' | 'GRAPHQL' | 'SCIM' | 'SYSTEM';
export interface FeedEvent {
  id: string;
  type: EventType;
  sequence: number;
  occurredAt: string;
  actor: { surface: ActorSurface; tokenName: string | null };
  resourceType: string;
  /** The database id (uuid) of the employee or group. */
  resourceId: string;
  /** `employee` or `group` as it is after the change, `changes`, `memberIds`, `chunk` (schema.graphql, `Event.data`). */
  data: Record<string, unknown>;
}
export const EVENTS = `
  query Events($types: [EventType!], $first: Int!, $after: String) {
    events(types: $types, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id type sequence occurredAt actor { surface tokenName } resourceType resourceId data }
    }
  }
`;
export interface EventsData {
  events: Connection<FeedEvent>;
}

/** OAuth 2.0 connections of identity providers (issue 19): Okta uses the authorization code grant, Entra client credentials or federation. */
export type OAuthGrantType = 'CLIENT_CREDENTIALS' | 'AUTHORIZATION_CODE' | 'JWT_BEARER';
export interface OAuthFederation {
  issuer: string;
  subject: string;
  audience: string;
  jwksUrl: string | null;
}
export interface OAuthClientSecret {
  id: string;
  prefix: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}
export interface OAuthClient {
  id: string;
  clientId: string;
  name: string;
  grantTypes: OAuthGrantType[];
  redirectUris: string[];
  federation: OAuthFederation | null;
  secrets: OAuthClientSecret[];
  lastUsedAt: string | null;
  createdAt: string;
  /** The tenant's grant of a platform client (one app for every tenant, Okta's integration network). */
  platform: boolean;
  authorizedAt: string | null;
}
/** What an identity provider's admin pastes, derived by the server from PUBLIC_URL. */
export interface OAuthEndpoints {
  scimBaseUrl: string;
  tokenUrl: string;
  authorizeUrl: string;
  issuer: string;
}

const OAUTH_CLIENT_FIELDS = `
  id clientId name grantTypes redirectUris createdAt lastUsedAt platform authorizedAt
  federation { issuer subject audience jwksUrl }
  secrets { id prefix createdAt expiresAt lastUsedAt }
`;

export const OAUTH_CLIENTS = `
  query OAuthClients {
    oauthClients { ${OAUTH_CLIENT_FIELDS} }
    oauthEndpoints { scimBaseUrl tokenUrl authorizeUrl issuer }
    tenantSettings { oauthAccessTokenLifetimeSeconds }
  }
`;
export interface OAuthClientsData {
  oauthClients: OAuthClient[];
  oauthEndpoints: OAuthEndpoints;
  tenantSettings: { oauthAccessTokenLifetimeSeconds: number };
}
export const UPDATE_OAUTH_TOKEN_LIFETIME = `
  mutation UpdateOAuthTokenLifetime($input: UpdateTenantSettingsInput!) {
    updateTenantSettings(input: $input) {
      tenantSettings { oauthAccessTokenLifetimeSeconds }
      userErrors { code field message }
    }
  }
`;

export const CREATE_OAUTH_CLIENT = `
  mutation CreateOAuthClient($input: CreateOAuthClientInput!) {
    createOAuthClient(input: $input) {
      clientSecret
      oauthClient { ${OAUTH_CLIENT_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const ADD_OAUTH_CLIENT_SECRET = `
  mutation AddOAuthClientSecret($input: AddOAuthClientSecretInput!) {
    addOAuthClientSecret(input: $input) {
      clientSecret
      oauthClient { ${OAUTH_CLIENT_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const REVOKE_OAUTH_CLIENT_SECRET = `
  mutation RevokeOAuthClientSecret($input: RevokeOAuthClientSecretInput!) {
    revokeOAuthClientSecret(input: $input) {
      oauthClient { ${OAUTH_CLIENT_FIELDS} }
      userErrors { code field message }
    }
  }
`;
export const REVOKE_OAUTH_GRANT = `
  mutation RevokeOAuthGrant($input: RevokeOAuthGrantInput!) {
    revokeOAuthGrant(input: $input) {
      deletedOAuthClientId
      userErrors { code field message }
    }
  }
`;
export const DELETE_OAUTH_CLIENT = `
  mutation DeleteOAuthClient($input: DeleteOAuthClientInput!) {
    deleteOAuthClient(input: $input) {
      deletedOAuthClientId
      userErrors { code field message }
    }
  }
`;

/** A pending authorization request of `GET /oauth/authorize`; null when unknown, expired or of another tenant. */
export interface OAuthAuthorizationRequest {
  id: string;
  clientName: string;
  redirectUri: string;
  tenantName: string;
  scopes: string[];
  expiresAt: string;
  /** A platform client: any tenant's admin may approve it, for their own tenant only. */
  platform: boolean;
}
export const OAUTH_AUTHORIZATION_REQUEST = `
  query OAuthAuthorizationRequest($id: ID!) {
    oauthAuthorizationRequest(id: $id) { id clientName redirectUri tenantName scopes expiresAt platform }
  }
`;
export interface OAuthAuthorizationRequestData {
  oauthAuthorizationRequest: OAuthAuthorizationRequest | null;
}
export const DECIDE_OAUTH_AUTHORIZATION = `
  mutation DecideOAuthAuthorization($input: DecideOAuthAuthorizationInput!) {
    decideOAuthAuthorization(input: $input) {
      redirectTo
      userErrors { code field message }
    }
  }
`;

export const GROUPS = `
  query Groups($search: String, $first: Int!, $after: String) {
    groups(search: $search, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id displayName externalId provisionedBy createdAt updatedAt members(first: 1) { totalCount } }
    }
  }
`;
export interface GroupRow {
  id: string;
  displayName: string;
  externalId: string | null;
  /** The name of the SCIM token or OAuth connection that created the group (null: unknown or deleted since). */
  provisionedBy: string | null;
  createdAt: string;
  updatedAt: string;
  members: { totalCount: number };
}
export interface GroupsData {
  groups: Connection<GroupRow>;
}
export const GROUP = `
  query Group($id: ID!, $first: Int!, $after: String) {
    group(id: $id) {
      id displayName externalId provisionedBy createdAt updatedAt
      members(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id username firstName lastName displayName email status managedBy primaryRole { id name } team { id name } }
      }
    }
  }
`;
export interface GroupData {
  group: (Omit<GroupRow, 'members'> & { members: Connection<EmployeeRow> }) | null;
}

/**
 * What the Connect page shows and polls: where the identity provider sends SCIM, the tenant's import settings, and
 * whether anything has arrived yet (a SCIM token or connection used, or an entry in the provisioning log).
 */
export const CONNECT = `
  query Connect {
    oauthEndpoints { scimBaseUrl }
    tenantSettings { scimImportFields defaultRole { id name } usernameFormat }
    accessTokens(first: 100) { nodes { id name scope prefix lastUsedAt revokedAt } }
    oauthClients { id name lastUsedAt }
    provisioningEvents(first: 1) { totalCount nodes { id occurredAt method path status outcome userName } }
    employees(first: 1) { totalCount }
  }
`;
export interface ConnectData {
  oauthEndpoints: { scimBaseUrl: string };
  tenantSettings: { scimImportFields: string[]; defaultRole: Named | null; usernameFormat: UsernameFormat };
  accessTokens: { nodes: Pick<AccessToken, 'id' | 'name' | 'scope' | 'prefix' | 'lastUsedAt' | 'revokedAt'>[] };
  oauthClients: { id: string; name: string; lastUsedAt: string | null }[];
  provisioningEvents: { totalCount: number; nodes: Pick<ProvisioningEvent, 'id' | 'occurredAt' | 'method' | 'path' | 'status' | 'outcome' | 'userName'>[] };
  employees: { totalCount: number };
}
