import { Migration } from '@mikro-orm/migrations';

/**
 * Privacy requests (issue 6): cases with their legal clock, one row per right asked for, an
 * append-only audit, one-time link tokens (hashed), hashed suppression entries and the
 * reminders already sent (so each fires once, across restarts and instances).
 */
export class Migration20261126000008_privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create sequence privacy_number_seq`);
    this.addSql(`
      create table privacy_case (
        id bigserial primary key,
        ref text not null unique,
        inbound_message_id bigint unique references inbound_message (id),
        received_at timestamptz not null,
        due_at timestamptz not null,
        due_date text not null,
        extended_due_at timestamptz,
        extension_reason text,
        state text not null default 'received' check (state in ('received', 'awaiting_verification', 'needs_information', 'verified', 'in_progress', 'completed', 'denied', 'cancelled')),
        language text not null default 'nb',
        subject_email text not null,
        subject_contact_id bigint,
        sender_on_file boolean not null default false,
        dmarc text,
        identity text not null default 'pending' check (identity in ('verified', 'pending', 'failed', 'unknown')),
        verified_at timestamptz,
        closed_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`create index privacy_case_open_idx on privacy_case (state, due_at)`);
    this.addSql(`create index privacy_case_subject_idx on privacy_case (subject_email)`);
    this.addSql(`
      create table privacy_right (
        id bigserial primary key,
        case_id bigint not null references privacy_case (id),
        "right" text not null check ("right" in ('access', 'rectification', 'completion', 'erasure', 'objection', 'unsubscribe', 'do-not-track', 'unspecified')),
        state text not null default 'received' check (state in ('received', 'pending_approval', 'approved', 'executed', 'completed', 'denied', 'cancelled')),
        task_id bigint references task (id),
        detail jsonb,
        outcome jsonb,
        reason text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (case_id, "right")
      )`);
    this.addSql(`
      create table privacy_audit (
        id bigserial primary key,
        case_id bigint not null references privacy_case (id),
        right_id bigint references privacy_right (id),
        at timestamptz not null default now(),
        actor_kind text not null check (actor_kind in ('system', 'slack', 'cli', 'subject')),
        actor_id text,
        actor_name text,
        action text not null,
        detail jsonb
      )`);
    this.addSql(`create index privacy_audit_case_idx on privacy_audit (case_id, id)`);
    this.addSql(`
      create function privacy_audit_append_only() returns trigger language plpgsql as $fn$
      begin
        raise exception 'privacy_audit is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
      end
      $fn$`);
    this.addSql(`create trigger privacy_audit_no_change before update or delete on privacy_audit for each row execute function privacy_audit_append_only()`);
    this.addSql(`create trigger privacy_audit_no_truncate before truncate on privacy_audit for each statement execute function privacy_audit_append_only()`);
    this.addSql(`
      create table privacy_token (
        id bigserial primary key,
        case_id bigint not null references privacy_case (id),
        right_id bigint references privacy_right (id),
        purpose text not null check (purpose in ('verify', 'package')),
        token_hash text not null unique,
        expires_at timestamptz not null,
        used_at timestamptz,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table privacy_suppression (
        id bigserial primary key,
        address_hash text not null,
        kind text not null check (kind in ('erasure', 'objection', 'unsubscribe', 'do-not-track')),
        case_id bigint references privacy_case (id),
        created_at timestamptz not null default now(),
        unique (address_hash, kind)
      )`);
    this.addSql(`
      create table privacy_reminder (
        case_id bigint not null references privacy_case (id),
        mark text not null,
        sent_at timestamptz not null default now(),
        primary key (case_id, mark)
      )`);
  }

  override async down(): Promise<void> {
    for (const t of ['privacy_reminder', 'privacy_suppression', 'privacy_token', 'privacy_audit', 'privacy_right', 'privacy_case']) this.addSql(`drop table if exists ${t}`);
    this.addSql('drop function if exists privacy_audit_append_only()');
    this.addSql('drop sequence if exists privacy_number_seq');
  }
}
