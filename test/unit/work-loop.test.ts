import { describe, expect, it } from 'vitest';
import { WorkLoop } from '../../src/scheduler/work-loop.ts';
import { RowsInHand } from '../../src/queue/rows-in-hand.ts';

describe('WorkLoop', () => {
  it('repeats a cycle while it finds work, sleeps when it finds none, and wake() cuts the sleep short', async () => {
    const work = [3, 2, 0];
    let cycles = 0;
    let drained!: () => void;
    const idle = new Promise<void>((r) => (drained = r));
    let woken!: () => void;
    const fourth = new Promise<void>((r) => (woken = r));
    const loop = new WorkLoop({
      lanes: 1,
      pollIntervalMs: 60_000,
      cycle: async () => {
        if (++cycles === 4) woken();
        const n = work.shift() ?? 0;
        if (n === 0) drained();
        return n;
      },
      onError: () => {},
    });
    loop.start();
    await idle;
    expect(cycles).toBe(3); // two with work, then asleep for the long interval
    loop.wake();
    await fourth; // long before the 60 s interval
    await loop.stop();
  });

  it('reports a failed cycle and keeps going; stop() waits for the cycle in progress', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    let finished = false;
    const loop = new WorkLoop({
      lanes: 2,
      pollIntervalMs: 1,
      cycle: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 5));
        finished = true;
        return 0;
      },
      onError: (e) => errors.push(e),
    });
    expect(loop.stopping).toBe(false);
    loop.start();
    await new Promise((r) => setTimeout(r, 2));
    const stopped = loop.stop();
    expect(loop.stopping).toBe(true);
    await stopped;
    expect(errors).toHaveLength(1);
    expect(finished).toBe(true);
  });
});

describe('RowsInHand', () => {
  it('says "none in hand" only when the last batch in hand finishes, and not after a failure', async () => {
    let told = 0;
    const inHand = new RowsInHand(() => told++);
    let releaseFirst!: () => void;
    const first = inHand.hold(3, () => new Promise<void>((r) => (releaseFirst = r)));
    await inHand.hold(2, async () => {});
    expect(told).toBe(0); // the first batch is still in hand
    releaseFirst();
    await first;
    expect(told).toBe(1);
    await expect(inHand.hold(1, async () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(told).toBe(1);
  });
});
