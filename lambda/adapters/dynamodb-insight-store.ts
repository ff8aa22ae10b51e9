import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mapWithConcurrency } from '../core/backoff.js';
import type { CounterKey, CounterUpdate, CounterWriter } from '../core/insights/counters.js';
import { TABLE_LAYOUT } from '../core/table-layout.js';
import type { DynamoDbEventStore } from './dynamodb-event-store.js';
import { logger } from './logger.js';

/**
 * Insight counters and state in the events table (docs/insights.md), next to the events under prefixes of
 * their own: M#<keyId> per-minute counters, H#<keyId> hourly totals, S#<keyId> detector state, and the key
 * catalog C#INSIGHTKEYS. None of these items has a `record`, so no stream consumer ever forwards them.
 */
export const INSIGHT_KEYS_CATALOG_PK = 'C#INSIGHTKEYS';
const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_LAYOUT;
const PARALLEL_UPDATES = 8;

export const minuteSk = (minute: number): string => String(minute).padStart(10, '0');
export const counterPk = (keyId: string): string => `M#${keyId}`;

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

export class DynamoDbInsightStore implements CounterWriter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Catalog writes go through the event store, which caches what this container wrote recently. */
    private readonly catalog: Pick<DynamoDbEventStore, 'writeCatalog' | 'readCatalog'>,
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

  async addCounts(updates: readonly CounterUpdate[], expiresAt: number): Promise<boolean[]> {
    return mapWithConcurrency(updates, PARALLEL_UPDATES, async (update) => {
      const names: Record<string, string> = { '#n': 'n', '#b': 'b', '#ttl': TTL };
      const values: Record<string, AttributeValue> = {
        ':n': n(update.count),
        ':b': { SS: [update.updateId] },
        ':id': s(update.updateId),
        ':ttl': n(expiresAt),
      };
      const adds = ['#n :n', '#b :b'];
      Object.entries(update.contributors).forEach(([name, count], i) => {
        names[`#c${i}`] = name;
        values[`:c${i}`] = n(count);
        adds.push(`#c${i} :c${i}`);
      });
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [PK]: s(counterPk(update.keyId)), [SK]: s(minuteSk(update.minute)) },
            UpdateExpression: `ADD ${adds.join(', ')} SET #ttl = :ttl`,
            // The same records counted twice (a retried batch) are refused here.
            ConditionExpression: 'attribute_not_exists(#b) OR NOT contains(#b, :id)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return true;
        logger.warn('insight counter update failed', { error: (error as Error).message });
        return false;
      }
    });
  }
}
