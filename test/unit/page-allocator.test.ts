import { describe, expect, it } from 'vitest';
import { PAGE_SLOTS, parseEventId } from '../../lambda/core/event-id.js';
import { PAGE_SPAN_MS, pageEventIds, pageIds, pageKeyOf } from '../../lambda/core/keys.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { PageAllocator } from '../../lambda/core/page-allocator.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0);
const pageOf = (eventID: string): string => JSON.stringify(pageKeyOf(eventID));

describe('PageAllocator', () => {
  it('puts the events of one source and page window in one page, each with its own slot', () => {
    // Prepare
    const pages = new PageAllocator(() => 3);

    // Act
    const ids = Array.from({ length: 10 }, (_, i) => pages.allocate(T0 + i * 1000, 'orders').eventID);

    // Assess
    expect(new Set(ids).size).toBe(10);
    expect(new Set(ids.map(pageOf)).size).toBe(1);
    expect(ids.every((id) => parseEventId(id)?.shard === 3)).toBe(true);
    expect(ids.map((id) => parseEventId(id)?.timeMs)).toEqual(ids.map((_, i) => T0 + i * 1000));
    // A page stores 11 characters of each id; its key gives back the rest.
    const key = pageKeyOf(ids[0] as string);
    expect(pageIds(ids)).toHaveLength(ids.length * 11);
    expect(key && pageEventIds(key, pageIds(ids))).toEqual(ids);
  });

  it('opens another page for another source, another page window, a full page and a page past its bytes', () => {
    // Prepare
    let shard = 0;
    const pages = new PageAllocator(() => shard++ % 32);

    // Act
    const first = pages.allocate(T0, 'orders');
    const otherSource = pages.allocate(T0, 'billing').eventID;
    const nextWindow = pages.allocate(T0 + PAGE_SPAN_MS, 'orders').eventID;
    const sameMinute = Array.from({ length: PAGE_SLOTS - 1 }, () => pages.allocate(T0 + 1, 'orders').eventID);
    const pastSlots = pages.allocate(T0 + 2, 'orders');
    pastSlots.hold(LIMITS.pageOpenBytes);
    const pastBytes = pages.allocate(T0 + 3, 'orders').eventID;

    // Assess
    const ids = [first.eventID, otherSource, nextWindow, ...sameMinute, pastSlots.eventID, pastBytes];
    expect(new Set(ids).size).toBe(ids.length);
    expect(sameMinute.every((id) => pageOf(id) === pageOf(first.eventID))).toBe(true);
    for (const other of [otherSource, nextWindow, pastSlots.eventID])
      expect(pageOf(other)).not.toBe(pageOf(first.eventID));
    expect(pageOf(pastBytes)).not.toBe(pageOf(pastSlots.eventID));
    // Each page took a shard of its own.
    expect(
      new Set(
        [first.eventID, otherSource, nextWindow, pastSlots.eventID, pastBytes].map(
          (id) => parseEventId(id)?.shard,
        ),
      ).size,
    ).toBe(5);
  });

  it('keeps a page below DynamoDB item size whatever the records: it closes once its bytes pass the limit', () => {
    // Prepare: records at the 256 KB event limit.
    const pages = new PageAllocator(() => 0);
    const ids: string[] = [];

    // Act
    for (let i = 0; i < 10; i++) {
      const allocation = pages.allocate(T0, 'big');
      allocation.hold(LIMITS.eventBytes);
      ids.push(allocation.eventID);
    }

    // Assess: one record each, since one passes the page's bytes already.
    expect(new Set(ids.map(pageOf)).size).toBe(10);
    expect(LIMITS.pageOpenBytes + LIMITS.eventBytes).toBeLessThan(400 * 1024 - 4 * 1024);
  });
});
