import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox: every outgoing side effect is a row, written in the transaction of the change
 * that caused it. Dispatchers claim due rows with FOR UPDATE SKIP LOCKED.
 */
export class Migration20261126000001_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table outbox_message (
        id bigserial primary key,
        channel text not null check (channel in ('email', 'slack')),
        dedupe_key text unique,
        payload jsonb not null,
        message_id text,
        status text not null default 'pending'
          check (status in ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        claimed_by text,
        claimed_at timestamptz,
        in_doubt boolean not null default false,
        last_error text,
        result jsonb,
        sent_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`create index outbox_message_due_idx on outbox_message (next_attempt_at, id) where status = 'pending'`);
    this.addSql(`create index outbox_message_sending_idx on outbox_message (claimed_by) where status = 'sending'`);
    this.addSql(`create index outbox_message_status_idx on outbox_message (status, id)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists outbox_message');
  }
}
