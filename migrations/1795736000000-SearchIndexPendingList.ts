import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bounds the trigram index's pending list. GIN collects new entries in an unsorted pending list (up to
 * gin_pending_list_limit, 4 MB by default) and every search reads all of it: after a burst of SCIM writes a search at
 * 100,000 employees spent 4.5-5.8 ms in the index instead of about 2 ms (docs/benchmarks.md). The embedded database
 * (PGlite) has no autovacuum to merge the list at all: there a full list made the planner prefer a sequential scan,
 * and searches over 5,000 employees took 13 ms instead of 3. 256 kB keeps the batching of index inserts and caps
 * what a search reads.
 */
export class SearchIndexPendingList1795736000000 implements MigrationInterface {
  name = 'SearchIndexPendingList1795736000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "ix_employees_search_trgm" SET (gin_pending_list_limit = 256)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "ix_employees_search_trgm" RESET (gin_pending_list_limit)`);
  }
}
