import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { OAuthClient } from './oauth-client.entity';

export const OAUTH_TOKEN_KINDS = ['access', 'refresh'] as const;
export type OAuthTokenKind = (typeof OAUTH_TOKEN_KINDS)[number];

/**
 * An access or refresh token issued by the token endpoint; only its SHA-256 is stored. `family_id` ties together
 * every token descending from one grant (a code exchange or a client-credentials grant): when a rotated refresh token
 * is presented again, the whole family is revoked (OAuth 2.0 Security BCP §4.14). `secret_id` is the client secret
 * the grant authenticated with (null for an assertion): revoking the secret revokes its tokens. `authorization_id`
 * is the authorization code's row, so a replayed code revokes what it issued (RFC 6749 §4.1.2).
 */
@Entity({ name: 'oauth_tokens' })
@Index('uq_oauth_tokens_hash', ['tokenHash'], { unique: true })
@Index('ix_oauth_tokens_client', ['tenantId', 'oauthClientId'])
@Index('ix_oauth_tokens_family', ['tenantId', 'familyId'])
@Index('ix_oauth_tokens_expires', ['expiresAt'])
@Check('ck_oauth_tokens_kind', `kind IN ('access','refresh')`)
export class OAuthToken {
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

  @Column({ type: 'varchar', length: 8 })
  kind: OAuthTokenKind;

  /** Hex SHA-256 of the token. */
  @Column({ type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'uuid' })
  familyId: string;

  @Column({ type: 'uuid', nullable: true })
  secretId: string | null;

  @Column({ type: 'uuid', nullable: true })
  authorizationId: string | null;

  @Column({ type: 'text' })
  scope: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** For a refresh token: when it was exchanged for a new one (presenting it again is reuse). */
  @Column({ type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;
}
