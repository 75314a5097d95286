import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ScimImportField } from './enums';

/** One customer organisation. Every other row belongs to exactly one tenant. */
@Entity({ name: 'tenants' })
@Index('uq_tenants_slug', ['slug'], { unique: true })
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

  /** How long SCIM provisioning-log entries are kept. */
  @Column({ type: 'integer', default: 30 })
  provisioningLogRetentionDays: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
