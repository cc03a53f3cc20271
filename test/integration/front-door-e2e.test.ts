/**
 * Issue 16, "Done when" 3: the five example mails of the issue, from customers who never wrote
 * before, end to end: APPENDed to the test Dovecot, filed by the real daemon process, answered
 * at the SMTP peer. Each gets its record (ticket, lead, privacy case), tickets and leads an
 * acknowledgement in the writer's language with the ID in the subject; every new sender of a
 * ticket or lead becomes a contact, so their later privacy request finds "the address on file".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { ackLanguage, ackRef, stopStack, parseReceived, sleep, sqlFor, waitUntil, type ReceivedAck } from '../support/e2e-helpers.ts';

/** The examples, each from someone we have never heard from. */
const EXAMPLES = [
  { key: 'heatpump', from: 'Nils Berg <nils.berg@gmail.com>', subject: 'Varmepumpa', body: 'Hei, varmepumpa sier feilkode E5. Kan dere hjelpe?', expect: { outcome: 'ticket', language: 'nb' } },
  { key: 'panels', from: 'Brit Aase <brit.aase@aase-bygg.example>', subject: 'Varmepanela i 3. etasje', body: 'Styringa av varmepanela i 3. etasje svarar ikkje etter oppdateringa i går. Kan de sjå på det?', expect: { outcome: 'ticket', language: 'nn' } },
  { key: 'dashboard', from: 'Emma Clarke <emma.clarke@harbourside.example>', subject: 'Dashboard', body: 'The building management dashboard has been blank since your update yesterday.', expect: { outcome: 'ticket', language: 'en' } },
  { key: 'apartments', from: 'Tor Vik <tor.vik@vik-utvikling.example>', subject: 'Varmepumper til nytt prosjekt', body: 'Vi bygger 40 nye leiligheter i Bergen og vil gjerne ha et tilbud på varmepumper.', expect: { outcome: 'lead', language: 'nb' } },
  { key: 'rectify', from: 'Gunn Hauge <gunn.hauge@online.no>', subject: 'Telefonnummeret mitt', body: 'Eg vil ha retta telefonnummeret mitt hos dykk, det de har registrert er feil.', expect: { outcome: 'privacy', language: 'nn' } },
] as const;

const messageIdOf = (key: string) => `<front-door-${key}@customers.example>`;
const addressOf = (from: string) => /<([^>]+)>/.exec(from)![1]!;

function raw(e: { key: string; from: string; subject: string; body: string }): string {
  return [
    `From: ${e.from}`,
    'To: InfraComfort Post <post@infracomfort.example>',
    `Subject: ${e.subject}`,
    `Message-ID: ${messageIdOf(e.key)}`,
    'Date: Mon, 02 Nov 2026 09:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    e.body,
    '',
  ].join('\r\n');
}

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;
let acks: ReceivedAck[] = [];
const rows = new Map<string, { id: string; state: string; outcome: string | null; record_ref: string | null; language: string | null }>();

async function inbound() {
  return sqlFor(db.orm)<{ id: string; message_id: string; state: string; outcome: string | null; record_ref: string | null; language: string | null }>(
    'select id, message_id, state, outcome, record_ref, language from inbound_message order by id',
  );
}

async function waitFiled(keys: string[]): Promise<void> {
  await waitUntil(
    `${keys.join(', ')} filed`,
    async () => {
      const all = new Map((await inbound()).map((r) => [r.message_id, r]));
      return keys.every((k) => ['filed', 'quarantined'].includes(all.get(messageIdOf(k))?.state ?? ''));
    },
    { timeoutMs: 60_000, describe: async () => JSON.stringify(await inbound()) + `\n${daemon?.output() ?? ''}` },
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, ...dovecot.env() });
  daemon = await startDaemonProcess(env);
  for (const e of EXAMPLES) await dovecot.append(dovecot.users[0]!.user, 'INBOX', raw(e));
  await waitFiled(EXAMPLES.map((e) => e.key));
  for (const r of await inbound()) rows.set(r.message_id, r);
  // Three tickets and a lead are acknowledged; the privacy case answers with its own letter.
  await peer.waitFor(5, 60_000);
  await sleep(1500); // a wrong extra mail would arrive in this window
  acks = await Promise.all(peer.messages.map(parseReceived));
}, 180_000);

afterAll(async () => {
  await stopStack({ daemon, peers: [peer, dovecot], db, env });
});

const row = (key: string) => rows.get(messageIdOf(key))!;
const mailTo = (address: string) => acks.filter((a) => a.to.includes(address));

describe('the five examples of issue 16, first contact, end to end', () => {
  it('nothing is left in triage: each gets the record a person at the desk would make', () => {
    for (const e of EXAMPLES) expect(row(e.key), e.key).toMatchObject({ state: 'filed', outcome: e.expect.outcome, language: e.expect.language });
    expect(row('heatpump').record_ref).toMatch(/^SUP-\d{6}$/);
    expect(row('apartments').record_ref).toMatch(/^LEAD-\d{6}$/);
    expect(row('rectify').record_ref).toMatch(/^PRV-\d{6}$/);
  });

  for (const e of EXAMPLES.filter((x) => x.expect.outcome !== 'privacy')) {
    it(`${e.key}: one acknowledgement to the sender, in ${e.expect.language}, with ${e.expect.outcome === 'ticket' ? 'the ticket' : 'the lead'} ID in the subject`, () => {
      const mine = mailTo(addressOf(e.from));
      expect(mine, JSON.stringify(acks.map((a) => [a.to, a.subject]))).toHaveLength(1);
      expect(ackRef(mine[0]!.subject)).toBe(row(e.key).record_ref);
      expect(ackLanguage(mine[0]!.subject)).toBe(e.expect.language);
      expect(mine[0]!.inReplyTo).toBe(messageIdOf(e.key));
    });
  }

  it('the rectification is a privacy case for the right, with no ticket; the sender is not on file, so no personal data goes out', async () => {
    const [kase] = await sqlFor(db.orm)(`select c.state, c.sender_on_file, array_agg(r."right") as rights from privacy_case c join privacy_right r on r.case_id = c.id where c.ref = ? group by c.id`, [row('rectify').record_ref]);
    expect(kase).toMatchObject({ state: 'needs_information', sender_on_file: false });
    expect(kase!.rights).toContain('rectification');
    expect(await sqlFor(db.orm)(`select 1 from ticket t join contact c on c.id = t.requester_id where c.email = 'gunn.hauge@online.no'`)).toEqual([]);
    const answer = mailTo('gunn.hauge@online.no');
    expect(answer).toHaveLength(1);
    expect(ackRef(answer[0]!.subject) ?? answer[0]!.subject).not.toMatch(/^SUP-/);
  });

  it('every new sender of a ticket or lead is a contact, linked to the record', async () => {
    const tickets = await sqlFor(db.orm)(`select t.ref, c.email from ticket t join contact c on c.id = t.requester_id`);
    expect(new Map(tickets.map((t) => [t.email, t.ref]))).toEqual(
      new Map(['heatpump', 'panels', 'dashboard'].map((k) => [addressOf(EXAMPLES.find((e) => e.key === k)!.from), row(k).record_ref])),
    );
    const [lead] = await sqlFor(db.orm)(`select c.email, c.name from lead l join contact c on c.id = l.contact_id where l.ref = ?`, [row('apartments').record_ref]);
    expect(lead).toMatchObject({ email: 'tor.vik@vik-utvikling.example', name: 'Tor Vik' });
  });

  it('so a later privacy request from one of them finds the address on file', async () => {
    await dovecot.append(
      dovecot.users[0]!.user,
      'INBOX',
      raw({ key: 'later-access', from: 'Nils Berg <nils.berg@gmail.com>', subject: 'Mine opplysninger', body: 'Hei igjen. Hva har dere lagret om meg? Jeg vil gjerne ha en kopi.' }),
    );
    await waitFiled(['later-access']);
    const [m] = (await inbound()).filter((r) => r.message_id === messageIdOf('later-access'));
    expect(m).toMatchObject({ outcome: 'privacy' });
    const [kase] = await sqlFor(db.orm)(`select sender_on_file, subject_contact_id, state from privacy_case where ref = ?`, [m!.record_ref]);
    expect(kase).toMatchObject({ sender_on_file: true, state: 'awaiting_verification' });
    expect(kase!.subject_contact_id).not.toBeNull();
  });
});
