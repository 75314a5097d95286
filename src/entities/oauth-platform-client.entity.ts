import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A deployment-wide ("platform") OAuth client: one client id and secret for every tenant, as Okta's integration
 * network (OIN) registers an app (issue 19, docs/oauth.md "Platform clients"). The operator manages it with the CLI;
 * it belongs to no tenant. It may only use the authorization-code grant: an admin of a tenant approves it on the
 * consent page, which makes the tenant's grant (an `oauth_clients` row with `platform_client_id` set), and the codes
 * and tokens of that approval belong to that tenant alone. Deleting it deletes every tenant's grant (cascade).
 */
@Entity({ name: 'oauth_platform_clients' })
@Index('uq_oauth_platform_clients_client_id', ['clientId'], { unique: true })
export class OAuthPlatformClient {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_oauth_platform_clients' })
  id: string;

  /** `rc_client_<random>`, in the same space as tenants' client ids (the token endpoint looks in both). */
  @Column({ type: 'text' })
  clientId: string;

  @Column({ type: 'text' })
  name: string;

  /** Compared exactly, as tenants' clients' (RFC 6749 §3.1.2.2). */
  @Column({ type: 'text', array: true })
  redirectUris: string[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  /** Last time a token was issued to it for any tenant (refreshed at most once a minute). */
  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}

/** A secret of a platform client: hashed (SHA-256) like every secret; expiring within 3 years like tenants' ones. */
@Entity({ name: 'oauth_platform_client_secrets' })
@Index('uq_oauth_platform_client_secrets_hash', ['secretHash'], { unique: true })
@Index('ix_oauth_platform_client_secrets_client', ['platformClientId'])
export class OAuthPlatformClientSecret {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_oauth_platform_client_secrets' })
  id: string;

  @Column({ type: 'uuid' })
  platformClientId: string;

  @ManyToOne(() => OAuthPlatformClient, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'platform_client_id', foreignKeyConstraintName: 'fk_oauth_platform_client_secrets_client' })
  platformClient?: OAuthPlatformClient;

  @Column({ type: 'char', length: 64 })
  secretHash: string;

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

/**
 * A pending authorization request of a platform client: GET /oauth/authorize stored it before any tenant is known
 * (the tenant is the one whose admin approves it). Decided once, by the first admin who answers; an approval makes
 * the code in that admin's tenant (`oauth_authorizations`), so nothing of a tenant is ever stored here.
 */
@Entity({ name: 'oauth_platform_authorization_requests' })
@Index('ix_oauth_platform_authorization_requests_expires', ['expiresAt'])
@Index('ix_oauth_platform_authorization_requests_client', ['platformClientId'])
export class OAuthPlatformAuthorizationRequest {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_oauth_platform_authorization_requests' })
  id: string;

  @Column({ type: 'uuid' })
  platformClientId: string;

  @ManyToOne(() => OAuthPlatformClient, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'platform_client_id', foreignKeyConstraintName: 'fk_oauth_platform_authorization_requests_client' })
  platformClient?: OAuthPlatformClient;

  @Column({ type: 'text' })
  redirectUri: string;

  @Column({ type: 'text', nullable: true })
  state: string | null;

  @Column({ type: 'text', nullable: true })
  codeChallenge: string | null;

  @Column({ type: 'text', nullable: true })
  codeChallengeMethod: string | null;

  @Column({ type: 'text' })
  scope: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt: Date | null;
}
