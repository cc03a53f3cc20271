/**
 * Filing a claimed batch together (one lookup, one statement for the new tickets, one for
 * their acknowledgements) must give exactly what filing the same mail one message at a time
 * gives: the same outcome and record for every message, the same tickets, contacts,
 * timelines and acknowledgements. The set mixes what the batch path takes (new mail from
 * distinct companies) with everything it must leave to the one-message path, in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { makeProcessor, fixture, importRaw, seedFixtureCompany } from '../support/filing-harness.ts';
import { supportMail } from '../support/generated-mail.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { timelineBodySql } from '../../src/records/timeline-store.ts';
import { splitReply } from '../../src/threading/quote-split.ts';
import type { Orm } from '../../src/db/orm.ts';

function mail(from: string, subject: string, id: string, extra: string[] = [], body = 'Varmepumpen virker ikke, feilkode E12. Kan dere se på feilen?'): string {
  return [`From: ${from}`, 'To: post@infracomfort.example', `Subject: ${subject}`, `Message-ID: <${id}>`, ...extra, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
}

/** In arrival order. */
function mixedSet(): Array<string | Buffer> {
  const set: Array<string | Buffer> = [];
  for (let i = 0; i < 6; i++) set.push(supportMail(i, { tag: 'batch', domainCount: 1000 }));
  set.push(fixture('01-support-nb.eml')); // a known contact: SUP-000007
  for (let i = 6; i < 10; i++) set.push(supportMail(i, { tag: 'batch', domainCount: 1000 }));
  set.push(fixture('05-reply-to-ticket-nb.eml')); // Kari's reply: threads by headers onto fixture 01's ticket
  set.push(fixture('02-quote-request-en.eml')); // a lead
  // Two people of one company, and one sender twice: one message at a time each.
  set.push(mail('Ola <ola@samme-firma.example>', 'Feil på anlegget', 'same-1@samme-firma.example'));
  set.push(mail('Kari <kari@samme-firma.example>', 'Feil på anlegget igjen', 'same-2@samme-firma.example'));
  set.push(supportMail(3, { tag: 'again', domainCount: 1000 }));
  // A reply to a message earlier in the same batch, from someone else.
  set.push(mail('Per <per@annen-kunde.example>', 'SV: Feil på varmepumpe batch 7', 'reply-to-7@annen-kunde.example', ['In-Reply-To: <batch-7@kunde7.example>', 'References: <batch-7@kunde7.example>']));
  set.push(fixture('06-out-of-office-nb.eml'));
  set.push(fixture('07-bounce-dsn.eml'));
  for (let i = 10; i < 24; i++) set.push(supportMail(i, { tag: 'batch', domainCount: 1000 }));
  set.push(fixture('08-latin1-nb.eml'));
  set.push(fixture('09-html-inline-image-en.eml'));
  set.push(fixture('10-order-attachment-nb.eml'));
  set.push(fixture('03-privacy-access-nb.eml'));
  // A stranger quoting a ticket number: a new ticket linked to it, never joined.
  set.push(mail('Fremmed <fremmed@ukjent.example>', 'Angående [SUP-000002]', 'stranger@ukjent.example'));
  for (let i = 24; i < 40; i++) set.push(supportMail(i, { tag: 'batch', domainCount: 1000 }));
  // No acknowledgement to a no-reply sender, in the middle of a batch.
  set.push(mail('Portal <noreply@portal-kunde.example>', 'Feil på portalen', 'noreply-1@portal-kunde.example'));
  for (let i = 40; i < 44; i++) set.push(supportMail(i, { tag: 'batch', domainCount: 1000 }));
  return set;
}

/** What filing produced, in a form that does not depend on row ids or timing. */
async function outcome(orm: Orm) {
  const sql = sqlOf(orm.em.fork());
  return {
    inbound: await sql(`select message_id, state, outcome, record_ref, language from inbound_message order by id`),
    tickets: await sql(
      `select t.ref, t.subject, t.status, t.language, t.linked_ref, c.email as requester, o.name as organisation, t.acknowledged_at is not null as acknowledged,
              (select array_agg(pc.email order by pc.email) from ticket_participant p join contact pc on pc.id = p.contact_id where p.ticket_id = t.id) as participants
         from ticket t join contact c on c.id = t.requester_id left join organisation o on o.id = t.organisation_id order by t.ref`,
    ),
    leads: await sql(`select ref, source, subject, language from lead order by ref`),
    contacts: await sql(`select c.email, c.name, o.name as organisation from contact c left join organisation o on o.id = c.organisation_id order by c.email`),
    timeline: await sql(
      `select m.record_ref, m.direction, m.from_address, m.author, m.subject, m.body_split, ${timelineBodySql('m')} as body, i.message_id as inbound
         from record_message m left join inbound_message i on i.id = m.inbound_message_id order by m.record_ref, m.direction, i.message_id, m.subject`,
    ),
    emailLog: await sql(`select c.email, l.record_ref, l.direction, l.subject from email_log l left join contact c on c.id = l.contact_id order by l.record_ref, l.direction, c.email`),
    threadIds: await sql(`select record_ref, count(*)::int as n from thread_message_id group by record_ref order by record_ref`),
    acknowledgements: await sql(`select a.record_ref, a.recipient, o.dedupe_key, o.payload->'to' as "to", o.payload->>'subject' as subject from acknowledgement a join outbox_message o on o.id = a.outbox_id order by a.record_ref`),
    outbox: await sql(`select dedupe_key, channel from outbox_message order by dedupe_key`),
    triage: await sql(`select i.message_id, t.suggested_route from triage_item t join inbound_message i on i.id = t.inbound_message_id order by i.message_id`),
  };
}

let together: TestDatabase;
let oneByOne: TestDatabase;

beforeAll(async () => {
  [together, oneByOne] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  for (const db of [together, oneByOne]) {
    await seedFixtureCompany(db.orm);
    for (const raw of mixedSet()) await importRaw(db.orm, raw);
  }
  // One lane each, so batches are consecutive messages and IDs come in arrival order.
  await makeProcessor(together.orm, undefined, { lanes: 1, batchSize: 16 }).runOnce();
  await makeProcessor(oneByOne.orm, undefined, { lanes: 1, batchSize: 1 }).runOnce();
});
afterAll(async () => {
  await together?.drop();
  await oneByOne?.drop();
});

describe('filing a batch together', () => {
  it('files every message exactly as one at a time does', async () => {
    const a = await outcome(together.orm);
    const b = await outcome(oneByOne.orm);
    expect(a.inbound.every((r) => r.state === 'filed')).toBe(true);
    for (const key of Object.keys(a) as Array<keyof typeof a>) expect(a[key], key).toEqual(b[key]);
    // The set exercises what it should: replies threaded, a lead, robots, a linked stranger.
    const outcomes = a.inbound.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'ticket').length).toBeGreaterThan(40);
    expect(outcomes).toEqual(expect.arrayContaining(['ticket-reply', 'lead', 'auto-reply', 'bounce']));
    expect(a.tickets.find((t) => t.requester === 'fremmed@ukjent.example')).toMatchObject({ linked_ref: 'SUP-000002' });
    expect(a.inbound.find((r) => r.message_id === '<reply-to-7@annen-kunde.example>')).toMatchObject({ outcome: 'ticket-reply' });
    expect(a.acknowledgements.some((r) => String(r.recipient).startsWith('noreply@'))).toBe(false);
  });

  it('keeps each inbound text once: the timeline gives back splitReply\'s parts from the stored text', async () => {
    const rows = await sqlOf(together.orm.em.fork())<{ text: string; body: string; quoted: string; signature: string }>(
      `select i.parsed->>'text' as text, ${timelineBodySql('m')} as body, ${timelineBodySql('m', 'quoted')} as quoted, ${timelineBodySql('m', 'signature')} as signature
         from record_message m join inbound_message i on i.id = m.inbound_message_id where m.direction = 'in'`,
    );
    expect(rows.length).toBeGreaterThan(40);
    for (const r of rows) expect({ newText: r.body, quoted: r.quoted, signature: r.signature }).toEqual(splitReply(r.text ?? ''));
    const [copies] = await sqlOf(together.orm.em.fork())<{ n: number }>(`select count(*)::int as n from record_message where direction = 'in' and body_new is not null`);
    expect(copies!.n).toBe(0);
  });

  it('writes the new tickets of a batch together, not with one statement each', async () => {
    // Rows written by one statement share their transaction and command id.
    const statements = async (orm: Orm) =>
      (await sqlOf(orm.em.fork())<{ n: number; tickets: number }>(`select count(distinct (xmin::text, cmin::text))::int as n, count(*)::int as tickets from ticket`))[0]!;
    const a = await statements(together.orm);
    const b = await statements(oneByOne.orm);
    expect(b.n).toBe(b.tickets);
    expect(a.n).toBeLessThan(a.tickets / 3);
  });
});
