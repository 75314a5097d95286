import { Arg, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ScimImportField, UsernameFormat } from '../../entities/enums';
import { DomainError, ErrorCode, ErrorIssue } from '../../services/errors';
import { TenantSettingsChanges, tenantService } from '../../services/tenant.service';
import { tokenService } from '../../services/token.service';
import { GraphQLContext } from '../context';
import { unauthenticated } from '../errors';
import { idOfType } from '../global-id';
import { ObjectPayload, Payload, PayloadOf, payload } from '../payloads';
import { AccessTokenType, TokenScopeEnum } from '../types/access-token.type';
import { RoleType } from '../types/catalog.type';
import { ScimImportFieldEnum, TenantSettingsType, TenantType, UsernameFormatEnum, ViewerType } from '../types/tenant.type';

@InputType('UpdateTenantSettingsInput', { description: 'Changes to the tenant settings. Omitted fields stay as they are.' })
class UpdateTenantSettingsInput {
  @Field(() => [ScimImportFieldEnum], {
    nullable: true,
    description: 'The optional attributes to import from now on (replaces the list; duplicates count once; [] for none).',
  })
  scimImportFields?: ScimImportField[] | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Global id of the role IdP-created employees get when none is sent; null returns to the role named "Agent".',
  })
  defaultRoleId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Days to keep the SCIM provisioning log (1 to 3650).' })
  provisioningLogRetentionDays?: number | null;

  @Field(() => Int, { nullable: true, description: 'Days to keep change-feed events (1 to 3650).' })
  eventRetentionDays?: number | null;

  @Field(() => UsernameFormatEnum, { nullable: true, description: 'What usernames must be from now on; stored ones stay valid.' })
  usernameFormat?: UsernameFormat | null;

  @Field(() => String, {
    nullable: true,
    description: 'ISO 3166-1 alpha-2 region for national phone numbers, e.g. US; null removes it.',
  })
  defaultPhoneRegion?: string | null;

  @Field(() => Int, { nullable: true, description: 'Lifetime in seconds of OAuth access tokens issued from now on (300 to 21600).' })
  oauthAccessTokenLifetimeSeconds?: number | null;
  @Field(() => String, {
    nullable: true,
    description: "BCP 47 locale whose ICU collation orders names, e.g. en-US or sv-SE (language, optional script and region; one PostgreSQL's ICU knows).",
  })
  locale?: string | null;
}

@PayloadOf('updateTenantSettings')
class UpdateTenantSettingsPayload extends ObjectPayload(TenantSettingsType, 'tenantSettings', {
  result: 'The settings after the change; null when refused.',
}) {}

/** GraphQL input to domain changes: the global role id to a uuid, null where a value is required to REQUIRED. */
function toSettingsChanges(input: UpdateTenantSettingsInput): TenantSettingsChanges {
  const changes: TenantSettingsChanges = {};
  const issues: ErrorIssue[] = [];
  for (const field of ['scimImportFields', 'provisioningLogRetentionDays', 'eventRetentionDays', 'usernameFormat', 'oauthAccessTokenLifetimeSeconds', 'locale'] as const) {
    if (input[field] === null) issues.push({ code: ErrorCode.REQUIRED, message: `${field} cannot be null.`, field });
  }
  if (input.scimImportFields) changes.scimImportFields = input.scimImportFields;
  if (input.provisioningLogRetentionDays !== undefined && input.provisioningLogRetentionDays !== null) {
    changes.provisioningLogRetentionDays = input.provisioningLogRetentionDays;
  }
  if (input.eventRetentionDays !== undefined && input.eventRetentionDays !== null) changes.eventRetentionDays = input.eventRetentionDays;
  if (typeof input.oauthAccessTokenLifetimeSeconds === 'number') changes.oauthAccessTokenLifetimeSeconds = input.oauthAccessTokenLifetimeSeconds;
  if (input.usernameFormat) changes.usernameFormat = input.usernameFormat;
  if (input.defaultPhoneRegion !== undefined) changes.defaultPhoneRegion = input.defaultPhoneRegion;
  if (input.locale !== undefined && input.locale !== null) changes.locale = input.locale;
  if (input.defaultRoleId === null) changes.defaultRoleId = null;
  else if (input.defaultRoleId !== undefined) {
    const id = idOfType(input.defaultRoleId, 'Role');
    if (id) changes.defaultRoleId = id;
    else issues.push({ code: ErrorCode.INVALID_VALUE, message: 'defaultRoleId is not the id of a Role.', field: 'defaultRoleId' });
  }
  if (issues.length > 0) throw new DomainError(issues);
  return changes;
}

@Resolver(() => ViewerType)
export class ViewerResolver {
  @Query(() => ViewerType, { description: 'The token that authenticated this request, its scope and its tenant.' })
  viewer(@Ctx() { ctx, scope }: GraphQLContext): ViewerType {
    // The tenant is the token's, never an argument's.
    if (!ctx.actor.tokenId) throw unauthenticated();
    return Object.assign(new ViewerType(), { scope: scope as TokenScopeEnum, tenantId: ctx.tenantId, tokenId: ctx.actor.tokenId });
  }

  @FieldResolver(() => TenantType, { description: 'The tenant the token belongs to.' })
  async tenant(@Ctx() { ctx }: GraphQLContext): Promise<TenantType> {
    return TenantType.from(await tenantService.get(ctx));
  }

  @FieldResolver(() => AccessTokenType, { description: 'The token that authenticated this request.' })
  async token(@Root() viewer: ViewerType, @Ctx() { ctx }: GraphQLContext): Promise<AccessTokenType> {
    const token = await tokenService.get(ctx, viewer.tokenId);
    if (!token) throw unauthenticated();
    return AccessTokenType.from(token);
  }
}

@Resolver(() => TenantSettingsType)
export class TenantSettingsResolver {
  @Query(() => TenantSettingsType, { description: 'How your tenant treats provisioning from the identity provider.' })
  async tenantSettings(@Ctx() { ctx }: GraphQLContext): Promise<TenantSettingsType> {
    return TenantSettingsType.from(await tenantService.settings(ctx));
  }

  @Authorized('admin')
  @Mutation(() => UpdateTenantSettingsPayload, {
    description: 'Changes the tenant settings. All changes apply together or, when any userError is returned, none do.',
  })
  async updateTenantSettings(
    @Arg('input', () => UpdateTenantSettingsInput, { description: 'The changes.' }) input: UpdateTenantSettingsInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<TenantSettingsType>> {
    return payload(UpdateTenantSettingsPayload, () => tenantService.updateSettings(ctx, toSettingsChanges(input)), TenantSettingsType.from);
  }

  @FieldResolver(() => RoleType, {
    nullable: true,
    description:
      'The role IdP-created employees get when none is sent: the chosen one, else the role named "Agent"; null ' +
      'when that role does not exist (such creates are then refused with DEFAULT_ROLE_MISSING).',
  })
  async defaultRole(@Ctx() { ctx, loaders }: GraphQLContext): Promise<RoleType | null> {
    const id = await tenantService.effectiveDefaultRoleId(ctx);
    const role = id ? await loaders.role.load(id) : null;
    return role ? RoleType.from(role) : null;
  }
}
