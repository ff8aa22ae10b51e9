import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, mapWithConcurrency } from '../core/backoff.js';
import {
  type CounterKey,
  type CounterTotals,
  type CounterUpdate,
  type CounterWriter,
  mergeCounterUpdate,
} from '../core/insights/counters.js';
import { catalogCounterKey, INSIGHT_KEYS_CATALOG_PK } from '../core/insights/key-catalog.js';
import type { InsightStorePort, MinuteCounter, StoredInsightState } from '../core/insights/run.js';
import { TABLE_LAYOUT } from '../core/table-layout.js';
import type { DynamoDbEventStore } from './dynamodb-event-store.js';
import { logger as functionLogger, type Logger } from './logger.js';

/**
 * Insight counters and state in the events table (docs/insights.md), next to the events under prefixes of
 * their own: M#<keyId> per-minute counters, H#<keyId> hourly totals, S#<keyId> detector state, and the key
 * catalog C#INSIGHTKEYS. None of these items has a `record`, so no stream consumer ever forwards them.
 */
const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_LAYOUT;
const PARALLEL_UPDATES = 8;
const MAX_QUERY_PAGES = 200;

export const minuteSk = (minute: number): string => String(minute).padStart(10, '0');
export const counterPk = (keyId: string): string => `M#${keyId}`;
const hourPk = (keyId: string): string => `H#${keyId}`;
const statePk = (keyId: string): string => `S#${keyId}`;
const STATE_SK = 'STATE';

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

type Item = Record<string, AttributeValue>;

/**
 * One minute's counter item: n, the top contributors as attributes named `<letter>|<value>` (what readMinutes
 * reads), `o` the others' counts per letter, `b` the recent update ids, `v` the version its writer read.
 */
export function counterItem(
  keyId: string,
  minute: number,
  totals: CounterTotals,
  version: number,
  expiresAt: number,
): Item {
  return {
    [PK]: s(counterPk(keyId)),
    [SK]: s(minuteSk(minute)),
    n: n(totals.count),
    b: { L: totals.updateIds.map(s) },
    o: { M: Object.fromEntries(Object.entries(totals.others).map(([letter, count]) => [letter, n(count)])) },
    v: n(version),
    [TTL]: n(expiresAt),
    ...Object.fromEntries(Object.entries(totals.contributors).map(([name, count]) => [name, n(count)])),
  };
}

/** The totals and version of a stored counter item. */
export function counterTotalsOf(item: Item): { totals: CounterTotals; version: number } {
  const contributors: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.includes('|') && value.N !== undefined) contributors[name] = Number(value.N);
  }
  const others = Object.fromEntries(
    Object.entries(item.o?.M ?? {}).map(([letter, value]) => [letter, Number(value.N ?? 0)]),
  );
  return {
    totals: {
      count: Number(item.n?.N ?? 0),
      contributors,
      others,
      updateIds: (item.b?.L ?? []).flatMap((id) => (id.S === undefined ? [] : [id.S])),
    },
    version: Number(item.v?.N ?? 0),
  };
}

export class DynamoDbInsightStore implements CounterWriter, InsightStorePort {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Catalog writes go through the event store, which caches what this container wrote recently. */
    private readonly catalog: Pick<DynamoDbEventStore, 'writeCatalog' | 'readCatalog'>,
    private readonly logger: Logger = functionLogger,
    private readonly backoff: BackoffPolicy = DEFAULT_BACKOFF,
  ) {}

  async registerKeys(
    keys: ReadonlyArray<{ keyId: string; key: CounterKey }>,
    expiresAt: number,
  ): Promise<boolean> {
    const results = await this.catalog.writeCatalog(
      keys.map(({ keyId, key }) => ({
        pk: INSIGHT_KEYS_CATALOG_PK,
        sk: keyId,
        attributes: { key: JSON.stringify(key) },
      })),
      expiresAt,
    );
    return results.every((result) => result.ok);
  }

  /**
   * Merges each update into its item: read it (strongly consistent), merge in the core (caps, update-id window),
   * put it back if nobody wrote it meanwhile (version condition), or read again. Bounded items need the merge;
   * ADD alone would grow an attribute per distinct contributor and an id per batch without end.
   */
  async addCounts(updates: readonly CounterUpdate[], expiresAt: number): Promise<boolean[]> {
    return mapWithConcurrency(updates, PARALLEL_UPDATES, async (update) => {
      try {
        for (let attempt = 1; attempt <= this.backoff.maxAttempts; attempt++) {
          if (await this.mergeOnce(update, expiresAt)) return true;
          await backoffDelay(this.backoff, attempt);
        }
        this.logger.warn('insight counter update lost every race', { keyId: update.keyId });
        return false;
      } catch (error) {
        this.logger.warn('insight counter update failed', { error: (error as Error).message });
        return false;
      }
    });
  }

  /** One read-merge-write; false when another writer changed the item in between. */
  private async mergeOnce(update: CounterUpdate, expiresAt: number): Promise<boolean> {
    const key = { [PK]: s(counterPk(update.keyId)), [SK]: s(minuteSk(update.minute)) };
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    const stored = output.Item === undefined ? undefined : counterTotalsOf(output.Item);
    const merged = mergeCounterUpdate(stored?.totals, update);
    if (merged === undefined) return true;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: counterItem(update.keyId, update.minute, merged, (stored?.version ?? 0) + 1, expiresAt),
          ...(stored === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
            : {
                ConditionExpression: '#v = :v',
                ExpressionAttributeNames: { '#v': 'v' },
                ExpressionAttributeValues: { ':v': n(stored.version) },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listKeys(): Promise<Array<{ keyId: string; key: CounterKey }>> {
    const entries = await this.catalog.readCatalog(INSIGHT_KEYS_CATALOG_PK);
    return entries.flatMap((entry) => {
      const key = catalogCounterKey(entry);
      return key === undefined ? [] : [{ keyId: entry.sk, key }];
    });
  }

  async firstMinute(keyId: string): Promise<number | undefined> {
    const output = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': s(counterPk(keyId)) },
        ProjectionExpression: '#sk',
        Limit: 1,
      }),
    );
    const sk = output.Items?.[0]?.[SK]?.S;
    return sk === undefined ? undefined : Number(sk);
  }

  async readMinutes(
    keyId: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<Map<number, MinuteCounter>> {
    const minutes = new Map<number, MinuteCounter>();
    for (const item of await this.queryRange(counterPk(keyId), fromMinute, toMinute)) {
      const { totals } = counterTotalsOf(item);
      minutes.set(Number(item[SK]?.S), { count: totals.count, contributors: totals.contributors });
    }
    return minutes;
  }

  async readHours(keyId: string, fromHourMinute: number, toHourMinute: number): Promise<Map<number, number>> {
    const hours = new Map<number, number>();
    for (const item of await this.queryRange(hourPk(keyId), fromHourMinute, toHourMinute)) {
      hours.set(Number(item[SK]?.S), Number(item.n?.N ?? 0));
    }
    return hours;
  }

  async writeHours(keyId: string, totals: ReadonlyMap<number, number>, expiresAt: number): Promise<void> {
    const requests = [...totals].map(([hour, total]) => ({
      PutRequest: {
        Item: { [PK]: s(hourPk(keyId)), [SK]: s(minuteSk(hour)), n: n(total), [TTL]: n(expiresAt) },
      },
    }));
    for (let i = 0; i < requests.length; i += 25) {
      // Rollups are a cache of counters: one that fails to save is summed again on the next run.
      await this.client.send(
        new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests.slice(i, i + 25) } }),
      );
    }
  }

  async readState(keyId: string): Promise<{ state: StoredInsightState; version: number } | undefined> {
    const output = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [PK]: s(statePk(keyId)), [SK]: s(STATE_SK) },
        ConsistentRead: true,
      }),
    );
    const item = output.Item;
    if (!item?.state?.S) return undefined;
    return { state: JSON.parse(item.state.S) as StoredInsightState, version: Number(item.version?.N ?? 0) };
  }

  async writeState(
    keyId: string,
    state: StoredInsightState,
    expectedVersion: number | undefined,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [PK]: s(statePk(keyId)),
            [SK]: s(STATE_SK),
            state: s(JSON.stringify(state)),
            version: n((expectedVersion ?? 0) + 1),
          },
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': n(expectedVersion) },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async queryRange(
    pk: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<Array<Record<string, AttributeValue>>> {
    const items: Array<Record<string, AttributeValue>> = [];
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES; page++) {
      const output = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': s(pk),
            ':from': s(minuteSk(fromMinute)),
            ':to': s(minuteSk(toMinute)),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
      if (!startKey) break;
    }
    return items;
  }
}
