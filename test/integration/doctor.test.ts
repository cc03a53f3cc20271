/**
 * Issue 20, point 3: `mailroom doctor` against the real peers — PostgreSQL, Dovecot, the SMTP
 * peer, the Slack fake and a running daemon behind PUBLIC_URL. First everything right (every
 * line ok, exit 0, nothing filed, sent or posted), then each thing broken the way an operator
 * breaks it (wrong IMAP password, SMTP relay stopped, bad Slack token, missing mailbox, bot not
 * in a channel, pending migration, PUBLIC_URL pointing elsewhere, a skewed clock, database
 * down), each seen as its own FAIL line with what to do, and exit 1.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startSlackFake, type SlackFake } from '../support/slack-fake.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { runCli, type CliResult } from '../support/cli-runner.ts';
import { cleanupAll, countOf, mailboxState } from '../support/e2e-helpers.ts';
import { getFreePort } from '../support/free-port.ts';
import { deploymentFingerprint } from '../../src/http/service-identity.ts';
import { migrationsList } from '../../src/db/migrations/index.ts';

const SECRET = 'doctor-test-secret-4f1c2a9e7b';
const IMAP_PASSWORD = 'Fjell-og-Fjord-2718';
const SMTP_PASSWORD = 'relay-pass-5512';
const BOT_TOKEN = 'xoxb-doctor-good-token-0001';
const USER = 'post@infracomfort.example';

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let slack: SlackFake;
let daemonEnvVars: Record<string, string>;
let daemon: DaemonProcess | undefined;
let dir: string;
let configFile: string;
const servers: http.Server[] = [];

interface Line {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

function goodEnv(): Record<string, string> {
  return {
    ...dovecot.env(),
    IMAP_PASSWORD,
    SMTP_URL: `smtp://relay-user:${SMTP_PASSWORD}@127.0.0.1:${peer.port}`,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: 'signing-secret-for-doctor',
    SLACK_API_URL: slack.url,
    PUBLIC_URL: `http://127.0.0.1:${daemon!.httpPort}`,
    MAILROOM_CONFIG: configFile,
  };
}

function doctor(extra: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return runCli({ databaseUrl: extra.DATABASE_URL ?? db.url, dataDir: dir, secret: SECRET, extra: { ...goodEnv(), ...extra } }, 'doctor', ...args);
}

const lines = (r: CliResult): Line[] => r.json as Line[];
const line = (r: CliResult, check: string): Line | undefined => lines(r).find((l) => l.check === check);

/** A one-route HTTP server on loopback (a proxy target that is not this installation's Mailroom). */
async function httpServer(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  [dovecot, peer, slack] = await Promise.all([
    startDovecot({ users: [{ user: USER, password: IMAP_PASSWORD }] }),
    startSmtpPeer(),
    startSlackFake({
      tokens: [BOT_TOKEN],
      conversations: [
        { id: 'C0SUPPORT01', name: 'support' },
        { id: 'C0SALES001', name: 'sales' },
        { id: 'C0TRIAGE01', name: 'triage' },
        { id: 'G0PRIVACY01', name: 'personvern', is_private: true },
        { id: 'C0ALERTS01', name: 'mailroom-alerts' },
        { id: 'C0QUIET001', name: 'quiet-room', is_member: false },
      ],
    }),
  ]);
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-doctor-'));
  configFile = path.join(dir, 'mailroom.yaml');
  writeFileSync(
    configFile,
    [
      'organisation: { name: InfraComfort AS, ownDomains: [infracomfort.example] }',
      'slack:',
      '  channels: { support: C0SUPPORT01, sales: C0SALES001, triage: "#triage", privacy: G0PRIVACY01, alerts: C0ALERTS01 }',
      '',
    ].join('\n'),
  );
  // The daemon PUBLIC_URL points at: same database and secret (this installation), no mailbox,
  // no SMTP, no Slack, so whatever doctor does cannot be hidden by the daemon doing it.
  daemonEnvVars = daemonEnv({ DATABASE_URL: db.url, MAILROOM_SECRET: SECRET });
  daemon = await startDaemonProcess(daemonEnvVars);
  await dovecot.append(USER, 'INBOX', 'From: Kari <kari@fjordvarme.example>\r\nTo: post@infracomfort.example\r\nSubject: Varmepumpa piper\r\nMessage-ID: <doctor-untouched@fjordvarme.example>\r\n\r\nHei, varmepumpa piper om natta.\r\n');
}, 120_000);

afterAll(async () => {
  await cleanupAll(
    () => daemon?.stop(),
    ...servers.map((s) => () => new Promise<void>((r) => s.close(() => r()))),
    () => slack?.stop(),
    () => peer?.stop(),
    () => dovecot?.stop(),
    () => db?.drop(),
    () => daemonEnvVars && cleanupDaemonEnv(daemonEnvVars),
    () => dir && rmSync(dir, { recursive: true, force: true }),
  );
});

describe('mailroom doctor against the real servers', () => {
  it('everything right: one ok line per check, exit 0, and nothing filed, flagged, sent or posted', async () => {
    const r = await doctor({});
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    for (const check of ['config', 'database', 'database schema', 'imap login', 'imap mailbox', 'imap idle', 'smtp', 'mail from', 'slack auth', 'public url', 'clock']) {
      expect(out, check).toMatch(new RegExp(`^ok +${check} `, 'm'));
    }
    for (const ch of ['support (C0SUPPORT01)', 'sales (C0SALES001)', 'triage (#triage)', 'privacy (G0PRIVACY01)', 'alerts (C0ALERTS01)']) {
      expect(out).toMatch(new RegExp(`^ok +slack channel ${ch.replace(/[()#]/g, '\\$&')} `, 'm'));
    }
    expect(out).toMatch(/triage \(#triage\) +C0TRIAGE01, @mailroom is a member \(tip: write its ID C0TRIAGE01/);
    expect(out).toMatch(/public url +http:\/\/127\.0\.0\.1:\d+\/healthz answers: Mailroom [\d.]+ of this installation/);
    expect(out).toMatch(/^doctor: \d+ ok, 0 warn, 0 FAIL$/m);
    // No secret in the output, whatever the check.
    for (const secret of [IMAP_PASSWORD, SMTP_PASSWORD, BOT_TOKEN, SECRET]) expect(out).not.toContain(secret);

    // Read-only: the message is neither filed nor flagged, nothing went out.
    const [entry] = await mailboxState(dovecot, 'INBOX', USER);
    expect(entry!.flags.filter((f) => f !== '\\Recent')).toEqual([]);
    expect(await countOf(db.orm, 'select count(*) from inbound_message')).toBe(0);
    expect(peer.messages).toHaveLength(0);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(slack.callsTo('auth.test').length).toBeGreaterThan(0);
  });

  it('--json prints an array of {check, status, detail}', async () => {
    const r = await doctor({}, '--json');
    expect(r.code).toBe(0);
    expect(Array.isArray(r.json)).toBe(true);
    for (const l of lines(r)) {
      expect(Object.keys(l).sort()).toEqual(['check', 'detail', 'status']);
      expect(l.status).toBe('ok');
    }
  });

  it('wrong IMAP password, SMTP relay stopped, bad Slack token, PUBLIC_URL not a Mailroom: a FAIL line each with what to do, exit 1', async () => {
    const stopped = await startSmtpPeer();
    const stoppedUrl = `smtp://relay-user:${SMTP_PASSWORD}@127.0.0.1:${stopped.port}`;
    await stopped.stop();
    const notMailroom = await httpServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Welcome to nginx</h1>');
    });
    const r = await doctor({ IMAP_PASSWORD: 'not-the-password', SMTP_URL: stoppedUrl, SLACK_BOT_TOKEN: 'xoxb-revoked-9999', PUBLIC_URL: notMailroom }, '--json');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(line(r, 'imap login')).toMatchObject({ status: 'fail' });
    expect(line(r, 'imap login')!.detail).toMatch(/login as post@infracomfort\.example at 127\.0\.0\.1:\d+ refused.*check IMAP_USER and IMAP_PASSWORD/);
    expect(line(r, 'smtp')).toMatchObject({ status: 'fail' });
    expect(line(r, 'smtp')!.detail).toMatch(/cannot talk to 127\.0\.0\.1:\d+ \(connection refused\): is the relay running\? check SMTP_URL/);
    expect(line(r, 'slack auth')).toMatchObject({ status: 'fail' });
    expect(line(r, 'slack auth')!.detail).toMatch(/bot token was refused \(invalid_auth\): check SLACK_BOT_TOKEN/);
    expect(line(r, 'public url')).toMatchObject({ status: 'fail' });
    expect(line(r, 'public url')!.detail).toMatch(/answered HTTP 404.*not Mailroom's health/);
    // What still works is still reported as working.
    expect(line(r, 'database schema')).toMatchObject({ status: 'ok' });
    expect(r.stdout).not.toContain('not-the-password');
    expect(r.stdout).not.toContain('xoxb-revoked-9999');
    expect(r.stdout).not.toContain(SMTP_PASSWORD);
  });

  it('missing mailbox, bot not in a channel, pending migration, clock ten minutes off: FAIL each, exit 1', async () => {
    // A database one migration behind this version.
    const behind = await createTestDatabase();
    const last = migrationsList[migrationsList.length - 1]!.name;
    await behind.orm.em.fork().getConnection().execute(`delete from mikro_orm_migrations where name = '${last}'`);
    // PUBLIC_URL served by a host whose clock is ten minutes slow (but otherwise this Mailroom).
    const slowClock = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', date: new Date(Date.now() - 10 * 60_000).toUTCString() });
      res.end(JSON.stringify({ status: 'ok', service: 'mailroom', version: '0.1.0', deployment: deploymentFingerprint(SECRET) }));
    });
    const quietConfig = path.join(dir, 'quiet.yaml');
    writeFileSync(quietConfig, 'slack:\n  channels: { support: C0SUPPORT01, sales: C0QUIET001, triage: "#no-such-channel", privacy: G0PRIVACY01, alerts: C0ALERTS01 }\n');
    try {
      const r = await doctor({ DATABASE_URL: behind.url, IMAP_MAILBOX: 'Kundeservice', MAILROOM_CONFIG: quietConfig, PUBLIC_URL: slowClock }, '--json');
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(line(r, 'imap mailbox')).toMatchObject({ status: 'fail' });
      expect(line(r, 'imap mailbox')!.detail).toMatch(/Kundeservice does not exist.*correct IMAP_MAILBOX/);
      expect(line(r, 'slack channel sales (C0QUIET001)')).toMatchObject({ status: 'fail' });
      expect(line(r, 'slack channel sales (C0QUIET001)')!.detail).toMatch(/@mailroom is not a member.*\/invite @mailroom/);
      expect(line(r, 'slack channel triage (#no-such-channel)')!.detail).toMatch(/no channel #no-such-channel visible to the bot/);
      expect(line(r, 'database schema')).toMatchObject({ status: 'fail' });
      expect(line(r, 'database schema')!.detail).toContain(`1 migration(s) pending: ${last}; run \`mailroom migrate\``);
      expect(line(r, 'public url')).toMatchObject({ status: 'ok' });
      expect(line(r, 'clock')).toMatchObject({ status: 'fail' });
      expect(line(r, 'clock')!.detail).toMatch(/this host is 6\d\d\.\d s ahead of PUBLIC_URL Date header: fix time sync/);
    } finally {
      await behind.drop();
    }
  });

  it('a schema from a newer version is a warning naming the migrations; another installation at PUBLIC_URL is a warning', async () => {
    const ahead = await createTestDatabase();
    await ahead.orm.em.fork().getConnection().execute(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20991231000001_from_the_future', now())`);
    const otherInstallation = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', service: 'mailroom', version: '0.1.0', deployment: deploymentFingerprint('some-other-installations-secret') }));
    });
    try {
      const r = await doctor({ DATABASE_URL: ahead.url, PUBLIC_URL: otherInstallation }, '--json');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(line(r, 'database schema')).toMatchObject({ status: 'warn' });
      expect(line(r, 'database schema')!.detail).toMatch(/1 migration\(s\) this version does not know: Migration20991231000001_from_the_future/);
      expect(line(r, 'public url')).toMatchObject({ status: 'warn' });
      expect(line(r, 'public url')!.detail).toMatch(/of another installation \(different MAILROOM_SECRET\)/);
    } finally {
      await ahead.drop();
    }
  });

  it('database down and an IMAP server that never answers: FAIL with the address, bounded by --timeout', async () => {
    const closedPort = await getFreePort();
    const silent = net.createServer(() => {}); // accepts, never greets
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const r = await doctor(
        { DATABASE_URL: `postgres://mailroom:db-password-77@127.0.0.1:${closedPort}/mailroom`, IMAP_PORT: String((silent.address() as AddressInfo).port) },
        '--json',
        '--timeout',
        '2',
      );
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(line(r, 'database')).toMatchObject({ status: 'fail' });
      expect(line(r, 'database')!.detail).toBe(`cannot connect to 127.0.0.1:${closedPort}/mailroom: connection refused; check DATABASE_URL`);
      expect(line(r, 'imap login')).toMatchObject({ status: 'fail' });
      expect(line(r, 'imap login')!.detail).toMatch(/no answer/);
      expect(r.stdout).not.toContain('db-password-77');
    } finally {
      silent.close();
    }
  });

  it('a bad configuration value is reported as a failed config check, also in JSON', async () => {
    const r = await doctor({ HTTP_PORT: 'eighty' }, '--json');
    expect(r.code).toBe(1);
    expect(lines(r)).toEqual([{ check: 'config', status: 'fail', detail: expect.stringMatching(/^HTTP_PORT: must be a port number/) }]);
  });
});
