import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEventId, shardChar } from '../../lambda/core/event-id.js';
import { eventKeys, type PostingSource, postingsOf } from '../../lambda/core/keys.js';
import { PageAllocator } from '../../lambda/core/page-allocator.js';
import { sampleRecord } from '../fixtures/events.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0);

/** A stored event as postingsOf sees it: an allocated eventID and the keys of a sample record with that id. */
function source(eventID: string, overrides: Record<string, unknown>, expiresAt: number): PostingSource {
  return { eventID, keys: eventKeys({ ...sampleRecord(overrides), eventID }), expiresAt };
}

describe('eventKeys', () => {
  it('lists each resource name and type once, in the order the resources name them', () => {
    // Prepare
    const eventID = new PageAllocator(() => 0).allocate(T0, 'orders').eventID;
    const record = {
      ...sampleRecord({
        resources: [
          { ARN: 'arn:a', type: 'T' },
          { ARN: 'arn:a', type: 'T' },
          { type: 'arn:a' },
          { ARN: 'T' },
          { ARN: 'arn:b', type: 'U' },
        ],
      }),
      eventID,
    };

    // Act
    const { postings } = eventKeys(record);

    // Assess
    expect(postings.slice(4)).toEqual([
      { family: 'RN', value: 'arn:a' },
      { family: 'RT', value: 'T' },
      { family: 'RT', value: 'arn:a' },
      { family: 'RN', value: 'T' },
      { family: 'RN', value: 'arn:b' },
      { family: 'RT', value: 'U' },
    ]);
  });
});

describe('postingsOf', () => {
  it('lists each value and minute once, newest first, each event once, in the order the values were met', () => {
    // Prepare
    let shard = 0;
    const pages = new PageAllocator(() => shard++);
    const first = pages.allocate(T0 + 1_000, 'orders').eventID;
    const second = pages.allocate(T0 + 2_000, 'orders').eventID;
    const nextMinute = pages.allocate(T0 + 61_000, 'orders').eventID;
    const events = [
      source(first, { eventName: 'A' }, 100),
      source(second, { eventName: 'B' }, 300),
      source(nextMinute, { eventName: 'A' }, 200),
      // A retry lists an event again (StoredEvent.relist): it is named once.
      source(first, { eventName: 'A' }, 100),
    ];

    // Act
    const lists = postingsOf(events);

    // Assess
    const eventNameLists = lists.filter((list) => list.key.pk.startsWith('N#'));
    expect(eventNameLists.map((list) => list.eventIDs)).toEqual([[first], [second], [nextMinute]]);
    const feed = lists.filter((list) => list.key.pk.startsWith('A#'));
    expect(feed.map((list) => list.eventIDs)).toEqual([[second, first], [nextMinute]]);
    const [minuteFeed] = feed;
    const newestShard = shardChar(parseEventId(second)?.shard ?? -1);
    expect(minuteFeed?.key).toEqual({
      pk: `A#${newestShard}#false`,
      sk: `${second}#${createHash('sha256').update(`${second}${first}`).digest('base64url').slice(0, 8)}`,
    });
    expect(minuteFeed?.expiresAt).toBe(300);
    // The first event's values come first, in its own order: feed, event name, user, access key, resources.
    expect(lists[0]?.key.pk).toBe(`A#${newestShard}#false`);
    expect(lists[1]?.key.pk).toMatch(/^N#.#A$/);
  });
});
