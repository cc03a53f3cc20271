import { Migration } from '@mikro-orm/migrations';

/**
 * Records imported from the company's other systems (`mailroom records import`): orders,
 * portal users and project participants. Each has a natural unique key, so importing the
 * same file again is an upsert that changes nothing. Portal users never carry a password
 * or hash: the portal keeps those, Mailroom only needs to know who the people are.
 */
export class Migration20261126000005_company_records extends Migration {
  override async up(): Promise<void> {
    // "order" is a reserved word; customer_order reads as what it is.
    this.addSql(`
      create table customer_order (
        id bigserial primary key,
        order_number text not null unique,
        order_date date not null,
        buyer_name text,
        buyer_email text,
        buyer_contact_id bigint references contact (id),
        buyer_organisation_id bigint references organisation (id),
        delivery_address text,
        currency text,
        lines jsonb not null default '[]',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`create index customer_order_buyer_contact_idx on customer_order (buyer_contact_id)`);
    this.addSql(`create index customer_order_buyer_organisation_idx on customer_order (buyer_organisation_id)`);
    this.addSql(`create index customer_order_buyer_email_idx on customer_order (buyer_email)`);
    // Retention (orders older than 5 years may be purged on request) scans by date.
    this.addSql(`create index customer_order_date_idx on customer_order (order_date)`);
    this.addSql(`
      create table portal_user (
        id bigserial primary key,
        username text not null unique,
        name text,
        email text,
        mobile text,
        superuser boolean not null default false,
        contact_id bigint references contact (id),
        organisation_id bigint references organisation (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`create index portal_user_email_idx on portal_user (email)`);
    this.addSql(`create index portal_user_contact_idx on portal_user (contact_id)`);
    this.addSql(`
      create table project_participant (
        id bigserial primary key,
        project text not null,
        email text not null,
        name text,
        role text,
        phone text,
        contact_id bigint references contact (id),
        organisation_id bigint references organisation (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (project, email)
      )`);
    this.addSql(`create index project_participant_email_idx on project_participant (email)`);
    this.addSql(`create index project_participant_contact_idx on project_participant (contact_id)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists project_participant');
    this.addSql('drop table if exists portal_user');
    this.addSql('drop table if exists customer_order');
  }
}
