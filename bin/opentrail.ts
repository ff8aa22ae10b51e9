import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { LogLineFormat } from '../lambda/core/pipeline.js';
import { OpenTrailStack } from '../lib/opentrail-stack.js';

const app = new App();

/** A numeric setting from context (`cdk deploy -c retentionDays=30`); the constructs validate its range. */
function numberFromContext(key: string): number | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined ? undefined : Number(value);
}

/** A switch from context (`cdk deploy -c eventAlarms=false`); anything but false or "false" leaves the default. */
function booleanFromContext(key: string): boolean | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return undefined;
  return !(value === false || value === 'false');
}

new OpenTrailStack(app, 'OpenTrail', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
  retentionDays: numberFromContext('retentionDays'),
  writeShards: numberFromContext('writeShards'),
  eventAlarms: booleanFromContext('eventAlarms'),
  // Validated by LogForwarding, which names the allowed values.
  logForwarding: { logLine: app.node.tryGetContext('logLine') as LogLineFormat | undefined },
  insights:
    booleanFromContext('insights') === false
      ? false
      : {
          baselineDays: numberFromContext('insightsBaselineDays'),
          sensitivity: numberFromContext('insightsSensitivity'),
          minVolume: numberFromContext('insightsMinVolume'),
        },
});
// cdk-nag 3 runs as a policy validation plugin: any unacknowledged finding stops synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
