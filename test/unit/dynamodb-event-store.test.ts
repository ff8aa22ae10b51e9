import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DynamoDbEventStore,
  pageItem,
  pageRecords,
  writeItems,
} from '../../lambda/adapters/dynamodb-event-store.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { idempotencyKey, pagesOf } from '../../lambda/core/keys.js';
import type { StoredEvent } from '../../lambda/core/ports.js';
import { decodePage } from '../../lambda/core/record-codec.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

const dynamo = mockClient(DynamoDBClient);
const noWait = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} };
const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: 4 };

/** Real StoredEvents, prepared by the domain, captured from an in-memory store. */
async function storedEvents(count: number): Promise<StoredEvent[]> {
  const captured: StoredEvent[] = [];
  const memory = new MemoryEventStore();
  memory.writeEvents = async (events) => {
    captured.push(...events);
    return events.map(() => ({ ok: true }));
  };
  await putEvents(
    Array.from({ length: count }, (_, i) =>
      sampleEvent({ requestParameters: { i }, resources: [{ ARN: `arn:example:orders:::order/o-${i}` }] }),
    ),
    memory,
    OPTIONS,
  );
  return captured;
}

afterEach(() => dynamo.reset());

/** A posting list's eventIDs (26 characters each). */
const splitIdsOf = (ids: string): string[] => ids.match(/.{26}/g) ?? [];

describe('DynamoDbEventStore.writeEvents', () => {
  it('writes 25 items per BatchWriteItem and retries only the unprocessed ones', async () => {
    // Prepare: 40 events of one minute, each with a resource of its own: their pages, 40 ResourceName posting lists
    // and one shared list each for the readOnly feed, EventName, Username and AccessKeyId; the first call leaves
    // the first page unprocessed.
    const events = await storedEvents(40);
    const pages = pagesOf(events);
    const items = writeItems(events);
    expect(items).toHaveLength(pages.length + 44);
    const leftOver = [{ PutRequest: { Item: items[0]?.item } }];
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { trail: [...leftOver] } })
      .resolves({});
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    // Act
    const results = await store.writeEvents(events);
    // Assess
    expect(results.every((result) => result.ok)).toBe(true);
    const calls = dynamo.commandCalls(BatchWriteItemCommand);
    const sizes = calls.map((call) => call.args[0].input.RequestItems?.trail?.length);
    expect(sizes.slice(0, 2).sort()).toEqual([items.length - 25, 25].sort());
    expect(calls).toHaveLength(3);
    expect(calls.at(-1)?.args[0].input.RequestItems?.trail).toEqual(leftOver);
  });

  it('reports the owners of items still unprocessed after every retry as failed, the rest as stored', async () => {
    // Prepare: the second event's ResourceName list (its own) stays unprocessed.
    const events = await storedEvents(3);
    const ownList = writeItems(events).find(
      ({ item, owners }) => item.pk?.S?.startsWith('RN#') && owners.length === 1 && owners[0] === 1,
    );
    dynamo
      .on(BatchWriteItemCommand)
      .resolves({ UnprocessedItems: { trail: [{ PutRequest: { Item: ownList?.item } }] } });
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    const results = await store.writeEvents(events);
    expect(results).toEqual([{ ok: true }, { ok: false, errorCode: 'Throttling' }, { ok: true }]);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(noWait.maxAttempts);
  });

  it('reports every event a page holds or a posting list names as failed when that item stays unprocessed', async () => {
    // Prepare: the three events share one page and one EventName list.
    const events = await storedEvents(3);
    const items = writeItems(events);
    const page = items.find(({ item }) => item.record !== undefined);
    const nameList = items.find(({ item }) => item.pk?.S?.startsWith('N#'));
    for (const shared of [page, nameList]) expect([...(shared?.owners ?? [])].sort()).toEqual([0, 1, 2]);
    for (const shared of [page, nameList]) {
      dynamo.reset();
      dynamo
        .on(BatchWriteItemCommand)
        .resolves({ UnprocessedItems: { trail: [{ PutRequest: { Item: shared?.item } }] } });
      const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });

      // Act
      const results = await store.writeEvents(events);

      // Assess
      expect(results).toEqual(events.map(() => ({ ok: false, errorCode: 'Throttling' })));
    }
  });

  it('writes only the posting lists of an event its page holds already (relist)', async () => {
    // Prepare
    const [event] = await storedEvents(1);
    dynamo.on(BatchWriteItemCommand).resolves({});
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });

    // Act
    await store.writeEvents([{ ...(event as StoredEvent), relist: true }]);

    // Assess
    const written = dynamo
      .commandCalls(BatchWriteItemCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.trail ?? []);
    expect(written.length).toBe((event as StoredEvent).keys.postings.length);
    expect(written.every((request) => request.PutRequest?.Item?.record === undefined)).toBe(true);
  });

  it('fails every event of a chunk whose calls keep throwing throttling errors', async () => {
    const events = await storedEvents(2);
    dynamo
      .on(BatchWriteItemCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    expect(await store.writeEvents(events)).toEqual([
      { ok: false, errorCode: 'Throttling' },
      { ok: false, errorCode: 'Throttling' },
    ]);
  });

  it('says which failed events may still land: a call that timed out may have been applied, a refused one not', async () => {
    const events = await storedEvents(1);
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    dynamo
      .on(BatchWriteItemCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const timedOut = await store.writeEvents(events);
    dynamo.on(BatchWriteItemCommand).rejects(
      Object.assign(new Error('Throughput exceeds the current capacity'), {
        name: 'ProvisionedThroughputExceededException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const refused = await store.writeEvents(events);
    expect(timedOut).toEqual([{ ok: false, errorCode: 'Throttling', mayLand: true }]);
    expect(refused).toEqual([{ ok: false, errorCode: 'Throttling' }]);
  });

  it('counts a refusal or unprocessed items after the SDK retried on its own as a write that may still land', async () => {
    // The SDK's first attempt may have been applied (a 5xx, a lost connection); only its last answer is known.
    const events = await storedEvents(1);
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    dynamo.on(BatchWriteItemCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400, attempts: 3 },
      }),
    );
    const refusedAfterRetries = await store.writeEvents(events);
    const items = writeItems(events).map(({ item }) => ({ PutRequest: { Item: item } }));
    dynamo
      .on(BatchWriteItemCommand)
      .resolves({ UnprocessedItems: { trail: items }, $metadata: { attempts: 2 } });
    const unprocessedAfterRetries = await store.writeEvents(events);
    expect(refusedAfterRetries).toEqual([{ ok: false, errorCode: 'Throttling', mayLand: true }]);
    expect(unprocessedAfterRetries).toEqual([{ ok: false, errorCode: 'Throttling', mayLand: true }]);
  });
});

describe('DynamoDbEventStore.releaseProducerIds', () => {
  it('deletes the claims of events whose page is absent (read strongly consistently), only while they name the event', async () => {
    // Prepare: two events on two pages; the first page exists (its lists failed), the second does not.
    const events = await storedEvents(40);
    const [stored, unstored] = pagesOf(events).map((page) => page.events[0]) as [StoredEvent, StoredEvent];
    dynamo
      .on(GetItemCommand, { Key: { pk: { S: stored.keys.key.pk }, sk: { S: stored.keys.key.sk } } })
      .resolves({ Item: { pk: { S: stored.keys.key.pk } } })
      .on(GetItemCommand, { Key: { pk: { S: unstored.keys.key.pk }, sk: { S: unstored.keys.key.sk } } })
      .resolves({});
    dynamo
      .on(DeleteItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'moved', $metadata: {} }));
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });

    // Act
    await store.releaseProducerIds([
      { scope: 'scope-stored', eventID: stored.eventID },
      { scope: 'scope-unstored', eventID: unstored.eventID },
      { scope: 'scope-invalid', eventID: 'not-an-event-id' },
    ]);

    // Assess
    expect(dynamo.commandCalls(GetItemCommand).every((call) => call.args[0].input.ConsistentRead)).toBe(true);
    expect(dynamo.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        Key: { pk: { S: idempotencyKey('scope-unstored').pk }, sk: { S: 'ID' } },
        ConditionExpression: '#eventID = :eventID',
        ExpressionAttributeValues: { ':eventID': { S: unstored.eventID } },
      }),
    ]);
  });
});

describe('DynamoDbEventStore.restoreEvents', () => {
  const putItems = () => dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input);
  const listItems = () =>
    dynamo
      .commandCalls(BatchWriteItemCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.trail ?? [])
      .map((request) => request.PutRequest?.Item ?? {});
  const newestFirst = (events: StoredEvent[]) =>
    new Map(
      [...events]
        .sort((a, b) => (a.eventID < b.eventID ? 1 : -1))
        .map((event) => [event.eventID, event.recordJson]),
    );

  it('adds to a page what it misses, read strongly consistently, put only if unchanged, and lists every event', async () => {
    // Prepare: the table holds the page with the first event only.
    const [first, second] = (await storedEvents(2)) as [StoredEvent, StoredEvent];
    const held = pageItem(first.keys.key, [first], first.expiresAt);
    dynamo.on(GetItemCommand).resolves({ Item: held });
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(BatchWriteItemCommand).resolves({});
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });

    // Act
    const results = await store.restoreEvents([first, second]);

    // Assess
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
    const [put] = putItems();
    expect(put).toMatchObject({
      ConditionExpression: '#ids = :ids',
      ExpressionAttributeValues: { ':ids': held.ids },
    });
    expect(put?.Item?.writtenBy).toEqual({ S: 'restore' });
    expect(pageRecords(put?.Item ?? {})).toEqual(newestFirst([first, second]));
    const listed = listItems().flatMap((item) => splitIdsOf(item.ids?.S ?? ''));
    expect(new Set(listed)).toEqual(new Set([first.eventID, second.eventID]));
  });

  it('reads the page again and merges when another restore put it first, so neither loses an event', async () => {
    // Prepare: no page at first read; a concurrent restore then puts it with the second event.
    const [first, second] = (await storedEvents(2)) as [StoredEvent, StoredEvent];
    dynamo
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolves({ Item: pageItem(second.keys.key, [second], second.expiresAt, 'restore') });
    dynamo
      .on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }))
      .resolves({});
    dynamo.on(BatchWriteItemCommand).resolves({});
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });

    // Act
    const results = await store.restoreEvents([first]);

    // Assess
    expect(results).toEqual([{ ok: true }]);
    const [lost, kept] = putItems();
    expect(lost?.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(pageRecords(kept?.Item ?? {})).toEqual(newestFirst([first, second]));
  });

  it('writes no page when every page holds its events already, only their posting lists again', async () => {
    // Prepare: a run that stored the page but not every list is healed by the next.
    const [event] = (await storedEvents(1)) as [StoredEvent];
    dynamo.on(GetItemCommand).resolves({ Item: pageItem(event.keys.key, [event], event.expiresAt) });
    dynamo.on(BatchWriteItemCommand).resolves({});
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });

    // Act
    const results = await store.restoreEvents([event]);

    // Assess
    expect(results).toEqual([{ ok: true }]);
    expect(putItems()).toHaveLength(0);
    expect(listItems()).toHaveLength(event.keys.postings.length);
  });
});

describe('DynamoDbEventStore record format', () => {
  it("writes a request's events into one page, records encoded together as B, lists without records", async () => {
    // Prepare
    const events = await storedEvents(3);
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    dynamo.on(BatchWriteItemCommand).resolves({});

    // Act
    await store.writeEvents(events);

    // Assess
    const written = dynamo.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems?.trail ?? [];
    const [page, ...lists] = written.map((request) => request.PutRequest?.Item ?? {});
    const newestFirst = [...events].sort((a, b) => (a.eventID < b.eventID ? 1 : -1));
    expect(page).toMatchObject({
      pk: { S: events[0]?.keys.key.pk },
      sk: { S: events[0]?.keys.key.sk },
      // Slot ids (eventTime and slot): the hash, shard and page token are the page key's.
      ids: { S: newestFirst.map((event) => event.eventID.slice(0, 10) + event.eventID.slice(25)).join('') },
      expiresAt: { N: String(Math.max(...events.map((event) => event.expiresAt))) },
      record: { B: expect.any(Uint8Array) },
      writtenBy: { S: 'put' },
    });
    expect(events.every((event) => event.keys.key.sk === page?.sk?.S)).toBe(true);
    expect(decodePage(page?.record?.B as Uint8Array)).toEqual(newestFirst.map((event) => event.recordJson));
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((item) => item.record === undefined)).toBe(true);
  });

  it('reads records from their page, decoded byte for byte, alone and in a batch reading the page once', async () => {
    // Prepare
    const [first, second] = (await storedEvents(2)) as [StoredEvent, StoredEvent];
    const page = pageItem(first.keys.key, [second, first], first.expiresAt);
    dynamo.on(GetItemCommand).resolves({ Item: page });
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { trail: [page] } });
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    const ids = [first.eventID, second.eventID];

    // Act
    const single = [await store.readRecord(first.eventID), await store.readRecord(second.eventID)];
    const batch = await store.readRecords(ids);

    // Assess
    expect(single).toEqual([first.recordJson, second.recordJson]);
    expect(batch).toEqual(
      new Map([
        [second.eventID, second.recordJson],
        [first.eventID, first.recordJson],
      ]),
    );
    const request = dynamo.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.trail;
    expect(request?.Keys).toHaveLength(1);
    expect(request).toMatchObject({ ProjectionExpression: '#pk, #sk, #ids, #record, #ttl' });
  });

  it('refuses a page whose ids and records disagree instead of pairing them wrongly', () => {
    const page = pageItem(
      { pk: 'E#AAAA#0', sk: 'X#TOKEN' },
      [{ eventID: 'A'.repeat(26), recordJson: '{}' }],
      1,
    );
    page.ids = { S: 'A'.repeat(11) + 'B'.repeat(11) };
    expect(() => pageRecords(page)).toThrow(/lists 2 events but holds 1 records/);
  });
});
