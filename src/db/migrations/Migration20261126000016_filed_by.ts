import { Migration } from '@mikro-orm/migrations';

/**
 * Several daemons share one backlog; which one filed a message (its instance id, the same as its
 * database application_name) shows whether the work is really spread, and whose log to read
 * when a filing looks wrong. Nullable: rows filed before, and by `mailroom import`, have none.
 */
export class Migration20261126000016_filed_by extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table inbound_message add column filed_by text');
  }

  override async down(): Promise<void> {
    this.addSql('alter table inbound_message drop column if exists filed_by');
  }
}
