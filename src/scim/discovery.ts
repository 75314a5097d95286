import Router from 'router';
import { ScimError } from './errors';
import { send } from './request';
import {
  AttributeDefinition,
  CORE_GROUP_SCHEMA_URN,
  CORE_USER_SCHEMA_URN,
  ROLLCALL_USER_EXTENSION_URN,
  SCIM_SCHEMAS,
  SchemaDefinition,
  findSchema,
} from './schema-definitions';

/**
 * SCIM discovery (RFC 7644 §4, RFC 7643 §5-§7): /ServiceProviderConfig, /ResourceTypes and /Schemas. Mounted inside
 * the SCIM router, after authentication: Okta and Entra send their bearer token to these endpoints too.
 */

export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** The most resources one list or filter response returns (advertised as filter.maxResults). */
export const SCIM_MAX_RESULTS = 200;


export interface DiscoveryOptions {
  /** Public base URL of the SCIM API, e.g. http://localhost:3000/scim/v2 (for meta.location). */
  baseUrl: string;
  /** Human-readable documentation of Rollcall's SCIM API, advertised when set. */
  documentationUri?: string;
}

export interface ListResponse<T> {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: 1;
  itemsPerPage: number;
  Resources: T[];
}

function listResponse<T>(resources: T[]): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

export function serviceProviderConfig(options: DiscoveryOptions) {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    ...(options.documentationUri ? { documentationUri: options.documentationUri } : {}),
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: SCIM_MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'HTTP bearer token',
        description:
          'A Rollcall SCIM token (scope "scim", created by a tenant administrator), sent as "Authorization: Bearer <token>".',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${options.baseUrl}/ServiceProviderConfig` },
  };
}

export function userResourceType(options: DiscoveryOptions) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    description: 'An employee in the Rollcall directory.',
    endpoint: '/Users',
    schema: CORE_USER_SCHEMA_URN,
    schemaExtensions: [{ schema: ROLLCALL_USER_EXTENSION_URN, required: false }],
    meta: { resourceType: 'ResourceType', location: `${options.baseUrl}/ResourceTypes/User` },
  };
}

export function groupResourceType(options: DiscoveryOptions) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'Group',
    name: 'Group',
    description: 'A group of employees, owned by the identity provider.',
    endpoint: '/Groups',
    schema: CORE_GROUP_SCHEMA_URN,
    meta: { resourceType: 'ResourceType', location: `${options.baseUrl}/ResourceTypes/Group` },
  };
}

export function schemaResource(schema: SchemaDefinition, options: DiscoveryOptions) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(attributeResource),
    meta: { resourceType: 'Schema', location: `${options.baseUrl}/Schemas/${schema.id}` },
  };
}

/** The definition in the order RFC 7643 §8.7 lists characteristics (a plain copy, so responses cannot alias it). */
function attributeResource(a: AttributeDefinition): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    ...(a.canonicalValues ? { canonicalValues: [...a.canonicalValues] } : {}),
    ...(a.referenceTypes ? { referenceTypes: [...a.referenceTypes] } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attributeResource) } : {}),
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
  };
}

/** GET-only routes; any other method gets 405 with `Allow: GET` (RFC 7644 §4: discovery is read-only). */
export function discoveryRouter(options: DiscoveryOptions): Router.Router {
  const router = new Router();
  const readOnly = (path: string) => {
    router.all(path, (req) => {
      throw new ScimError(405, `${req.method} is not allowed on ${path}: discovery endpoints are read-only, use GET.`, undefined, {
        Allow: 'GET',
      });
    });
  };

  router.get('/ServiceProviderConfig', (_req, res) => send(res, 200, serviceProviderConfig(options)));
  readOnly('/ServiceProviderConfig');

  router.get('/ResourceTypes', (_req, res) =>
    send(res, 200, listResponse([userResourceType(options), groupResourceType(options)])),
  );
  readOnly('/ResourceTypes');
  router.get('/ResourceTypes/:id', (req, res) => {
    const id = String(req.params.id);
    const type = [userResourceType(options), groupResourceType(options)].find((t) => t.id.toLowerCase() === id.toLowerCase());
    if (!type) throw new ScimError(404, `No resource type "${id}": Rollcall serves User and Group.`);
    send(res, 200, type);
  });
  readOnly('/ResourceTypes/:id');

  router.get('/Schemas', (_req, res) => send(res, 200, listResponse(SCIM_SCHEMAS.map((s) => schemaResource(s, options)))));
  readOnly('/Schemas');
  router.get('/Schemas/:urn', (req, res) => {
    const urn = String(req.params.urn);
    const schema = findSchema(urn);
    if (!schema) {
      throw new ScimError(404, `No schema "${urn}". Rollcall serves ${SCIM_SCHEMAS.map((s) => s.id).join(', ')}.`);
    }
    send(res, 200, schemaResource(schema, options));
  });
  readOnly('/Schemas/:urn');

  return router;
}
