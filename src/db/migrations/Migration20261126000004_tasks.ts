import { Migration } from '@mikro-orm/migrations';

/**
 * Tasks for staff (posted to Slack, or worked from the CLI) and their append-only audit.
 * Decisions use optimistic locking on `version` and `state = 'open'`, so a double click or two
 * people clicking at once give exactly one decision.
 */
export class Migration20261126000004_tasks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create sequence task_public_seq`);
    this.addSql(`
      create table task (
        id bigserial primary key,
        public_id text not null unique default ('T-' || lpad(nextval('task_public_seq')::text, 6, '0')),
        dedupe_key text unique,
        kind text not null,
        record_ref text,
        title text not null,
        summary text,
        details jsonb not null default '{}',
        buttons jsonb not null default '[]',
        channel text not null,
        state text not null default 'open'
          check (state in ('open', 'approved', 'rejected', 'done', 'expired')),
        assignee_slack_id text,
        assignee_name text,
        action_kind text,
        action_payload jsonb,
        slack_channel_id text,
        slack_ts text,
        version integer not null default 1,
        reason text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        decided_at timestamptz,
        decided_by text,
        decided_by_id text
      )`);
    this.addSql(`create index task_state_idx on task (state, id)`);
    this.addSql(`create index task_record_idx on task (record_ref, id)`);
    this.addSql(`
      create table task_audit (
        id bigserial primary key,
        task_id bigint not null references task (id),
        at timestamptz not null default now(),
        actor_kind text not null check (actor_kind in ('slack', 'cli', 'system')),
        actor_id text,
        actor_name text,
        action text not null,
        detail jsonb
      )`);
    this.addSql(`create index task_audit_task_idx on task_audit (task_id, id)`);
    this.addSql(`
      create function task_audit_append_only() returns trigger language plpgsql as $fn$
      begin
        raise exception 'task_audit is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
      end
      $fn$`);
    this.addSql(`
      create trigger task_audit_no_change before update or delete on task_audit
        for each row execute function task_audit_append_only()`);
    this.addSql(`
      create trigger task_audit_no_truncate before truncate on task_audit
        for each statement execute function task_audit_append_only()`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists task_audit');
    this.addSql('drop function if exists task_audit_append_only()');
    this.addSql('drop table if exists task');
    this.addSql('drop sequence if exists task_public_seq');
  }
}
