import { describe, expect, it } from 'vitest';
import {
  highestIdAt,
  isEventId,
  lowestIdAt,
  newEventId,
  newPageToken,
  PAGE_SLOTS,
  pageEventId,
  parseEventId,
  sourceHash,
} from '../../lambda/core/event-id.js';

describe('eventID', () => {
  it('sorts in eventTime order whatever the source, shard or randomness', () => {
    // Prepare
    const times = [0, 1, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 48 - 1];
    // Act
    const ids = times.map((time, i) => newEventId(time, `source-${i}`, i % 32));
    // Assess
    expect([...ids].sort()).toEqual(ids);
  });

  it('is unique across many ids minted in the same millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newEventId(1_700_000_000_000, 'same', 3)));
    expect(ids.size).toBe(10_000);
  });

  it('carries the time, source hash, shard and page token it was minted with', () => {
    const token = newPageToken();
    const id = pageEventId(1_763_942_400_123, 'iam.example.com', 17, token, 5);
    expect(isEventId(id)).toBe(true);
    expect(parseEventId(id)).toEqual({
      timeMs: 1_763_942_400_123,
      sourceHash: sourceHash('iam.example.com'),
      shard: 17,
      pageToken: token,
    });
  });

  it('gives every slot of a page a distinct eventID that names the same page', () => {
    const token = newPageToken();
    const ids = Array.from({ length: PAGE_SLOTS }, (_, slot) => pageEventId(1_000, 'x', 2, token, slot));
    expect(new Set(ids).size).toBe(PAGE_SLOTS);
    expect(ids.every((id) => isEventId(id) && parseEventId(id)?.pageToken === token)).toBe(true);
    expect(new Set(Array.from({ length: 1_000 }, () => newPageToken())).size).toBe(1_000);
  });

  it('rejects text that is not an eventID', () => {
    for (const text of ['', 'x', '01ABCDEFGHJKMNPQRSTVWXYZ0', '01ABCDEFGHJKMNPQRSTVWXYZIL', 'a'.repeat(26)]) {
      expect(parseEventId(text)).toBeUndefined();
    }
  });

  it('brackets every id of a millisecond between lowestIdAt and highestIdAt', () => {
    const id = newEventId(5_000, 'x', 31);
    expect(id >= lowestIdAt(5_000) && id <= highestIdAt(5_000)).toBe(true);
    expect(id > highestIdAt(4_999) && id < lowestIdAt(5_001)).toBe(true);
  });
});
