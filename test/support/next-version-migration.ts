import { Migration } from '@mikro-orm/migrations';

export const NEXT_VERSION_MIGRATION = 'Migration20991231000001_next_version';

/**
 * The test-only migration of "version N+1": additive (a new column, a new table), as Mailroom's
 * migrations must be so that version N keeps running on the newer schema. It records which
 * process applied it and sleeps a moment, so two instances starting together really contend.
 */
export class NextVersionMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table ticket add column satisfaction_score smallint`);
    this.addSql(`create table upgrade_probe (id serial primary key, applied_by text not null default current_setting('application_name'), applied_at timestamptz not null default now())`);
    this.addSql(`insert into upgrade_probe default values`);
    this.addSql(`select pg_sleep(1)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table upgrade_probe');
    this.addSql('alter table ticket drop column satisfaction_score');
  }
}
