import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaimQueue, type ClaimQueueOptions, type Outcome } from '../../src/queue/claim-queue.ts';
import { QueueWorker } from '../../src/queue/queue-worker.ts';
import { DeliveryError } from '../../src/queue/delivery-error.ts';
import { DeliveryJournal, JOURNAL_COMPLETE } from '../../src/queue/delivery-journal.ts';
import type { ClaimStore, HeldRow, Settlement, TakeBack } from '../../src/queue/claim-store.ts';
import { silentLogger } from '../../src/logging/logger.ts';

interface Row {
  id: string;
  attempts: number;
  lane: string;
}

/** A store in memory: hands out `rows` once, records what the queue writes. */
function memoryStore(rows: Row[], held: HeldRow[] = []) {
  const settled: Settlement[] = [];
  const takenBack: TakeBack[] = [];
  let pending = [...rows];
  let stillHeld = [...held];
  const store: ClaimStore<Row> = {
    claim: async (_w, limit) => pending.splice(0, limit),
    orphans: async () => stillHeld,
    takeBack: async (t) => {
      takenBack.push(t);
      stillHeld = [];
    },
    holders: async (workers) => [...new Set(stillHeld.map((h) => h.claimed_by!).filter((w) => workers.includes(w)))],
    settle: async (_w, s) => void settled.push(s),
  };
  return { store, settled, takenBack, reset: (r: Row[]) => (pending = [...r]) };
}

function queue(store: ClaimStore<Row>, worker: QueueWorker, over: Partial<ClaimQueueOptions<Row>> = {}): ClaimQueue<Row> {
  return new ClaimQueue<Row>({
    name: 'test queue',
    store,
    worker,
    log: silentLogger,
    batchSize: 50,
    pollIntervalMs: 10,
    claimTimeoutMs: 60_000,
    journalPrefix: 'q:',
    backoff: { baseMs: 1000, maxMs: 60_000 },
    giveUp: (row) => row.attempts >= 5,
    begin: async () => async () => ({ sent: null }),
    laneLimit: () => 4,
    recoveredMessage: 'rows taken back',
    ...over,
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('claim queue: what becomes of each row of a batch', () => {
  it('sent, retried with backoff, given up, skipped, deferred — one settlement for the batch', async () => {
    const rows: Row[] = ['1', '2', '3', '4', '5', '6', '7', '8'].map((id) => ({ id, attempts: id === '4' ? 5 : 1, lane: '' }));
    const outcomes: Record<string, () => Outcome> = {
      '1': () => ({ sent: { response: '250 ok' } }),
      '2': () => ({ error: new DeliveryError('SMTP 451: later', false) }),
      '3': () => ({ error: new DeliveryError('SMTP 550: no such mailbox', true) }),
      '4': () => ({ error: new DeliveryError('SMTP 451: still later', false) }),
      '5': () => ({ skip: 'suppressed' }),
      '6': () => ({ defer: 1500 }),
      '7': () => ({ error: new DeliveryError('429', false, 30_000) }),
      '8': () => {
        throw new Error('campaign vanished');
      },
    };
    const m = memoryStore(rows);
    const keys: string[] = [];
    const q = queue(m.store, new QueueWorker({ workerId: 'w1' }), {
      begin: async () => async (row, key) => {
        keys.push(key);
        return outcomes[row.id]!();
      },
      gaveUp: (row, err) => (err.permanent ? 'bounced' : undefined),
    });
    expect(await q.runOnce()).toBe(8);
    expect(await q.runOnce()).toBe(0);
    expect(keys.sort()).toEqual(rows.map((r) => `q:${r.id}`).sort());
    expect(m.settled).toHaveLength(1);
    const s = m.settled[0]!;
    expect(s.sent).toEqual([{ id: '1', result: { response: '250 ok' } }]);
    expect(s.failed.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: '3', error: 'SMTP 550: no such mailbox', status: 'bounced' },
      { id: '4', error: 'SMTP 451: still later', status: 'failed' },
    ]);
    expect(s.skipped).toEqual([{ id: '5', reason: 'suppressed' }]);
    expect(s.deferred).toEqual([{ id: '6', delayMs: 1500 }]);
    const retry = Object.fromEntries(s.retry.map((r) => [r.id, r]));
    expect(Object.keys(retry).sort()).toEqual(['2', '7', '8']);
    // First attempt: the base delay with ±20 % jitter; a Retry-After wins.
    expect(retry['2']!.delayMs).toBeGreaterThanOrEqual(800);
    expect(retry['2']!.delayMs).toBeLessThanOrEqual(1200);
    expect(retry['7']!.delayMs).toBe(30_000);
    expect(retry['8']!.error).toBe('campaign vanished');
  });

  it('works each lane at most laneLimit rows at once, in claim order', async () => {
    const rows: Row[] = Array.from({ length: 30 }, (_, i) => ({ id: String(i + 1), attempts: 1, lane: i % 3 === 0 ? 'slow' : 'fast' }));
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const order: string[] = [];
    const m = memoryStore(rows);
    const q = queue(m.store, new QueueWorker({ workerId: 'w1' }), {
      laneOf: (r) => r.lane,
      laneLimit: (lane) => (lane === 'slow' ? 1 : 4),
      begin: async () => async (row) => {
        if (row.lane === 'slow') order.push(row.id);
        running.set(row.lane, (running.get(row.lane) ?? 0) + 1);
        peak.set(row.lane, Math.max(peak.get(row.lane) ?? 0, running.get(row.lane)!));
        await new Promise((r) => setTimeout(r, 2));
        running.set(row.lane, running.get(row.lane)! - 1);
        return { sent: null };
      },
    });
    await q.runOnce();
    expect(peak.get('slow')).toBe(1);
    expect(peak.get('fast')).toBe(4);
    expect(order).toEqual(rows.filter((r) => r.lane === 'slow').map((r) => r.id));
  });
});

describe('claim queue: rows of a dead worker', () => {
  it('journaled rows are sent, the rest queued again (in doubt without a complete journal); the journal goes once no queue holds its rows', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'claim-queue-'));
    dirs.push(dir);
    // One journal for two queues: row 1 of this queue and row 1 of the other are different rows.
    writeFileSync(DeliveryJournal.file(dir, 'dead'), ['q:1', 'other:2', JOURNAL_COMPLETE, ''].join('\n'));
    writeFileSync(DeliveryJournal.file(dir, 'crashed'), ['q:5', ''].join('\n'));
    const worker = new QueueWorker({ workerId: 'alive', journalDir: dir });
    const mine = memoryStore([], [
      { id: '1', claimed_by: 'dead' },
      { id: '2', claimed_by: 'dead' },
      { id: '5', claimed_by: 'crashed' },
      { id: '6', claimed_by: 'crashed' },
    ]);
    const other = memoryStore([], [{ id: '2', claimed_by: 'dead' }]);
    const q = queue(mine.store, worker);
    queue(other.store, worker, { journalPrefix: 'other:' });
    expect(await q.recoverOrphans()).toBe(4);
    expect(mine.takenBack).toEqual([{ delivered: ['1', '5'], unsent: ['2'], inDoubt: ['6'] }]);
    // The other queue still holds a row of 'dead': its journal stays until that queue has read it.
    expect(existsSync(DeliveryJournal.file(dir, 'dead'))).toBe(true);
    expect(existsSync(DeliveryJournal.file(dir, 'crashed'))).toBe(false);
  });

  it('a queue may not join its worker after another started', () => {
    const worker = new QueueWorker({ workerId: 'w1' });
    const first = queue(memoryStore([]).store, worker);
    first.start();
    try {
      expect(() => queue(memoryStore([]).store, worker)).toThrow(/joined its worker after another queue had started/);
    } finally {
      void first.stop();
    }
  });
});
