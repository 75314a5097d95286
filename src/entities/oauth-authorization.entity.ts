import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { OAuthClient } from './oauth-client.entity';

/**
 * One run of the authorization-code flow: the pending request that GET /oauth/authorize stored (shown on the consent
 * page until `expires_at`), then, once an admin of the tenant approved it, the code (hashed, single use, short-lived).
 * `code_used_at` is set by the one exchange that may use it; a second presentation is a replay.
 */
@Entity({ name: 'oauth_authorizations' })
@Index('uq_oauth_authorizations_code_hash', ['codeHash'], { unique: true })
@Index('ix_oauth_authorizations_expires', ['expiresAt'])
export class OAuthAuthorization {
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

  /** The pending request's end, then (once approved) the code's. */
  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  /** When an admin approved or denied it; a request is decided once. */
  @Column({ type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  /** Hex SHA-256 of the code; null until approved. */
  @Column({ type: 'char', length: 64, nullable: true })
  codeHash: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  codeUsedAt: Date | null;
}
