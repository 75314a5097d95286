import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ScimImportField, USERNAME_FORMATS, UsernameFormat, sqlList } from './enums';

/** One customer organisation. Every other row belongs to exactly one tenant. */
@Entity({ name: 'tenants' })
@Index('uq_tenants_slug', ['slug'], { unique: true })
@Check('ck_tenants_username_format', `username_format IN (${sqlList(USERNAME_FORMATS)})`)
@Check('ck_tenants_default_phone_region', `default_phone_region ~ '^[A-Z]{2}$'`)
@Check('ck_tenants_oauth_access_token_lifetime', 'oauth_access_token_lifetime_seconds BETWEEN 300 AND 21600')
export class Tenant {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  slug: string;

  /** Optional SCIM attributes this tenant imports; anything not listed is ignored on SCIM writes. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  scimImportFields: ScimImportField[];

  /** Role given to IdP-created employees; null means the role named "Agent". */
  @Column({ type: 'uuid', nullable: true })
  defaultRoleId: string | null;

  /** What a username must be: EMAIL (a valid email address) or ANY text (see usernameProblem). */
  @Column({ type: 'varchar', length: 8, default: 'EMAIL' })
  usernameFormat: UsernameFormat;

  /** ISO 3166-1 alpha-2 region for national phone numbers (`312-320-1707` in US); null: only numbers with +. */
  @Column({ type: 'varchar', length: 2, nullable: true })
  defaultPhoneRegion: string | null;

  /** BCP 47 locale whose ICU collation orders names in lists (src/services/collation.ts). */
  @Column({ type: 'varchar', length: 35, default: 'en-US' })
  locale: string;

  /** How long SCIM provisioning-log entries are kept. */
  @Column({ type: 'integer', default: 30 })
  provisioningLogRetentionDays: number;

  /** How long change-feed events are kept (the events API and subscriptions cannot resume from further back). */
  @Column({ type: 'integer', default: 30 })
  eventRetentionDays: number;

  /** Lifetime of OAuth access tokens issued to the tenant's clients (300..21600 s, tenant.service.ts). */
  @Column({ type: 'integer', default: 3600 })
  oauthAccessTokenLifetimeSeconds: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
