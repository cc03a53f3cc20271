import { Migration } from '@mikro-orm/migrations';

/**
 * Newsletters: lists, subscribers with their consent trail, a suppression list (hashes, so an
 * erased address leaves nothing readable), campaigns, one durable row per recipient (the send
 * queue itself), and tracking events with truncated IPs.
 */
export class Migration20261126000009_newsletter extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table newsletter_list (
        id bigserial primary key,
        slug text not null unique,
        name_nb text not null,
        name_en text not null,
        public boolean not null default true,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table newsletter_subscriber (
        id bigserial primary key,
        email text not null unique,
        name text,
        language text not null default 'nb' check (language in ('nb', 'en')),
        dnt boolean not null default false,
        soft_bounces integer not null default 0,
        suppressed_reason text,
        suppressed_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table newsletter_subscription (
        subscriber_id bigint not null references newsletter_subscriber (id) on delete cascade,
        list_id bigint not null references newsletter_list (id) on delete cascade,
        status text not null check (status in ('pending', 'confirmed', 'unsubscribed')),
        consent_at timestamptz,
        consent_source text,
        consent_ip text,
        confirmed_at timestamptz,
        unsubscribed_at timestamptz,
        primary key (subscriber_id, list_id)
      )`);
    this.addSql(`create index newsletter_subscription_list_idx on newsletter_subscription (list_id, status)`);
    this.addSql(`
      create table newsletter_consent_log (
        id bigserial primary key,
        subscriber_id bigint references newsletter_subscriber (id) on delete cascade,
        list_id bigint,
        action text not null,
        source text not null,
        ip text,
        at timestamptz not null default now()
      )`);
    this.addSql(`
      create table newsletter_suppression (
        email_hash text primary key,
        reason text not null,
        at timestamptz not null default now()
      )`);
    this.addSql(`
      create table newsletter_campaign (
        id bigserial primary key,
        name text not null,
        subject text not null,
        list_ids bigint[] not null,
        language text not null default 'nb',
        template_html text not null,
        template_text text,
        status text not null default 'draft'
          check (status in ('draft', 'awaiting-approval', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'rejected')),
        scheduled_at timestamptz,
        prepared_html text,
        links jsonb not null default '[]',
        task_id bigint,
        approved_by text,
        approved_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        summary_posted boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table newsletter_recipient (
        id bigserial primary key,
        campaign_id bigint not null references newsletter_campaign (id) on delete cascade,
        subscriber_id bigint,
        email text not null,
        domain text not null,
        status text not null default 'queued'
          check (status in ('queued', 'sending', 'sent', 'failed', 'bounced', 'cancelled')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        claimed_by text,
        claimed_at timestamptz,
        in_doubt boolean not null default false,
        last_error text,
        sent_at timestamptz,
        created_at timestamptz not null default now(),
        unique (campaign_id, subscriber_id)
      )`);
    this.addSql(`create index newsletter_recipient_due_idx on newsletter_recipient (campaign_id, next_attempt_at, id) where status = 'queued'`);
    this.addSql(`create index newsletter_recipient_sending_idx on newsletter_recipient (claimed_by) where status = 'sending'`);
    this.addSql(`create index newsletter_recipient_sub_idx on newsletter_recipient (subscriber_id)`);
    this.addSql(`
      create table newsletter_event (
        id bigserial primary key,
        campaign_id bigint not null,
        subscriber_id bigint,
        kind text not null check (kind in ('open', 'click', 'view', 'unsubscribe')),
        link_index integer,
        machine boolean not null default false,
        machine_reason text,
        ip text,
        at timestamptz not null default now()
      )`);
    this.addSql(`create index newsletter_event_campaign_idx on newsletter_event (campaign_id, kind, at)`);
    this.addSql(`create index newsletter_event_sub_idx on newsletter_event (subscriber_id)`);
  }

  override async down(): Promise<void> {
    for (const t of ['newsletter_event', 'newsletter_recipient', 'newsletter_campaign', 'newsletter_suppression', 'newsletter_consent_log', 'newsletter_subscription', 'newsletter_subscriber', 'newsletter_list']) {
      this.addSql(`drop table if exists ${t}`);
    }
  }
}
