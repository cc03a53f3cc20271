import { Migration } from '@mikro-orm/migrations';

/**
 * One suppression list for every channel that markets or tracks (issue 17): the newsletter's
 * own list (newsletter_suppression, plain SHA-256 of "mailroom-suppression:" + address) and the
 * privacy list (privacy_suppression, HMAC-SHA256 keyed with MAILROOM_SECRET) become one table,
 * `address_suppression`, keyed by (address_hash, kind).
 *
 * The unkeyed rows cannot be re-keyed here: the key is not in the database and, for an erased
 * person, neither is the address. They are moved over as they are, marked scheme
 * 'sha256-legacy', and lookups check both hashes of an address, so no one suppressed before the
 * upgrade is mailed or tracked after it. The daemon re-keys a legacy row as soon as it knows the
 * address (at start-up from the subscribers, contacts and privacy cases on file, or when the
 * address is suppressed again), so the guessable hashes disappear as the addresses are seen.
 */
export class Migration20261126000014_keyed_suppression extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table privacy_suppression rename to address_suppression`);
    this.addSql(`alter table address_suppression drop constraint if exists privacy_suppression_kind_check`);
    this.addSql(`alter table address_suppression rename constraint privacy_suppression_address_hash_kind_key to address_suppression_address_hash_kind_key`);
    this.addSql(`alter table address_suppression rename constraint privacy_suppression_pkey to address_suppression_pkey`);
    this.addSql(`alter table address_suppression add constraint address_suppression_kind_check
      check (kind in ('erasure', 'objection', 'unsubscribe', 'do-not-track', 'complaint', 'hard-bounce', 'soft-bounces'))`);
    this.addSql(`alter table address_suppression add column scheme text not null default 'hmac-sha256' check (scheme in ('hmac-sha256', 'sha256-legacy'))`);
    this.addSql(`alter table address_suppression add column source text`);
    this.addSql(`
      insert into address_suppression (address_hash, kind, scheme, source, created_at)
      select email_hash,
             case reason when 'unsubscribed' then 'unsubscribe' when 'erased' then 'erasure' when 'hard-bounce' then 'hard-bounce'
                         when 'soft-bounces' then 'soft-bounces' when 'complained' then 'complaint' else 'unsubscribe' end,
             'sha256-legacy', 'newsletter', at
        from newsletter_suppression
      on conflict (address_hash, kind) do nothing`);
    this.addSql(`drop table newsletter_suppression`);
    this.addSql(`
      update newsletter_subscriber set suppressed_reason = case suppressed_reason when 'unsubscribed' then 'unsubscribe' when 'erased' then 'erasure' when 'complained' then 'complaint' else suppressed_reason end
       where suppressed_reason is not null`);
    this.addSql(`create index address_suppression_legacy_idx on address_suppression (id) where scheme = 'sha256-legacy'`);
  }

  override async down(): Promise<void> {
    this.addSql(`create table newsletter_suppression (email_hash text primary key, reason text not null, at timestamptz not null default now())`);
    this.addSql(`
      insert into newsletter_suppression (email_hash, reason, at)
      select distinct on (address_hash) address_hash,
             case kind when 'unsubscribe' then 'unsubscribed' when 'erasure' then 'erased' when 'complaint' then 'unsubscribed' else kind end, created_at
        from address_suppression where scheme = 'sha256-legacy' and kind <> 'do-not-track' order by address_hash, id`);
    this.addSql(`delete from address_suppression where scheme = 'sha256-legacy' or kind in ('complaint', 'hard-bounce', 'soft-bounces')`);
    this.addSql(`drop index if exists address_suppression_legacy_idx`);
    this.addSql(`alter table address_suppression drop column scheme`);
    this.addSql(`alter table address_suppression drop column source`);
    this.addSql(`alter table address_suppression drop constraint address_suppression_kind_check`);
    this.addSql(`alter table address_suppression add constraint privacy_suppression_kind_check check (kind in ('erasure', 'objection', 'unsubscribe', 'do-not-track'))`);
    this.addSql(`alter table address_suppression rename constraint address_suppression_address_hash_kind_key to privacy_suppression_address_hash_kind_key`);
    this.addSql(`alter table address_suppression rename constraint address_suppression_pkey to privacy_suppression_pkey`);
    this.addSql(`alter table address_suppression rename to privacy_suppression`);
    this.addSql(`
      update newsletter_subscriber set suppressed_reason = case suppressed_reason when 'unsubscribe' then 'unsubscribed' when 'erasure' then 'erased' when 'complaint' then 'unsubscribed' when 'objection' then 'unsubscribed' else suppressed_reason end
       where suppressed_reason is not null`);
  }
}
