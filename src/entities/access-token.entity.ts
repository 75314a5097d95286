import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Tenant } from './tenant.entity';
import { TOKEN_SCOPES, TokenScope, sqlList } from './enums';

/**
 * An API token. Only the SHA-256 of the secret is stored; `prefix` is the short visible start of the secret so an
 * admin can tell tokens apart. The hash is unique across tenants because the token is what identifies the tenant.
 */
@Entity({ name: 'access_tokens' })
@Index('uq_access_tokens_token_hash', ['tokenHash'], { unique: true })
@Index('ix_access_tokens_tenant_prefix', ['tenantId', 'prefix'])
@Check('ck_access_tokens_scope', `scope IN (${sqlList(TOKEN_SCOPES)})`)
export class AccessToken {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  scope: TokenScope;

  /** Hex SHA-256 of the secret. */
  @Column({ type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'text' })
  prefix: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
