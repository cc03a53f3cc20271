/**
 * The IMAP watcher against a real Dovecot and a real PostgreSQL. Every wait is bounded; the
 * durations measured (pickup latency, recovery after a fault, takeover) are logged, never asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { until } from '../support/outbox-helpers.ts';
import { ImapWatcher, type ImapWatcherDeps, type ImapWatcherOptions } from '../../src/ingest/imap-watcher.ts';
import { createTokenRefresher } from '../../src/ingest/oauth-token.ts';
import { pino } from 'pino';
import { silentLogger } from '../../src/logging/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { RawCache } from '../../src/ingest/raw-cache.ts';

const USER = 'post@infracomfort.example';
/** MAILROOM_TEST_LOG=debug shows the watchers' logs on stderr. */
const testLog = process.env.MAILROOM_TEST_LOG ? pino({ level: process.env.MAILROOM_TEST_LOG }, pino.destination(2)) : silentLogger;
const PASS = 'secret';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let db: TestDatabase;
let dc: DovecotInstance;
const watchers: ImapWatcher[] = [];
const proxies: TcpProxy[] = [];
const children: ChildProcess[] = [];
const tempFiles: string[] = [];

const TEST_OPTIONS: ImapWatcherOptions = {
  idleDelayMs: 100,
  socketTimeoutMs: 2000,
  watchdogIntervalMs: 2000,
  alertAfterMs: 60_000,
  afterFiling: 'keep',
  keyword: '$Mailroom',
  moveTo: 'Archive',
  lockPollMs: 500,
};

let seq = 0;
function rawMessage(tag: string, body = 'Hei, dette er en test. æøå'): string {
  seq++;
  return [
    `From: Kari Nordmann <kari${seq}@kunde.example>`,
    `To: ${USER}`,
    `Subject: ${tag} ${seq}`,
    `Message-ID: <${tag}-${seq}-${process.pid}@kunde.example>`,
    'Date: Mon, 6 Nov 2023 10:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
    '',
  ].join('\r\n');
}

function messageIdOf(raw: string): string {
  return /^Message-ID: (.*)$/m.exec(raw)![1]!;
}

function makeWatcher(
  mailbox: string,
  over: Partial<Omit<ImapWatcherDeps, 'options'>> & { port?: number; options?: Partial<ImapWatcherOptions> } = {},
): ImapWatcher {
  const { port, options, ...rest } = over;
  const w = new ImapWatcher({
    orm: db.orm,
    connection: { host: '127.0.0.1', port: port ?? dc.port, secure: false, user: USER, auth: { pass: PASS } },
    mailbox,
    log: testLog,
    lockUrl: db.url,
    ...rest,
    options: { ...TEST_OPTIONS, ...options },
  });
  watchers.push(w);
  return w;
}

interface Row {
  id: string;
  uid: string;
  uid_validity: string;
  state: string;
  message_id: string | null;
  server_action_done: boolean;
}

async function rows(mailbox: string): Promise<Row[]> {
  return db.orm.em
    .fork()
    .getConnection()
    .execute<Row[]>(
      'select id, uid, uid_validity, state, message_id, server_action_done from inbound_message where mailbox = ? order by id',
      [mailbox],
    );
}

async function stored(mailbox: string, messageId: string): Promise<Row[]> {
  return (await rows(mailbox)).filter((r) => r.message_id === messageId);
}

async function cursorOf(mailbox: string): Promise<{ uid_validity: string; last_uid: string }[]> {
  return db.orm.em.fork().getConnection().execute('select uid_validity, last_uid from imap_cursor where mailbox = ? order by uid_validity', [mailbox]);
}

/** Flags of every message in `mailbox`, through a separate client (a person's mail program). */
async function serverFlags(mailbox: string): Promise<Map<number, Set<string>>> {
  const c = new ImapFlow({ ...dc.clientOptions(), disableAutoIdle: true });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const lock = await c.getMailboxLock(mailbox, { readOnly: true });
    try {
      const out = new Map<number, Set<string>>();
      for (const m of await c.fetchAll('1:*', { uid: true, flags: true })) out.set(m.uid, m.flags ?? new Set());
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => c.close());
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsSince = (t0: number) => ((Date.now() - t0) / 1000).toFixed(2);

beforeAll(async () => {
  db = await createTestDatabase();
  dc = await startDovecot();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(watchers.map((w) => w.stop().catch(() => undefined)));
  await Promise.all(proxies.map((p) => p.stop()));
  for (const f of tempFiles) fs.rmSync(f, { force: true });
  await dc?.stop();
  await db?.drop();
});

describe('imap watcher', () => {
  it('stores every message exactly once, sets the keyword after filing, never sets \\Seen', async () => {
    const mb = 'Basic';
    const raws = Array.from({ length: 5 }, () => rawMessage('basic'));
    let lastUid = 0;
    for (const r of raws) lastUid = (await dc.append(USER, mb, r)).uid!;
    const notified: string[] = [];
    const metrics = createMetrics();
    const w = makeWatcher(mb, { onStored: (ids) => notified.push(...ids), metrics });
    w.start();
    await until(async () => (await rows(mb)).length >= 5, { tries: 400 });
    await until(() => w.status().state === 'idle', { tries: 200 });

    const all = await rows(mb);
    expect(all).toHaveLength(5);
    expect(all.every((r) => r.state === 'stored')).toBe(true);
    expect(new Set(all.map((r) => r.message_id))).toEqual(new Set(raws.map(messageIdOf)));
    expect(notified.sort()).toEqual(all.map((r) => r.id).sort());
    const [cursor] = await cursorOf(mb);
    expect(Number(cursor!.last_uid)).toBe(lastUid);
    expect(w.status()).toMatchObject({ connected: true, holdsLock: true });
    expect(w.healthy()).toBe(true);
    expect((await metrics.registry.getSingleMetric('mailroom_mailbox_up')!.get()).values[0]!.value).toBe(1);

    // Mark them filed, as the handler stage would, and ask for the after-filing actions.
    await db.orm.em.fork().getConnection().execute(`update inbound_message set state = 'filed' where mailbox = ?`, [mb]);
    const acted = await w.applyServerActions();
    expect(acted).toBe(5);
    expect((await rows(mb)).every((r) => r.server_action_done)).toBe(true);
    const flags = await serverFlags(mb);
    expect(flags.size).toBe(5);
    for (const [, f] of flags) {
      expect(f.has('$Mailroom')).toBe(true);
      expect(f.has('\\Seen')).toBe(false);
    }
    // A second pass has nothing left to do.
    expect(await w.applyServerActions()).toBe(0);
    // Still stored exactly once after a reconnect's catch-up.
    await w.stop();
    const again = makeWatcher(mb);
    again.start();
    await until(() => again.status().state === 'idle', { tries: 400 });
    expect(await rows(mb)).toHaveLength(5);
    await again.stop();
  });

  it('streams a large message into the store byte for byte', async () => {
    const mb = 'Large';
    const attachment = randomBytes(3 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = [
      `From: Kari Nordmann <kari@kunde.example>`,
      `To: ${USER}`,
      'Subject: Stort vedlegg',
      `Message-ID: <large-${process.pid}@kunde.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Se vedlegg.',
      '--b1',
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="data.bin"',
      '',
      attachment,
      '--b1--',
      '',
    ].join('\r\n');
    const small = rawMessage('beside-large');
    await dc.append(USER, mb, raw);
    await dc.append(USER, mb, small);
    const w = makeWatcher(mb);
    const t0 = Date.now();
    w.start();
    await until(async () => (await rows(mb)).length === 2, { tries: 1200 });
    console.log(`[imap-watcher] ${(Buffer.byteLength(raw) / 1048576).toFixed(1)} MB message streamed and stored in ${secondsSince(t0)} s (incl. connect)`);
    const [big] = await db.orm.em
      .fork()
      .getConnection()
      .execute<{ size: string; content_sha256: string; chunks: string }[]>(
        `select m.size, m.content_sha256, (select count(*) from inbound_raw_chunk c where c.inbound_message_id = m.id) as chunks
         from inbound_message m where m.mailbox = ? and m.message_id = ?`,
        [mb, `<large-${process.pid}@kunde.example>`],
      );
    expect(Number(big!.size)).toBe(Buffer.byteLength(raw));
    expect(big!.content_sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(Number(big!.chunks)).toBeGreaterThan(1);
    expect((await stored(mb, messageIdOf(small)))[0]!.state).toBe('stored');
    const flags = await serverFlags(mb);
    for (const [, f] of flags) expect(f.has('\\Seen')).toBe(false);
  });

  it('moves filed messages when afterFiling is move, and never deletes', async () => {
    const mb = 'MoveSrc';
    const raws = [rawMessage('move'), rawMessage('move'), rawMessage('stay')];
    for (const r of raws) await dc.append(USER, mb, r);
    const w = makeWatcher(mb, { options: { afterFiling: 'move', moveTo: 'Filed' } });
    w.start();
    await until(async () => (await rows(mb)).length === 3 && w.status().state === 'idle', { tries: 400 });
    // Two are filed, one still waits for the handler stage.
    await db.orm.em
      .fork()
      .getConnection()
      .execute(`update inbound_message set state = 'filed' where mailbox = ? and message_id = any(?::text[])`, [
        mb,
        `{${raws.slice(0, 2).map(messageIdOf).join(',')}}`,
      ]);
    expect(await w.applyServerActions()).toBe(2);
    expect((await serverFlags(mb)).size).toBe(1);
    const moved = await serverFlags('Filed'); // created on first use
    expect(moved.size).toBe(2);
    for (const [, f] of moved) expect(f.has('\\Seen')).toBe(false);
    const all = await rows(mb);
    expect(all.filter((r) => r.server_action_done)).toHaveLength(2);
    // The moved messages are not fetched again (the cursor is past them).
    await sleep(300);
    expect(await rows(mb)).toHaveLength(3);
    await w.stop();
  });

  it('picks up new mail while IDLE quickly', async () => {
    const mb = 'Idle';
    await dc.append(USER, mb, rawMessage('idle-seed'));
    const w = makeWatcher(mb);
    w.start();
    await until(async () => (await rows(mb)).length === 1 && w.status().state === 'idle', { tries: 400 });
    const latencies: number[] = [];
    for (let i = 0; i < 8; i++) {
      await sleep(400); // let auto-IDLE start again after the previous catch-up
      const raw = rawMessage('idle');
      const t0 = performance.now();
      await dc.append(USER, mb, raw);
      await until(async () => (await stored(mb, messageIdOf(raw))).length === 1, { tries: 1000, everyMs: 5 });
      latencies.push(performance.now() - t0);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `[imap-watcher] APPEND → stored latency over ${latencies.length} messages: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, ` +
        `max ${sorted.at(-1)!.toFixed(0)} ms (all: ${latencies.map((l) => l.toFixed(0)).join(', ')})`,
    );
    expect(await rows(mb)).toHaveLength(9);
  });

  it('stores new mail announced while a backlog drains ahead of the backlog (a reply after its original), every message exactly once', async () => {
    const mb = 'FastLane';
    const backlog = 600;
    let lastBacklogUid = 0;
    let lastBacklog = '';
    for (let i = 0; i < backlog; i++) {
      lastBacklog = rawMessage('backlog');
      lastBacklogUid = (await dc.append(USER, mb, lastBacklog)).uid!;
    }
    // A raw cache nobody takes from: catch-up pauses for it between batches, as when the processor lags.
    const cache = new RawCache(16 * 1024);
    const fresh: string[] = [];
    const w = makeWatcher(mb, { rawCache: cache, onStored: (ids, isFresh) => isFresh && fresh.push(...ids) });
    w.start();
    await until(async () => (await rows(mb)).length > 0, { tries: 400, everyMs: 10 });
    const probe = rawMessage('probe');
    // A reply to the backlog's last message: it must not be stored before its original.
    const reply = rawMessage('reply').replace('MIME-Version:', `In-Reply-To: ${messageIdOf(lastBacklog)}\r\nMIME-Version:`);
    await dc.append(USER, mb, reply);
    const probeUid = (await dc.append(USER, mb, probe)).uid!;
    await until(async () => (await stored(mb, messageIdOf(probe))).length === 1, { tries: 400, everyMs: 10 });
    const atProbe = (await rows(mb)).length;
    console.log(`fast lane: probe stored with ${atProbe - 1} of ${backlog} backlog messages stored`);
    await until(async () => (await rows(mb)).length >= backlog + 2, { tries: 600, everyMs: 50 });
    await until(() => w.status().state === 'idle', { tries: 400 });

    const all = await rows(mb);
    expect(all).toHaveLength(backlog + 2);
    expect(new Set(all.map((r) => r.uid)).size).toBe(backlog + 2);
    const [probeRow] = await stored(mb, messageIdOf(probe));
    expect(fresh[0]).toBe(probeRow!.id);
    const [replyRow] = await stored(mb, messageIdOf(reply));
    const [originalRow] = await stored(mb, messageIdOf(lastBacklog));
    expect(Number(replyRow!.id)).toBeGreaterThan(Number(originalRow!.id));
    // Ahead of the backlog: stored before its last message.
    expect(Number(probeRow!.id)).toBeLessThan(Number(all.find((r) => Number(r.uid) === lastBacklogUid)!.id));
    // The cursor moved past the probe only once everything below it was stored.
    expect(Number((await cursorOf(mb))[0]!.last_uid)).toBe(probeUid);
    await w.stop();
    const again = makeWatcher(mb);
    again.start();
    await until(() => again.status().state === 'idle', { tries: 400 });
    expect(await rows(mb)).toHaveLength(backlog + 2);
    await again.stop();
  });

  it('recovers from a connection reset and from a black hole, storing mail that arrived meanwhile', async () => {
    const mb = 'Faults';
    await dc.append(USER, mb, rawMessage('fault-seed'));
    const proxy = await startTcpProxy(dc.port);
    proxies.push(proxy);
    const w = makeWatcher(mb, { port: proxy.port });
    w.start();
    await until(async () => (await rows(mb)).length === 1 && w.status().state === 'idle', { tries: 400 });

    // 1. Reset: every connection gets an RST, new ones too, for a second.
    proxy.setMode('reset');
    const a = rawMessage('during-reset');
    await dc.append(USER, mb, a);
    await until(() => !w.status().connected, { tries: 200 });
    await sleep(1000);
    proxy.setMode('pass');
    let t0 = Date.now();
    await until(async () => (await stored(mb, messageIdOf(a))).length === 1, { tries: 600, everyMs: 50 });
    console.log(`[imap-watcher] reset: mail stored ${secondsSince(t0)} s after the network returned`);
    const b = rawMessage('after-reset');
    await dc.append(USER, mb, b);
    await until(async () => (await stored(mb, messageIdOf(b))).length === 1, { tries: 600, everyMs: 50 });

    // 2. Black hole: the socket stays open but nothing flows. The watchdog must notice.
    await until(() => w.status().state === 'idle', { tries: 400 });
    const tb = Date.now();
    proxy.setMode('blackhole');
    const c = rawMessage('during-blackhole');
    await dc.append(USER, mb, c);
    await until(() => !w.status().connected, { tries: 600, everyMs: 50 });
    console.log(`[imap-watcher] black hole noticed after ${secondsSince(tb)} s (watchdogIntervalMs ${TEST_OPTIONS.watchdogIntervalMs})`);
    await sleep(1000);
    expect(w.healthy()).toBe(true); // alertAfterMs is a minute: not yet an alert
    proxy.setMode('pass');
    t0 = Date.now();
    await until(async () => (await stored(mb, messageIdOf(c))).length === 1, { tries: 1200, everyMs: 50 });
    console.log(`[imap-watcher] black hole: mail stored ${secondsSince(t0)} s after the network returned`);
    const d = rawMessage('after-blackhole');
    await dc.append(USER, mb, d);
    await until(async () => (await stored(mb, messageIdOf(d))).length === 1, { tries: 600, everyMs: 50 });

    const all = await rows(mb);
    expect(all).toHaveLength(5);
    expect(new Set(all.map((r) => r.message_id)).size).toBe(5);
    expect(all.every((r) => r.state === 'stored')).toBe(true);
  });

  it('re-scans after a UIDVALIDITY change without storing duplicates', async () => {
    const mb = 'Uidv';
    const raws = Array.from({ length: 3 }, () => rawMessage('uidv'));
    for (const r of raws) await dc.append(USER, mb, r);
    const w = makeWatcher(mb);
    w.start();
    await until(async () => (await rows(mb)).length === 3 && w.status().state === 'idle', { tries: 400 });
    const before = (await rows(mb))[0]!.uid_validity;

    const { after } = await dc.recreateMailbox(USER, mb);
    const fresh = rawMessage('uidv-new');
    for (const r of [...raws, fresh]) await dc.append(USER, mb, r);
    await until(async () => (await rows(mb)).filter((r) => r.uid_validity === String(after)).length === 4, { tries: 1200, everyMs: 50 });

    const all = await rows(mb);
    const newRows = all.filter((r) => r.uid_validity === String(after));
    expect(String(after)).not.toBe(before);
    for (const r of raws) {
      const row = newRows.find((x) => x.message_id === messageIdOf(r))!;
      expect(row.state).toBe('duplicate');
    }
    expect(newRows.find((x) => x.message_id === messageIdOf(fresh))!.state).toBe('stored');
    // Exactly one non-duplicate row per Message-ID.
    const storedRows = all.filter((r) => r.state !== 'duplicate');
    expect(storedRows).toHaveLength(4);
    expect(new Set(storedRows.map((r) => r.message_id)).size).toBe(4);
    const cursors = await cursorOf(mb);
    expect(cursors.map((c) => c.uid_validity).sort()).toEqual([before, String(after)].sort());
  });

  it('lets only one of two watchers hold the mailbox; the other takes over on stop and when the lock connection dies', async () => {
    const mb = 'Lock';
    await dc.append(USER, mb, rawMessage('lock-seed'));
    const w1 = makeWatcher(mb, { instanceName: 'w1' });
    const w2 = makeWatcher(mb, { instanceName: 'w2' });
    w1.start();
    await until(() => w1.status().state === 'idle', { tries: 400 });
    w2.start();
    await sleep(1500);
    expect(w1.status().holdsLock).toBe(true);
    expect(w2.status()).toMatchObject({ holdsLock: false, state: 'waiting-for-lock', connected: false });
    expect(w2.healthy()).toBe(true); // a standby is healthy

    const m1 = rawMessage('lock-1');
    await dc.append(USER, mb, m1);
    await until(async () => (await stored(mb, messageIdOf(m1))).length === 1, { tries: 400 });

    // Graceful stop of the holder.
    let t0 = Date.now();
    await w1.stop();
    await until(() => w2.status().connected, { tries: 400 });
    console.log(`[imap-watcher] takeover after stop(): ${secondsSince(t0)} s`);
    const m2 = rawMessage('lock-2');
    await dc.append(USER, mb, m2);
    await until(async () => (await stored(mb, messageIdOf(m2))).length === 1, { tries: 400 });

    // The holder's lock connection is killed: it must drop the mailbox at once.
    const w3 = makeWatcher(mb, { instanceName: 'w3' });
    w3.start();
    await sleep(1000);
    expect(w3.status().holdsLock).toBe(false);
    const admin = db.orm.em.fork().getConnection();
    t0 = Date.now();
    const killed = await admin.execute<{ ok: boolean }[]>(
      'select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = ? and pid <> pg_backend_pid()',
      [w2.lockApplicationName],
    );
    expect(killed.length).toBe(1);
    await until(() => !w2.status().connected || !w2.status().holdsLock, { tries: 200, everyMs: 10 });
    console.log(`[imap-watcher] lock connection terminated: holder let go of the mailbox after ${Date.now() - t0} ms`);
    await until(() => w2.status().connected || w3.status().connected, { tries: 400 });
    const holders = [w2, w3].filter((w) => w.status().holdsLock);
    expect(holders).toHaveLength(1);
    console.log(`[imap-watcher] after pg_terminate_backend the mailbox is held again (by ${holders[0] === w2 ? 'the same instance, re-locked' : 'the standby'}) after ${secondsSince(t0)} s`);
    const m3 = rawMessage('lock-3');
    await dc.append(USER, mb, m3);
    await until(async () => (await stored(mb, messageIdOf(m3))).length === 1, { tries: 400 });
    await sleep(500);
    const all = await rows(mb);
    expect(all).toHaveLength(4);
    expect(new Set(all.map((r) => r.message_id)).size).toBe(4);
    await w2.stop();
    await w3.stop();
  });

  it('takes over within seconds when the holding process is killed with SIGKILL', async () => {
    const mb = 'Kill';
    await dc.append(USER, mb, rawMessage('kill-seed'));
    // The holder runs in its own process, so it can die the hard way.
    const script = path.join(os.tmpdir(), `mailroom-watcher-child-${process.pid}-${Date.now()}.mts`);
    tempFiles.push(script);
    fs.writeFileSync(
      script,
      `
import { openOrm } from ${JSON.stringify(path.join(ROOT, 'src/db/orm.ts'))};
import { ImapWatcher } from ${JSON.stringify(path.join(ROOT, 'src/ingest/imap-watcher.ts'))};
import { silentLogger } from ${JSON.stringify(path.join(ROOT, 'src/logging/logger.ts'))};
const cfg = JSON.parse(process.argv[2]);
const orm = await openOrm({ url: cfg.url, applicationName: 'mailroom-test-child' });
const w = new ImapWatcher({ orm, connection: cfg.connection, mailbox: cfg.mailbox, log: silentLogger, lockUrl: cfg.url, options: cfg.options, instanceName: 'child' });
w.start();
setInterval(() => process.stdout.write(JSON.stringify(w.status()) + '\\n'), 100);
`,
    );
    const cfg = {
      url: db.url,
      mailbox: mb,
      connection: { host: '127.0.0.1', port: dc.port, secure: false, user: USER, auth: { pass: PASS } },
      options: TEST_OPTIONS,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(cfg)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    await until(() => /"connected":true/.test(out) || child.exitCode !== null, { tries: 600, everyMs: 50 }).catch(() => {
      throw new Error(`child watcher did not connect: ${err.slice(-2000)}`);
    });
    expect(child.exitCode, err).toBeNull();
    const standby = makeWatcher(mb, { instanceName: 'standby' });
    standby.start();
    await sleep(1000);
    expect(standby.status().holdsLock).toBe(false);

    const t0 = Date.now();
    child.kill('SIGKILL');
    await until(() => standby.status().connected, { tries: 600, everyMs: 20 });
    console.log(`[imap-watcher] takeover after SIGKILL of the holder: ${secondsSince(t0)} s`);
    const m = rawMessage('after-kill');
    await dc.append(USER, mb, m);
    await until(async () => (await stored(mb, messageIdOf(m))).length === 1, { tries: 400 });
    expect(await rows(mb)).toHaveLength(2);
    await standby.stop();
  });

  it('reports unhealthy when login or the OAuth token refresh keeps failing', async () => {
    const mb = 'Health';
    await dc.append(USER, mb, rawMessage('health-seed'));
    const badPass = makeWatcher(mb + 'X', {
      connection: { host: '127.0.0.1', port: dc.port, secure: false, user: USER, auth: { pass: 'wrong' } },
      // Dovecot answers a failed login only after auth_failure_delay (2 s): give it the time.
      options: { ...TEST_OPTIONS, alertAfterMs: 300, socketTimeoutMs: 5000 },
    });
    badPass.start();
    await until(() => !badPass.healthy() && !!badPass.status().lastError, { tries: 200 });
    expect(badPass.status().lastError).toMatch(/login failed/i);
    expect(badPass.status().lastError).not.toContain('wrong');
    await badPass.stop();

    const badToken = makeWatcher(mb, {
      connection: {
        host: '127.0.0.1',
        port: dc.port,
        secure: false,
        user: USER,
        auth: {
          accessToken: async () => {
            throw new Error('OAuth token refresh failed: https://login.example/token answered HTTP 400 (invalid_grant)');
          },
        },
      },
      options: { ...TEST_OPTIONS, alertAfterMs: 300 },
    });
    badToken.start();
    await until(() => !badToken.healthy() && !!badToken.status().lastError, { tries: 200 });
    expect(badToken.status()).toMatchObject({ connected: false, holdsLock: true });
    expect(badToken.status().lastError).toMatch(/OAuth.*invalid_grant/);
    expect(badToken.status().downSinceMs).toBeGreaterThan(0);
    await badToken.stop();
  });
});

describe('oauth token refresher', () => {
  let server: http.Server;
  let url: string;
  let requests: URLSearchParams[] = [];
  let respond: (res: http.ServerResponse, n: number) => void = () => undefined;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push(new URLSearchParams(body));
        respond(res, requests.length);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('posts the refresh-token grant and caches the token until shortly before it expires', async () => {
    requests = [];
    respond = (res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `access-${n}`, expires_in: 3600, token_type: 'Bearer' }));
    };
    let now = 1_000_000;
    const get = createTokenRefresher({ tokenUrl: url, clientId: 'client-1', clientSecret: 'cs-very-secret', refreshToken: 'rt-very-secret', now: () => now });
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe('access-1');
    expect(b).toBe('access-1');
    expect(requests).toHaveLength(1);
    expect(Object.fromEntries(requests[0]!)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-very-secret',
      client_id: 'client-1',
      client_secret: 'cs-very-secret',
    });
    now += 3500_000; // 58 min 20 s: still more than 60 s left
    expect(await get()).toBe('access-1');
    expect(requests).toHaveLength(1);
    now += 50_000; // 40 s left: refresh
    expect(await get()).toBe('access-2');
    expect(requests).toHaveLength(2);
  });

  it('keeps a rotated refresh token', async () => {
    requests = [];
    respond = (res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `access-${n}`, expires_in: 1, refresh_token: `rotated-${n}` }));
    };
    const get = createTokenRefresher({ tokenUrl: url, clientId: 'c', refreshToken: 'rt-first' });
    await get();
    await sleep(1100);
    await get();
    expect(requests.map((r) => r.get('refresh_token'))).toEqual(['rt-first', 'rotated-1']);
  });

  it('fails with a clear message that carries no secret', async () => {
    requests = [];
    respond = (res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'AADSTS70008: the refresh token rt-very-secret has expired' }));
    };
    const get = createTokenRefresher({ tokenUrl: url, clientId: 'client-1', clientSecret: 'cs-very-secret', refreshToken: 'rt-very-secret' });
    const err = await get().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/OAuth token refresh failed.*HTTP 400.*invalid_grant/);
    expect(err!.message).not.toContain('rt-very-secret');
    expect(err!.message).not.toContain('cs-very-secret');

    respond = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token_type: 'Bearer' }));
    };
    await expect(get()).rejects.toThrow(/without an access_token/);

    const unreachable = createTokenRefresher({ tokenUrl: 'http://127.0.0.1:1/token?secret=x', clientId: 'c', clientSecret: 'cs-very-secret', refreshToken: 'rt-very-secret' });
    const e2 = await unreachable().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(e2!.message).toMatch(/could not reach http:\/\/127\.0\.0\.1:1\/token/);
    expect(e2!.message).not.toMatch(/very-secret|secret=x/);
  });
});
