/**
 * Issue 17 point 7 and issue 18 point 8, through the real edges: mail APPENDed to the test
 * Dovecot, filed by the daemon process, answered at the SMTP peer; the erasure approved with the
 * `mailroom` binary as staff would. A nynorsk request gets nynorsk letters that greet the person
 * by name, sit in the request's thread, write dates for people, and name what was erased or kept
 * as the privacy statement does (no table names, every reason in nynorsk). An English
 * acknowledgement starts its sentence with a capital letter after the greeting.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { daemonEnv, startDaemonProcess, type DaemonProcess } from '../support/daemon-process.ts';
import { runCli } from '../support/cli-runner.ts';
import { stopStack, parseReceived, sqlFor, waitUntil, type ReceivedAck } from '../support/e2e-helpers.ts';

const SECRET = 'privacy-letters-secret-0123456789abcdef';
const MX = 'mx.infracomfort.example';
const SOLVEIG = { name: 'Solveig Haugland', email: 'solveig@fjordkraftverk.example' };
const REQUEST_ID = '<slett-solveig-2026@fjordkraftverk.example>';
const EARLIER_ID = '<tidlegare-solveig@fjordkraftverk.example>';
const MONTH = '(januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember)';
const ISO_DATE = /\b\d{4}-\d{2}-\d{2}\b/;

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let dir: string;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;

const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir: env.MAILROOM_DATA_DIR!, secret: SECRET, extra: { MAILROOM_CONFIG: env.MAILROOM_CONFIG!, SMTP_URL: peer.url, SLACK_BOT_TOKEN: '' } }, ...args);

function raw(o: { from: string; subject: string; messageId: string; body: string; headers?: string[] }): string {
  return [
    ...(o.headers ?? []),
    `From: ${o.from}`,
    'To: InfraComfort Post <post@infracomfort.example>',
    `Subject: ${o.subject}`,
    `Message-ID: ${o.messageId}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.body,
    '',
  ].join('\r\n');
}

async function mailTo(address: string, subject: RegExp): Promise<ReceivedAck> {
  return waitUntil(
    `a mail to ${address} matching ${subject}`,
    async () => (await Promise.all(peer.messages.map(parseReceived))).find((m) => m.to.includes(address) && subject.test(m.subject)),
    { timeoutMs: 60_000, describe: async () => `${(await Promise.all(peer.messages.map(parseReceived))).map((m) => `${m.to} ${m.subject}`).join('; ')}\n${daemon?.output().slice(-3000) ?? ''}` },
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  // Solveig is on file: a contact with a support case (kept), mail on it, and an old and a young order.
  await db.orm.em.fork().transactional(async (em) => {
    const { sqlOf } = await import('../../src/db/sql.ts');
    const sql = sqlOf(em);
    const [org] = await sql<{ id: string }>(`insert into organisation (name, kind, domain) values ('Fjordkraftverk AS', 'customer', 'fjordkraftverk.example') returning id`);
    const [c] = await sql<{ id: string }>(`insert into contact (email, name, organisation_id, language) values (?, ?, ?, 'nn') returning id`, [SOLVEIG.email, SOLVEIG.name, org!.id]);
    await sql(`insert into ticket (ref, subject, requester_id, organisation_id) values ('SUP-000321', 'Alarm på varmesentralen', ?, ?)`, [c!.id, org!.id]);
    const [m] = await sql<{ id: string }>(
      `insert into inbound_message (source, content_sha256, size, subject, from_address, message_id, state, parsed, record_ref) values ('import', md5(random()::text), 10, 'Alarm', ?, ?, 'filed', ?, 'SUP-000321') returning id`,
      [SOLVEIG.email, EARLIER_ID, JSON.stringify({ from: { address: SOLVEIG.email, name: SOLVEIG.name }, text: 'Alarmen går igjen.' })],
    );
    await sql(`insert into record_message (record_ref, direction, inbound_message_id, from_address, subject, body_new) values ('SUP-000321', 'in', ?, ?, 'Alarm', 'Alarmen går igjen.')`, [m!.id, SOLVEIG.email]);
    await sql(
      `insert into customer_order (order_number, order_date, buyer_name, buyer_email, buyer_contact_id) values ('ORD-2017-1', '2017-03-01', ?, ?, ?), ('ORD-2025-1', '2025-06-01', ?, ?, ?)`,
      [SOLVEIG.name, SOLVEIG.email, c!.id, SOLVEIG.name, SOLVEIG.email, c!.id],
    );
  });
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-privacy-letters-'));
  const base = (parseYaml(readFileSync(path.resolve('config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  const configFile = path.join(dir, 'mailroom.yaml');
  writeFileSync(
    configFile,
    stringifyYaml({
      ...base,
      outbox: { ...(base.outbox ?? {}), pollIntervalMs: 100, backoffBaseMs: 100, backoffMaxMs: 1000 },
      // Our own MX vouches for the sender (its Authentication-Results), so no link round trip is needed.
      privacy: { ...(base.privacy ?? {}), trustedAuthservId: MX },
      slack: { ...(base.slack ?? {}), approvers: { '*': ['personvern'] } },
    }),
  );
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, MAILROOM_SECRET: SECRET, MAILROOM_CONFIG: configFile, PUBLIC_URL: 'http://127.0.0.1', ...dovecot.env() });
  daemon = await startDaemonProcess(env);
}, 120_000);

afterAll(async () => {
  await stopStack({ daemon, peers: [peer, dovecot], db, env, dirs: [dir] });
});

describe('privacy letters in the requester’s language (17.7, 18.8)', () => {
  it('a nynorsk erasure request: a nynorsk receipt by name in the request’s thread, then a nynorsk confirmation in the statement’s words', async () => {
    await dovecot.append(
      dovecot.users[0]!.user,
      'INBOX',
      raw({
        headers: [`Authentication-Results: ${MX}; spf=pass smtp.mailfrom=fjordkraftverk.example; dmarc=pass header.from=fjordkraftverk.example`],
        from: `${SOLVEIG.name} <${SOLVEIG.email}>`,
        subject: 'Sletting av opplysningane mine',
        messageId: REQUEST_ID,
        body: 'Hei,\r\n\r\neg ber om at de slettar alle personopplysningane de har om meg, jf. personvernforordninga artikkel 17. Eg har slutta i firmaet og vil ikkje lenger vere registrert hos dykk.\r\n\r\nHelsing\r\nSolveig Haugland',
      }),
    );
    const receipt = await mailTo(SOLVEIG.email, /^Vi har motteke personvernførespurnaden din \[PRV-\d+\]$/);
    const ref = /\[(PRV-\d+)\]/.exec(receipt.subject)![1]!;
    expect(receipt.text).toMatch(/^Hei Solveig Haugland,\n\nvi har motteke førespurnaden din om sletting og registrert han som sak PRV-\d+\./);
    expect(receipt.text).toMatch(new RegExp(`seinast \\d{1,2}\\. ${MONTH} \\d{4}\\.`));
    expect(receipt.text).not.toMatch(ISO_DATE);
    expect(receipt.text).toContain('Venleg helsing');
    expect(receipt.inReplyTo).toBe(REQUEST_ID);
    expect(receipt.parsed.references).toContain(REQUEST_ID);

    const task = await waitUntil('the erasure approval task', async () => (await sqlFor(db.orm)<{ public_id: string }>(`select public_id from task where record_ref = ? and action_kind = 'erasure' and state = 'open'`, [ref]))[0], {
      timeoutMs: 30_000,
    });
    const approved = await cli('tasks', 'approve', task.public_id, '--as', 'personvern', '--json');
    expect(approved.code, approved.stderr).toBe(0);

    const done = await mailTo(SOLVEIG.email, /^Slettinga er utført \[PRV-\d+\]$/);
    expect(done.text).toMatch(/^Hei Solveig Haugland,\n\nvi har behandla kravet ditt om sletting/);
    expect(done.inReplyTo).toBe(REQUEST_ID);
    // What was kept, in the statement's words, each with a nynorsk reason; orders until a date for people.
    const kept = done.text.slice(done.text.indexOf('Det vi held på, og kvifor:'));
    expect(kept).toMatch(/- supportsaker: Supportsaker er dokumentasjon av bedrifta si bruk/);
    expect(kept).toMatch(/- e-post du har sendt oss \(med vedlegg\): Det som høyrer til supportsaker .+; resten er sletta\./);
    expect(kept).toMatch(new RegExp(`- bestillingar og ordrar, til 31\\. desember 20\\d\\d: Bestillingar må oppbevarast`));
    // Deleted (the contact anonymised, since a kept case refers to it); a kept case is not also "deleted".
    const deleted = done.text.slice(done.text.indexOf('Sletta eller anonymisert:'), done.text.indexOf('Det vi held på'));
    expect(deleted).toMatch(/- kontaktopplysningane dine \(namn, stilling, telefonnummer og e-postadresse\)/);
    expect(deleted).not.toContain('supportsaker');
    for (const table of ['record_message', 'inbound_raw_chunk', 'outbox_message', 'inbound_message', 'customer_order', 'ticket']) expect(done.text).not.toContain(table);
    // No English (the coverage registry's grounds) inside the nynorsk letter.
    expect(done.text).not.toMatch(/\b(kept|Support cases|legitimate|bookkeeping|the)\b/);
    expect(done.text).not.toMatch(ISO_DATE);
    expect(done.parsed.html || '').not.toContain('record_message');
  }, 120_000);

  it('an English acknowledgement capitalises after the greeting', async () => {
    await dovecot.append(
      dovecot.users[0]!.user,
      'INBOX',
      raw({ from: 'Sarah Mitchell <sarah.mitchell@harbourside.example>', subject: 'Heat pump alarm', messageId: '<alarm-sarah@harbourside.example>', body: 'Our heat pump has shown alarm E7 every morning since Monday. Could someone take a look?' }),
    );
    const ack = await mailTo('sarah.mitchell@harbourside.example', /^We have received your request \[SUP-\d+\]/);
    expect(ack.text).toMatch(/^Hello Sarah Mitchell,\n\nThank you for contacting us\./);
    expect(ack.parsed.html || '').toMatch(/<p>Thank you for contacting us\./);
  }, 120_000);
});
