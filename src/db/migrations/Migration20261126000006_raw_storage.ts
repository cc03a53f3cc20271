import { Migration } from '@mikro-orm/migrations';

/**
 * Raw mail and attachment bytes are stored out of line without PostgreSQL's compression:
 * attachments are mostly compressed already (PDF, images, zip), and compressing every
 * incoming message on the write path cost more CPU than the disk it saved.
 */
export class Migration20261126000006_raw_storage extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table inbound_raw_chunk alter column bytes set storage external');
    this.addSql('alter table attachment alter column content set storage external');
  }

  override async down(): Promise<void> {
    this.addSql('alter table inbound_raw_chunk alter column bytes set storage extended');
    this.addSql('alter table attachment alter column content set storage extended');
  }
}
