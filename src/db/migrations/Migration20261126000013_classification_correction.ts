import { Migration } from '@mikro-orm/migrations';

/**
 * Every route staff decide for a message (a triage item resolved, a ticket or lead moved to
 * another queue) is a labelled example for the routing rules: `mailroom classify corrections`
 * exports them. A row points at the message instead of copying its text, and goes with it
 * when an erasure deletes the message.
 */
export class Migration20261126000013_classification_correction extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table classification_correction (
        id bigserial primary key,
        inbound_message_id bigint not null references inbound_message (id) on delete cascade,
        original_route text not null,
        corrected_route text not null,
        record_ref text,
        source text not null check (source in ('triage', 'reclassify')),
        decided_by text not null,
        created_at timestamptz not null default now()
      )`);
    this.addSql('create index classification_correction_created_idx on classification_correction (created_at desc)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists classification_correction');
  }
}
