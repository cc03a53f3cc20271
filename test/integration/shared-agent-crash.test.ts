/**
 * The daemon sends the outbox and a campaign through one SMTP agent with one journal. Killed
 * with kill -9 while both are mid-send, again and again, and restarted: every outbox message
 * and every subscriber's copy reaches the peer exactly once. The two tables' ids overlap
 * (both start at 1), so this also shows the shared journal keeps them apart.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { projectRoot } from '../support/cli-runner.ts';
import { enqueueTestEmails, outboxStatusCounts, until } from '../support/outbox-helpers.ts';
import { seedList, CAMPAIGN_HTML } from '../support/newsletter-helpers.ts';
import { seedSubscribers } from '../../src/newsletter/subscribers.ts';
import { createCampaign, startDueCampaigns, findCampaign } from '../../src/newsletter/campaigns.ts';
import { recipientCounts } from '../../src/newsletter/campaign-sender.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let peer: SmtpPeer;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-shared-agent-'));
  const base = (parseYaml(readFileSync(path.join(projectRoot, 'config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  const configFile = path.join(dir, 'mailroom.yaml');
  // A slow peer and a paced campaign keep both queues mid-send when the kill comes.
  writeFileSync(
    configFile,
    stringifyYaml({
      ...base,
      outbox: { ...(base.outbox ?? {}), backoffBaseMs: 100, backoffMaxMs: 1000, pollIntervalMs: 50, batchSize: 20 },
      newsletter: { ...(base.newsletter ?? {}), ratePerSecond: 300, perDomainPerSecond: 0, backoffBaseMs: 100, backoffMaxMs: 1000, batchSize: 50 },
    }),
  );
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, MAILROOM_CONFIG: configFile });
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await db?.drop();
  if (env) cleanupDaemonEnv(env);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Accepted copies per envelope recipient whose address starts with `prefix`. */
function copies(prefix: string): { total: number; distinct: number; twice: string[] } {
  const counts = new Map<string, number>();
  for (const m of peer.messages) for (const to of m.envelope.to) if (to.startsWith(prefix)) counts.set(to, (counts.get(to) ?? 0) + 1);
  return { total: [...counts.values()].reduce((a, b) => a + b, 0), distinct: counts.size, twice: [...counts].filter(([, n]) => n > 1).map(([a]) => a) };
}

describe('one SMTP agent for the outbox and the campaign sender', () => {
  it('kill -9 of the daemon while both send, three times: each message once', async () => {
    const N = 3000;
    const listId = await seedList(db.orm, 'shared');
    await db.orm.em.fork().transactional((em) => seedSubscribers(em, listId, N, (i) => `abonnent.${i}@d${i % 25}.example`));
    const c = await db.orm.em.fork().transactional((em) => createCampaign(em, { name: 'shared', subject: 'Vinternytt {{first_name}}', listIds: [listId], language: 'nb', html: CAMPAIGN_HTML }));
    await db.orm.em.fork().transactional(async (em) => {
      await sqlOf(em)(`update newsletter_campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [c.id]);
      await startDueCampaigns(em, new Date(Date.now() + 1000));
    });
    peer.delayMs(3);
    const perRound = 300;
    const killedAt: string[] = [];
    for (let k = 0; k < 3; k++) {
      // enqueueTestEmails addresses person<i>@example.com; each round's rows are told apart by subject.
      await enqueueTestEmails(db.orm, perRound, `round${k}`);
      const before = { outbox: copies('person').total, campaign: copies('abonnent.').total };
      const daemon: DaemonProcess = await startDaemonProcess(env);
      await until(() => copies('person').total >= before.outbox + 60 && copies('abonnent.').total >= before.campaign + 60, { tries: 1200, everyMs: 10 });
      await daemon.kill();
      killedAt.push(`outbox ${copies('person').total}, campaign ${copies('abonnent.').total}`);
    }
    const last = await startDaemonProcess(env);
    try {
      await until(async () => (await findCampaign(db.orm.em.fork(), c.id))?.status === 'sent' && (await outboxStatusCounts(db.orm)).sent === 3 * perRound, { tries: 2400, everyMs: 50 });
    } finally {
      peer.delayMs(0);
      await last.stop();
    }
    const bySubject = new Map<string, number>();
    for (const m of peer.messages) {
      const subject = /^Subject: (round\d+ \d+)\r?$/m.exec(m.raw.toString('latin1'))?.[1];
      if (subject) bySubject.set(subject, (bySubject.get(subject) ?? 0) + 1);
    }
    const outboxTwice = [...bySubject].filter(([, n]) => n > 1).map(([s]) => s);
    const campaign = copies('abonnent.');
    const [{ n: inDoubt }] = await sqlOf(db.orm.em.fork())<{ n: string }>(
      `select (select count(*) from outbox_message where in_doubt) + (select count(*) from newsletter_recipient where in_doubt) as n`,
    );
    console.log(`kill -9 at peer counts [${killedAt.join('; ')}]; rows taken back in doubt ${inDoubt}; outbox ${bySubject.size} subjects, campaign ${campaign.total} copies to ${campaign.distinct} addresses`);
    expect(outboxTwice).toEqual([]);
    expect(bySubject.size).toBe(3 * perRound);
    expect(campaign.twice).toEqual([]);
    expect(campaign.distinct).toBe(N);
    expect(campaign.total).toBe(N);
    expect(await recipientCounts(db.orm.em.fork(), c.id)).toEqual({ sent: N });
    expect(await outboxStatusCounts(db.orm)).toEqual({ sent: 3 * perRound });
  }, 300_000);
});
