/**
 * Issue 4, "Done when" 4: an auto-responder that answers every message it gets, pointed at
 * Mailroom → the exchange stops by itself, with at most the configured number of
 * acknowledgements (acknowledgements.maxPerRecipientPerHour, 3 in config/mailroom.yaml).
 *
 * The real daemon watches the test Dovecot over IMAP and sends through the SMTP peer; the
 * responder reads what the peer received and APPENDs its answers to the inbox, so the loop
 * really goes round.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { startAutoResponder, type AutoResponder, type ResponderStyle } from '../support/e2e-auto-responder.ts';
import { cleanupAll, countOf, sleep, sqlFor } from '../support/e2e-helpers.ts';

const MAX_ACKS = 3; // config/mailroom.yaml: acknowledgements.maxPerRecipientPerHour
/** The exchange counts as stopped after this long without a message in either direction. */
const QUIET_MS = 5_000;
/** Hard bound per variant. */
const LIMIT_MS = 45_000;

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;
const responders: AutoResponder[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, ...dovecot.env() });
  daemon = await startDaemonProcess(env);
});

afterAll(async () => {
  await cleanupAll(
    ...responders.map((r) => () => r.stop()),
    () => daemon?.stop(),
    () => peer?.stop(),
    () => dovecot?.stop(),
    () => db?.drop(),
    () => env && cleanupDaemonEnv(env),
  );
});

/** The first mail from the responder's owner (a person), which starts the exchange. */
function kickOff(address: string, n: number): string {
  return [
    `From: Ola Kunde <${address}>`,
    'To: InfraComfort Post <post@infracomfort.example>',
    `Subject: Varmepumpen virker ikke (${n})`,
    `Message-ID: <kickoff-${n}@${address.split('@')[1]}>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Hei,',
    '',
    'Varmepumpen virker ikke etter oppdateringen og viser en feilkode. Kan dere se på feilen?',
    '',
    'Mvh',
    'Ola',
    '',
  ].join('\r\n');
}

async function runExchange(style: ResponderStyle, address: string, n: number) {
  const user = dovecot.users[0]!.user;
  const responder = startAutoResponder({ peer, address, style, deliver: (raw) => dovecot.append(user, 'INBOX', raw), maxReplies: 12 });
  responders.push(responder);
  const started = Date.now();
  await dovecot.append(user, 'INBOX', kickOff(address, n));
  const unfinished = () => countOf(db.orm, `select count(*) from inbound_message where state not in ('filed', 'quarantined', 'duplicate')`);
  const unsent = () => countOf(db.orm, `select count(*) from outbox_message where status not in ('sent', 'failed')`);
  const filedFrom = () => countOf(db.orm, `select count(*) from inbound_message where from_address = ? and state = 'filed'`, [address]);
  let stoppedBy: 'quiet' | 'limit' = 'limit';
  while (Date.now() - started < LIMIT_MS) {
    await sleep(250);
    // Quiet: nothing new either way for QUIET_MS, every message the responder delivered (and the
    // kick-off) filed, and nothing left in the pipeline or the outbox that could still answer.
    if (
      Date.now() - responder.lastActivity() >= QUIET_MS &&
      Date.now() - started > QUIET_MS &&
      (await filedFrom()) >= responder.sent.length + 1 &&
      (await unfinished()) === 0 &&
      (await unsent()) === 0
    ) {
      stoppedBy = 'quiet';
      break;
    }
  }
  await responder.stop();
  const acks = peer.messages.filter((m) => m.envelope.to.some((t) => t.toLowerCase() === address));
  const inbound = await sqlFor(db.orm)<{ outcome: string; n: string }>(
    `select outcome, count(*) as n from inbound_message where from_address = ? group by outcome order by outcome`,
    [address],
  );
  console.log(
    `[ack-loop] ${style}: ${acks.length} acknowledgement(s) to ${address}, ${responder.sent.length} responder message(s); ` +
      `stopped by ${stoppedBy} after ${((Date.now() - started) / 1000).toFixed(1)} s; inbound outcomes ${JSON.stringify(inbound)}`,
  );
  return { responder, acks, stoppedBy, inbound: Object.fromEntries(inbound.map((r) => [r.outcome, Number(r.n)])) };
}

describe('an auto-responder pointed at Mailroom: the exchange stops by itself', () => {
  it('polite responder (Auto-Submitted: auto-replied, In-Reply-To): its replies are never answered', async () => {
    const r = await runExchange('polite', 'ferie.svar@polite-responder.example', 1);
    expect(r.stoppedBy).toBe('quiet');
    // The person's own first mail is acknowledged once; the auto-reply to it never is.
    expect(r.acks).toHaveLength(1);
    expect(r.responder.sent).toHaveLength(1);
    expect(r.inbound).toEqual({ 'auto-reply': 1, ticket: 1 });
    expect(await countOf(db.orm, `select count(*) from ticket t join contact c on c.id = t.requester_id where c.email = ?`, ['ferie.svar@polite-responder.example'])).toBe(1);
  });

  it('careless responder (no auto headers, but In-Reply-To our acknowledgement): threaded onto the ticket, never answered', async () => {
    const address = 'kundeservice@careless-responder.example';
    const r = await runExchange('careless', address, 3);
    expect(r.stoppedBy).toBe('quiet');
    expect(r.acks).toHaveLength(1);
    expect(r.responder.sent).toHaveLength(1);
    expect(r.inbound).toEqual({ ticket: 1, 'ticket-reply': 1 });
  });

  it(`rude responder (new-looking mail every time): stops after at most ${MAX_ACKS} acknowledgements`, async () => {
    const address = 'ola.kunde@rude-responder.example';
    const r = await runExchange('rude', address, 2);
    expect(r.stoppedBy).toBe('quiet');
    expect(r.acks.length).toBeLessThanOrEqual(MAX_ACKS);
    expect(r.acks.length).toBeGreaterThanOrEqual(1);
    // Each acknowledgement provoked exactly one answer; the last answer got none.
    expect(r.responder.sent).toHaveLength(r.acks.length);
    expect(r.responder.sent.length).toBeLessThan(12);
    // Every answer looked like new human mail, so each became a ticket — but only MAX_ACKS were acknowledged.
    expect(r.inbound).toEqual({ ticket: r.acks.length + 1 });
    expect(await countOf(db.orm, `select count(*) from acknowledgement where recipient = ?`, [address])).toBe(r.acks.length);
    // All acknowledgements are marked as automatic replies (RFC 3834), so a polite robot would have stayed quiet.
    for (const m of r.acks) expect(m.raw.toString('latin1')).toMatch(/^Auto-Submitted: auto-replied/im);
  });
});
