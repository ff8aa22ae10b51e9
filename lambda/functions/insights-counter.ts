import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../adapters/dynamodb-insight-store.js';
import { type StreamHandler, streamHandler } from '../adapters/stream.js';
import { countBatch } from '../core/insights/count-batch.js';
import { clientSettingsFor, type FunctionConfig, type FunctionRuntime } from './runtime.js';

/** Stream consumer: new events -> per-minute insight counters in the events table (docs/insights.md). */
export function buildInsightsCounter(
  config: FunctionConfig<'insightsCounter'>,
  runtime: FunctionRuntime,
): StreamHandler {
  const client = new DynamoDBClient(clientSettingsFor(runtime.aws, 'dynamodb'));
  const counters = new DynamoDbInsightStore(
    client,
    config.tableName,
    new DynamoDbEventStore(client, config.tableName),
    runtime.logger,
  );
  const now = runtime.now ?? Date.now;
  return streamHandler(
    'insights-counter',
    (records) => countBatch(records, counters, now(), config.insightsBaselineMinutes),
    runtime.logger,
  );
}
