import { Migration } from '@mikro-orm/migrations';

/**
 * Operations notices (driftsmeldinger). Recipients are contacts with the role
 * 'ops-notice-contact' (contact.roles); which organisation uses which service is
 * organisation_service. A notice's schedule is its notice_step rows: each step goes from
 * pending to sent / skipped / cancelled exactly once, under a row lock on the notice, and each
 * mail it sends has one notice_delivery row (and one outbox row with a dedupe key).
 */
export class Migration20261126000010_notices extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create sequence notice_number_seq`);
    this.addSql(`
      create table organisation_service (
        organisation_id bigint not null references organisation (id) on delete cascade,
        service text not null,
        created_at timestamptz not null default now(),
        primary key (organisation_id, service)
      )`);
    this.addSql(`create index organisation_service_service_idx on organisation_service (service)`);
    this.addSql(`
      create table notice (
        id bigserial primary key,
        ref text not null unique,
        kind text not null check (kind in ('maintenance', 'incident', 'broadcast')),
        state text not null default 'draft'
          check (state in ('draft', 'awaiting-approval', 'scheduled', 'active', 'completed', 'resolved', 'cancelled', 'rejected')),
        title text not null,
        body text not null default '',
        services text[] not null default '{}',
        all_customers boolean not null default false,
        severity text,
        window_start timestamptz,
        window_end timestamptz,
        broadcast_key text,
        period_start timestamptz,
        template text,
        approval_task_id bigint references task (id),
        approved_by text,
        approved_by_id text,
        approved_at timestamptz,
        created_by text,
        scheduled_at timestamptz,
        cancelled_at timestamptz,
        cancelled_by text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (broadcast_key, period_start),
        check (kind <> 'maintenance' or (window_start is not null and window_end is not null and window_end > window_start))
      )`);
    this.addSql(`create index notice_state_idx on notice (state) where state in ('scheduled', 'active')`);
    this.addSql(`
      create table notice_step (
        id bigserial primary key,
        notice_id bigint not null references notice (id) on delete cascade,
        seq int not null,
        step text not null check (step in ('announcement', 'reminder', 'started', 'completed', 'incident', 'update', 'resolved', 'broadcast')),
        label text not null,
        offset_minutes int,
        body text,
        due_at timestamptz not null,
        expires_at timestamptz,
        state text not null default 'pending' check (state in ('held', 'pending', 'sent', 'skipped', 'cancelled')),
        reason text,
        requested_by text,
        requested_by_id text,
        approval_task_id bigint references task (id),
        recipients int,
        done_at timestamptz,
        created_at timestamptz not null default now(),
        unique (notice_id, label),
        unique (notice_id, seq)
      )`);
    this.addSql(`create index notice_step_due_idx on notice_step (due_at) where state = 'pending'`);
    this.addSql(`
      create table notice_delivery (
        id bigserial primary key,
        notice_id bigint not null references notice (id) on delete cascade,
        step_id bigint not null references notice_step (id) on delete cascade,
        contact_id bigint references contact (id) on delete set null,
        organisation_id bigint references organisation (id) on delete set null,
        email text,
        language text not null,
        message_id text not null,
        outbox_id bigint references outbox_message (id) on delete set null,
        created_at timestamptz not null default now(),
        unique (step_id, contact_id)
      )`);
    this.addSql(`create index notice_delivery_thread_idx on notice_delivery (notice_id, contact_id, id)`);
    this.addSql(`create index notice_delivery_contact_idx on notice_delivery (contact_id)`);
    this.addSql(`
      create table notice_broadcast (
        key text primary key,
        first_seen_at timestamptz not null,
        last_period_start timestamptz
      )`);
  }

  override async down(): Promise<void> {
    for (const t of ['notice_broadcast', 'notice_delivery', 'notice_step', 'notice', 'organisation_service']) this.addSql(`drop table if exists ${t}`);
    this.addSql('drop sequence if exists notice_number_seq');
  }
}
