/**
 * Issue 17, point 5: sender settings are RFC 5322 mailboxes with display names.
 * MAIL_FROM="InfraComfort <post@infracomfort.example>" passes `mailroom config check` and runs
 * the real daemon (Dovecot in, smtp-server peer out); per-queue senders in config/mailroom.yaml
 * (mail.senders) give sales and privacy mail their own From and Reply-To, and a campaign the
 * newsletter's. Bad values are refused naming the key.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressObject } from 'mailparser';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { stopStack, parseReceived, sqlFor, waitUntil, type ReceivedAck } from '../support/e2e-helpers.ts';
import { runCli, expectCleanFailure, projectRoot } from '../support/cli-runner.ts';
import { seedList, CAMPAIGN_HTML } from '../support/newsletter-helpers.ts';
import { seedSubscribers } from '../../src/newsletter/subscribers.ts';
import { createCampaign } from '../../src/newsletter/campaigns.ts';
import { sqlOf } from '../../src/db/sql.ts';

const MAIL_FROM = 'InfraComfort <post@infracomfort.example>';

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;
let dir: string;
let configFile: string;

/** The shipped behaviour file plus per-queue senders, and campaigns started within a second. */
function writeConfig(mail: Record<string, unknown>, file: string): void {
  const doc = parseYaml(readFileSync(path.join(projectRoot, 'config/mailroom.yaml'), 'utf8')) as Record<string, any>;
  doc.mail = mail;
  doc.newsletter = { ...doc.newsletter, scheduleCron: '* * * * * *', ratePerSecond: 0, perDomainPerSecond: 0 };
  writeFileSync(file, stringifyYaml(doc));
}

function raw(o: { from: string; subject: string; body: string; id: string }): string {
  return [
    `From: ${o.from}`,
    'To: InfraComfort <post@infracomfort.example>',
    `Subject: ${o.subject}`,
    `Message-ID: <${o.id}@kunder.example>`,
    'Date: Tue, 03 Nov 2026 10:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.body,
    '',
  ].join('\r\n');
}

const fromOf = (m: ReceivedAck) => (m.parsed.from as AddressObject).value[0]!;
const replyToOf = (m: ReceivedAck) => (m.parsed.replyTo as AddressObject | undefined)?.value[0];
const rawHeader = (m: ReceivedAck, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(m.raw.toString('utf8').split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' '))?.[1];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-senders-'));
  configFile = path.join(dir, 'mailroom.yaml');
  writeConfig(
    {
      senders: {
        sales: { from: '"InfraComfort AS, salg" <salg@infracomfort.example>', replyTo: 'Salgsavdelingen <selgere@infracomfort.example>' },
        privacy: { from: 'personvern@infracomfort.example', replyTo: 'InfraComfort personvernombud <dpo@infracomfort.example>' },
        newsletter: { from: 'InfraComfort Nyheter <nyheter@infracomfort.example>' },
      },
    },
    configFile,
  );
  db = await createTestDatabase();
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, MAIL_FROM, MAILROOM_CONFIG: configFile, ...dovecot.env() });
  daemon = await startDaemonProcess(env);
}, 180_000);

afterAll(async () => {
  await stopStack({ daemon, peers: [peer, dovecot], db, env, dirs: [dir] });
});

async function mailTo(address: string): Promise<ReceivedAck> {
  await waitUntil(`mail to ${address}`, async () => peer.messages.some((m) => m.envelope.to.includes(address)), {
    timeoutMs: 60_000,
    describe: async () => `${JSON.stringify(peer.messages.map((m) => m.envelope))}\n${daemon?.output() ?? ''}`,
  });
  return parseReceived(peer.messages.find((m) => m.envelope.to.includes(address))!);
}

describe('sender display names (issue 17, point 5)', () => {
  it('config check accepts MAIL_FROM with a display name and per-queue senders', async () => {
    const r = await runCli({ databaseUrl: db.url, dataDir: dir, extra: { MAIL_FROM, MAILROOM_CONFIG: configFile } }, 'config', 'check');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^config ok/);
  });

  it('a bad sender is refused naming its key, also inside the behaviour file', async () => {
    const cli = (extra: Record<string, string>) => runCli({ databaseUrl: db.url, dataDir: dir, extra }, 'config', 'check');
    expectCleanFailure(await cli({ MAIL_FROM: 'InfraComfort' }), /config error: MAIL_FROM\b.*email address/, { oneLine: true });
    expectCleanFailure(await cli({ MAIL_FROM: 'post@infracomfort.example, salg@infracomfort.example' }), /config error: MAIL_FROM\b.*one mailbox/, { oneLine: true });
    const bad = path.join(dir, 'bad.yaml');
    writeConfig({ senders: { support: { replyTo: 'Kundeservice <kundeservice at infracomfort.example>' } } }, bad);
    expectCleanFailure(await cli({ MAIL_FROM, MAILROOM_CONFIG: bad }), /config error: .*mail\.senders\.support\.replyTo\b/, { oneLine: true });
    writeConfig({ senders: { billing: { from: 'faktura@infracomfort.example' } } }, bad);
    expectCleanFailure(await cli({ MAIL_FROM, MAILROOM_CONFIG: bad }), /config error: .*mail\.senders\.billing\b.*unknown key/, { oneLine: true });
  });

  it('a ticket acknowledgement is from MAIL_FROM with its display name', async () => {
    await dovecot.append(dovecot.users[0]!.user, 'INBOX', raw({ id: 'pumpe', from: 'Sigrid Lunde <sigrid.lunde@fjellheim.example>', subject: 'Varmepumpa lagar lyd', body: 'Hei, varmepumpa vår har byrja å lage ein skrapande lyd. Kan de sende nokon?' }));
    const ack = await mailTo('sigrid.lunde@fjellheim.example');
    expect(fromOf(ack)).toEqual({ name: 'InfraComfort', address: 'post@infracomfort.example' });
    expect(rawHeader(ack, 'From')).toBe('InfraComfort <post@infracomfort.example>');
    expect(replyToOf(ack)).toBeUndefined();
  });

  it('a lead acknowledgement is from the sales sender, quoted as RFC 5322 wants, with its Reply-To', async () => {
    await dovecot.append(dovecot.users[0]!.user, 'INBOX', raw({ id: 'borettslag', from: 'Henrik Dahl <henrik.dahl@solsiden-brl.example>', subject: 'Tilbud på varmepumper', body: 'Borettslaget vårt med 60 leiligheter vurderer nye varmepumper. Kan vi få et pristilbud?' }));
    const ack = await mailTo('henrik.dahl@solsiden-brl.example');
    expect(fromOf(ack)).toEqual({ name: 'InfraComfort AS, salg', address: 'salg@infracomfort.example' });
    expect(rawHeader(ack, 'From')).toBe('"InfraComfort AS, salg" <salg@infracomfort.example>');
    expect(replyToOf(ack)).toEqual({ name: 'Salgsavdelingen', address: 'selgere@infracomfort.example' });
    const [lead] = await sqlFor(db.orm)(`select ref from lead l join contact c on c.id = l.contact_id where c.email = 'henrik.dahl@solsiden-brl.example'`);
    expect(lead).toBeDefined();
  });

  it('privacy mail is from the privacy sender, which keeps the default display name, with the privacy Reply-To', async () => {
    await dovecot.append(dovecot.users[0]!.user, 'INBOX', raw({ id: 'innsyn', from: 'Marit Olsen <marit.olsen@nordlys-post.example>', subject: 'Innsyn', body: 'Jeg ber om innsyn i alle personopplysninger dere har lagret om meg.' }));
    const answer = await mailTo('marit.olsen@nordlys-post.example');
    expect(fromOf(answer)).toEqual({ name: 'InfraComfort', address: 'personvern@infracomfort.example' });
    expect(replyToOf(answer)).toEqual({ name: 'InfraComfort personvernombud', address: 'dpo@infracomfort.example' });
  });

  it('a campaign goes out from the newsletter sender', async () => {
    const listId = await seedList(db.orm, 'sender-names');
    await db.orm.em.fork().transactional((em) => seedSubscribers(em, listId, 1, () => 'ingrid.moe@havbris.example'));
    const c = await db.orm.em.fork().transactional((em) => createCampaign(em, { name: 'senders', subject: 'Nyheter {{first_name}}', listIds: [listId], language: 'nb', html: CAMPAIGN_HTML }));
    await db.orm.em.fork().transactional((em) => sqlOf(em)(`update newsletter_campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [c.id]));
    const mail = await mailTo('ingrid.moe@havbris.example');
    expect(fromOf(mail)).toEqual({ name: 'InfraComfort Nyheter', address: 'nyheter@infracomfort.example' });
    expect(rawHeader(mail, 'List-Unsubscribe')).toContain('mailto:nyheter@infracomfort.example');
  });
});
