import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { until } from '../support/outbox-helpers.ts';
import { seedList, testNewsletterDeps, CAMPAIGN_HTML } from '../support/newsletter-helpers.ts';
import { seedSubscribers } from '../../src/newsletter/subscribers.ts';
import { createCampaign, startDueCampaigns, pauseCampaign, resumeCampaign, findCampaign } from '../../src/newsletter/campaigns.ts';
import { CampaignSender, recipientCounts } from '../../src/newsletter/campaign-sender.ts';
import { DelivererTransport } from '../../src/newsletter/transport.ts';
import { SmtpDeliverer } from '../../src/outbox/transports/smtp-transport.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let peer: SmtpPeer;
let journalDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  journalDir = mkdtempSync(path.join(tmpdir(), 'nl-journal-'));
});
afterAll(async () => {
  await peer?.stop();
  await db?.drop();
  rmSync(journalDir, { recursive: true, force: true });
});

async function campaignTo(count: number, tag: string): Promise<string> {
  const listId = await seedList(db.orm, tag);
  await db.orm.em.fork().transactional((em) => seedSubscribers(em, listId, count, (i) => `${tag}.${i}@d${i % 40}.example`));
  const c = await db.orm.em.fork().transactional((em) => createCampaign(em, { name: tag, subject: 'Nyheter {{first_name}}', listIds: [listId], language: 'nb', html: CAMPAIGN_HTML }));
  await db.orm.em.fork().transactional(async (em) => {
    await sqlOf(em)(`update newsletter_campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [c.id]);
    await startDueCampaigns(em, new Date(Date.now() + 1000));
  });
  return c.id;
}

/** Every subscriber of the campaign got exactly one copy at the peer. */
function copiesPerAddress(tag: string): { total: number; distinct: number; twice: string[] } {
  const counts = new Map<string, number>();
  for (const m of peer.messages) for (const to of m.envelope.to) if (to.startsWith(`${tag}.`)) counts.set(to, (counts.get(to) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([a]) => a);
  return { total: [...counts.values()].reduce((a, b) => a + b, 0), distinct: counts.size, twice };
}

function startSenderProcess(workerId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/newsletter-sender-process.ts', db.url, peer.url, workerId, journalDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NL_CONFIG: JSON.stringify({ ratePerSecond: 0, perDomainPerSecond: 0 }) },
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('sender process did not start')), 30_000);
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) {
        clearTimeout(t);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`sender exited ${code}`)));
  });
}

describe('campaign sender: exactly one copy per subscriber', () => {
  it('10,000 subscribers, the sender killed with kill -9 five times during the send', async () => {
    const N = 10_000;
    const id = await campaignTo(N, 'crash');
    const killedAt: number[] = [];
    for (let k = 0; k < 5; k++) {
      const child = await startSenderProcess(`nl-crash-${k}`);
      const target = Math.min(N - 500, peer.messages.length + 1200 + Math.floor(Math.random() * 600));
      await until(() => peer.messages.length >= target, { tries: 1200, everyMs: 25 });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      killedAt.push(peer.messages.length);
    }
    const last = await startSenderProcess('nl-crash-final');
    await until(async () => (await findCampaign(db.orm.em.fork(), id))?.status === 'sent', { tries: 2400, everyMs: 50 });
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));
    const counts = await recipientCounts(db.orm.em.fork(), id);
    const [{ n: inDoubt }] = await sqlOf(db.orm.em.fork())<{ n: string }>(`select count(*) as n from newsletter_recipient where campaign_id = ? and in_doubt`, [id]);
    const copies = copiesPerAddress('crash');
    console.log(`kill -9 at peer counts ${killedAt.join(', ')}; rows requeued (never handed to SMTP) ${inDoubt}; peer: ${copies.total} messages to ${copies.distinct} addresses; rows ${JSON.stringify(counts)}`);
    expect(killedAt.filter((n) => n > 0 && n < N).length).toBe(5);
    expect(copies.twice).toEqual([]);
    expect(copies.distinct).toBe(N);
    expect(copies.total).toBe(N);
    expect(counts).toEqual({ sent: N });
  });

  it('pause and resume: nothing skipped, nothing twice', async () => {
    const N = 2000;
    const id = await campaignTo(N, 'pause');
    peer.delayMs(2);
    const sender = new CampaignSender({
      em: db.orm.em.fork(),
      deps: testNewsletterDeps('http://127.0.0.1:9'),
      transport: new DelivererTransport(new SmtpDeliverer(peer.url, { poolSize: 4 })),
      workerId: 'mailroom-test:' + db.url.split('/').pop(),
      log: silentLogger,
      batchSize: 50,
      pollIntervalMs: 50,
    });
    sender.start();
    try {
      await until(() => copiesPerAddress('pause').total >= 600, { tries: 1200, everyMs: 20 });
      await db.orm.em.fork().transactional((em) => pauseCampaign(em, id));
      await new Promise((r) => setTimeout(r, 1500));
      const atPause = copiesPerAddress('pause').total;
      await new Promise((r) => setTimeout(r, 1500));
      expect(copiesPerAddress('pause').total).toBe(atPause); // paused means paused
      expect(atPause).toBeLessThan(N);
      await db.orm.em.fork().transactional((em) => resumeCampaign(em, id));
      sender.wake();
      await until(async () => (await findCampaign(db.orm.em.fork(), id))?.status === 'sent', { tries: 1200, everyMs: 50 });
      const copies = copiesPerAddress('pause');
      console.log(`paused at ${atPause}/${N}; after resume ${copies.total} messages to ${copies.distinct} addresses`);
      expect(copies.twice).toEqual([]);
      expect(copies.distinct).toBe(N);
      expect(copies.total).toBe(N);
    } finally {
      peer.delayMs(0);
      await sender.stop();
    }
  });

  it('SMTP 4xx for a minute: all delivered after, none twice', async () => {
    const N = 1000;
    const outageMs = Number(process.env.NL_OUTAGE_MS ?? 60_000);
    peer.failAlways({ code: 451, message: 'Try again later' });
    const id = await campaignTo(N, 'outage');
    const sender = new CampaignSender({
      em: db.orm.em.fork(),
      deps: testNewsletterDeps('http://127.0.0.1:9', { backoffBaseMs: 200, backoffMaxMs: 2000 }),
      transport: new DelivererTransport(new SmtpDeliverer(peer.url, { poolSize: 4 })),
      workerId: 'mailroom-test:' + db.url.split('/').pop(),
      log: silentLogger,
      batchSize: 100,
      pollIntervalMs: 50,
    });
    sender.start();
    try {
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, outageMs));
      const refused = peer.attempts.filter((a) => a.outcome === 451).length;
      expect(copiesPerAddress('outage').total).toBe(0);
      peer.failAlways(null);
      await until(async () => (await findCampaign(db.orm.em.fork(), id))?.status === 'sent', { tries: 1200, everyMs: 50 });
      const copies = copiesPerAddress('outage');
      const [{ max }] = await sqlOf(db.orm.em.fork())<{ max: number }>(`select max(attempts) as max from newsletter_recipient where campaign_id = ?`, [id]);
      console.log(`451 for ${outageMs} ms: ${refused} refused attempts, up to ${max} attempts per row; all sent ${Date.now() - t0} ms after the start`);
      expect(copies.twice).toEqual([]);
      expect(copies.total).toBe(N);
      expect(await recipientCounts(db.orm.em.fork(), id)).toEqual({ sent: N });
    } finally {
      peer.failAlways(null);
      await sender.stop();
    }
  });
});
