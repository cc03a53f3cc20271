import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { listNotices } from '../../src/notices/notice-service.ts';
import { loggedErrors, noticeDeps, parseReceived, seedCustomers, settle, startNoticeDaemon, type NoticeDaemon } from '../support/notices-harness.ts';

let db: TestDatabase;
let peer: SmtpPeer;

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  await seedCustomers(db.orm);
});
afterAll(async () => {
  await peer?.stop();
  await db?.drop();
});

const ALL_OPS = ['drift@beta.example', 'it@gamma.example', 'john@alfa.example', 'kari@alfa.example'];

describe('recurring broadcasts', () => {
  it('a broadcast from a config cron expression fires once per period across restarts, clock jumps and a second daemon', async () => {
    // 08:00 Norwegian time on the 1st of every month.
    const deps = noticeDeps({ broadcasts: [{ key: 'monthly-summary', cron: '0 8 1 * *', title: 'Driftsoppsummering' }] });
    const clock = new ManualClock('2026-11-20T12:00:00Z');
    let a = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const b = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const at = async (iso: string, daemons: NoticeDaemon[]) => {
      clock.set(iso);
      await Promise.all(daemons.flatMap((d) => [d.tick(), d.tick()]));
      await settle(db.orm, peer);
    };
    const restartA = async () => {
      await a.stop();
      a = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    };

    await at('2026-11-20T12:00:00Z', [a, b]); // first seen: November's period is not sent
    await at('2026-12-01T06:59:00Z', [a, b]); // 07:59 in Oslo: not yet
    expect(peer.messages).toHaveLength(0);
    await at('2026-12-01T07:00:30Z', [a, b]); // 08:00:30 in Oslo
    expect(peer.messages).toHaveLength(ALL_OPS.length);
    await restartA();
    await at('2026-12-01T09:00:00Z', [a, b]);
    await at('2026-12-15T09:00:00Z', [a, b]);
    await at('2026-11-30T09:00:00Z', [a, b]); // the clock jumps back
    await at('2026-12-20T09:00:00Z', [a, b]); // and forward again
    await restartA();
    expect(peer.messages).toHaveLength(ALL_OPS.length);
    await at('2027-01-01T07:01:00Z', [a, b]); // January's period
    await restartA();
    await at('2027-01-01T08:00:00Z', [a, b]);
    await a.stop();
    await b.stop();

    const mails = await parseReceived(peer.messages);
    expect(mails).toHaveLength(2 * ALL_OPS.length);
    for (const to of ALL_OPS) expect(mails.filter((m) => m.to === to)).toHaveLength(2);
    const broadcasts = await listNotices(db.orm.em.fork(), { kind: 'broadcast' });
    expect(broadcasts.map((n) => [n.periodStart?.toISOString(), n.state]).sort()).toEqual([
      ['2026-12-01T07:00:00.000Z', 'completed'],
      ['2027-01-01T07:00:00.000Z', 'completed'],
    ]);
    const kari = mails.filter((m) => m.to === 'kari@alfa.example');
    expect(kari[0]!.subject).toMatch(/^Driftsoppsummering 1\. november 2026–1\. desember 2026/);
    expect(kari[0]!.html).not.toMatch(/<img/i);
    expect(loggedErrors).toEqual([]);
  });
});
