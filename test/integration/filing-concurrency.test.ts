/**
 * Issue 4, "Done when" 3: four daemons filing 2,000 messages concurrently into one database.
 * IDs come from a PostgreSQL sequence: unique always, gap-free not promised (gaps are fine,
 * duplicates never). Every inbound message is filed exactly once and acknowledged once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { supportMail } from '../support/generated-mail.ts';
import { storeRaw } from '../../src/ingest/inbound-store.ts';
import { cleanupAll, countOf, sleep, sqlFor, waitUntil } from '../support/e2e-helpers.ts';

const MESSAGES = Number(process.env.CONCURRENCY_TEST_MESSAGES ?? 2000);
const DAEMONS = 4;

let db: TestDatabase;
let peer: SmtpPeer;
const envs: Record<string, string>[] = [];
const daemons: DaemonProcess[] = [];
/** Messages each daemon filed, from its own /metrics (read before it stops). */
const filedBy: number[] = [];
let elapsedMs = 0;

async function filedPerDaemon(d: DaemonProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${d.httpPort}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^mailroom_ingest_filed_total\{[^}]*\} (\d+(?:\.\d+)?)$/gm)) n += Number(m[1]);
  return n;
}

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  // Stored first (as the watcher or `mailroom import` would), in batches of one transaction each.
  for (let start = 0; start < MESSAGES; start += 250) {
    await db.orm.em.fork().transactional(async (em) => {
      for (let i = start; i < Math.min(MESSAGES, start + 250); i++) {
        await storeRaw(em, { source: 'import', raw: Buffer.from(supportMail(i, { tag: 'conc', domainCount: 300 })) });
      }
    });
  }
  const t0 = Date.now();
  for (let i = 0; i < DAEMONS; i++) envs.push(daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url }));
  daemons.push(...(await Promise.all(envs.map((e) => startDaemonProcess(e)))));
  await waitUntil(
    `all ${MESSAGES} messages filed and their acknowledgements sent`,
    async () =>
      (await countOf(db.orm, `select count(*) from inbound_message where state not in ('filed', 'quarantined', 'duplicate')`)) === 0 &&
      (await countOf(db.orm, `select count(*) from outbox_message where status <> 'sent'`)) === 0,
    {
      timeoutMs: 150_000,
      everyMs: 250,
      describe: async () =>
        JSON.stringify(await sqlFor(db.orm)(`select state, count(*) from inbound_message group by state`)) +
        JSON.stringify(await sqlFor(db.orm)(`select status, count(*) from outbox_message group by status`)) +
        daemons.map((d) => d.output().slice(-2000)).join('\n---\n'),
    },
  );
  elapsedMs = Date.now() - t0;
  await sleep(500);
  for (const d of daemons) filedBy.push(await filedPerDaemon(d).catch(() => -1));
}, 200_000);

afterAll(async () => {
  await cleanupAll(
    ...daemons.map((d) => () => d.stop()),
    () => peer?.stop(),
    () => db?.drop(),
    ...envs.map((e) => () => cleanupDaemonEnv(e)),
  );
});

describe(`${DAEMONS} daemons filing ${MESSAGES} messages concurrently into one database`, () => {
  it('every message is filed as a ticket, none quarantined', async () => {
    const states = await sqlFor(db.orm)<{ state: string; outcome: string; n: string }>(
      `select state, outcome, count(*) as n from inbound_message group by state, outcome order by 1, 2`,
    );
    expect(states.map((s) => ({ ...s, n: Number(s.n) }))).toEqual([{ state: 'filed', outcome: 'ticket', n: MESSAGES }]);
  });

  it(`${MESSAGES} tickets with ${MESSAGES} distinct refs; gaps allowed, duplicates never`, async () => {
    const [t] = await sqlFor(db.orm)<{ n: string; refs: string; max: string; min: string }>(
      `select count(*) as n, count(distinct ref) as refs, max(substring(ref from '\\d+$')::int) as max, min(substring(ref from '\\d+$')::int) as min from ticket`,
    );
    console.log(
      `[filing-concurrency] ${MESSAGES} messages filed by ${DAEMONS} daemons in ${(elapsedMs / 1000).toFixed(1)} s ` +
        `(${Math.round(MESSAGES / (elapsedMs / 1000))}/s incl. start-up); per daemon: ${filedBy.join(', ')}; ` +
        `refs SUP-${String(t!.min).padStart(6, '0')}..SUP-${String(t!.max).padStart(6, '0')}: max ref number ${t!.max} vs ${MESSAGES} messages (${Number(t!.max) - MESSAGES} gaps)`,
    );
    expect(Number(t!.n)).toBe(MESSAGES);
    expect(Number(t!.refs)).toBe(MESSAGES);
    expect(Number(t!.max)).toBeGreaterThanOrEqual(MESSAGES);
    const refShape = await countOf(db.orm, `select count(*) from ticket where ref !~ '^SUP-\\d{6,}$'`);
    expect(refShape).toBe(0);
  });

  it('every inbound message is on exactly one record, once (one record_message per inbound id)', async () => {
    const perInbound = await sqlFor(db.orm)<{ n: string; c: string }>(
      `select n, count(*) as c from (
         select i.id, count(rm.id) as n from inbound_message i left join record_message rm on rm.inbound_message_id = i.id and rm.direction = 'in' group by i.id
       ) x group by n order by n`,
    );
    expect(perInbound.map((r) => [Number(r.n), Number(r.c)])).toEqual([[1, MESSAGES]]);
    const perTicket = await countOf(db.orm, `select count(*) from (select record_ref from record_message where direction = 'in' group by record_ref having count(*) <> 1) x`);
    expect(perTicket).toBe(0);
    // record_ref on the inbound row agrees with the record it was put on.
    const disagree = await countOf(
      db.orm,
      `select count(*) from inbound_message i join record_message rm on rm.inbound_message_id = i.id where rm.record_ref is distinct from i.record_ref`,
    );
    expect(disagree).toBe(0);
  });

  it(`${MESSAGES} acknowledgements at the SMTP peer, one per ticket; repeats only for rows in doubt`, async () => {
    const byId = peer.countByMessageId();
    const inDoubt = new Set((await sqlFor(db.orm)<{ message_id: string }>(`select message_id from outbox_message where in_doubt`)).map((r) => r.message_id));
    const repeated = [...byId.entries()].filter(([, n]) => n > 1);
    expect(byId.size).toBe(MESSAGES);
    expect(repeated.filter(([id]) => !inDoubt.has(id))).toEqual([]);
    expect(inDoubt.size).toBe(0); // nobody was killed: nothing can be in doubt
    const recipients = new Set(peer.messages.flatMap((m) => m.envelope.to));
    expect(recipients.size).toBe(MESSAGES);
    expect(await countOf(db.orm, `select count(*) from acknowledgement`)).toBe(MESSAGES);
  });

  it('the work was shared: more than one daemon filed messages', () => {
    expect(filedBy.filter((n) => n > 0).length).toBeGreaterThan(1);
    if (filedBy.every((n) => n >= 0)) expect(filedBy.reduce((a, b) => a + b, 0)).toBe(MESSAGES);
  });
});
