import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbEventStore, eventItem, writeItems } from '../../lambda/adapters/dynamodb-event-store.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import type { StoredEvent } from '../../lambda/core/ports.js';
import { decodeRecord, encodeRecord } from '../../lambda/core/record-codec.js';
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

describe('DynamoDbEventStore.writeEvents', () => {
  it('writes 25 items per BatchWriteItem and retries only the unprocessed ones', async () => {
    // Prepare: 20 events of one minute, each with a resource of its own: 20 event items, 20 ResourceName posting
    // lists and one shared list each for the readOnly feed, EventName, Username and AccessKeyId, 44 items; the first
    // call leaves one event item unprocessed.
    const events = await storedEvents(20);
    expect(writeItems(events)).toHaveLength(44);
    const leftOver = [{ PutRequest: { Item: eventItem(events[0] as StoredEvent) } }];
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
    expect(sizes.slice(0, 2).sort()).toEqual([19, 25]);
    expect(calls).toHaveLength(3);
    expect(calls.at(-1)?.args[0].input.RequestItems?.trail).toEqual(leftOver);
  });

  it('reports the owners of items still unprocessed after every retry as failed, the rest as stored', async () => {
    const events = await storedEvents(3);
    const stuck = [{ PutRequest: { Item: eventItem(events[1] as StoredEvent) } }];
    dynamo.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { trail: stuck } });
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    const results = await store.writeEvents(events);
    expect(results).toEqual([{ ok: true }, { ok: false, errorCode: 'Throttling' }, { ok: true }]);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(noWait.maxAttempts);
  });

  it('reports every event a posting list names as failed when the list stays unprocessed', async () => {
    // Prepare: the three events share one EventName list.
    const events = await storedEvents(3);
    const nameList = writeItems(events).find(({ item }) => item.pk?.S?.startsWith('N#'));
    expect([...(nameList?.owners ?? [])].sort()).toEqual([0, 1, 2]);
    dynamo
      .on(BatchWriteItemCommand)
      .resolves({ UnprocessedItems: { trail: [{ PutRequest: { Item: nameList?.item } }] } });
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });

    // Act
    const results = await store.writeEvents(events);

    // Assess
    expect(results).toEqual(events.map(() => ({ ok: false, errorCode: 'Throttling' })));
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
});

describe('DynamoDbEventStore.claimProducerId', () => {
  it('claims with a conditional put and returns the holder when the condition fails', async () => {
    dynamo.on(PutItemCommand).rejectsOnce(
      new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
        Item: { pk: { S: 'ID#a' }, sk: { S: 'ID' }, eventID: { S: 'HELD' } },
      }),
    );
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    expect(await store.claimProducerId('a', 'NEW', 1, 'HASH')).toEqual({ claimed: false, eventID: 'HELD' });
    expect(dynamo.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#pk)',
      Item: { pk: { S: 'ID#a' }, eventID: { S: 'NEW' } },
    });
  });
});

describe('DynamoDbEventStore record format', () => {
  it('writes the event item with its record encoded as B, the resource items without a record', async () => {
    // Prepare
    const [event] = await storedEvents(1);
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    dynamo.on(BatchWriteItemCommand).resolves({});

    // Act
    await store.writeEvents([event as StoredEvent]);

    // Assess
    const written = dynamo.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems?.trail ?? [];
    const [eventItem, ...resourceItems] = written.map((request) => request.PutRequest?.Item ?? {});
    expect(eventItem).toMatchObject({
      pk: { S: event?.keys.key.pk },
      sk: { S: event?.eventID },
      expiresAt: { N: String(event?.expiresAt) },
      record: { B: expect.any(Uint8Array) },
    });
    expect(eventItem?.record?.S).toBeUndefined();
    expect(decodeRecord(eventItem?.record?.B as Uint8Array)).toBe(event?.recordJson);
    expect(resourceItems.length).toBeGreaterThan(0);
    expect(resourceItems.every((item) => item.record === undefined)).toBe(true);
  });

  it('reads records stored as B, decoded byte for byte, alone and in a batch', async () => {
    // Prepare
    const [first, second] = await storedEvents(2);
    const itemOf = (event: StoredEvent | undefined, record: AttributeValue) => ({
      pk: { S: event?.keys.key.pk ?? '' },
      sk: { S: event?.eventID ?? '' },
      record,
    });
    const items = [first, second].map((event) => itemOf(event, { B: encodeRecord(event?.recordJson ?? '') }));
    dynamo.on(GetItemCommand).resolvesOnce({ Item: items[0] }).resolvesOnce({ Item: items[1] });
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { trail: items } });
    const store = new DynamoDbEventStore(new DynamoDBClient({}), 'trail', { backoff: noWait });
    const ids = [first?.eventID ?? '', second?.eventID ?? ''];

    // Act
    const single = [await store.readRecord(ids[0] ?? ''), await store.readRecord(ids[1] ?? '')];
    const batch = await store.readRecords(ids);

    // Assess
    expect(single).toEqual([first?.recordJson, second?.recordJson]);
    expect(batch).toEqual(
      new Map([
        [ids[0], first?.recordJson],
        [ids[1], second?.recordJson],
      ]),
    );
    expect(dynamo.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.trail).toMatchObject({
      ProjectionExpression: '#sk, #record',
    });
  });
});
