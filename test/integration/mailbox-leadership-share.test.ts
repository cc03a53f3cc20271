/**
 * Issue 20.1: instances share the mailboxes. Two MailboxLeadership contenders on a real
 * PostgreSQL, as two daemons' watchers for the same mailbox: the one whose instance already
 * leads another mailbox defers a poll per mailbox it leads, so the one that leads none takes it;
 * and when nobody else wants it, the deferring one still takes it (a survivor takes over).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { MailboxLeadership } from '../../src/ingest/imap/leadership.ts';
import { silentLogger } from '../../src/logging/logger.ts';

let db: TestDatabase;
const held: MailboxLeadership[] = [];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function contender(name: string, ledElsewhere: number, firstTryAfterPolls = 0): MailboxLeadership {
  const l = new MailboxLeadership({
    lockUrl: db.url,
    mailbox: 'salg',
    applicationName: `mailroom-imap-lock:${name}`,
    pollMs: 200,
    log: silentLogger,
    onLost: () => undefined,
    ledElsewhere: () => ledElsewhere,
    firstTryAfterPolls,
  });
  held.push(l);
  return l;
}

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});

afterAll(async () => {
  for (const l of held) await l.release();
  await db?.drop();
});

describe('mailbox leadership is shared between instances', () => {
  it('the instance that leads no other mailbox takes a free one first; the busy one takes it once it is free', async () => {
    let stop = false;
    const busy = contender('busy', 2);
    const idle = contender('idle', 0, 1);
    const busyWon = busy.acquire(() => !stop, sleep, () => undefined);
    const idleWon = idle.acquire(() => !stop, sleep, () => undefined);
    // Bounded: without the deferral the busy one takes the lock at once and the idle one would
    // wait for ever; 'timeout' then fails the test at once instead of at vitest's cap.
    const first = await Promise.race([idleWon.then((won) => (won ? 'idle' : 'stopped')), busyWon.then(() => 'busy'), sleep(10_000).then(() => 'timeout')]);
    expect(first).toBe('idle');
    expect(busy.holds).toBe(false);
    // The idle instance dies (its lock connection closes): the busy one takes the mailbox over.
    await idle.release();
    expect(await busyWon).toBe(true);
    stop = true;
  });
});
