import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { SmtpDeliverer } from '../../src/outbox/transports/smtp-transport.ts';
import { makeDispatcher, until } from '../support/outbox-helpers.ts';
import { makeProcessor, fixture, importRaw, seedFixtureCompany, inbound, testFilingDeps, testParser } from '../support/filing-harness.ts';
import { createFiler } from '../../src/handlers/file-message.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import type { InboundForFiling } from '../../src/ingest/inbound-record.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { timelineBodySql } from '../../src/records/timeline-store.ts';
import { IngestProcessor, type IngestProcessorOptions } from '../../src/ingest/ingest-processor.ts';
import type { OutboxDispatcher } from '../../src/outbox/dispatcher.ts';

let db: TestDatabase;
let peer: SmtpPeer;
let smtp: SmtpDeliverer;
let processor: IngestProcessor;
let dispatcher: OutboxDispatcher;

async function fileAndSend(name: string) {
  const id = await importRaw(db.orm, fixture(name));
  await processor.runOnce();
  const before = peer.messages.length;
  await dispatcher.runOnce();
  return { row: await inbound(db.orm, id), sent: peer.messages.slice(before) };
}

const sql = () => sqlOf(db.orm.em.fork());

/** Fixture 01 as a new message of its own: another Message-ID and subject. */
function fixture01As(tag: string, subject: string): string {
  return fixture('01-support-nb.eml').toString().replace('fixture-01@', `fixture-01-${tag}@`).replace('Kan ikke logge inn', subject);
}

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  smtp = new SmtpDeliverer(peer.url, { poolSize: 1 });
  processor = makeProcessor(db.orm);
  dispatcher = makeDispatcher(db.orm, { deliverers: { email: smtp }, workerId: 'mailroom-test:fixtures' });
  await seedFixtureCompany(db.orm);
});
afterAll(async () => {
  await smtp?.close();
  await peer?.stop();
  await db?.drop();
});

describe('fixtures end to end (stored → filed → acknowledgement at the SMTP peer)', () => {
  it('01: a known customer\'s contact gets ticket SUP-000001 and a Norwegian acknowledgement quoting it', async () => {
    const { row, sent } = await fileAndSend('01-support-nb.eml');
    expect(row).toMatchObject({ state: 'filed', outcome: 'ticket', record_ref: 'SUP-000001', language: 'nb' });
    const [ticket] = await sql()(`select t.*, o.name as org from ticket t join organisation o on o.id = t.organisation_id where ref = 'SUP-000001'`);
    expect(ticket).toMatchObject({ org: 'Fjordvarme AS', status: 'open' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.envelope.to).toEqual(['kari.nordmann@fjordvarme.example']);
    const ack = await simpleParser(sent[0]!.raw);
    expect(ack.subject).toContain('[SUP-000001]');
    expect(ack.subject).toMatch(/Vi har mottatt saken din/);
    expect(ack.text).toContain('SUP-000001');
    expect(ack.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack.inReplyTo).toBe('<fixture-01@mail.customer.example>');
  });

  it('05: the reply joins SUP-000001 with no new ticket and no second acknowledgement', async () => {
    const { row, sent } = await fileAndSend('05-reply-to-ticket-nb.eml');
    expect(row).toMatchObject({ state: 'filed', outcome: 'ticket-reply', record_ref: 'SUP-000001' });
    expect(sent).toHaveLength(0);
    const tickets = await sql()('select ref from ticket');
    expect(tickets).toHaveLength(1);
    // The text is stored once (the inbound message); the timeline keeps its split.
    const [msg] = await sql()(
      `select ${timelineBodySql('m')} as body_new, ${timelineBodySql('m', 'quoted')} as body_quoted, m.body_split
         from record_message m where record_ref = 'SUP-000001' and direction = 'in' order by id desc limit 1`,
    );
    expect(msg!.body_split).toMatchObject({ new: expect.any(Array), quoted: expect.any(Array) });
    expect(msg!.body_new).toContain('Nå fungerer innloggingen');
    expect(msg!.body_new).not.toContain('> Hei Kari');
    expect(msg!.body_quoted).toContain('Hei Kari');
  });

  it('02: the dealer-page form becomes a lead for Liam O\'Brien / Nordic Build Ltd, linked to dealer 1042, acknowledged in English to Reply-To', async () => {
    const { row, sent } = await fileAndSend('02-quote-request-en.eml');
    expect(row).toMatchObject({ state: 'filed', outcome: 'lead', record_ref: 'LEAD-000001', language: 'en' });
    const [lead] = await sql()(
      `select l.source, c.email, c.name, o.name as org, d.dealer_number from lead l
         join contact c on c.id = l.contact_id left join organisation o on o.id = l.organisation_id
         left join organisation d on d.id = l.dealer_id where l.ref = 'LEAD-000001'`,
    );
    expect(lead).toMatchObject({ source: 'dealer-page', email: 'liam@nordicbuild.example', name: "Liam O'Brien", org: 'Nordic Build Ltd', dealer_number: '1042' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.envelope.to).toEqual(['liam@nordicbuild.example']);
    const ack = await simpleParser(sent[0]!.raw);
    expect(ack.subject).toMatch(/^Thank you for your enquiry \[LEAD-000001\]/);
  });

  it('08: ISO-8859-1 is decoded (Bjørn Ærø, "Varmepanel på badet…") and filed as a ticket', async () => {
    const { row, sent } = await fileAndSend('08-latin1-nb.eml');
    expect(row.subject).toMatch(/^Varmepanel på badet/);
    expect(row.parsed.from.name).toBe('Bjørn Ærø');
    expect(row).toMatchObject({ outcome: 'ticket', language: 'nb' });
    expect(sent).toHaveLength(1);
    expect((await simpleParser(sent[0]!.raw)).text).toContain('Hei Bjørn Ærø');
  });

  it('09: HTML-only mail gives text for the ticket and keeps the inline image as an attachment', async () => {
    const { row, sent } = await fileAndSend('09-html-inline-image-en.eml');
    expect(row).toMatchObject({ outcome: 'ticket', language: 'en' });
    expect(row.parsed.text).toMatch(/^Hello support,\n\nThe controller show/);
    expect(row.parsed.text).not.toMatch(/<[a-z]+[ >]/i);
    const atts = await sql()('select filename, content_type, inline, size, sha256 from attachment where inbound_message_id = ?', [row.id]);
    expect(atts).toHaveLength(1);
    expect(atts[0]).toMatchObject({ inline: true });
    expect(atts[0]!.content_type).toMatch(/^image\//);
    expect(sent).toHaveLength(1);
    expect((await simpleParser(sent[0]!.raw)).subject).toMatch(/^We have received your request \[SUP-/);
  });

  it('10: the order PDF is stored with name, type, size and checksum, and filed by the rules', async () => {
    const { row } = await fileAndSend('10-order-attachment-nb.eml');
    expect(['lead', 'ticket']).toContain(row.outcome);
    const [att] = await sql()('select filename, content_type, size, sha256, length(content) as stored from attachment where inbound_message_id = ?', [row.id]);
    expect(att!.filename).toMatch(/\.pdf$/i);
    expect(att!.content_type).toBe('application/pdf');
    expect(Number(att!.size)).toBeGreaterThan(0);
    expect(Number(att!.stored)).toBe(Number(att!.size));
    expect(att!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('06, 07: an auto-reply and a bounce are recorded, never answered, no ticket', async () => {
    const tickets = (await sql()('select count(*) as n from ticket'))[0]!.n;
    const auto = await fileAndSend('06-out-of-office-nb.eml');
    const bounce = await fileAndSend('07-bounce-dsn.eml');
    expect(auto.row.outcome).toBe('auto-reply');
    expect(bounce.row.outcome).toBe('bounce');
    expect(bounce.row.parsed.automated.bounce.recipients[0]).toMatchObject({ status: '5.1.1', hard: true });
    expect(auto.sent.length + bounce.sent.length).toBe(0);
    expect((await sql()('select count(*) as n from ticket'))[0]!.n).toBe(tickets);
  });

  it('03, 04, 11, 13: privacy requests and newsletter replies become triage items, never tickets', async () => {
    for (const f of ['03-privacy-access-nb.eml', '04-privacy-erasure-en.eml', '11-unsubscribe-reply-nb.eml', '13-privacy-rectify-nb.eml']) {
      const { row, sent } = await fileAndSend(f);
      expect(row.outcome, f).toBe('triage');
      expect(sent, f).toHaveLength(0);
    }
    const items = await sql()('select suggested_route from triage_item order by id');
    expect(items.map((i) => i.suggested_route)).toEqual(['privacy', 'privacy', 'newsletter-reply', 'privacy']);
  });

  it('12: malformed mail never crashes: filed with what could be decoded, or quarantined with the reason', async () => {
    const { row } = await fileAndSend('12-malformed.eml');
    expect(['filed', 'quarantined']).toContain(row.state);
    if (row.state === 'quarantined') expect(row.last_error).toBeTruthy();
    else expect(row.parsed.problems.length).toBeGreaterThan(0);
    const chunks = await sql()('select count(*) as n from inbound_raw_chunk where inbound_message_id = ?', [row.id]);
    expect(Number(chunks[0]!.n)).toBeGreaterThan(0);
  });
});

describe('a stranger quoting a ticket number', () => {
  it('gets a new ticket linked to the one mentioned, never joins it', async () => {
    const raw = [
      'From: Mallory <mallory@evil.example>',
      'To: post@infracomfort.example',
      'Subject: Re: [SUP-000001] Kan ikke logge inn i produktportalen',
      'Message-ID: <stranger-1@evil.example>',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hei, jeg har også problemer med innlogging i portalen. Kan dere hjelpe?',
      '',
    ].join('\r\n');
    const id = await importRaw(db.orm, raw);
    await processor.runOnce();
    const row = await inbound(db.orm, id);
    expect(row.outcome).toBe('ticket');
    expect(row.record_ref).not.toBe('SUP-000001');
    const [t] = await sql()('select linked_ref from ticket where ref = ?', [row.record_ref]);
    expect(t!.linked_ref).toBe('SUP-000001');
    const participants = await sql()(`select c.email from ticket_participant tp join ticket t on t.id = tp.ticket_id join contact c on c.id = tp.contact_id where t.ref = 'SUP-000001'`);
    expect(participants.map((p) => p.email)).toEqual(['kari.nordmann@fjordvarme.example']);
  });
});

/** A processor with the real filer that throws, after writing its records, whenever `fail` says so. */
function processorThatFails(fail: (m: InboundForFiling) => boolean, message: string, options: Partial<IngestProcessorOptions> = {}): IngestProcessor {
  const real = createFiler(testFilingDeps());
  return new IngestProcessor({
    orm: db.orm,
    log: silentLogger,
    parser: testParser(),
    maxAttempts: 5,
    ownDomains: ['infracomfort.example'],
    messageIdDomain: 'infracomfort.example',
    ...options,
    file: async (em, m) => {
      const result = await real(em, m);
      if (fail(m)) throw new Error(message);
      return result;
    },
  });
}

describe('crash in the middle of filing', () => {
  it('a filing transaction that dies after writing leaves nothing; the retry files the message exactly once', async () => {
    let crashes = 1;
    const crashing = processorThatFails(() => crashes-- > 0, 'simulated crash after the records were written');
    const counts = async () =>
      (await sql()(`select (select count(*) from ticket) as t, (select count(*) from outbox_message) as o, (select count(*) from record_message) as m, (select count(*) from acknowledgement) as a`))[0]!;
    const before = await counts();
    const id = await importRaw(db.orm, fixture01As('crash', 'Skriveren virker ikke'));
    await crashing.runOnce();
    expect(await counts()).toEqual(before);
    expect(await inbound(db.orm, id)).toMatchObject({ state: 'parsed', attempts: 1 });
    await sql()('update inbound_message set next_attempt_at = now() where id = ?', [id]);
    await crashing.runOnce();
    await crashing.runOnce();
    const after = await counts();
    expect(Number(after.t)).toBe(Number(before.t) + 1);
    expect(Number(after.a)).toBe(Number(before.a) + 1);
    expect((await inbound(db.orm, id)).state).toBe('filed');
  });

  it('one failing message in a batch costs its neighbours nothing: they are filed, it alone records the failure', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const raw = fixture01As(`batch-${n}`, `Batch ${n}: skjermen er svart`);
      ids.push(await importRaw(db.orm, raw));
    }
    const bad = ids[1]!;
    const batching = processorThatFails((m) => m.id === bad, 'this message cannot be filed', { lanes: 1, batchSize: 16 });
    await batching.runOnce();
    const rows = await Promise.all(ids.map((id) => inbound(db.orm, id)));
    expect(rows.map((r) => r.state)).toEqual(['filed', 'parsed', 'filed']);
    expect(rows[1]).toMatchObject({ attempts: 1, last_error: 'this message cannot be filed' });
    const [{ n }] = await sql()<{ n: string }>(`select count(*) as n from ticket where subject like 'Batch %'`);
    expect(Number(n)).toBe(2);
  });
});

describe('record IDs', () => {
  it('grow past six digits instead of being cut (SUP-999999 is followed by SUP-1000000)', async () => {
    await sql()(`select setval('ticket_number_seq', 999998)`);
    const refs: string[] = [];
    for (const n of [1, 2]) {
      const raw = fixture01As(`ids-${n}`, `ID-test ${n}: skjermen er svart`);
      const id = await importRaw(db.orm, raw);
      await processor.runOnce();
      refs.push((await inbound(db.orm, id)).record_ref);
    }
    expect(refs).toEqual(['SUP-999999', 'SUP-1000000']);
  });
});
