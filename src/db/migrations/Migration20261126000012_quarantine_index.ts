import { Migration } from '@mikro-orm/migrations';

/**
 * Every scrape of /metrics counts the quarantine (mailroom_quarantine_messages); without an
 * index that count reads the whole inbound table, which holds years of mail. The partial index
 * holds only the quarantined few, so the count (and `mailroom quarantine list`) stays cheap.
 */
export class Migration20261126000012_quarantine_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index inbound_message_quarantined_idx on inbound_message (id) where state = 'quarantined'`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists inbound_message_quarantined_idx');
  }
}
