/**
 * Issue 20, point 2: scale-out through the real peers. Two `mailroom start` processes on one
 * database read one Dovecot mailbox with a backlog and acknowledge through the SMTP peer.
 * Only one of them leads the mailbox (reads IMAP), but both file: the filing lanes run on every
 * instance and claim stored messages with SKIP LOCKED, and inbound_message.filed_by says who
 * filed what. Then a campaign is sent by both senders at once, and finally the mailbox leader
 * is killed with kill -9 halfway through a second backlog: the other takes the mailbox over
 * and finishes; nothing is lost and nothing is done twice (acknowledgements included: the dead
 * daemon's SMTP agent records what the peer took in the database, so the survivor, on another
 * data directory as on another host, has nothing in doubt).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { cleanupAll, countOf, mailboxState, sleep, sqlFor, waitUntil } from '../support/e2e-helpers.ts';
import { seedList, CAMPAIGN_HTML } from '../support/newsletter-helpers.ts';
import { backlogMail, CAMPAIGN_SENT_BY, FILED_BY, SENT_BY, mailboxLeaderPid, sharesByPid } from '../support/scale-out.ts';
import { seedSubscribers } from '../../src/newsletter/subscribers.ts';
import { createCampaign, startDueCampaigns } from '../../src/newsletter/campaigns.ts';
import { sqlOf } from '../../src/db/sql.ts';
import type { Orm } from '../../src/db/orm.ts';

const BACKLOG = Number(process.env.SCALE_OUT_BACKLOG ?? 240);
const SUBSCRIBERS = 600;
const SHARED = 'post@infracomfort.example';
const KILLED = 'drift@infracomfort.example';

let dovecot: DovecotInstance;
let peer: SmtpPeer;
const dbs: TestDatabase[] = [];
const envs: Record<string, string>[] = [];
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ user: SHARED, password: 'secret' }, { user: KILLED, password: 'secret' }] });
  peer = await startSmtpPeer();
});
afterAll(async () => {
  await cleanupAll(
    ...daemons.map((d) => () => d.kill()),
    () => peer?.stop(),
    () => dovecot?.stop(),
    ...dbs.map((d) => () => d.drop()),
    ...envs.map((e) => () => cleanupDaemonEnv(e)),
  );
});

async function appendBacklog(user: string, tag: string, from: number, to: number, pauseMs = 0): Promise<void> {
  for (let i = from; i < to; i++) {
    await dovecot.append(user, 'INBOX', backlogMail(tag, i));
    if (pauseMs) await sleep(pauseMs);
  }
}

async function startTwo(db: TestDatabase, user: string): Promise<DaemonProcess[]> {
  const two = [0, 1].map(() => daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, ...dovecot.env(user) }));
  envs.push(...two);
  const started = await Promise.all(two.map((e) => startDaemonProcess(e)));
  daemons.push(...started);
  return started;
}

/** Acknowledgements the peer took for `tag`'s backlog, per recipient. */
function acksPerRecipient(tag: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of peer.messages) for (const to of m.envelope.to) if (to.includes(`.${tag}@`)) out.set(to, (out.get(to) ?? 0) + 1);
  return out;
}

async function waitAllDone(orm: Orm, n: number, context: () => string): Promise<void> {
  await waitUntil(
    `${n} messages filed and every acknowledgement sent`,
    async () =>
      (await countOf(orm, `select count(*) from inbound_message where state = 'filed'`)) >= n &&
      (await countOf(orm, `select count(*) from outbox_message where status <> 'sent'`)) === 0 &&
      (await countOf(orm, `select count(*) from outbox_message`)) >= n,
    {
      timeoutMs: 180_000,
      everyMs: 200,
      describe: async () =>
        JSON.stringify(await sqlFor(orm)(`select state, count(*) from inbound_message group by state`)) +
        JSON.stringify(await sqlFor(orm)(`select status, in_doubt, count(*) from outbox_message group by 1, 2`)) +
        '\n' + context(),
    },
  );
}

async function everyMessageOnce(orm: Orm, n: number): Promise<void> {
  const sql = sqlFor(orm);
  const states = await sql<{ state: string; n: string }>(`select state, count(*) as n from inbound_message group by state`);
  expect(states.map((s) => [s.state, Number(s.n)])).toEqual([['filed', n]]);
  const perInbound = await sql<{ n: string; c: string }>(
    `select n, count(*) as c from (select i.id, count(rm.id) as n from inbound_message i
       left join record_message rm on rm.inbound_message_id = i.id and rm.direction = 'in' group by i.id) x group by n`,
  );
  expect(perInbound.map((r) => [Number(r.n), Number(r.c)])).toEqual([[1, n]]);
  expect(await countOf(orm, `select count(distinct ref) from ticket`)).toBe(n);
  expect(await countOf(orm, `select count(distinct message_id) from inbound_message`)).toBe(n);
}

function shareText(shares: Map<number, number>, pids: number[]): string {
  return pids.map((p, i) => `daemon ${i + 1} (pid ${p}): ${shares.get(p) ?? 0}`).join(', ');
}

describe('two daemons on one database share the backlog and the senders', () => {
  let db: TestDatabase;
  let two: DaemonProcess[];

  it(`a backlog of ${BACKLOG} mails: each filed once, each acknowledged once, both daemons filed`, async () => {
    db = await createTestDatabase();
    dbs.push(db);
    await appendBacklog(SHARED, 'felles', 0, BACKLOG);
    two = await startTwo(db, SHARED);
    await waitAllDone(db.orm, BACKLOG, () => two.map((d) => d.output().slice(-1500)).join('\n---\n'));

    await everyMessageOnce(db.orm, BACKLOG);
    const acks = acksPerRecipient('felles');
    expect(acks.size).toBe(BACKLOG);
    expect([...acks].filter(([, c]) => c > 1)).toEqual([]);
    expect(await countOf(db.orm, `select count(*) from outbox_message where in_doubt`)).toBe(0);

    const pids = two.map((d) => d.child.pid!);
    const filed = await sharesByPid(db.orm, FILED_BY);
    const sent = await sharesByPid(db.orm, SENT_BY);
    const leader = await mailboxLeaderPid(db.orm);
    console.log(`[scale-out] backlog ${BACKLOG}, mailbox leader pid ${leader}; filed by ${shareText(filed, pids)}; acknowledgements sent by ${shareText(sent, pids)}`);
    expect([...filed.keys()].sort()).toEqual([...pids].sort());
    for (const p of pids) expect(filed.get(p)).toBeGreaterThan(0);
    expect([...filed.values()].reduce((a, b) => a + b, 0)).toBe(BACKLOG);
    // The leader marks mail the other one filed too (after-filing action `keep`: the keyword).
    await waitUntil('every message in the mailbox marked as filed', async () => {
      const box = await mailboxState(dovecot, 'INBOX', SHARED);
      return box.length === BACKLOG && box.every((m) => m.flags.includes('$Mailroom'));
    }, { timeoutMs: 15_000, everyMs: 500 });
  }, 240_000);

  it(`a campaign to ${SUBSCRIBERS} subscribers: both senders send, nobody gets two copies`, async () => {
    const listId = await seedList(db.orm, 'skalering');
    await db.orm.em.fork().transactional((em) => seedSubscribers(em, listId, SUBSCRIBERS, (i) => `leser.${i}@abonnent${i % 30}.example`));
    const c = await db.orm.em.fork().transactional((em) =>
      createCampaign(em, { name: 'skalering', subject: 'Vinterservice {{first_name}}', listIds: [listId], language: 'nb', html: CAMPAIGN_HTML }),
    );
    await db.orm.em.fork().transactional(async (em) => {
      await sqlOf(em)(`update newsletter_campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [c.id]);
      await startDueCampaigns(em, new Date(Date.now() + 1000));
    });
    await waitUntil(
      'every recipient sent',
      async () => (await countOf(db.orm, `select count(*) from newsletter_recipient where campaign_id = ? and status <> 'sent'`, [c.id])) === 0,
      { timeoutMs: 120_000, everyMs: 200, describe: async () => JSON.stringify(await sqlFor(db.orm)(`select status, count(*) from newsletter_recipient group by 1`)) },
    );
    const copies = new Map<string, number>();
    for (const m of peer.messages) for (const to of m.envelope.to) if (to.startsWith('leser.')) copies.set(to, (copies.get(to) ?? 0) + 1);
    expect(copies.size).toBe(SUBSCRIBERS);
    expect([...copies].filter(([, n]) => n > 1)).toEqual([]);
    const pids = two.map((d) => d.child.pid!);
    const shares = await sharesByPid(db.orm, CAMPAIGN_SENT_BY);
    console.log(`[scale-out] campaign of ${SUBSCRIBERS}: sent by ${shareText(shares, pids)}`);
    for (const p of pids) expect(shares.get(p)).toBeGreaterThan(0);
    await Promise.all(two.map((d) => d.stop()));
  }, 180_000);
});

describe('kill -9 of the mailbox leader halfway through a backlog', () => {
  it(`the other daemon takes the mailbox over and finishes: ${BACKLOG} mails filed once, acknowledged once`, async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const half = Math.floor(BACKLOG / 2);
    await appendBacklog(KILLED, 'drept', 0, half);
    // A slow peer keeps acknowledgements in flight, so the kill catches some mid-SMTP.
    peer.delayMs(40);
    const two = await startTwo(db, KILLED);
    // More mail arrives while they work, so the survivor has mail to read as well as to file.
    const arriving = appendBacklog(KILLED, 'drept', half, BACKLOG, 15);
    const target = Math.floor(half / 2);
    await waitUntil(
      `${target} filed and acknowledgements in flight`,
      async () =>
        (await countOf(db.orm, `select count(*) from inbound_message where state = 'filed'`)) >= target &&
        (await countOf(db.orm, `select count(*) from outbox_message where status = 'sending'`)) > 0,
      { timeoutMs: 90_000, everyMs: 20 },
    );
    const leaderPid = await waitUntil('a mailbox leader', () => mailboxLeaderPid(db.orm));
    const victim = two.find((d) => d.child.pid === leaderPid)!;
    const survivor = two.find((d) => d !== victim)!;
    const [at] = await sqlFor(db.orm)<{ filed: string; stored: string; sending: string }>(
      `select (select count(*) from inbound_message where state = 'filed') as filed, (select count(*) from inbound_message) as stored,
              (select count(*) from outbox_message where status = 'sending' and claimed_by = ?) as sending`,
      [(await sqlFor(db.orm)<{ app: string }>(`select application_name as app from pg_stat_activity where application_name like ?`, [`mailroom:%:${victim.child.pid}:%`]))[0]?.app],
    );
    await victim.kill();
    await arriving;
    peer.delayMs(0);
    await waitAllDone(db.orm, BACKLOG, () => survivor.output().slice(-3000));

    await everyMessageOnce(db.orm, BACKLOG);
    const acks = acksPerRecipient('drept');
    expect(acks.size).toBe(BACKLOG);
    expect([...acks].filter(([, c]) => c > 1)).toEqual([]);
    const inDoubt = await countOf(db.orm, `select count(*) from outbox_message where in_doubt`);
    const filed = await sharesByPid(db.orm, FILED_BY);
    const pids = [victim.child.pid!, survivor.child.pid!];
    console.log(
      `[scale-out] kill -9 of the mailbox leader (pid ${leaderPid}) at ${at!.filed} filed / ${at!.stored} stored / ${at!.sending} of its acknowledgements in flight; ` +
        `filed by the killed one ${filed.get(pids[0]!) ?? 0}, by the survivor ${filed.get(pids[1]!) ?? 0}; rows in doubt ${inDoubt}`,
    );
    expect(inDoubt).toBe(0);
    expect(filed.get(pids[1]!)).toBeGreaterThan(0);
    expect(await mailboxLeaderPid(db.orm)).toBe(survivor.child.pid);
    await survivor.stop();
  }, 300_000);
});
