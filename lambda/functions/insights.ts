import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../adapters/dynamodb-insight-store.js';
import { EventBridgeInsightPublisher } from '../adapters/eventbridge-publisher.js';
import { type InsightsRunSummary, runInsights } from '../core/insights/run.js';
import { clientSettingsFor, type FunctionConfig, type FunctionRuntime } from './runtime.js';

export type InsightsHandler = (event: unknown, context: Context) => Promise<InsightsRunSummary>;

/** Scheduled every minute: evaluate insight counters and publish Start/End insights (docs/insights.md). */
export function buildInsights(config: FunctionConfig<'insights'>, runtime: FunctionRuntime): InsightsHandler {
  const { logger } = runtime;
  const client = new DynamoDBClient(clientSettingsFor(runtime.aws, 'dynamodb'));
  const events = new DynamoDbEventStore(client, config.tableName);
  const store = new DynamoDbInsightStore(client, config.tableName, events, logger);
  const publisher = new EventBridgeInsightPublisher(new EventBridgeClient(runtime.aws), config.eventBusName);
  const now = runtime.now ?? Date.now;
  return async (_event, context) => {
    logger.addContext(context);
    const summary = await runInsights(store, events, publisher, {
      nowMs: now(),
      region: config.region,
      // The function's own account, from its ARN, unless the trail names one.
      accountId: config.accountId ?? context.invokedFunctionArn?.split(':')[4] ?? '000000000000',
      retentionDays: config.retentionDays,
      writeShards: config.writeShards,
      onKeyFailure: (keyId, error) => logger.error('insights key failed', { keyId, error: String(error) }),
      detector: {
        baselineMinutes: config.insightsBaselineMinutes,
        ...(config.insightsSensitivity === undefined ? {} : { sensitivity: config.insightsSensitivity }),
        ...(config.insightsMinVolume === undefined ? {} : { minVolume: config.insightsMinVolume }),
      },
    });
    logger.info('insights run', { ...summary });
    return summary;
  };
}
