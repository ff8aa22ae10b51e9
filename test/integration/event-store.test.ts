import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import { createEventsTable } from '../../lambda/adapters/table-admin.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { LOOKUP_KEYS, type LookupQuery, lookupEvents } from '../../lambda/core/lookup.js';
import type { StoredEvent } from '../../lambda/core/ports.js';
import { storedPageRecords } from '../../lambda/core/record-codec.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';
import { expectedMatches, lookupValues, variedEvents } from '../fixtures/traffic.js';

const SHARDS = 4;
const NOW_MS = Date.now();
const OPTIONS: IngestOptions = { ...ENRICHMENT, receivedAtMs: NOW_MS, writeShards: SHARDS };
const WINDOW = { startMs: NOW_MS - 2 * 3_600_000, endMs: NOW_MS };

/** The DynamoDB operations the store sends while `recording` runs, so a test can prove lookups never Scan. */
let operations: string[] | undefined;
const client = new DynamoDBClient({});
client.middlewareStack.add(
  (next, context) => async (args) => {
    operations?.push(String(context.commandName));
    return next(args);
  },
  { step: 'initialize', name: 'recordOperations' },
);

const KEYED_READS = ['QueryCommand', 'GetItemCommand', 'BatchGetItemCommand'];

async function recording(act: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  operations = seen;
  try {
    await act();
  } finally {
    operations = undefined;
  }
  return seen;
}

const fastRetries = { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20 };
let store: DynamoDbEventStore;
let records: Record<string, unknown>[] = [];

async function allPages(query: Omit<LookupQuery, 'afterEventID'>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let afterEventID: string | undefined;
  for (let pages = 1; pages <= 200; pages++) {
    const page = await lookupEvents({ ...query, ...(afterEventID ? { afterEventID } : {}) }, store, {
      writeShards: SHARDS,
    });
    ids.push(...page.records.map((record) => (JSON.parse(record) as { eventID: string }).eventID));
    if (page.lastEventID === undefined) return { ids, pages };
    afterEventID = page.lastEventID;
  }
  throw new Error('pagination did not end');
}

beforeAll(async () => {
  await createEventsTable(client, 'events');
  store = new DynamoDbEventStore(client, 'events', { backoff: fastRetries });
  const inputs = variedEvents(300, NOW_MS);
  const results = await Promise.all(
    [0, 100, 200].map((start) => putEvents(inputs.slice(start, start + 100), store, OPTIONS)),
  );
  expect(results.flatMap((result) => result.failed)).toEqual([]);
  const eventIDs = results.flatMap((result) => result.successful.map((success) => success.eventID));
  const stored = await store.readRecords(eventIDs);
  expect(stored.size).toBe(300);
  records = [...stored.values()].map((json) => JSON.parse(json) as Record<string, unknown>);
});

describe('lookups against DynamoDB (moto)', () => {
  // Combinations and paging by small pages are the core's business: test/unit/lookup.test.ts walks them on the
  // in-memory table. Here each key's access path (table partition, index, resource items) meets real DynamoDB.
  it('returns exactly the oracle’s matches, newest first, for a value of every lookup key', async () => {
    const values = lookupValues(records);
    for (const key of LOOKUP_KEYS) {
      const attributes = { [key]: values[key] };
      const { ids } = await allPages({ attributes, ...WINDOW, maxResults: 50 });
      expect(ids, JSON.stringify(attributes)).toEqual(expectedMatches(records, attributes));
    }
  });

  it('walks at least 5 full pages with no gaps or duplicates', async () => {
    const { ids, pages } = await allPages({ attributes: {}, ...WINDOW, maxResults: 50 });
    expect(pages).toBe(6);
    expect(ids).toEqual(expectedMatches(records, {}));
  });

  it('treats both ends of the time window as inclusive, to the millisecond', async () => {
    const sorted = expectedMatches(records, {});
    const newest = records.find((record) => record.eventID === sorted[10]) as { eventTime: string };
    const oldest = records.find((record) => record.eventID === sorted[20]) as { eventTime: string };
    const window = { startMs: Date.parse(oldest.eventTime), endMs: Date.parse(newest.eventTime) };
    const { ids } = await allPages({ attributes: {}, ...window, maxResults: 4 });
    const expected = records
      .filter((record) => {
        const time = Date.parse(record.eventTime as string);
        return time >= window.startMs && time <= window.endMs;
      })
      .map((record) => record.eventID as string)
      .sort()
      .reverse();
    expect(ids).toEqual(expected);
    expect(ids).toContain(sorted[10]);
    expect(ids).toContain(sorted[20]);
  });

  it('answers every lookup with reads by key (Query, GetItem, BatchGetItem), never Scan', async () => {
    // Act: a lookup of every key and one without attributes, recorded by this test alone.
    const values = lookupValues(records);
    const seen = await recording(async () => {
      for (const attributes of [{}, ...LOOKUP_KEYS.map((key) => ({ [key]: values[key] }))]) {
        await lookupEvents({ attributes, ...WINDOW, maxResults: 50 }, store, { writeShards: SHARDS });
      }
    });
    // Assess
    expect(seen).toContain('QueryCommand');
    expect(seen.filter((operation) => !KEYED_READS.includes(operation))).toEqual([]);
  });
});

describe('writes against DynamoDB (moto)', () => {
  it('stores a re-put id once and answers it with the original eventID', async () => {
    const event = sampleEvent({ id: 'exactly-once', eventTime: new Date(NOW_MS - 1000).toISOString() });
    const first = await putEvents([event], store, OPTIONS);
    const second = await putEvents([event], store, { ...OPTIONS, receivedAtMs: NOW_MS + 5 });
    const eventID = first.successful[0]?.eventID;
    expect(second.successful).toEqual([{ index: 0, id: 'exactly-once', eventID }]);
    const { ids } = await allPages({
      attributes: { ResourceName: 'arn:example:orders:::order/o-1' },
      ...WINDOW,
      maxResults: 50,
    });
    expect(ids.filter((id) => id === eventID)).toHaveLength(1);
  });
});

describe('the stored record format against DynamoDB (moto)', () => {
  /** Runs events through the domain and keeps what it hands the store. */
  async function prepared(count: number, eventName: string): Promise<StoredEvent[]> {
    const captured: StoredEvent[] = [];
    // The real store, with writeEvents wrapped to keep the StoredEvents (the prototype serves the rest).
    const capture = Object.create(store) as DynamoDbEventStore;
    capture.writeEvents = async (events) => {
      captured.push(...events);
      return store.writeEvents(events);
    };
    const inputs = Array.from({ length: count }, (_, i) =>
      sampleEvent({
        eventName,
        userAgent: `agent ✓ ${i} 🚀`,
        eventTime: new Date(NOW_MS - 10 - i).toISOString(),
      }),
    );
    const result = await putEvents(inputs, capture, OPTIONS);
    expect(result.failed).toEqual([]);
    return captured;
  }

  it('stores the record as B, and GetItem, BatchGetItem and lookups return it byte for byte', async () => {
    // Prepare
    const [event] = await prepared(1, 'EncodedRecord');
    const eventID = event?.eventID ?? '';

    // Act
    const raw = await client.send(
      new GetItemCommand({
        TableName: 'events',
        Key: { pk: { S: event?.keys.key.pk ?? '' }, sk: { S: event?.keys.key.sk ?? '' } },
      }),
    );
    const single = await store.readRecord(eventID);
    const batch = await store.readRecords([eventID]);
    const page = await lookupEvents(
      { attributes: { EventName: 'EncodedRecord' }, ...WINDOW, maxResults: 50 },
      store,
      {
        writeShards: SHARDS,
      },
    );

    // Assess
    expect(raw.Item?.record?.S).toBeUndefined();
    expect(raw.Item?.record?.B).toBeInstanceOf(Uint8Array);
    expect(storedPageRecords(raw.Item?.record)).toEqual([event?.recordJson]);
    expect(raw.Item?.ids?.S).toBe(eventID.slice(0, 10) + eventID.slice(25));
    expect(single).toBe(event?.recordJson);
    expect(batch.get(eventID)).toBe(event?.recordJson);
    expect(page.records).toEqual([event?.recordJson]);
  });

  it("renders the B record in the stream's NewImage as bytes that decode to the stored JSON", async () => {
    // Prepare
    const [event] = await prepared(1, 'StreamedRecord');
    const streams = new DynamoDBStreamsClient({});
    const table = await client.send(new DescribeTableCommand({ TableName: 'events' }));
    const streamArn = table.Table?.LatestStreamArn ?? '';
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription
      ?.Shards;

    // Act: read every shard from the start (bounded), keeping the INSERT of this event item.
    let newImage: Record<string, unknown> | undefined;
    for (const shard of shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      for (let page = 0; iterator && page < 50 && !newImage; page++) {
        const output = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        const found = output.Records?.find(
          (record) => record.eventName === 'INSERT' && record.dynamodb?.Keys?.sk?.S === event?.keys.key.sk,
        );
        newImage = found?.dynamodb?.NewImage;
        if ((output.Records ?? []).length === 0) break;
        iterator = output.NextShardIterator;
      }
    }
    streams.destroy();

    // Assess
    const record = (newImage as { record?: { B?: Uint8Array; S?: string } } | undefined)?.record;
    expect(record?.B).toBeInstanceOf(Uint8Array);
    expect(storedPageRecords(record)).toEqual([event?.recordJson]);
  });
});
