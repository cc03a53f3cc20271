/**
 * Issue 20, point 6: backup and restore as the README tells an operator to do them. A daemon
 * files mail from Dovecot and acknowledges it through the SMTP peer; `pg_dump --format=custom`
 * is taken while it runs; the daemon stops (the old host is gone); the dump is restored with
 * `pg_restore` into a fresh, empty database; a daemon with a fresh data directory starts on it
 * against the same mailbox. Nothing is filed again, nothing is sent again, and the next mail
 * gets the next ticket number.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, findExecutable, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { supportMail, waitForFiled } from '../support/support-mail.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { cleanupAll, countOf, mailboxState, sleep, sqlFor, waitUntil } from '../support/e2e-helpers.ts';

const USER = 'post@infracomfort.example';
const SECRET = 'backup-test-secret-7d1e5f03a2';

function run(file: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => execFile(file, args, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr })));
}

/**
 * pg_dump refuses a server newer than itself: the test runs where a pg_dump at least as new as
 * the server is installed (CI: PostgreSQL and its client from Debian, the same version).
 */
async function pgTools(): Promise<{ dump: string; restore: string } | string> {
  const dump = findExecutable('pg_dump');
  const restore = findExecutable('pg_restore');
  if (!dump || !restore) return 'pg_dump/pg_restore not installed (apt-get install postgresql-client)';
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  const server = Number((await client.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0]!.v);
  await client.end();
  const own = Number(/(\d+)/.exec((await run(dump, ['--version'])).out)?.[1] ?? 0);
  if (own < Math.floor(server / 10000)) return `pg_dump ${own} is older than the server (${Math.floor(server / 10000)})`;
  return { dump, restore };
}

const tools = await pgTools();

const BEFORE = [
  supportMail({ messageId: 'backup-1@kunde.example', from: 'Jonas Vik <jonas@vikbakeri.example>', subject: 'Kjølerommet holder ikke temperaturen', body: 'Hei,\nkjølerommet i bakeriet ligger på 9 grader i dag. Kan noen komme innom?\nJonas' }),
  supportMail({ messageId: 'backup-2@kunde.example', from: 'Emma Strand <emma@strandtannlege.example>', subject: 'Aircondition på venterommet', body: 'Hei,\nanlegget på venterommet blåser bare varm luft. Hva gjør vi?\nEmma' }),
];
const AFTER = supportMail({ messageId: 'backup-3@kunde.example', from: 'Lars Moe <lars@moetrykk.example>', subject: 'Varmekabel i lageret', body: 'Hei,\nvarmekabelen i lageret ser ut til å ha sluttet å virke etter strømbruddet.\nLars' });

let source: TestDatabase;
let restored: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let dumpDir: string;
const envs: Record<string, string>[] = [];
const daemons: DaemonProcess[] = [];

async function startOn(db: TestDatabase): Promise<DaemonProcess> {
  const e = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, MAILROOM_SECRET: SECRET, ...dovecot.env(USER) });
  envs.push(e);
  const d = await startDaemonProcess(e, { readyTimeoutMs: 120_000 });
  daemons.push(d);
  return d;
}

const filed = (db: TestDatabase, n: number) => waitForFiled(db.orm, n, () => daemons.map((d) => d.output()).join('\n'));

beforeAll(async () => {
  if (typeof tools === 'string') return;
  source = await createTestDatabase();
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
  dumpDir = mkdtempSync(path.join(tmpdir(), 'mailroom-backup-'));
}, 120_000);

afterAll(async () => {
  await cleanupAll(
    ...daemons.map((d) => () => d.stop()),
    () => peer?.stop(),
    () => dovecot?.stop(),
    () => source?.drop(),
    () => restored?.drop(),
    ...envs.map((e) => () => cleanupDaemonEnv(e)),
    () => dumpDir && rmSync(dumpDir, { recursive: true, force: true }),
  );
});

describe.skipIf(typeof tools === 'string')(`backup with pg_dump, restore with pg_restore${typeof tools === 'string' ? ` (skipped: ${tools})` : ''}`, () => {
  const { dump, restore } = tools as { dump: string; restore: string };
  const file = () => path.join(dumpDir, 'mailroom.dump');

  it('a running daemon files two mails and acknowledges them; pg_dump takes a custom-format dump meanwhile', async () => {
    await startOn(source);
    for (const m of BEFORE) await dovecot.append(USER, 'INBOX', m);
    await filed(source, 2);
    await peer.waitFor(2, 60_000);
    // Acknowledgements are marked sent in the outbox before the dump is taken.
    await waitUntil('outbox rows sent', async () => (await countOf(source.orm, `select count(*) from outbox_message where status = 'sent'`)) === 2);
    const r = await run(dump, ['--format=custom', `--file=${file()}`, source.url]);
    expect(r.code, r.out).toBe(0);
    expect(statSync(file()).size).toBeGreaterThan(0);
    // The old host goes away.
    await daemons[0]!.stop();
  });

  it('pg_restore into a fresh database; a daemon on a fresh host files nothing again and sends nothing again', async () => {
    restored = await createTestDatabase({ migrate: false });
    const r = await run(restore, ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${restored.url}`, file()]);
    expect(r.code, r.out).toBe(0);
    await startOn(restored);
    // Give the watcher and the dispatcher time to (wrongly) redo anything: the mailbox holds
    // both filed mails, the outbox both acknowledgements.
    await waitUntil('the restored daemon to watch the mailbox', async () => {
      const res = await fetch(`http://127.0.0.1:${daemons[1]!.httpPort}/readyz`);
      return res.ok;
    }, { timeoutMs: 60_000 });
    await sleep(3000);
    expect(await countOf(restored.orm, 'select count(*) from inbound_message')).toBe(2);
    expect(peer.messages).toHaveLength(2);
  });

  it('new mail is filed with the next ticket number and acknowledged once; every mail was acknowledged exactly once', async () => {
    await dovecot.append(USER, 'INBOX', AFTER);
    await filed(restored, 3);
    await peer.waitFor(3, 60_000);
    await sleep(1500); // a repeated acknowledgement would arrive in this window
    const rows = await sqlFor(restored.orm)<{ message_id: string; record_ref: string }>(`select message_id, record_ref from inbound_message order by id`);
    expect(rows).toEqual([
      { message_id: '<backup-1@kunde.example>', record_ref: 'SUP-000001' },
      { message_id: '<backup-2@kunde.example>', record_ref: 'SUP-000002' },
      { message_id: '<backup-3@kunde.example>', record_ref: 'SUP-000003' },
    ]);
    expect(peer.messages).toHaveLength(3);
    for (const [, n] of peer.countByMessageId()) expect(n).toBe(1);
    const to = peer.messages.map((m) => m.envelope.to[0]);
    expect(to.slice(0, 2).sort()).toEqual(['emma@strandtannlege.example', 'jonas@vikbakeri.example']);
    expect(to[2]).toBe('lars@moetrykk.example');
    // The mailbox shows all three as filed by Mailroom.
    const box = await waitUntil('all three keyworded', async () => {
      const entries = await mailboxState(dovecot, 'INBOX', USER);
      return entries.every((e) => e.flags.includes('$Mailroom')) && entries;
    });
    expect(box).toHaveLength(3);
  });
});
