import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConfig } from '../adapters/config.js';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../adapters/dynamodb-insight-store.js';
import { insightsConfig } from '../adapters/insights-config.js';
import { streamHandler } from '../adapters/stream.js';
import { countBatch } from '../core/insights/count-batch.js';

// Stream consumer: new events -> per-minute insight counters in the events table (docs/insights.md).
const config = readConfig();
const { baselineMinutes } = insightsConfig();
const client = new DynamoDBClient({ region: config.region });
const counters = new DynamoDbInsightStore(
  client,
  config.tableName,
  new DynamoDbEventStore(client, config.tableName),
);
export const handler = streamHandler('insights-counter', (records) =>
  countBatch(records, counters, Date.now(), baselineMinutes),
);
