import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Tenant } from '../../entities';
import { SCIM_IMPORT_FIELDS, ScimImportField, USERNAME_FORMATS, UsernameFormat } from '../../entities/enums';
import { TenantSettings } from '../../services/tenant.service';
import { toGlobalId } from '../global-id';
import { TokenScopeEnum } from './access-token.type';
import { NodeType } from './node.type';

/** One description per stored value: a new import field does not compile until it is described here. */
const SCIM_IMPORT_FIELD_DESCRIPTIONS: Record<ScimImportField, string> = {
  DISPLAY_NAME: 'The SCIM `displayName` becomes the display name.',
  MIDDLE_NAME: 'The SCIM `name.middleName` becomes the middle name.',
  MOBILE_NUMBER: 'The SCIM phone number of type "mobile" becomes the mobile number.',
  TIME_ZONE: 'The SCIM `timezone` becomes the time zone.',
  TYPE: 'The SCIM `userType` becomes the employee type.',
  LOGIN_AUTHENTICATOR: 'The login authenticator named in the Rollcall extension is assigned.',
  PRIMARY_ROLE: 'The role named in the Rollcall extension becomes the primary role.',
  TEAM: 'The team named in the Rollcall extension is assigned.',
};

/** Built from the stored values (src/entities/enums.ts), so the API and the database cannot disagree. */
export const ScimImportFieldEnum = Object.fromEntries(SCIM_IMPORT_FIELDS.map((f) => [f, f])) as { [K in ScimImportField]: K };
registerEnumType(ScimImportFieldEnum, {
  name: 'ScimImportField',
  description:
    'An optional employee attribute that Rollcall can take from the identity provider. Attributes not enabled are ' +
    'ignored on SCIM writes (and listed in the provisioning log as ignored).',
  valuesConfig: Object.fromEntries(SCIM_IMPORT_FIELDS.map((f) => [f, { description: SCIM_IMPORT_FIELD_DESCRIPTIONS[f] }])),
});

/** One description per stored value, as for ScimImportField. */
const USERNAME_FORMAT_DESCRIPTIONS: Record<UsernameFormat, string> = {
  EMAIL: 'A username must be a valid email address (the default).',
  ANY:
    'Any text of 1 to 256 characters without control characters (surrounding spaces are trimmed): for identity ' +
    'providers that keep userName apart from email, e.g. employee numbers or Okta user ids.',
};
export const UsernameFormatEnum = Object.fromEntries(USERNAME_FORMATS.map((f) => [f, f])) as { [K in UsernameFormat]: K };
registerEnumType(UsernameFormatEnum, {
  name: 'UsernameFormat',
  description: "The tenant's rule for usernames.",
  valuesConfig: Object.fromEntries(USERNAME_FORMATS.map((f) => [f, { description: USERNAME_FORMAT_DESCRIPTIONS[f] }])),
});

@ObjectType('Tenant', { implements: NodeType, description: 'Your organisation in Rollcall.' })
export class TenantType extends NodeType {
  @Field({ description: 'The display name.' })
  name: string;

  @Field({ description: 'The unique short name, e.g. acme-support.' })
  slug: string;

  static from(tenant: Tenant): TenantType {
    return Object.assign(new TenantType(), { id: toGlobalId('Tenant', tenant.id), name: tenant.name, slug: tenant.slug });
  }
}

@ObjectType('Viewer', { description: 'Who is asking: the token that authenticated this request and its tenant.' })
export class ViewerType {
  @Field(() => TokenScopeEnum, { description: 'The scope of the token that authenticated this request.' })
  scope: TokenScopeEnum;

  /** For the field resolvers; not exposed. */
  tenantId: string;
  tokenId: string;
}

@ObjectType('TenantSettings', { description: 'How your tenant treats provisioning from the identity provider.' })
export class TenantSettingsType {
  @Field(() => [ScimImportFieldEnum], {
    description: 'Optional attributes imported from the identity provider; empty means only the required ones.',
  })
  scimImportFields: ScimImportField[];

  @Field(() => Int, { description: 'Days the SCIM provisioning log is kept (1 to 3650).' })
  provisioningLogRetentionDays: number;

  @Field(() => Int, { description: 'Days change-feed events are kept (1 to 3650): how far back `events` and subscriptions can resume.' })
  eventRetentionDays: number;

  @Field(() => UsernameFormatEnum, {
    description: 'What a username must be, on SCIM and GraphQL writes alike. A change applies to later writes only.',
  })
  usernameFormat: UsernameFormat;

  @Field(() => String, {
    nullable: true,
    description:
      'ISO 3166-1 alpha-2 region (e.g. US) used to read national phone numbers such as 312-320-1707 ' +
      '(Employee.mobileNumberE164, and the check of numbers typed in updateEmployee); null: numbers need their +country code.',
  })
  defaultPhoneRegion: string | null;

  @Field(() => Int, {
    description: 'Lifetime in seconds of the OAuth access tokens issued to your connections (300 to 21600; default 3600).',
  })
  oauthAccessTokenLifetimeSeconds: number;
  @Field({
    description:
      'BCP 47 locale (e.g. en-US, the default; fr-FR; sv-SE) whose ICU collation orders names in lists ' +
      '(`employees(orderBy: {field: NAME})`): "José Álvarez" before "Tim Zone", and in Swedish "Öberg" after "Zetterlund".',
  })
  locale: string;

  /** The explicitly chosen default role, for the `defaultRole` resolver; not exposed. */
  defaultRoleId: string | null;

  static from(settings: TenantSettings): TenantSettingsType {
    return Object.assign(new TenantSettingsType(), {
      scimImportFields: settings.scimImportFields,
      provisioningLogRetentionDays: settings.provisioningLogRetentionDays,
      eventRetentionDays: settings.eventRetentionDays,
      usernameFormat: settings.usernameFormat,
      defaultPhoneRegion: settings.defaultPhoneRegion,
      oauthAccessTokenLifetimeSeconds: settings.oauthAccessTokenLifetimeSeconds,
      locale: settings.locale,
      defaultRoleId: settings.defaultRoleId,
    });
  }
}
