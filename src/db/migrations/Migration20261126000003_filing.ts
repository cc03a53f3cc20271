import { Migration } from '@mikro-orm/migrations';

/**
 * Support and CRM records. IDs people see (SUP-000123, LEAD-000123) come from sequences, so
 * they are unique across every instance sharing the database; gaps are allowed.
 */
export class Migration20261126000003_filing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create sequence ticket_number_seq`);
    this.addSql(`create sequence lead_number_seq`);
    this.addSql(`
      create table organisation (
        id bigserial primary key,
        name text not null,
        kind text not null default 'customer' check (kind in ('customer', 'partner', 'dealer', 'prospect')),
        domain text unique,
        dealer_number text unique,
        external_ref text unique,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table contact (
        id bigserial primary key,
        email text not null unique,
        name text,
        title text,
        phone text,
        organisation_id bigint references organisation (id),
        roles text[] not null default '{}',
        language text,
        external_ref text unique,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`create index contact_organisation_idx on contact (organisation_id)`);
    this.addSql(`
      create table ticket (
        id bigserial primary key,
        ref text not null unique,
        subject text not null default '',
        status text not null default 'open' check (status in ('open', 'pending', 'closed')),
        priority text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
        requester_id bigint references contact (id),
        organisation_id bigint references organisation (id),
        language text,
        linked_ref text,
        acknowledged_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table ticket_participant (
        ticket_id bigint not null references ticket (id) on delete cascade,
        contact_id bigint not null references contact (id),
        primary key (ticket_id, contact_id)
      )`);
    this.addSql(`
      create table lead (
        id bigserial primary key,
        ref text not null unique,
        source text not null check (source in ('email', 'web-form', 'dealer-page')),
        status text not null default 'new' check (status in ('new', 'qualified', 'won', 'lost')),
        subject text not null default '',
        contact_id bigint references contact (id),
        organisation_id bigint references organisation (id),
        dealer_id bigint references organisation (id),
        language text,
        form_data jsonb,
        acknowledged_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    // One table for every message on a record, in and out; the thread's timeline.
    this.addSql(`
      create table record_message (
        id bigserial primary key,
        record_ref text not null,
        direction text not null check (direction in ('in', 'out')),
        inbound_message_id bigint unique references inbound_message (id),
        outbox_id bigint references outbox_message (id),
        message_id text,
        from_address text,
        author text,
        subject text,
        body_new text,
        body_quoted text,
        signature text,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`create index record_message_ref_idx on record_message (record_ref, id)`);
    // Message-ID → record, for threading replies by In-Reply-To/References.
    this.addSql(`
      create table thread_message_id (
        message_id text primary key,
        record_ref text not null
      )`);
    this.addSql(`
      create table email_log (
        id bigserial primary key,
        contact_id bigint references contact (id),
        lead_id bigint references lead (id),
        record_ref text,
        direction text not null check (direction in ('in', 'out')),
        subject text,
        message_id text,
        inbound_message_id bigint references inbound_message (id),
        outbox_id bigint references outbox_message (id),
        at timestamptz not null default now()
      )`);
    this.addSql(`create index email_log_contact_idx on email_log (contact_id)`);
    this.addSql(`
      create table triage_item (
        id bigserial primary key,
        inbound_message_id bigint not null unique references inbound_message (id),
        suggested_route text not null,
        reason text not null,
        scores jsonb,
        state text not null default 'open' check (state in ('open', 'resolved')),
        resolution text,
        resolved_by text,
        record_ref text,
        created_at timestamptz not null default now(),
        resolved_at timestamptz
      )`);
    this.addSql(`
      create table acknowledgement (
        id bigserial primary key,
        record_ref text not null unique,
        recipient text not null,
        outbox_id bigint references outbox_message (id),
        created_at timestamptz not null default now()
      )`);
    this.addSql(`create index acknowledgement_recipient_idx on acknowledgement (recipient, created_at)`);
  }

  override async down(): Promise<void> {
    for (const t of ['acknowledgement', 'triage_item', 'email_log', 'thread_message_id', 'record_message', 'lead', 'ticket_participant', 'ticket', 'contact', 'organisation']) {
      this.addSql(`drop table if exists ${t}`);
    }
    this.addSql('drop sequence if exists lead_number_seq');
    this.addSql('drop sequence if exists ticket_number_seq');
  }
}
