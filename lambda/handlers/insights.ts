import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { readConfig, requiredSetting } from '../adapters/config.js';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../adapters/dynamodb-insight-store.js';
import { EventBridgeInsightPublisher } from '../adapters/eventbridge-publisher.js';
import { insightsConfig } from '../adapters/insights-config.js';
import { logger } from '../adapters/logger.js';
import { TRAIL_ENV } from '../core/environment.js';
import { type InsightsRunSummary, runInsights } from '../core/insights/run.js';

// Scheduled every minute: evaluate insight counters and publish Start/End insights (docs/insights.md).
const config = readConfig();
const settings = insightsConfig();
const client = new DynamoDBClient({ region: config.region });
const events = new DynamoDbEventStore(client, config.tableName);
const store = new DynamoDbInsightStore(client, config.tableName, events);
const publisher = new EventBridgeInsightPublisher(
  new EventBridgeClient({ region: config.region }),
  requiredSetting(TRAIL_ENV.eventBusName),
);

export const handler = async (_event: unknown, context: Context): Promise<InsightsRunSummary> => {
  logger.addContext(context);
  const summary = await runInsights(store, events, publisher, {
    nowMs: Date.now(),
    region: config.region,
    // The function's own account, from its ARN, unless the trail names one.
    accountId: config.accountId ?? context.invokedFunctionArn?.split(':')[4] ?? '000000000000',
    retentionDays: config.retentionDays,
    writeShards: config.writeShards,
    onKeyFailure: (keyId, error) => logger.error('insights key failed', { keyId, error: String(error) }),
    detector: {
      baselineMinutes: settings.baselineMinutes,
      ...(settings.sensitivity === undefined ? {} : { sensitivity: settings.sensitivity }),
      ...(settings.minVolume === undefined ? {} : { minVolume: settings.minVolume }),
    },
  });
  logger.info('insights run', { ...summary });
  return summary;
};
