import { afterEach, describe, expect, it, vi } from 'vitest';
import { RawCache } from '../../src/ingest/raw-cache.ts';

const kb = (n: number) => Buffer.alloc(n * 1024);

describe('RawCache', () => {
  afterEach(() => vi.useRealTimers());

  it('hands over what was put once, and forgets the oldest beyond its bound', () => {
    const cache = new RawCache(100 * 1024);
    for (let i = 1; i <= 5; i++) cache.put(String(i), kb(24));
    expect(cache.take('1')).toBeUndefined(); // pushed out
    expect(cache.take('2')?.length).toBe(24 * 1024);
    expect(cache.take('2')).toBeUndefined();
  });

  it('room() answers at once while the cache is at most three quarters full', async () => {
    const cache = new RawCache(100 * 1024);
    cache.put('1', kb(70));
    let done = false;
    await cache.room(1_000).then(() => (done = true));
    expect(done).toBe(true);
  });

  it('room() waits while the processor keeps taking, and resolves once there is room', async () => {
    vi.useFakeTimers();
    const cache = new RawCache(100 * 1024);
    for (let i = 1; i <= 4; i++) cache.put(String(i), kb(24)); // 96 KB: full
    let done = false;
    const waiting = cache.room(50).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(40);
    cache.take('1'); // 72 KB: room
    await waiting;
    expect(done).toBe(true);
  });

  it('room() gives up once nothing has been taken for the quiet time (a stalled processor never stops ingest)', async () => {
    vi.useFakeTimers();
    const big = new RawCache(1000 * 1024);
    for (let i = 1; i <= 9; i++) big.put(String(i), kb(100)); // 900 KB
    let done = false;
    const waiting = big.room(50).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(40);
    big.take('1'); // 800 KB: still no room, but the processor is taking: keep waiting
    await vi.advanceTimersByTimeAsync(40);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(20); // 50 ms since the last take
    await waiting;
    expect(done).toBe(true);
  });
});
