import { describe, expect, it } from 'vitest';
import { GarbageRelease } from '../../src/ingest/garbage-release.ts';

const MB = 1024 * 1024;

/** A fake heap: `held` is what Buffers hold; a collection frees all but `live`. */
function fakeHeap(live: number) {
  const h = { held: live, collections: 0 };
  const release = new GarbageRelease(16 * MB, () => h.held, () => {
    h.collections++;
    h.held = live;
  });
  return { h, release };
}

describe('GarbageRelease', () => {
  it('collects once Buffers have grown past the limit above the lowest seen, not before', () => {
    const { h, release } = fakeHeap(4 * MB);
    release.passed();
    for (let i = 0; i < 15; i++) {
      h.held += MB;
      release.passed();
    }
    expect(h.collections).toBe(0);
    h.held += MB;
    release.passed();
    expect(h.collections).toBe(1);
    expect(h.held).toBe(4 * MB);
  });

  it('measures growth from the floor: memory freed in the background after a collection lowers it', () => {
    let held = 40 * MB;
    let collections = 0;
    // The collection returns before the sweep: the memory comes down a moment later.
    const release = new GarbageRelease(16 * MB, () => held, () => collections++);
    release.passed();
    held = 10 * MB;
    release.passed();
    held = 25 * MB;
    release.passed();
    expect(collections).toBe(0);
    held = 26 * MB;
    release.passed();
    expect(collections).toBe(1);
  });

  it('does nothing when no collector could be found', () => {
    const release = new GarbageRelease(16 * MB, () => 1000 * MB, undefined);
    release.passed();
    expect(release.collections).toBe(0);
  });
});
