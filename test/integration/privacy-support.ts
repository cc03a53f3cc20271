/** Shared set-up for the privacy integration tests (not a test file itself). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../../src/db/sql.ts';
import type { Orm } from '../../src/db/orm.ts';
import { TemplateRenderer } from '../../src/templates/render-template.ts';
import { defaultPrivacyConfig } from '../../src/privacy/config.ts';
import type { PrivacyDeps } from '../../src/privacy/case-service.ts';
import { privacyCoverage } from '../../src/app/privacy-setup.ts';
import type { Clock } from '../../src/scheduler/clock.ts';
import { systemClock } from '../../src/scheduler/clock.ts';

export const CHANNELS = { support: 'C0SUPPORT', sales: 'C0SALES', triage: 'C0TRIAGE', privacy: 'C0PRIVACY', alerts: 'C0ALERTS' };

/** DNS for mailauth without the network: every name is unknown (DMARC: none). */
export const offlineResolver = async (name: string): Promise<never> => {
  throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
};

export function testPrivacyDeps(over: Partial<PrivacyDeps> = {}, clock: Clock = systemClock): PrivacyDeps {
  return {
    config: defaultPrivacyConfig,
    secret: 'test-secret-0123456789abcdef',
    publicUrl: 'http://127.0.0.1:1',
    mailFrom: 'post@infracomfort.example',
    fromName: 'InfraComfort',
    orgName: 'InfraComfort AS',
    messageIdDomain: 'infracomfort.example',
    prefix: 'PRV',
    templates: new TemplateRenderer(),
    channels: CHANNELS,
    postToSlack: false,
    clock,
    senderCheck: { trustedAuthservId: 'mx.infracomfort.example', resolver: offlineResolver, timeoutMs: 2000 },
    effects: [],
    coverage: privacyCoverage(),
    ...over,
  };
}

export const MARIA = { email: 'maria.svensson@kundeab.example', name: 'Maria Svensson' };

/** Savepoint: a seed for a table another concern owns must not break the rest if its shape changed. */
async function tryInsert(em: EntityManager, label: string, fn: () => Promise<unknown>, missed: string[]): Promise<void> {
  const sql = sqlOf(em);
  await sql('savepoint s');
  try {
    await fn();
    await sql('release savepoint s');
  } catch (e) {
    await sql('rollback to savepoint s');
    missed.push(`${label}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * Maria Svensson in every table that can hold a person, plus another customer (Kari) on her
 * ticket (third-party data the package must redact). Returns the seeds that could not be made.
 */
export async function seedPersonEverywhere(orm: Orm): Promise<{ missed: string[] }> {
  const missed: string[] = [];
  await orm.em.fork().transactional(async (em) => {
    const sql = sqlOf(em);
    const [org] = await sql<{ id: string }>(`insert into organisation (name, kind, domain) values ('Kunde AB', 'customer', 'kundeab.example') returning id`);
    const [maria] = await sql<{ id: string }>(
      `insert into contact (email, name, title, phone, organisation_id, roles) values (?, ?, 'Inköpare', '+46 70 123 45 67', ?, '{support-contact,ops-notice-contact}') returning id`,
      [MARIA.email, MARIA.name, org!.id],
    );
    const [kari] = await sql<{ id: string }>(`insert into contact (email, name, organisation_id) values ('kari.other@kundeab.example', 'Kari Annen', ?) returning id`, [org!.id]);
    // Mail: an inbound message on a ticket, one on a lead, one left in triage.
    const inbound = async (subject: string, from: string, ref: string | null) => {
      const [m] = await sql<{ id: string }>(
        `insert into inbound_message (source, content_sha256, size, subject, from_address, state, parsed, record_ref) values ('import', md5(random()::text), 10, ?, ?, 'filed', ?, ?) returning id`,
        [subject, from, JSON.stringify({ from: { address: from, name: from === MARIA.email ? MARIA.name : 'Kari Annen' }, text: `Hilsen ${from === MARIA.email ? MARIA.name : 'Kari Annen'}` }), ref],
      );
      await sql(`insert into inbound_raw_chunk (inbound_message_id, seq, bytes) values (?, 0, ?)`, [m!.id, Buffer.from(`From: ${from}\r\n\r\nhei`)]);
      await sql(`insert into attachment (inbound_message_id, position, filename, content_type, size, sha256) values (?, 0, 'maria-svensson-cv.pdf', 'application/pdf', 3, 'x')`, [m!.id]);
      return m!.id;
    };
    const tIn = await inbound('Feil i portalen', MARIA.email, 'SUP-000900');
    const kIn = await inbound('Samme feil', 'kari.other@kundeab.example', 'SUP-000900');
    const lIn = await inbound('Offert', MARIA.email, 'LEAD-000900');
    const trIn = await inbound('Hmm', MARIA.email, null);
    const [ticket] = await sql<{ id: string }>(`insert into ticket (ref, subject, requester_id, organisation_id) values ('SUP-000900', 'Feil i portalen', ?, ?) returning id`, [maria!.id, org!.id]);
    await sql(`insert into ticket_participant (ticket_id, contact_id) values (?, ?), (?, ?)`, [ticket!.id, maria!.id, ticket!.id, kari!.id]);
    await sql(
      `insert into record_message (record_ref, direction, inbound_message_id, from_address, subject, body_new, signature) values
        ('SUP-000900', 'in', ?, ?, 'Feil i portalen', 'Portalen virker ikke', ?),
        ('SUP-000900', 'in', ?, 'kari.other@kundeab.example', 'Samme feil', 'KARI-SECRET-TEXT', 'Kari Annen')`,
      [tIn, MARIA.email, MARIA.name, kIn],
    );
    const [lead] = await sql<{ id: string }>(
      `insert into lead (ref, source, subject, contact_id, organisation_id, form_data) values ('LEAD-000900', 'web-form', 'Offert', ?, ?, ?) returning id`,
      [maria!.id, org!.id, JSON.stringify({ name: MARIA.name, email: MARIA.email, phone: '+46 70 123 45 67' })],
    );
    const [out] = await sql<{ id: string }>(
      `insert into outbox_message (channel, payload, status) values ('email', ?, 'sent') returning id`,
      [JSON.stringify({ to: [`"${MARIA.name}" <${MARIA.email}>`], subject: 'Takk for henvendelsen [LEAD-000900]', text: `Hei ${MARIA.name}`, headers: { 'X-Mailroom-Id': 'LEAD-000900' } })],
    );
    await sql(`insert into record_message (record_ref, direction, inbound_message_id, outbox_id, from_address, subject, body_new) values ('LEAD-000900', 'in', ?, null, ?, 'Offert', 'Jag vill ha en offert'), ('LEAD-000900', 'out', null, ?, 'post@infracomfort.example', 'Takk', ?)`, [lIn, MARIA.email, out!.id, `Hei ${MARIA.name}`]);
    await sql(`insert into email_log (contact_id, lead_id, record_ref, direction, subject, inbound_message_id) values (?, ?, 'LEAD-000900', 'in', 'Offert', ?), (?, null, 'SUP-000900', 'in', 'Feil i portalen', ?)`, [maria!.id, lead!.id, lIn, maria!.id, tIn]);
    await sql(`insert into acknowledgement (record_ref, recipient, outbox_id) values ('LEAD-000900', ?, ?)`, [MARIA.email, out!.id]);
    await sql(`insert into thread_message_id (message_id, record_ref) values ('lead-900@kundeab.example', 'LEAD-000900')`);
    await sql(`insert into triage_item (inbound_message_id, suggested_route, reason) values (?, 'support', 'uncertain')`, [trIn]);
    // Orders: one past its bookkeeping period, one young.
    await sql(
      `insert into customer_order (order_number, order_date, buyer_name, buyer_email, buyer_contact_id, delivery_address) values
        ('ORD-OLD-1', '2019-05-01', ?, ?, ?, 'Storgatan 1, Malmö'), ('ORD-NEW-1', '2025-03-01', ?, ?, ?, 'Storgatan 1, Malmö')`,
      [MARIA.name, MARIA.email, maria!.id, MARIA.name, MARIA.email, maria!.id],
    );
    await sql(`insert into portal_user (username, name, email, mobile, contact_id) values ('maria.s', ?, ?, '+46 70 123 45 67', ?)`, [MARIA.name, MARIA.email, maria!.id]);
    await sql(`insert into project_participant (project, email, name, role, phone, contact_id) values ('Malmö hotell', ?, ?, 'Kontakt', '+46 70 123 45 67', ?)`, [MARIA.email, MARIA.name, maria!.id]);
    // Newsletter and ops notices (tables owned by other concerns).
    await tryInsert(em, 'newsletter', async () => {
      const [list] = await sql<{ id: string }>(`insert into newsletter_list (slug, name_nb, name_en) values ('nyheter', 'Nyheter', 'News') returning id`);
      const [sub] = await sql<{ id: string }>(`insert into newsletter_subscriber (email, name) values (?, ?) returning id`, [MARIA.email, MARIA.name]);
      await sql(`insert into newsletter_subscription (subscriber_id, list_id, status) values (?, ?, 'confirmed')`, [sub!.id, list!.id]);
      await sql(`insert into newsletter_consent_log (subscriber_id, action, source) values (?, 'subscribe', 'import')`, [sub!.id]);
      const [camp] = await sql<{ id: string }>(`insert into newsletter_campaign (name, subject, list_ids, template_html, links) values ('Nov', 'Nyheter', ?::bigint[], '<p>x</p>', '[]') returning id`, [`{${list!.id}}`]);
      await sql(`insert into newsletter_recipient (campaign_id, subscriber_id, email, domain) values (?, ?, ?, 'kundeab.example')`, [camp!.id, sub!.id, MARIA.email]);
      await sql(`insert into newsletter_event (campaign_id, subscriber_id, kind, ip) values (?, ?, 'open', '12.214.31.0')`, [camp!.id, sub!.id]);
    }, missed);
    await tryInsert(em, 'notices', async () => {
      const [n] = await sql<{ id: string }>(`insert into notice (ref, kind, title, window_start, window_end) values ('OPS-000900', 'maintenance', 'Vedlikehold', now(), now() + interval '1 hour') returning id`);
      const [st] = await sql<{ id: string }>(`insert into notice_step (notice_id, seq, step, label, due_at) values (?, 1, 'announcement', 'Varsel', now()) returning id`, [n!.id]);
      await sql(`insert into notice_delivery (notice_id, step_id, contact_id, email, language, message_id) values (?, ?, ?, ?, 'nb', '<x@y>')`, [n!.id, st!.id, maria!.id, MARIA.email]);
    }, missed);
  });
  return { missed };
}
