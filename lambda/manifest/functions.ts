import { LIMITS } from '../core/limits.js';
import { STREAM_FILTER_PATTERNS } from '../core/pipeline.js';
import type { TrailRouteName } from '../core/trail-routes.js';
import type { SettingKey } from './settings.js';

/**
 * The deployment manifest: every OpenTrail function with its code, sizing, triggers, settings and what it may
 * touch. The CDK constructs build the functions from it (lib/), local mode runs them from it (local/), and the
 * cost model reads their sizes from it (bench/). Adding a function or a stream consumer is one entry here plus
 * its handler (lambda/handlers/<name>.ts, built by lambda/functions/<name>.ts).
 */

/** The Powertools service name of every function: its log lines' `service` and its metrics' `Service` dimension. */
export const SERVICE_NAME = 'opentrail';

/** A DynamoDB stream event source mapping, with Lambda's settings (CreateEventSourceMapping). */
export interface StreamMapping {
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** BatchSize, 1 to 1,000 for DynamoDB streams. */
  readonly batchSize: number;
  /** MaximumBatchingWindowInSeconds, 0 to 300. */
  readonly maxBatchingWindowSeconds: number;
  /** BisectBatchOnFunctionError. */
  readonly bisectBatchOnError: boolean;
  /** MaximumRetryAttempts; -1 retries until the record is too old. */
  readonly retryAttempts: number;
  /** MaximumRecordAgeInSeconds; -1 is no limit (the stream's 24 h retention). */
  readonly maxRecordAgeSeconds: number;
  /** ParallelizationFactor, 1 to 10. */
  readonly parallelizationFactor: number;
  /** FunctionResponseTypes ReportBatchItemFailures: the pipeline contract requires it. */
  readonly reportBatchItemFailures: true;
  /** FilterCriteria: a record is delivered when any pattern matches. */
  readonly filters: readonly object[];
  /** DestinationConfig.OnFailure: the consumer's own SQS dead-letter queue. */
  readonly onFailure: 'deadLetterQueue';
}

export interface HttpTrigger {
  readonly kind: 'http';
  /** The routes of TRAIL_ROUTES this function serves (lambda/core/trail-routes.ts). */
  readonly routes: readonly TrailRouteName[];
}
export interface StreamTrigger {
  readonly kind: 'stream';
  readonly mapping: StreamMapping;
}
export interface ScheduleTrigger {
  readonly kind: 'schedule';
  /** A rate in whole minutes (the Trail's `insights.schedule` overrides it). */
  readonly rateMinutes: number;
  /** A failed run is not retried: the next one catches up. Failures go to the function's dead-letter queue. */
  readonly retryAttempts: 0;
  readonly maxEventAgeSeconds: number;
}
export type Trigger = HttpTrigger | StreamTrigger | ScheduleTrigger;

/** What a function may do to the trail's resources; lib/ turns each into IAM grants. */
export type Permission =
  | 'events:write'
  | 'events:read'
  | 'events:count'
  | 'events:runInsights'
  | 'tokenSecret:read'
  | 'archive:putRecords'
  | 'eventLog:write'
  | 'insightsBus:putEvents'
  | 'ledger:read'
  | 'ledger:write'
  | 'archive:readObjects'
  | 'digests:write'
  | 'signingKey:sign'
  | 'deliveries:consume';

/** Which part of the trail a function belongs to: its construct, and whether the trail has it at all. */
export type Capability = 'api' | 'archive' | 'logForwarding' | 'insights' | 'integrity';

export interface FunctionSpec {
  /** The construct id inside its capability's construct: `<constructId>` for stream consumers, `<constructId>Function` otherwise. */
  readonly constructId: string;
  readonly capability: Capability;
  /** The name local mode gives the function (in its context and logs). */
  readonly localName: string;
  /** The Lambda entry point, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly architecture: 'arm64';
  /**
   * Reserved concurrency: instances kept for this function and the most it may run, so a flood on one side can
   * neither take the other's capacity nor starve the stream consumers (which run one batch per shard and are
   * left unreserved so they keep up as shards grow). Unset: the account's unreserved pool.
   */
  readonly reservedConcurrency?: number;
  readonly triggers: readonly Trigger[];
  /** The settings the function reads (lambda/manifest/settings.ts). */
  readonly settings: readonly SettingKey[];
  readonly permissions: readonly Permission[];
}

/** What every stream consumer's mapping starts from (docs/pipeline.md). */
const STREAM_MAPPING: StreamMapping = {
  startingPosition: 'TRIM_HORIZON',
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  bisectBatchOnError: true,
  retryAttempts: 5,
  // The stream's own retention.
  maxRecordAgeSeconds: 24 * 3600,
  // One batch per shard at a time, so stream order is kept.
  parallelizationFactor: 1,
  reportBatchItemFailures: true,
  filters: STREAM_FILTER_PATTERNS,
  onFailure: 'deadLetterQueue',
};

/** What every API route reads (TrailConfig, lambda/adapters/config.ts). */
export const API_SETTINGS = ['region', 'tableName', 'retentionDays', 'writeShards', 'accountId'] as const;

const STREAM_CONSUMER_SIZE = { memoryMb: 512, timeoutSeconds: 60, architecture: 'arm64' } as const;

export const FUNCTIONS = {
  ingest: {
    constructId: 'Ingest',
    capability: 'api',
    localName: 'opentrail-ingest',
    entry: 'lambda/handlers/ingest.ts',
    memoryMb: 512,
    timeoutSeconds: LIMITS.putAttemptMs / 1000,
    architecture: 'arm64',
    // The put routes' 1,000 requests/s at about 0.2 s each.
    reservedConcurrency: 200,
    triggers: [{ kind: 'http', routes: ['PutEvents', 'PutAuditEvents'] }],
    settings: [...API_SETTINGS, 'channels', 'selectors', 'redaction', 'provenance'],
    permissions: ['events:write'],
  },
  lookup: {
    constructId: 'Lookup',
    capability: 'api',
    localName: 'opentrail-lookup',
    entry: 'lambda/handlers/lookup.ts',
    memoryMb: 512,
    timeoutSeconds: 15,
    architecture: 'arm64',
    // The lookup routes' 100 requests/s at up to 0.4 s each.
    reservedConcurrency: 40,
    triggers: [
      {
        kind: 'http',
        routes: ['ListEvents', 'GetEvent', 'LookupEvents', 'GetInsightSeries', 'GetValueSuggestions'],
      },
    ],
    settings: [
      ...API_SETTINGS,
      'tokenSecret',
      'tokenSecretArn',
      // CloudTrail's control-plane reads describe the trail: its selectors and insights as deployed, and the
      // ledger for DescribeTrails, GetTrailStatus and ListPublicKeys.
      'selectors',
      'insights',
      'trailName',
      'trailArn',
      'digestBucketName',
      'digestKeyPrefix',
      'ledgerTableName',
      'digestIntervalSeconds',
    ],
    permissions: ['events:read', 'tokenSecret:read', 'ledger:read'],
  },
  archive: {
    constructId: 'ArchiveConsumer',
    capability: 'archive',
    localName: 'opentrail-archive',
    entry: 'lambda/handlers/archive.ts',
    ...STREAM_CONSUMER_SIZE,
    triggers: [{ kind: 'stream', mapping: STREAM_MAPPING }],
    settings: ['region', 'deliveryStreamName'],
    permissions: ['archive:putRecords'],
  },
  logForward: {
    constructId: 'LogForwardConsumer',
    capability: 'logForwarding',
    localName: 'opentrail-log-forward',
    entry: 'lambda/handlers/log-forward.ts',
    ...STREAM_CONSUMER_SIZE,
    triggers: [{ kind: 'stream', mapping: STREAM_MAPPING }],
    settings: ['region', 'logGroupName', 'logLine'],
    permissions: ['eventLog:write'],
  },
  insightsCounter: {
    constructId: 'CounterConsumer',
    capability: 'insights',
    localName: 'opentrail-insights-counter',
    entry: 'lambda/handlers/insights-counter.ts',
    ...STREAM_CONSUMER_SIZE,
    triggers: [
      {
        kind: 'stream',
        // A batch makes one update per key and minute, so larger batches cost fewer writes per event. Counter
        // updates are not idempotent across different batches of the same records, so a failed batch is
        // retried whole (the store refuses the same records twice) rather than split.
        mapping: {
          ...STREAM_MAPPING,
          batchSize: 1000,
          maxBatchingWindowSeconds: 5,
          bisectBatchOnError: false,
        },
      },
    ],
    settings: ['region', 'tableName', 'insightsBaselineMinutes'],
    permissions: ['events:count'],
  },
  insights: {
    constructId: 'Insights',
    capability: 'insights',
    localName: 'opentrail-insights',
    entry: 'lambda/handlers/insights.ts',
    memoryMb: 512,
    // The run handles complete minutes only and must end before the next one starts.
    timeoutSeconds: 55,
    architecture: 'arm64',
    triggers: [{ kind: 'schedule', rateMinutes: 1, retryAttempts: 0, maxEventAgeSeconds: 600 }],
    settings: [
      'region',
      'tableName',
      'retentionDays',
      'writeShards',
      'accountId',
      'eventBusName',
      'insightsBaselineMinutes',
      'insightsSensitivity',
      'insightsMinVolume',
    ],
    permissions: ['events:runInsights', 'insightsBus:putEvents'],
  },
  digester: {
    constructId: 'Digester',
    capability: 'integrity',
    localName: 'opentrail-digester',
    entry: 'lambda/handlers/digester.ts',
    // Hashing is CPU-bound: 1,769 MB is one full vCPU. Measured (docs/integrity.md, "Sizing"): about 60 MB/s of
    // inflated archive (70,000 records/s) per vCPU, so an hour at 5,000 events/s (14 GB inflated) takes about
    // 240 s and an hour at 100 events/s about 5 s. Each run stops recording 30 s before this timeout
    // (LIMITS.digester) and leaves the rest in the queue for the next digest.
    memoryMb: 1769,
    timeoutSeconds: 900,
    architecture: 'arm64',
    // One run at a time: the chain has one head.
    reservedConcurrency: 1,
    // 60 minutes; the trail's digest interval overrides it. A run that waits longer than this behind a running one
    // is dropped: the next run records and digests what it would have.
    triggers: [{ kind: 'schedule', rateMinutes: 60, retryAttempts: 0, maxEventAgeSeconds: 900 }],
    settings: [
      'region',
      'trailArn',
      'archiveBucketName',
      'digestBucketName',
      'digestKeyPrefix',
      'ledgerTableName',
      'deliveryQueueUrl',
      'signingKeyId',
      'archiveWriterPrincipal',
      'digestIntervalSeconds',
    ],
    permissions: [
      'ledger:write',
      'archive:readObjects',
      'digests:write',
      'signingKey:sign',
      'deliveries:consume',
    ],
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as readonly FunctionName[];

type TriggerKinds<F extends FunctionName> = (typeof FUNCTIONS)[F]['triggers'][number]['kind'];

/** The functions a trigger kind drives, as a type: `FunctionsTriggeredBy<'stream'>` are the stream consumers. */
export type FunctionsTriggeredBy<K extends Trigger['kind']> = {
  [F in FunctionName]: K extends TriggerKinds<F> ? F : never;
}[FunctionName];

/** The settings one function reads. */
export type FunctionSettingKey<F extends FunctionName> = (typeof FUNCTIONS)[F]['settings'][number];

/** The functions a trigger kind drives, in manifest order. */
export function functionsTriggeredBy(kind: Trigger['kind']): FunctionName[] {
  return FUNCTION_NAMES.filter((name) =>
    (FUNCTIONS[name] as FunctionSpec).triggers.some((trigger) => trigger.kind === kind),
  );
}

function triggerOf<K extends Trigger['kind']>(name: FunctionName, kind: K): Extract<Trigger, { kind: K }> {
  const trigger = (FUNCTIONS[name] as FunctionSpec).triggers.find(
    (candidate): candidate is Extract<Trigger, { kind: K }> => candidate.kind === kind,
  );
  if (trigger === undefined) throw new Error(`${name} has no ${kind} trigger`);
  return trigger;
}

/** A function's stream mapping; throws for a function no stream triggers. */
export const streamMappingOf = (name: FunctionName): StreamMapping => triggerOf(name, 'stream').mapping;

/** A function's schedule; throws for a function no schedule triggers. */
export const scheduleOf = (name: FunctionName): ScheduleTrigger => triggerOf(name, 'schedule');
