/** The environment variables OpenTrail's functions read: the CDK constructs, local mode and config share them. */
export const TRAIL_ENV = {
  tableName: 'OPENTRAIL_TABLE_NAME',
  retentionDays: 'OPENTRAIL_RETENTION_DAYS',
  writeShards: 'OPENTRAIL_WRITE_SHARDS',
  /** recipientAccountId for events that name none; defaults to the API's own account. */
  accountId: 'OPENTRAIL_ACCOUNT_ID',
  /** Pagination-token signing secret, given directly (local mode, tests)... */
  tokenSecret: 'OPENTRAIL_TOKEN_SECRET',
  /** ...or the ARN of the Secrets Manager secret holding it (AWS). */
  tokenSecretArn: 'OPENTRAIL_TOKEN_SECRET_ARN',
  /** The Firehose delivery stream the archive function puts to (docs/pipeline.md). */
  deliveryStreamName: 'OPENTRAIL_DELIVERY_STREAM_NAME',
  /** The CloudWatch Logs group the log-forward function writes one line per event to. */
  logGroupName: 'OPENTRAIL_LOG_GROUP_NAME',
  /** `full` (default) or `summary`: what each log line holds (LogLineFormat in lambda/core/pipeline.ts). */
  logLine: 'OPENTRAIL_LOG_LINE',
  /** The EventBridge bus insight events are put on (docs/insights.md). */
  eventBusName: 'OPENTRAIL_EVENT_BUS_NAME',
  /** Minutes of history the insights baseline uses (at least 7 days in AWS; short for local demos). */
  insightsBaselineMinutes: 'OPENTRAIL_INSIGHTS_BASELINE_MINUTES',
  /** Detector sensitivity: higher means fewer, stronger insights. */
  insightsSensitivity: 'OPENTRAIL_INSIGHTS_SENSITIVITY',
  /** Minimum calls per minute during an anomaly. */
  insightsMinVolume: 'OPENTRAIL_INSIGHTS_MIN_VOLUME',
  /** The channels PutAuditEvents accepts: a JSON list of `{ arn, principals? }` (lambda/core/cloudtrail/channels.ts). */
  channels: 'OPENTRAIL_CHANNELS',
  /** The trail selectors as JSON (TrailSelectors in lambda/core/selectors.ts); unset: CloudTrail's default trail. */
  selectors: 'OPENTRAIL_SELECTORS',
  /** The redaction rules as JSON (RedactionRules in lambda/core/redaction.ts); unset: the default rules. */
  redaction: 'OPENTRAIL_REDACTION',
} as const;
