import { describe, expect, it } from 'vitest';
import { WakeSignal } from '../../src/scheduler/wake-signal.ts';

describe('WakeSignal', () => {
  it('a wake ends a sleep at once', async () => {
    const s = new WakeSignal();
    let woke = false;
    const sleeping = s.sleep(60_000).then(() => (woke = true));
    s.wake();
    await sleeping;
    expect(woke).toBe(true);
  });

  it('a wake while nobody sleeps is kept for the next sleep, once', async () => {
    const s = new WakeSignal();
    s.wake();
    await s.sleep(60_000); // returns at once: the kept wake
    let second = false;
    const t = s.sleep(20).then(() => (second = true));
    await t; // ends by its own timer
    expect(second).toBe(true);
  });
});
