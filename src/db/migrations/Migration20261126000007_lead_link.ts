import { Migration } from '@mikro-orm/migrations';

/** A lead opened by someone quoting another record's ID is linked to it, as tickets are. */
export class Migration20261126000007_lead_link extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table lead add column linked_ref text');
  }

  override async down(): Promise<void> {
    this.addSql('alter table lead drop column linked_ref');
  }
}
