import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { storedInsight } from '../../lambda/core/insights/records.js';
import { insightKeys } from '../../lambda/core/keys.js';
import type { StoredEvent, WriteResult } from '../../lambda/core/ports.js';
import {
  type ArchiveObjects,
  archiveHourPrefix,
  type RebuildOptions,
  RebuildOptionsError,
  rebuildFromArchive,
} from '../../lambda/core/rebuild.js';
import { ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { variedEvents } from '../fixtures/traffic.js';
import { insightOf } from './insights/insight-kit.js';

const BUCKET = 'archive';
const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: 4 };
const REBUILD: RebuildOptions = { bucket: BUCKET, retentionDays: 90, nowMs: NOW_MS };

/** An in-memory archive bucket: keys in S3's order, bodies handed out in small chunks; reads are observed. */
class MemoryArchive implements ArchiveObjects {
  readonly objects = new Map<string, Uint8Array>();
  inFlight = 0;
  maxInFlight = 0;

  put(key: string, body: Uint8Array): this {
    this.objects.set(key, body);
    return this;
  }

  /** One gzip object of NDJSON, each line ending in a newline as Firehose's records do. */
  putLines(key: string, lines: readonly string[]): this {
    return this.put(key, gzipSync(lines.map((line) => `${line}\n`).join('')));
  }

  async *list(bucket: string, prefix: string, startAfter?: string): AsyncIterable<{ key: string }> {
    expect(bucket).toBe(BUCKET);
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix) && (startAfter === undefined || key > startAfter)) yield { key };
    }
  }

  async get(_bucket: string, key: string): Promise<{ body: AsyncIterable<Uint8Array> } | undefined> {
    const stored = this.objects.get(key);
    if (stored === undefined) return undefined;
    const bytes: Uint8Array = stored;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const done = () => {
      this.inFlight--;
    };
    async function* chunks(): AsyncIterable<Uint8Array> {
      try {
        for (let offset = 0; offset < bytes.length; offset += 64) {
          await Promise.resolve();
          yield bytes.subarray(offset, offset + 64);
        }
      } finally {
        done();
      }
    }
    return { body: chunks() };
  }
}

/** Events through the real ingest path: what the store kept, which is what the archive carries line for line. */
async function ingested(inputs: readonly unknown[]): Promise<StoredEvent[]> {
  const store = new MemoryEventStore();
  const result = await putEvents(inputs, store, OPTIONS);
  expect(result.failed).toEqual([]);
  return store.storedEvents;
}

const byEventID = (events: readonly StoredEvent[]): StoredEvent[] =>
  [...events].sort((a, b) => (a.eventID < b.eventID ? -1 : 1));

/** A writer that records each restoreEvents call's size and passes it to the memory store. */
class CountingStore extends MemoryEventStore {
  readonly restoreCalls: number[] = [];

  override async restoreEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    this.restoreCalls.push(events.length);
    return super.restoreEvents(events);
  }
}

describe('rebuildFromArchive', () => {
  it('restores every archived event as ingest stored it, and the catalog entries of their sources', async () => {
    // Prepare: 120 varied events ingested, archived in three objects over two hours.
    const stored = await ingested(variedEvents(100, NOW_MS));
    const more = await ingested(variedEvents(20, NOW_MS, 3_600_000, 7));
    const lines = [...stored, ...more].map((event) => event.recordJson);
    const archive = new MemoryArchive()
      .putLines('events/2026/11/23/22/stream-1-a.gz', lines.slice(0, 50))
      .putLines('events/2026/11/23/22/stream-1-b.gz', lines.slice(50, 100))
      .putLines('events/2026/11/23/23/stream-1-c.gz', lines.slice(100));
    const target = new MemoryEventStore();

    // Act
    const summary = await rebuildFromArchive(archive, target, REBUILD);

    // Assess: the same StoredEvents (record bytes, keys, expiry), and every source listed for suggestions.
    expect(summary).toMatchObject({
      objectsListed: 3,
      objectsRead: 3,
      objectsFailed: 0,
      eventsRestored: 120,
      eventsExpired: 0,
      eventsFailed: 0,
      linesInvalid: 0,
      problems: [],
    });
    expect(byEventID(target.storedEvents)).toEqual(byEventID([...stored, ...more]));
    const sources = new Set(target.catalogWrites.map(({ entry }) => entry.attributes.eventSource));
    expect(sources).toEqual(new Set(stored.map((event) => JSON.parse(event.recordJson).eventSource)));
    // Catalog entries outlive every restored event, as ingest's do.
    const latestExpiry = Math.max(...target.storedEvents.map((event) => event.expiresAt));
    for (const { expiresAt } of target.catalogWrites) expect(expiresAt).toBeGreaterThan(latestExpiry);
  });

  it('restores insight events under their own keys, outside the catalog and the posting lists', async () => {
    // Prepare
    const minute = Math.floor(NOW_MS / 60_000) - 10;
    const record = insightOf('Start', minute, minute, NOW_MS);
    const archive = new MemoryArchive().putLines('events/2026/11/23/22/i.gz', [JSON.stringify(record)]);
    const target = new MemoryEventStore();

    // Act
    const summary = await rebuildFromArchive(archive, target, REBUILD);

    // Assess
    expect(summary.eventsRestored).toBe(1);
    expect(target.storedEvents).toEqual([storedInsight(record, 90)]);
    expect(target.storedEvents[0]?.keys).toEqual(insightKeys(record.eventID));
    expect(target.catalogWrites).toEqual([]);
  });

  it('counts and reports lines that are not OpenTrail records, and restores the others', async () => {
    // Prepare: good records around every kind of bad line; the last line has no newline.
    const [first, second] = (await ingested([sampleEvent(), sampleEvent({ eventName: 'GetOrder' })])).map(
      (event) => event.recordJson,
    );
    const foreignId = JSON.stringify({ ...JSON.parse(first as string), eventID: 'not-an-event-id' });
    const noEventId = JSON.stringify({ ...JSON.parse(first as string), eventID: undefined });
    const body = Buffer.concat([
      Buffer.from(`${first}\n{"truncated":\n\n   \n${noEventId}\n${foreignId}\n[1,2]\n`),
      Buffer.from([0xc3, 0x28, 0x0a]),
      Buffer.from(`"${'x'.repeat(300 * 1024)}"\n${second}`),
    ]);
    const archive = new MemoryArchive().put('events/2026/11/23/22/bad.gz', gzipSync(body));
    const target = new MemoryEventStore();

    // Act
    const summary = await rebuildFromArchive(archive, target, REBUILD);

    // Assess
    expect(summary).toMatchObject({ eventsRestored: 2, linesInvalid: 6, objectsRead: 1, objectsFailed: 0 });
    expect([...target.records.keys()].sort()).toEqual(
      [JSON.parse(first as string).eventID, JSON.parse(second as string).eventID].sort(),
    );
    expect(summary.problems.map(({ line, reason }) => [line, reason.split(' (')[0]])).toEqual([
      [2, 'not JSON'],
      [5, 'not an OpenTrail record'],
      [6, 'not an OpenTrail record'],
      [7, 'not an OpenTrail record'],
      [8, 'not UTF-8'],
      [9, `longer than ${256 * 1024} bytes`],
    ]);
    expect(summary.problems[2]?.eventID).toBe('not-an-event-id');
  });

  it('leaves out events already past the retention, which TTL would delete at once', async () => {
    // Prepare: one event 100 days old at the rebuild, one a day old.
    const [old, recent] = await ingested([
      sampleEvent({ eventTime: new Date(NOW_MS - 3_600_000).toISOString() }),
      sampleEvent({ eventTime: new Date(NOW_MS - 60_000).toISOString() }),
    ]);
    const oldTime = Date.parse(JSON.parse(old?.recordJson as string).eventTime);
    const archive = new MemoryArchive().putLines('events/2026/11/23/23/a.gz', [
      old?.recordJson as string,
      recent?.recordJson as string,
    ]);
    const target = new MemoryEventStore();

    // Act: the rebuild runs when the older event has just expired (90 days after its eventTime).
    const summary = await rebuildFromArchive(archive, target, {
      ...REBUILD,
      nowMs: oldTime + 90 * 86_400_000,
    });

    // Assess
    expect(summary).toMatchObject({ eventsRestored: 1, eventsExpired: 1, linesInvalid: 0 });
    expect([...target.records.keys()]).toEqual([recent?.eventID]);
  });

  it('is idempotent: a second rebuild stores nothing new and reports every event restored', async () => {
    // Prepare
    const stored = await ingested(variedEvents(60, NOW_MS));
    const archive = new MemoryArchive().putLines(
      'events/2026/11/23/23/a.gz',
      stored.map((event) => event.recordJson),
    );
    const target = new MemoryEventStore();
    await rebuildFromArchive(archive, target, REBUILD);
    const items = target.itemCount();
    const writes = target.storedEvents.length;

    // Act
    const again = await rebuildFromArchive(archive, target, REBUILD);

    // Assess
    expect(again).toMatchObject({ eventsRestored: 60, eventsFailed: 0 });
    expect(target.itemCount()).toBe(items);
    expect(target.storedEvents).toHaveLength(writes);
  });

  it('restores a batch of at most batchEvents events, or batchBytes of records, per call, per object', async () => {
    // Prepare: 10 events in one object, 3 in another; a repeat of an eventID within a batch.
    const stored = await ingested(variedEvents(13, NOW_MS));
    const lines = stored.map((event) => event.recordJson);
    const archive = new MemoryArchive()
      .putLines('events/2026/11/23/22/a.gz', [...lines.slice(0, 10), lines[9] as string])
      .putLines('events/2026/11/23/23/b.gz', lines.slice(10));
    const byCount = new CountingStore();
    const byBytes = new CountingStore();
    const recordBytes = Math.max(...lines.map((line) => Buffer.byteLength(line)));

    // Act
    const counted = await rebuildFromArchive(archive, byCount, {
      ...REBUILD,
      batchEvents: 4,
      concurrency: 1,
    });
    await rebuildFromArchive(archive, byBytes, { ...REBUILD, batchBytes: recordBytes * 2, concurrency: 1 });

    // Assess
    expect(byCount.restoreCalls).toEqual([4, 4, 2, 3]);
    expect(counted).toMatchObject({ eventsRestored: 13, eventsDuplicate: 1 });
    expect(Math.max(...byBytes.restoreCalls)).toBeLessThanOrEqual(2);
    expect(byBytes.restoreCalls.reduce((sum, size) => sum + size, 0)).toBe(13);
  });

  it('reads at most `concurrency` objects at once', async () => {
    // Prepare
    const stored = await ingested(variedEvents(24, NOW_MS));
    const archive = new MemoryArchive();
    stored.forEach((event, i) => {
      archive.putLines(`events/2026/11/23/23/${String(i).padStart(2, '0')}.gz`, [event.recordJson]);
    });

    // Act
    const summary = await rebuildFromArchive(archive, new MemoryEventStore(), { ...REBUILD, concurrency: 3 });

    // Assess
    expect(summary).toMatchObject({ objectsRead: 24, eventsRestored: 24 });
    expect(archive.maxInFlight).toBe(3);
  });

  it('reads only the delivery hours from --from to --to, both included', async () => {
    // Prepare: one event per hour from 20:00 to 23:00.
    const stored = await ingested(variedEvents(4, NOW_MS));
    const archive = new MemoryArchive();
    stored.forEach((event, i) => {
      archive.putLines(`events/2026/11/23/${20 + i}/stream.gz`, [event.recordJson]);
    });
    const target = new MemoryEventStore();

    // Act
    const summary = await rebuildFromArchive(archive, target, {
      ...REBUILD,
      fromHour: '2026-11-23T21',
      toHour: '2026-11-23T22',
    });

    // Assess
    expect(summary).toMatchObject({ objectsListed: 2, eventsRestored: 2 });
    expect([...target.records.keys()].sort()).toEqual([stored[1]?.eventID, stored[2]?.eventID].sort());
  });

  it('refuses an hour that is not YYYY-MM-DDTHH on the calendar, and a window that ends before it starts', async () => {
    // Assess
    expect(archiveHourPrefix('2026-12-02T04')).toBe('events/2026/12/02/04/');
    for (const hour of ['2026-12-02', '2026-12-02T24', '2026-02-30T01', '2026-12-02T04:00']) {
      expect(() => archiveHourPrefix(hour), hour).toThrow(RebuildOptionsError);
    }
    await expect(
      rebuildFromArchive(new MemoryArchive(), new MemoryEventStore(), {
        ...REBUILD,
        fromHour: '2026-11-23T22',
        toHour: '2026-11-23T21',
      }),
    ).rejects.toThrow('--from 2026-11-23T22 is after --to 2026-11-23T21');
  });

  it('reports an object it cannot read to its end, keeps what came before, and reads the others', async () => {
    // Prepare: a truncated gzip object whose first lines are whole, a non-gzip object, a good object.
    const stored = await ingested(variedEvents(30, NOW_MS));
    const lines = stored.map((event) => event.recordJson);
    const whole = gzipSync(
      lines
        .slice(0, 20)
        .map((line) => `${line}\n`)
        .join(''),
    );
    const archive = new MemoryArchive()
      .put('events/2026/11/23/22/a-truncated.gz', whole.subarray(0, whole.length - 20))
      .put('events/2026/11/23/22/b-plain.gz', Buffer.from(`${lines[20]}\n`))
      .putLines('events/2026/11/23/23/c.gz', lines.slice(21));
    const target = new MemoryEventStore();

    // Act
    const summary = await rebuildFromArchive(archive, target, REBUILD);

    // Assess
    expect(summary).toMatchObject({ objectsListed: 3, objectsRead: 1, objectsFailed: 2 });
    expect(summary.problems.map((problem) => problem.key).sort()).toEqual([
      'events/2026/11/23/22/a-truncated.gz',
      'events/2026/11/23/22/b-plain.gz',
    ]);
    expect(summary.eventsRestored).toBeGreaterThanOrEqual(9);
    expect(target.records.has(stored[29]?.eventID as string)).toBe(true);
    expect(target.records.has(stored[0]?.eventID as string)).toBe(true);
    expect(target.records.has(stored[20]?.eventID as string)).toBe(false);
  });

  it('counts the events the store did not take as failed, with their eventIDs', async () => {
    // Prepare
    const stored = await ingested(variedEvents(5, NOW_MS));
    const archive = new MemoryArchive().putLines(
      'events/2026/11/23/23/a.gz',
      stored.map((event) => event.recordJson),
    );
    const target = new MemoryEventStore();
    target.failNextWrite.add(stored[2]?.eventID as string);

    // Act
    const summary = await rebuildFromArchive(archive, target, REBUILD);

    // Assess
    expect(summary).toMatchObject({ eventsRestored: 4, eventsFailed: 1 });
    expect(summary.problems).toEqual([
      { key: 'events/2026/11/23/23/a.gz', eventID: stored[2]?.eventID, reason: 'not restored: Throttling' },
    ]);
  });

  it('fails the whole rebuild when the store throws (no such table, access denied)', async () => {
    // Prepare
    const stored = await ingested(variedEvents(2, NOW_MS));
    const archive = new MemoryArchive()
      .putLines('events/2026/11/23/22/a.gz', [stored[0]?.recordJson as string])
      .putLines('events/2026/11/23/23/b.gz', [stored[1]?.recordJson as string]);
    const target = new MemoryEventStore();
    target.restoreEvents = async () => {
      throw new Error('Requested resource not found');
    };

    // Act / Assess
    await expect(rebuildFromArchive(archive, target, { ...REBUILD, concurrency: 1 })).rejects.toThrow(
      'Requested resource not found',
    );
  });
});
