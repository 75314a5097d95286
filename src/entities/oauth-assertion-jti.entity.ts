import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A `jti` of an accepted JWT assertion (RFC 7523 section 3 item 7): its row makes a second presentation fail to insert,
 * which is how a replay is refused. Kept until `expires_at` (the assertion's `exp`); after that `exp` refuses the
 * assertion on its own and the purge deletes the row. Global, not per tenant: see migration OAuthAssertionJti.
 */
@Entity({ name: 'oauth_assertion_jtis' })
// The purge deletes by expiry.
@Index('ix_oauth_assertion_jtis_expires_at', ['expiresAt'])
export class OAuthAssertionJti {
  /** The assertion's `iss`: a `jti` is unique per issuer only (RFC 7519 section 4.1.7). */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_oauth_assertion_jtis' })
  issuer: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_oauth_assertion_jtis' })
  jti: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;
}
