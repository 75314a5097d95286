import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { OAuthPlatformClient } from './oauth-platform-client.entity';
import { Tenant } from './tenant.entity';

/** What a connection may do at the token endpoint (docs/oauth.md "Grants"). */
export const OAUTH_GRANT_TYPES = ['CLIENT_CREDENTIALS', 'AUTHORIZATION_CODE', 'JWT_BEARER'] as const;
export type OAuthGrantType = (typeof OAUTH_GRANT_TYPES)[number];

/**
 * The trust of an issuer for workload identity federation (RFC 7523): assertions signed by the issuer's keys (a JWKS
 * URL, or keys given inline) with this issuer, subject and audience authenticate the client.
 */
export interface OAuthFederation {
  issuer: string;
  subject: string;
  audience: string;
  jwksUrl: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
}

/**
 * An OAuth client of a tenant (a "connection" of an identity provider, issue 19). `client_id` is public and unique
 * across tenants: the token endpoint finds the tenant by it. Deleting a client deletes its secrets, tokens and
 * pending authorizations (cascade), which ends every token it holds.
 */
@Entity({ name: 'oauth_clients' })
// A tenant's grant of a platform client carries the platform client's id (what the tenant sees); only the tenant's own
// clients' ids must be unique, and only those are looked up by client id (oauthClientService.findByClientId).
@Index('uq_oauth_clients_client_id', ['clientId'], { unique: true, where: 'platform_client_id IS NULL' })
// One grant per tenant and platform client; also the index of the cascade when the platform client is deleted.
@Index('uq_oauth_clients_platform_client', ['platformClientId', 'tenantId'], { unique: true })
@Check('ck_oauth_clients_grant_types', `grant_types <@ ARRAY['CLIENT_CREDENTIALS','AUTHORIZATION_CODE','JWT_BEARER']::text[] AND cardinality(grant_types) > 0`)
export class OAuthClient {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** `rc_client_<random>`: what the identity provider sends as client_id. */
  @Column({ type: 'text' })
  clientId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', array: true })
  grantTypes: OAuthGrantType[];

  /** Where the authorization-code flow may send a code back; compared exactly (RFC 6749 §3.1.2.2). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  redirectUris: string[];

  @Column({ type: 'jsonb', nullable: true })
  federation: OAuthFederation | null;

  /**
   * Set on a tenant's grant of a platform client (docs/oauth.md "Platform clients"): the row an admin's approval made,
   * which the tenant's codes and tokens of that client belong to. It has no secrets and no redirect URIs of its own
   * (the platform client's apply); deleting it revokes the tenant's grant, deleting the platform client deletes it.
   */
  @Column({ type: 'uuid', nullable: true })
  platformClientId: string | null;

  @ManyToOne(() => OAuthPlatformClient, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'platform_client_id', foreignKeyConstraintName: 'fk_oauth_clients_platform_client' })
  platformClient?: OAuthPlatformClient;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  /** Last time a token was issued to it (refreshed at most once a minute). */
  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}

/**
 * A client secret. Only the SHA-256 of the secret is stored, as for access tokens. Several may be active at once (a
 * rotation: add one, move the identity provider to it, revoke the old one); each expires within 3 years.
 */
@Entity({ name: 'oauth_client_secrets' })
@Index('uq_oauth_client_secrets_hash', ['secretHash'], { unique: true })
@Index('ix_oauth_client_secrets_client', ['tenantId', 'oauthClientId'])
export class OAuthClientSecret {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  oauthClientId: string;

  @ManyToOne(() => OAuthClient, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'oauth_client_id', referencedColumnName: 'id' },
  ])
  oauthClient?: OAuthClient;

  /** Hex SHA-256 of the secret. */
  @Column({ type: 'char', length: 64 })
  secretHash: string;

  /** The visible start of the secret, to tell secrets apart. */
  @Column({ type: 'text' })
  prefix: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
