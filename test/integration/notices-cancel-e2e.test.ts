/**
 * Issue 17, point 4, through the real edges: the daemon process (its own scheduler and outbox,
 * SMTP out to the test peer) and the `mailroom` binary an operator types. A maintenance notice
 * is announced; the operator cancels it; everyone who got the announcement gets one
 * cancellation in their language, threaded under the announcement; the reminder that was due
 * after it never goes, and a second run of the job (`notices run`) sends nothing more.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { daemonEnv, startDaemonProcess, type DaemonProcess } from '../support/daemon-process.ts';
import { runCli } from '../support/cli-runner.ts';
import { stopStack, sleep, waitUntil } from '../support/e2e-helpers.ts';
import { parseReceived, type ParsedNoticeMail } from '../support/notices-harness.ts';

let db: TestDatabase;
let peer: SmtpPeer;
let dir: string;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;

const SECRET = 'notices-cancel-secret-0123456789abcdef';
const cli = (...args: string[]) =>
  runCli({ databaseUrl: db.url, dataDir: env.MAILROOM_DATA_DIR!, secret: SECRET, extra: { MAILROOM_CONFIG: env.MAILROOM_CONFIG!, SMTP_URL: peer.url, SLACK_BOT_TOKEN: '' } }, ...args);

/** The ops contacts: two told about the e-mail platform (bokmål, English), one who uses only the portal. */
const CONTACTS = [
  'organisation;email;name;language;services',
  'Fjellvarme AS;ragnhild@fjellvarme.example;Ragnhild Aas;nb;email',
  'Harbour Heat Ltd;oliver@harbourheat.example;Oliver Grant;en;email',
  'Dalsbygg AS;drift@dalsbygg.example;Dalsbygg Drift;nb;portal',
];
const TOLD = ['oliver@harbourheat.example', 'ragnhild@fjellvarme.example'];

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-notices-cancel-'));
  const base = (parseYaml(readFileSync(path.resolve('config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  const configFile = path.join(dir, 'mailroom.yaml');
  writeFileSync(
    configFile,
    stringifyYaml({
      ...base,
      outbox: { ...(base.outbox ?? {}), pollIntervalMs: 100, backoffBaseMs: 100, backoffMaxMs: 1000 },
      notices: {
        ...(base.notices ?? {}),
        services: [
          { key: 'email', name: 'E-postplattformen', nameEn: 'Email platform' },
          { key: 'portal', name: 'Kundeportalen', nameEn: 'Customer portal' },
        ],
        // A reminder one minute before the start, looked for every second: due soon after the cancellation.
        reminders: ['1m'],
        approval: { maintenance: false, incident: false, broadcast: false },
        checkCron: '* * * * * *',
      },
    }),
  );
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, MAILROOM_SECRET: SECRET, MAILROOM_CONFIG: configFile, MAIL_FROM: 'drift@infracomfort.example' });
  const csv = path.join(dir, 'ops.csv');
  writeFileSync(csv, CONTACTS.join('\n'));
  const imported = await cli('notices', 'contacts', 'import', csv, '--json');
  expect(imported.code, imported.stderr).toBe(0);
  daemon = await startDaemonProcess(env);
}, 120_000);

afterAll(async () => {
  await stopStack({ daemon, peers: [peer], db, env, dirs: [dir] });
});

async function received(): Promise<ParsedNoticeMail[]> {
  return parseReceived(peer.messages);
}

describe('a cancelled maintenance notice', () => {
  it('tells those who got the announcement, once, in their language and in the same thread; no reminder follows', async () => {
    // The reminder falls due a minute after creation: room for the announcement and the
    // cancellation first even on a loaded machine (with 15 s, a busy CI box sent it first).
    const start = new Date(Date.now() + 120_000);
    const end = new Date(start.getTime() + 60 * 60_000);
    const created = await cli(
      'notices', 'create', '--kind', 'maintenance', '--title', 'Bytte av lagringssystem', '--services', 'email',
      '--message', 'E-post kan bli forsinket i vinduet.', '--start', start.toISOString(), '--end', end.toISOString(),
      '--schedule', '--as', 'ingrid.drift', '--json',
    );
    expect(created.code, created.stderr).toBe(0);
    const ref: string = created.json.ref;

    await waitUntil('the announcement at both contacts', async () => (await received()).filter((m) => m.step === 'announcement').length === TOLD.length, {
      timeoutMs: 30_000,
      describe: () => daemon?.output() ?? '',
    });

    const cancelled = await cli('notices', 'cancel', ref, '--message', 'Leverandøren har flyttet byttet; vi varsler et nytt tidspunkt.', '--as', 'ingrid.drift', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.json).toMatchObject({ state: 'cancelled', cancellationTo: TOLD.length });

    await waitUntil('the cancellation at both contacts', async () => (await received()).filter((m) => m.step === 'cancellation').length >= TOLD.length, {
      timeoutMs: 30_000,
      describe: () => daemon?.output() ?? '',
    });
    // Another runner of the same job (an operator's `notices run`) finds nothing more to send.
    const again = await cli('notices', 'run', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.sent).toEqual([]);
    // Past the moment the reminder was due (start - 1 min), with the daemon looking every second.
    const reminderDue = start.getTime() - 60_000;
    await sleep(Math.max(0, reminderDue - Date.now()) + 3_000);

    const mails = await received();
    expect([...new Set(mails.map((m) => m.to))].sort()).toEqual(TOLD);
    for (const to of TOLD) {
      const mine = mails.filter((m) => m.to === to);
      expect(mine.map((m) => m.step)).toEqual(['announcement', 'cancellation']);
      const [announcement, cancellation] = mine as [ParsedNoticeMail, ParsedNoticeMail];
      expect(cancellation.inReplyTo).toBe(announcement.messageId);
      expect(cancellation.references).toEqual([announcement.messageId]);
      expect(cancellation.ref).toBe(ref);
      expect(cancellation.text).toContain('Leverandøren har flyttet byttet');
    }
    const ragnhild = mails.find((m) => m.to === 'ragnhild@fjellvarme.example' && m.step === 'cancellation')!;
    expect(ragnhild.subject).toBe(`Vedlikehold avlyst: Bytte av lagringssystem [${ref}]`);
    expect(ragnhild.text).toMatch(/^Hei Ragnhild Aas,\n\ndet planlagte vedlikeholdet på E-postplattformen er avlyst/);
    const oliver = mails.find((m) => m.to === 'oliver@harbourheat.example' && m.step === 'cancellation')!;
    expect(oliver.subject).toBe(`Maintenance cancelled: Bytte av lagringssystem [${ref}]`);
    expect(oliver.text).toMatch(/^Hello Oliver Grant,\n\nThe planned maintenance on Email platform is cancelled/);

    const shown = await cli('notices', 'show', ref, '--json');
    const states = Object.fromEntries(shown.json.steps.map((s: { label: string; state: string }) => [s.label, s.state]));
    expect(states).toEqual({ announcement: 'sent', 'reminder-1m': 'cancelled', started: 'cancelled', completed: 'cancelled', cancellation: 'sent' });
  }, 240_000);
});
