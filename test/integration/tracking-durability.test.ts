/**
 * Tracking events are answered only once stored (issue 21): the real daemon serves the pixel and
 * the click redirect to many clients at once and is killed with kill -9 the moment a few hundred
 * answers have arrived, while more requests are in flight. Every event a client got its answer
 * for is in the database afterwards; the subscribers who said DO NOT TRACK (on their
 * preferences, or by mail through the suppression list) have no event, even inside the burst.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { seedList, CAMPAIGN_HTML, NL_SECRET } from '../support/newsletter-helpers.ts';
import { seedSubscribers } from '../../src/newsletter/subscribers.ts';
import { createCampaign } from '../../src/newsletter/campaigns.ts';
import { signToken } from '../../src/newsletter/tokens.ts';
import { suppressAddress } from '../../src/suppression/suppression-list.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  env = daemonEnv({ DATABASE_URL: db.url, MAILROOM_SECRET: NL_SECRET });
});

afterAll(async () => {
  await daemon?.kill();
  await db?.drop();
  if (env) cleanupDaemonEnv(env);
});

const sql = () => sqlOf(db.orm.em.fork());

interface Answer {
  subscriberId: string;
  kind: 'open' | 'click';
  status: number;
}

describe('tracking events under kill -9', () => {
  it('every answered pixel and click is stored; DO NOT TRACK stays out', async () => {
    const N = 1500;
    const listId = await seedList(db.orm, 'durable');
    await db.orm.em.fork().transactional((em) => seedSubscribers(em, listId, N, (i) => `leser.${i}@d${i % 20}.example`));
    const c = await db.orm.em.fork().transactional((em) => createCampaign(em, { name: 'durable', subject: 'Nytt', listIds: [listId], language: 'nb', html: CAMPAIGN_HTML }));
    const subs = await sql()<{ id: string; email: string }>(`select id::text, email from newsletter_subscriber order by id`);
    expect(subs).toHaveLength(N);
    // Every 50th said DO NOT TRACK on the preferences page; every 50th (others) asked by mail.
    const dnt = subs.filter((_, i) => i % 50 === 7).map((s) => s.id);
    const byMail = subs.filter((_, i) => i % 50 === 31);
    await sql()(`update newsletter_subscriber set dnt = true where id = any(?::bigint[])`, [`{${dnt.join(',')}}`]);
    await db.orm.em.fork().transactional(async (em) => {
      for (const s of byMail) await suppressAddress(em, NL_SECRET, s.email.toUpperCase(), 'do-not-track', { source: 'test' });
    });

    daemon = await startDaemonProcess(env);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const answers: Answer[] = [];
    const KILL_AFTER = 400;
    let killed = false;
    const one = (s: { id: string }, i: number) =>
      new Promise<void>((resolve) => {
        const kind = i % 3 === 0 ? 'click' : 'open';
        const t = kind === 'open' ? signToken(NL_SECRET, 'o', [c.id, s.id]) : signToken(NL_SECRET, 'c', [c.id, s.id, '0']);
        const req = http.get({ host: '127.0.0.1', port: daemon!.httpPort, path: `/newsletter/${kind === 'open' ? 'o' : 'c'}?t=${t}`, agent, headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' } }, (res) => {
          // The status line is the acknowledgement: it is counted before the body is read.
          answers.push({ subscriberId: s.id, kind, status: res.statusCode ?? 0 });
          if (!killed && answers.length >= KILL_AFTER) {
            killed = true;
            daemon!.child.kill('SIGKILL');
          }
          res.resume();
          res.on('end', resolve);
          res.on('error', () => resolve());
        });
        req.on('error', () => resolve());
      });
    await Promise.all(subs.map((s, i) => one(s, i)));
    agent.destroy();
    await daemon.kill();

    expect(killed).toBe(true);
    const ok = answers.filter((a) => a.status === 200 || a.status === 302);
    expect(ok.length).toBe(answers.length);
    // The kill came while requests were still in flight: not every one was answered.
    expect(ok.length).toBeLessThan(N);
    const stored = await sql()<{ subscriber_id: string; kind: string }>(`select subscriber_id::text, kind from newsletter_event where campaign_id = ?`, [c.id]);
    const have = new Set(stored.map((r) => `${r.kind}:${r.subscriber_id}`));
    const untracked = new Set([...dnt, ...byMail.map((s) => s.id)]);
    const lost = ok.filter((a) => !untracked.has(a.subscriberId) && !have.has(`${a.kind}:${a.subscriberId}`));
    expect(lost).toEqual([]);
    expect(stored.filter((r) => untracked.has(r.subscriber_id))).toEqual([]);
    // The burst did reach people who are tracked, and those who are not were in it.
    expect(ok.filter((a) => !untracked.has(a.subscriberId)).length).toBeGreaterThanOrEqual(KILL_AFTER - 20);
    expect(ok.some((a) => untracked.has(a.subscriberId))).toBe(true);
  });
});
