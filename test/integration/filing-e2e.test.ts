/**
 * Issue 4, "Done when" 1: fixtures 01, 02, 05, 08, 09, 10 end to end, from an IMAP APPEND to
 * the test Dovecot, through the real daemon process, to acknowledgements at the SMTP peer.
 * Also the server side: filed messages carry the `$Mailroom` keyword and are not \Seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { fixture, seedFixtureCompany } from '../support/filing-harness.ts';
import { ackLanguage, ackRef, stopStack, mailboxState, parseReceived, sleep, sqlFor, waitUntil, type ReceivedAck } from '../support/e2e-helpers.ts';

const FIXTURES = ['01-support-nb.eml', '02-quote-request-en.eml', '05-reply-to-ticket-nb.eml', '08-latin1-nb.eml', '09-html-inline-image-en.eml', '10-order-attachment-nb.eml'];
const messageIdOf = (name: string) => `<fixture-${name.slice(0, 2)}@mail.customer.example>`;

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;

interface InboundRow {
  id: string;
  message_id: string;
  state: string;
  outcome: string | null;
  record_ref: string | null;
  language: string | null;
  last_error: string | null;
}
const rows = new Map<string, InboundRow>();
let acks: ReceivedAck[] = [];

async function inboundByMessageId(): Promise<Map<string, InboundRow>> {
  const list = await sqlFor(db.orm)<InboundRow>('select id, message_id, state, outcome, record_ref, language, last_error from inbound_message order by id');
  return new Map(list.map((r) => [r.message_id, r]));
}

async function waitFiled(names: string[], timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    `${names.join(', ')} filed`,
    async () => {
      const all = await inboundByMessageId();
      return names.every((n) => ['filed', 'quarantined'].includes(all.get(messageIdOf(n))?.state ?? ''));
    },
    { timeoutMs, describe: async () => JSON.stringify([...(await inboundByMessageId()).values()]) + `\n${daemon?.output() ?? ''}` },
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
  await seedFixtureCompany(db.orm);
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, ...dovecot.env() });
  daemon = await startDaemonProcess(env);
  const user = dovecot.users[0]!.user;

  // 01 first and filed, so it gets SUP-000001 (05 replies to that ID); then the rest in order.
  await dovecot.append(user, 'INBOX', fixture(FIXTURES[0]!));
  await waitFiled([FIXTURES[0]!]);
  for (const name of FIXTURES.slice(1)) await dovecot.append(user, 'INBOX', fixture(name));
  await waitFiled(FIXTURES);
  for (const [k, v] of await inboundByMessageId()) rows.set(k, v);

  // 01, 02, 08, 09 and 10 open records and are acknowledged; 05 is a reply (no ack).
  await peer.waitFor(5, 30_000);
  await sleep(1500); // a sixth (wrong) acknowledgement would arrive in this window
  acks = await Promise.all(peer.messages.map(parseReceived));
}, 120_000);

afterAll(async () => {
  await stopStack({ daemon, peers: [peer, dovecot], db, env });
});

const row = (name: string) => rows.get(messageIdOf(name))!;
const acksTo = (address: string) => acks.filter((a) => a.to.includes(address));

describe('fixtures end to end: Dovecot → daemon → SMTP peer', () => {
  it('every fixture is filed, none quarantined', () => {
    for (const name of FIXTURES) expect(row(name), name).toMatchObject({ state: 'filed' });
  });

  it('01: ticket SUP-000001 for Fjordvarme, acknowledged once in Norwegian with the ID, threaded and auto-submitted', async () => {
    expect(row(FIXTURES[0]!)).toMatchObject({ outcome: 'ticket', record_ref: 'SUP-000001', language: 'nb' });
    const [t] = await sqlFor(db.orm)(`select o.name as org from ticket t join organisation o on o.id = t.organisation_id where t.ref = 'SUP-000001'`);
    expect(t).toMatchObject({ org: 'Fjordvarme AS' });
    const mine = acksTo('kari.nordmann@fjordvarme.example');
    expect(mine).toHaveLength(1);
    expect(ackRef(mine[0]!.subject)).toBe('SUP-000001');
    expect(ackLanguage(mine[0]!.subject)).toBe('nb');
    expect(mine[0]!.text).toContain('SUP-000001');
    expect(mine[0]!.autoSubmitted).toBe('auto-replied');
    expect(mine[0]!.inReplyTo).toBe(messageIdOf('01'));
  });

  it('05: the reply joins SUP-000001, no new ticket, no second acknowledgement', async () => {
    expect(row(FIXTURES[2]!)).toMatchObject({ outcome: 'ticket-reply', record_ref: 'SUP-000001' });
    const onTicket = await sqlFor(db.orm)(`select inbound_message_id from record_message where record_ref = 'SUP-000001' and direction = 'in' order by id`);
    expect(onTicket.map((r) => String(r.inbound_message_id))).toEqual([row(FIXTURES[0]!).id, row(FIXTURES[2]!).id].map(String));
    expect(acksTo('kari.nordmann@fjordvarme.example')).toHaveLength(1);
    const [{ n }] = (await sqlFor(db.orm)<{ n: string }>(`select count(*) as n from acknowledgement where record_ref = 'SUP-000001'`)) as [{ n: string }];
    expect(Number(n)).toBe(1);
  });

  it('02: the dealer-page form becomes a lead for Liam O\'Brien / Nordic Build, dealer 1042, acknowledged in English to the Reply-To person', async () => {
    expect(row(FIXTURES[1]!)).toMatchObject({ outcome: 'lead', language: 'en' });
    expect(row(FIXTURES[1]!).record_ref).toMatch(/^LEAD-\d{6}$/);
    const [lead] = await sqlFor(db.orm)(
      `select l.source, c.email, c.name, o.name as org, d.dealer_number from lead l
         join contact c on c.id = l.contact_id left join organisation o on o.id = l.organisation_id
         left join organisation d on d.id = l.dealer_id where l.ref = ?`,
      [row(FIXTURES[1]!).record_ref],
    );
    expect(lead).toMatchObject({ source: 'dealer-page', email: 'liam@nordicbuild.example', name: "Liam O'Brien", org: 'Nordic Build Ltd', dealer_number: '1042' });
    const mine = acksTo('liam@nordicbuild.example');
    expect(mine).toHaveLength(1);
    expect(ackLanguage(mine[0]!.subject)).toBe('en');
    expect(ackRef(mine[0]!.subject)).toBe(row(FIXTURES[1]!).record_ref);
    // Never to the form robot in From.
    expect(acksTo('noreply@infracomfort.example')).toHaveLength(0);
  });

  it('08: Latin-1 decoded (Bjørn Ærø), a support ticket, acknowledged in Norwegian', async () => {
    const r = row(FIXTURES[3]!);
    expect(r).toMatchObject({ outcome: 'ticket', language: 'nb' });
    const [stored] = await sqlFor(db.orm)(`select subject, parsed->'from'->>'name' as name from inbound_message where id = ?`, [r.id]);
    expect(stored!.subject).toMatch(/^Varmepanel på badet/);
    expect(stored!.name).toBe('Bjørn Ærø');
    const mine = acksTo('bjorn.aero@privat.example');
    expect(mine).toHaveLength(1);
    expect(ackLanguage(mine[0]!.subject)).toBe('nb');
    expect(ackRef(mine[0]!.subject)).toBe(r.record_ref);
    expect(mine[0]!.text).toContain('Bjørn Ærø');
  });

  it('09: HTML-only mail is a ticket acknowledged in English; the inline image is stored as an attachment', async () => {
    const r = row(FIXTURES[4]!);
    expect(r).toMatchObject({ outcome: 'ticket', language: 'en' });
    const atts = await sqlFor(db.orm)('select content_type, inline, size, length(content) as stored, sha256 from attachment where inbound_message_id = ?', [r.id]);
    expect(atts).toHaveLength(1);
    expect(atts[0]).toMatchObject({ inline: true });
    expect(atts[0]!.content_type).toMatch(/^image\//);
    expect(Number(atts[0]!.stored)).toBe(Number(atts[0]!.size));
    const mine = acksTo('tom.jensen@havnehuset.example');
    expect(mine).toHaveLength(1);
    expect(ackLanguage(mine[0]!.subject)).toBe('en');
    expect(ackRef(mine[0]!.subject)).toBe(r.record_ref);
  });

  it('10: the order PDF is stored (name, type, size, checksum) and the order is filed and acknowledged in Norwegian', async () => {
    const r = row(FIXTURES[5]!);
    expect(['lead', 'ticket']).toContain(r.outcome);
    const [att] = await sqlFor(db.orm)('select filename, content_type, size, sha256, length(content) as stored from attachment where inbound_message_id = ?', [r.id]);
    expect(att!.filename).toMatch(/\.pdf$/i);
    expect(att!.content_type).toBe('application/pdf');
    expect(Number(att!.size)).toBeGreaterThan(0);
    expect(Number(att!.stored)).toBe(Number(att!.size));
    expect(att!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const mine = acksTo('siri.lie@nordlys-eiendom.example');
    expect(mine).toHaveLength(1);
    expect(ackRef(mine[0]!.subject)).toBe(r.record_ref);
    expect(ackLanguage(mine[0]!.subject)).toBe('nb');
  });

  it('exactly five acknowledgements in all, each for a different record, all with unique Message-IDs', () => {
    expect(acks).toHaveLength(5);
    expect(new Set(acks.map((a) => ackRef(a.subject))).size).toBe(5);
    expect(new Set(acks.map((a) => a.messageId)).size).toBe(5);
  });

  it('server side: every filed message carries $Mailroom in Dovecot and is not \\Seen', async () => {
    const state = await waitUntil(
      'the $Mailroom keyword on all six messages',
      async () => {
        const s = await mailboxState(dovecot);
        return s.length === FIXTURES.length && s.every((m) => m.flags.includes('$Mailroom')) ? s : null;
      },
      { timeoutMs: 20_000, describe: async () => JSON.stringify(await mailboxState(dovecot)) },
    );
    expect(state.map((m) => m.messageId).sort()).toEqual(FIXTURES.map(messageIdOf).sort());
    for (const m of state) expect(m.flags, m.messageId).not.toContain('\\Seen');
    for (const m of state) expect(m.flags, m.messageId).not.toContain('\\Deleted');
  });
});
