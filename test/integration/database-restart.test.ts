/**
 * Issue 20, point 2: the database restarts mid-backlog (a failover, a minor-version upgrade,
 * a managed service's maintenance window). Two daemons on a private PostgreSQL (the embedded
 * server on a free port, never the shared one other tests use) work through a Dovecot backlog;
 * the server is stopped for a few seconds and started again on the same data and port while
 * more mail arrives. Both daemons reconnect (pool, mailbox lock, SMTP agents' sessions) and
 * finish: every mail filed once and acknowledged once, and both file again after the restart.
 */
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { cleanupAll, sleep, waitUntil } from '../support/e2e-helpers.ts';
import { embeddedDataDir, stopEmbeddedServer } from '../support/embedded-data-dir.ts';
import { getFreePort } from '../support/free-port.ts';
import { backlogMail, pidOf } from '../support/scale-out.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../../src/logging/logger.ts';

const BACKLOG = Number(process.env.DB_RESTART_BACKLOG ?? 240);
const USER = 'post@infracomfort.example';

let dataDir: string;
let port: number;
let server: EmbeddedDatabase | undefined;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
const envs: Record<string, string>[] = [];
const daemons: DaemonProcess[] = [];

/** One query on a connection of its own: the test must not depend on the reconnection it checks. */
async function query<T extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: server!.url, connectionTimeoutMillis: 2_000 });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}
const count = async (text: string, values: unknown[] = []) => Number((await query<{ n: string }>(text, values))[0]!.n);

beforeAll(async () => {
  dataDir = embeddedDataDir('mailroom-db-restart-');
  port = await getFreePort();
  server = await startEmbeddedPostgres({ dataDir, port, log: silentLogger });
  dovecot = await startDovecot();
  peer = await startSmtpPeer();
}, 120_000);

afterAll(async () => {
  await cleanupAll(
    ...daemons.map((d) => () => d.kill()),
    () => peer?.stop(),
    () => dovecot?.stop(),
    () => server?.stop(),
    () => stopEmbeddedServer(dataDir),
    () => rmSync(dataDir, { recursive: true, force: true }),
    ...envs.map((e) => () => cleanupDaemonEnv(e)),
  );
}, 60_000);

describe('a database restart mid-backlog', () => {
  it(`two daemons reconnect and finish: ${BACKLOG} mails filed once, acknowledged once`, async () => {
    const half = Math.floor(BACKLOG / 2);
    for (let i = 0; i < half; i++) await dovecot.append(USER, 'INBOX', backlogMail('omstart', i));
    // A slow peer keeps acknowledgements in flight when the server goes.
    peer.delayMs(30);
    for (let i = 0; i < 2; i++) envs.push(daemonEnv({ DATABASE_URL: server!.url, SMTP_URL: peer.url, ...dovecot.env() }));
    daemons.push(...(await Promise.all(envs.map((e) => startDaemonProcess(e)))));

    await waitUntil(`${half / 2} filed`, async () => (await count(`select count(*) as n from inbound_message where state = 'filed'`)) >= half / 2, {
      timeoutMs: 90_000,
      everyMs: 25,
    });
    const before = (await query<{ filed: string; sending: string }>(
      `select (select count(*) from inbound_message where state = 'filed') as filed, (select count(*) from outbox_message where status = 'sending') as sending`,
    ))[0]!;
    await server!.stop();
    const downAt = Date.now();
    // Mail keeps arriving while the database is away, and after.
    const arriving = (async () => {
      for (let i = half; i < BACKLOG; i++) {
        await dovecot.append(USER, 'INBOX', backlogMail('omstart', i));
        await sleep(10);
      }
    })();
    await sleep(3_000);
    server = await startEmbeddedPostgres({ dataDir, port, log: silentLogger });
    const upAt = new Date();
    const downMs = Date.now() - downAt;
    await arriving;
    peer.delayMs(0);

    await waitUntil(
      'every mail filed and acknowledged after the restart',
      async () =>
        (await count(`select count(*) as n from inbound_message where state = 'filed'`)) >= BACKLOG &&
        (await count(`select count(*) as n from outbox_message where status <> 'sent'`)) === 0 &&
        (await count(`select count(*) as n from outbox_message`)) >= BACKLOG,
      {
        timeoutMs: 180_000,
        everyMs: 250,
        describe: async () =>
          JSON.stringify(await query(`select state, count(*) from inbound_message group by state`).catch((e) => String(e))) +
          JSON.stringify(await query(`select status, in_doubt, count(*) from outbox_message group by 1, 2`).catch((e) => String(e))) +
          '\n' + daemons.map((d) => d.output().slice(-2500)).join('\n---\n'),
      },
    );

    for (const d of daemons) expect(d.child.exitCode).toBeNull();
    expect(await query(`select state, count(*)::int as n from inbound_message group by state`)).toEqual([{ state: 'filed', n: BACKLOG }]);
    expect(await count(`select count(*) as n from (select inbound_message_id from record_message where direction = 'in' group by 1 having count(*) <> 1) x`)).toBe(0);
    expect(await count(`select count(distinct ref) as n from ticket`)).toBe(BACKLOG);
    const acks = new Map<string, number>();
    for (const m of peer.messages) for (const to of m.envelope.to) if (to.includes('.omstart@')) acks.set(to, (acks.get(to) ?? 0) + 1);
    const inDoubt = await count(`select count(*) as n from outbox_message where in_doubt`);
    const after = await query<{ who: string; n: string }>(`select filed_by as who, count(*) as n from inbound_message where filed_at >= $1 group by 1`, [upAt]);
    console.log(
      `[db-restart] server down ${downMs} ms at ${before.filed} filed, ${before.sending} acknowledgements in flight; ` +
        `filed after it came back: ${after.map((r) => `pid ${pidOf(r.who)}: ${r.n}`).join(', ')}; acknowledgements ${acks.size}, rows in doubt ${inDoubt}`,
    );
    expect(acks.size).toBe(BACKLOG);
    expect([...acks].filter(([, n]) => n > 1)).toEqual([]);
    expect(inDoubt).toBe(0);
    // Both reconnected: each holds connections to the restarted server (which of them filed the
    // mail after it came back depends on who got there first, on a loaded machine one of them).
    const pids = new Set(daemons.map((d) => d.child.pid));
    await waitUntil(
      'both daemons connected to the restarted server',
      async () => {
        const names = await query<{ name: string }>(`select distinct application_name as name from pg_stat_activity where application_name like 'mailroom:%'`);
        const connected = new Set(names.map((r) => pidOf(r.name)));
        return [...pids].every((p) => connected.has(p));
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
    await Promise.all(daemons.map((d) => d.stop()));
  }, 360_000);
});
