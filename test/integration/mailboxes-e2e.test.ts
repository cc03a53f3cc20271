/**
 * Issue 20.1 end to end: two mailboxes (two Dovecot accounts) in `mailboxes:`, two real daemon
 * processes on one database, the SMTP peer receiving acknowledgements.
 *
 * - Mail to each mailbox is filed with that mailbox's default queue (kundeservice → a ticket,
 *   salg → a lead) and acknowledged from that mailbox's sender (From, and Reply-To for salg).
 * - Each mailbox is led by exactly one daemon (mailroom_mailbox_up{mailbox} over /metrics).
 * - kill -9 of a daemon leading mailboxes: the survivor takes them over, mail that arrived
 *   around the kill is filed, and nothing is filed or acknowledged twice.
 * - `mailroom doctor` logs in to each mailbox and names the one whose secret is wrong.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { runCli } from '../support/cli-runner.ts';
import { cleanupAll, mailboxState, parseReceived, sleep, sqlFor, waitUntil } from '../support/e2e-helpers.ts';

const KUNDE = { user: 'kundeservice@infracomfort.example', password: 'kunde-pw-71' };
const SALG = { user: 'salg@infracomfort.example', password: 'salg-pw-93' };
const NAMES = ['kundeservice', 'salg'] as const;

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let dir: string;
let configFile: string;
const envs: Record<string, string>[] = [];
const daemons: DaemonProcess[] = [];

function yaml(port: number): string {
  return `
organisation:
  name: InfraComfort AS
  ownDomains: [infracomfort.example]
ingest:
  watchdogIntervalMs: 5000
mailboxes:
  - name: kundeservice
    host: 127.0.0.1
    port: ${port}
    secure: false
    user: ${KUNDE.user}
    passwordEnv: IMAP_KUNDESERVICE_PASSWORD
    defaultQueue: support
    ackFrom: '"InfraComfort kundeservice" <kundeservice@infracomfort.example>'
  - name: salg
    host: 127.0.0.1
    port: ${port}
    secure: false
    user: ${SALG.user}
    passwordEnv: IMAP_SALG_PASSWORD
    defaultQueue: sales
    ackFrom: '"InfraComfort salg" <salg@infracomfort.example>'
    replyTo: '"Selgerne" <selgere@infracomfort.example>'
    afterFiling: move
    moveTo: Behandlet
`;
}

const secrets = { IMAP_KUNDESERVICE_PASSWORD: KUNDE.password, IMAP_SALG_PASSWORD: SALG.password };

/** A first mail that names no queue: where it goes is the mailbox's default queue. */
function vagueMail(i: number, to: string): string {
  return [
    `From: Sindre Vik ${i} <sindre.vik${i}@takfabrikken.example>`,
    `To: ${to}`,
    `Subject: Et spørsmål (${i})`,
    `Message-ID: <mbx-${i}-${to.split('@')[0]}@takfabrikken.example>`,
    'Date: Tue, 3 Mar 2026 09:00:00 +0100',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hei, kan noen ringe meg tilbake i løpet av dagen? Nummeret er 400 00 ${String(100 + i)}.`,
    '',
    'Sindre',
    '',
  ].join('\r\n');
}

async function leaders(): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(NAMES.map((n) => [n, []]));
  await Promise.all(
    daemons.map(async (d, i) => {
      if (d.child.exitCode !== null || d.child.signalCode !== null) return;
      const text = await (await fetch(`http://127.0.0.1:${d.httpPort}/metrics`)).text();
      for (const n of NAMES) if (new RegExp(`^mailroom_mailbox_up\\{mailbox="${n}"\\} 1$`, 'm').test(text)) out[n]!.push(i);
    }),
  );
  return out;
}

async function inbound() {
  return sqlFor(db.orm)<{ mailbox: string; message_id: string; state: string; outcome: string | null; record_ref: string | null }>(
    'select mailbox, message_id, state, outcome, record_ref from inbound_message order by id',
  );
}

async function waitAllFiled(count: number): Promise<void> {
  await waitUntil(
    `${count} messages filed`,
    async () => {
      const rows = await inbound();
      return rows.length >= count && rows.every((r) => r.state === 'filed');
    },
    { timeoutMs: 60_000, describe: async () => JSON.stringify(await inbound()) + daemons.map((d) => d.output()).join('\n---\n') },
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  [dovecot, peer] = await Promise.all([startDovecot({ users: [KUNDE, SALG] }), startSmtpPeer()]);
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-mailboxes-'));
  configFile = path.join(dir, 'mailroom.yaml');
  writeFileSync(configFile, yaml(dovecot.port));
  for (let i = 0; i < 2; i++) envs.push(daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, MAILROOM_CONFIG: configFile, ...secrets }));
  daemons.push(...(await Promise.all(envs.map((e) => startDaemonProcess(e)))));
}, 90_000);

afterAll(async () => {
  await cleanupAll(
    ...daemons.map((d) => () => d.stop()),
    () => peer?.stop(),
    () => dovecot?.stop(),
    () => db?.drop(),
    ...envs.map((e) => () => cleanupDaemonEnv(e)),
    () => dir && rmSync(dir, { recursive: true, force: true }),
  );
});

describe('two mailboxes, two daemons', () => {
  it('each mailbox is led by exactly one daemon', async () => {
    await waitUntil('both mailboxes led', async () => Object.values(await leaders()).every((l) => l.length === 1), {
      timeoutMs: 20_000,
      describe: async () => JSON.stringify(await leaders()),
    });
    // Stays so: the other instance waits on each lock it does not hold.
    await sleep(1500);
    const l = await leaders();
    for (const n of NAMES) expect(l[n], n).toHaveLength(1);
  });

  it("mail to each mailbox is filed with that mailbox's default queue and acknowledged from its sender", async () => {
    await dovecot.append(KUNDE.user, 'INBOX', vagueMail(1, KUNDE.user));
    await dovecot.append(SALG.user, 'INBOX', vagueMail(2, SALG.user));
    await waitAllFiled(2);
    // By mailbox: with each mailbox led by its own daemon, which is stored first is a race.
    const rows = (await inbound()).sort((a, b) => a.mailbox.localeCompare(b.mailbox));
    expect(rows.map((r) => [r.mailbox, r.outcome])).toEqual([
      ['kundeservice', 'ticket'],
      ['salg', 'lead'],
    ]);
    await peer.waitFor(2, 30_000);
    const acks = await Promise.all(peer.messages.map(parseReceived));
    const toKunde = acks.find((a) => a.to.includes('sindre.vik1@takfabrikken.example'))!;
    const toSalg = acks.find((a) => a.to.includes('sindre.vik2@takfabrikken.example'))!;
    expect(toKunde.parsed.from?.value).toEqual([{ name: 'InfraComfort kundeservice', address: 'kundeservice@infracomfort.example' }]);
    expect(toKunde.parsed.replyTo).toBeUndefined();
    expect(toKunde.subject).toContain(rows[0]!.record_ref!);
    expect(toSalg.parsed.from?.value).toEqual([{ name: 'InfraComfort salg', address: 'salg@infracomfort.example' }]);
    expect(toSalg.parsed.replyTo?.value).toEqual([{ name: 'Selgerne', address: 'selgere@infracomfort.example' }]);
    expect(toSalg.subject).toContain(rows[1]!.record_ref!);
    // Each mailbox's own after-filing action: kundeservice keeps (keyword), salg moves.
    await waitUntil('after-filing actions applied', async () => {
      const kept = await mailboxState(dovecot, 'INBOX', KUNDE.user);
      const moved = await mailboxState(dovecot, 'Behandlet', SALG.user).catch(() => []);
      return kept.length === 1 && kept[0]!.flags.includes('$Mailroom') && moved.length === 1;
    }, { timeoutMs: 20_000 });
    expect(await mailboxState(dovecot, 'INBOX', SALG.user)).toHaveLength(0);
  });

  it('kill -9 of a leader: the survivor takes over its mailboxes, and nothing is filed or acknowledged twice', async () => {
    const before = await leaders();
    const victim = before.kundeservice![0]!;
    const survivor = 1 - victim;
    // Mail arriving around the kill, to both mailboxes.
    let n = 10;
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) sent.push(dovecot.append(KUNDE.user, 'INBOX', vagueMail(n++, KUNDE.user)), dovecot.append(SALG.user, 'INBOX', vagueMail(n++, SALG.user)));
    await sleep(150);
    const t0 = Date.now();
    await daemons[victim]!.kill();
    await waitUntil('the survivor leads both mailboxes', async () => {
      const l = await leaders();
      return NAMES.every((m) => l[m]!.length === 1 && l[m]![0] === survivor);
    }, { timeoutMs: 20_000, describe: async () => JSON.stringify(await leaders()) + daemons[survivor]!.output() });
    console.log(`[mailboxes] survivor led both mailboxes ${((Date.now() - t0) / 1000).toFixed(2)} s after kill -9 of the other`);
    for (let i = 0; i < 4; i++) sent.push(dovecot.append(KUNDE.user, 'INBOX', vagueMail(n++, KUNDE.user)), dovecot.append(SALG.user, 'INBOX', vagueMail(n++, SALG.user)));
    await Promise.all(sent);
    const total = 2 + 20;
    await waitAllFiled(total);
    const rows = await inbound();
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(total);
    for (const r of rows) expect(r.outcome, r.message_id).toBe(r.mailbox === 'kundeservice' ? 'ticket' : 'lead');
    const [{ tickets, leads }] = (await sqlFor(db.orm)<{ tickets: string; leads: string }>('select (select count(*) from ticket) as tickets, (select count(*) from lead) as leads')) as [{ tickets: string; leads: string }];
    expect([Number(tickets), Number(leads)]).toEqual([11, 11]);
    await peer.waitFor(total, 60_000);
    await sleep(1500); // a second acknowledgement of anything would arrive in this window
    const acks = await Promise.all(peer.messages.map(parseReceived));
    const perRecipient = new Map<string, number>();
    for (const a of acks) for (const to of a.to) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    expect([...perRecipient.values()].every((c) => c === 1), JSON.stringify([...perRecipient])).toBe(true);
    expect(acks).toHaveLength(total);
  });

  it('mailroom doctor logs in to each mailbox and names the one whose secret is wrong', async () => {
    const base = { databaseUrl: db.url, dataDir: envs[0]!.MAILROOM_DATA_DIR!, secret: envs[0]!.MAILROOM_SECRET!, extra: { MAILROOM_CONFIG: configFile, SMTP_URL: peer.url, MAIL_FROM: 'post@infracomfort.example' } };
    const r = await runCli({ ...base, extra: { ...base.extra, ...secrets, IMAP_SALG_PASSWORD: 'not-the-password' } }, 'doctor', '--json');
    expect(r.code, r.stderr + r.stdout).not.toBe(0);
    const lines = JSON.parse(r.stdout) as { check: string; status: string; detail: string }[];
    const line = (c: string) => lines.find((l) => l.check === c);
    expect(line('imap login [kundeservice]')).toMatchObject({ status: 'ok' });
    expect(line('imap mailbox [kundeservice]')).toMatchObject({ status: 'ok' });
    expect(line('imap login [salg]')).toMatchObject({ status: 'fail' });
    expect(line('imap login [salg]')!.detail).toMatch(/login as salg@infracomfort\.example .* refused.*check mailboxes\[1\]\.user and IMAP_SALG_PASSWORD/);
    expect(r.stdout).not.toContain('not-the-password');
    const unset = await runCli({ ...base, extra: { ...base.extra, IMAP_KUNDESERVICE_PASSWORD: KUNDE.password } }, 'doctor', '--json');
    expect(unset.code).not.toBe(0);
    expect(unset.stderr + unset.stdout).toMatch(/mailboxes\[1\]\.passwordEnv: IMAP_SALG_PASSWORD is not set/);
  });
});
