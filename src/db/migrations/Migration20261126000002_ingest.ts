import { Migration } from '@mikro-orm/migrations';

/**
 * Inbound mail, durable first: the raw bytes (in 1 MB chunks, so a 25 MB message is never one
 * value in memory) and the IMAP cursor are committed together before anything else happens.
 */
export class Migration20261126000002_ingest extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table imap_cursor (
        mailbox text not null,
        uid_validity bigint not null,
        last_uid bigint not null default 0,
        updated_at timestamptz not null default now(),
        primary key (mailbox, uid_validity)
      )`);
    this.addSql(`
      create table inbound_message (
        id bigserial primary key,
        source text not null check (source in ('imap', 'import')),
        mailbox text,
        uid_validity bigint,
        uid bigint,
        message_id text,
        content_sha256 text not null,
        size bigint not null,
        internal_date timestamptz,
        received_at timestamptz not null default now(),
        state text not null default 'stored'
          check (state in ('stored', 'parsed', 'filed', 'quarantined', 'duplicate')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        last_error text,
        archive boolean not null default false,
        duplicate_of bigint references inbound_message (id),
        subject text,
        from_address text,
        automated_kind text,
        automated_reason text,
        language text,
        parsed jsonb,
        outcome text,
        record_ref text,
        filed_at timestamptz,
        server_action_done boolean not null default false,
        unique (mailbox, uid_validity, uid)
      )`);
    this.addSql(`create index inbound_message_work_idx on inbound_message (next_attempt_at, id) where state in ('stored', 'parsed')`);
    this.addSql(`create index inbound_message_message_id_idx on inbound_message (message_id)`);
    this.addSql(`create index inbound_message_sha_idx on inbound_message (content_sha256)`);
    this.addSql(`create index inbound_message_server_action_idx on inbound_message (mailbox, uid_validity) where not server_action_done and state in ('filed', 'quarantined', 'duplicate')`);
    this.addSql(`
      create table inbound_raw_chunk (
        inbound_message_id bigint not null references inbound_message (id) on delete cascade,
        seq integer not null,
        bytes bytea not null,
        primary key (inbound_message_id, seq)
      )`);
    this.addSql(`
      create table attachment (
        id bigserial primary key,
        inbound_message_id bigint not null references inbound_message (id) on delete cascade,
        position integer not null,
        filename text,
        content_type text not null,
        size bigint not null,
        sha256 text not null,
        content_id text,
        inline boolean not null default false,
        from_tnef boolean not null default false,
        content bytea,
        unique (inbound_message_id, position)
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists attachment');
    this.addSql('drop table if exists inbound_raw_chunk');
    this.addSql('drop table if exists inbound_message');
    this.addSql('drop table if exists imap_cursor');
  }
}
