import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import type { ProducerEvent } from '../../lambda/core/event-model.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { TABLE_LAYOUT } from '../../lambda/core/table-layout.js';
import type { Item } from '../../test/fixtures/memory-store.js';
import { DYNAMODB_ITEM_STORAGE_OVERHEAD_BYTES } from '../cost-model.js';
import { itemBytes, writeUnits } from './capacity.js';

/**
 * What the store really writes for a stream of put requests: the requests go through the real `putEvents` and the
 * real `DynamoDbEventStore` (one instance, as one warm container), whose DynamoDB client answers every call with
 * success; every item it sends is priced with DynamoDB's rules (capacity.ts). The table has no secondary index
 * (TABLE_LAYOUT), so every write is a table item. Nothing here knows the key design: when the layout changes, the
 * figures follow. A write operation this meter does not price stops the benchmark instead of going uncounted.
 */

const TABLE_NAME = 'write-plan';

/** What a label groups: the item's partition key up to its first '#', e.g. "E" or "ID". */
const kindOf = (item: Item): string => {
  const pk = item[TABLE_LAYOUT.partitionKey]?.S ?? '';
  const cut = pk.indexOf('#');
  return cut < 0 ? pk : pk.slice(0, cut);
};

const keyOf = (item: Item): string =>
  `${item[TABLE_LAYOUT.partitionKey]?.S}\u0000${item[TABLE_LAYOUT.sortKey]?.S}`;

export interface WritePlan {
  readonly requests: number;
  readonly events: number;
  /** Write request units per stored event: table items, index entries, claims and catalog entries alike. */
  readonly wruPerEvent: number;
  /** Billed bytes (100 B overhead each) of the items left in the table per event, the last write of a key winning. */
  readonly tableBytesPerEvent: number;
  /** Index entries stored per event: none, the layout has no index (the cost model prices them where they exist). */
  readonly indexBytesPerEvent: number;
  /** Write calls (BatchWriteItem and PutItem) per request: what the ingest function waits for. */
  readonly batchWriteCallsPerRequest: number;
  readonly putItemCallsPerRequest: number;
  /** WRU per event by item kind (partition key prefix). */
  readonly wruPerEventByKind: Readonly<Record<string, number>>;
}

/** Runs the requests through putEvents and the DynamoDB adapter and prices every item it sends. */
export async function measureWritePlan(
  requests: ReadonlyArray<readonly ProducerEvent[]>,
  options: IngestOptions,
): Promise<WritePlan> {
  const dynamodb = mockClient(DynamoDBClient);
  const written: Item[] = [];
  let batchWriteCalls = 0;
  let putItemCalls = 0;
  try {
    dynamodb
      .on(BatchWriteItemCommand)
      .callsFake((input: { RequestItems?: Record<string, WriteRequest[]> }) => {
        batchWriteCalls += 1;
        for (const request of input.RequestItems?.[TABLE_NAME] ?? []) {
          if (request.PutRequest?.Item === undefined) {
            throw new Error(`the write plan meter prices puts only: ${JSON.stringify(request)}`);
          }
          written.push(request.PutRequest.Item as Record<string, AttributeValue>);
        }
        return { UnprocessedItems: {} };
      });
    dynamodb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      putItemCalls += 1;
      if (input.Item) written.push(input.Item);
      return {};
    });
    const store = new DynamoDbEventStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE_NAME);
    let events = 0;
    for (const request of requests) {
      const result = await putEvents(request, store, options);
      if (result.failed.length > 0) {
        throw new Error(`benchmark events were refused: ${JSON.stringify(result.failed.slice(0, 3))}`);
      }
      events += result.successful.length;
    }
    return priced(written, requests.length, events, batchWriteCalls, putItemCalls);
  } finally {
    dynamodb.restore();
  }
}

function priced(
  written: readonly Item[],
  requests: number,
  events: number,
  batchWriteCalls: number,
  putItemCalls: number,
): WritePlan {
  if (events === 0) throw new Error('no event was stored');
  const wruByKind: Record<string, number> = {};
  const add = (kind: string, wru: number) => {
    wruByKind[kind] = (wruByKind[kind] ?? 0) + wru;
  };
  const kept = new Map<string, Item>();
  for (const item of written) {
    add(kindOf(item), writeUnits(itemBytes(item)));
    kept.set(keyOf(item), item);
  }
  let tableBytes = 0;
  for (const item of kept.values()) tableBytes += itemBytes(item) + DYNAMODB_ITEM_STORAGE_OVERHEAD_BYTES;
  const wru = Object.values(wruByKind).reduce((sum, value) => sum + value, 0);
  return {
    requests,
    events,
    wruPerEvent: wru / events,
    tableBytesPerEvent: tableBytes / events,
    indexBytesPerEvent: 0,
    batchWriteCallsPerRequest: batchWriteCalls / requests,
    putItemCallsPerRequest: putItemCalls / requests,
    wruPerEventByKind: Object.fromEntries(
      Object.entries(wruByKind).map(([kind, value]) => [kind, value / events]),
    ),
  };
}

/** `events` cut into put requests of `size`. */
export function inRequests<T>(events: readonly T[], size: number): T[][] {
  const requests: T[][] = [];
  for (let start = 0; start < events.length; start += size) requests.push(events.slice(start, start + size));
  return requests;
}
