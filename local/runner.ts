import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildConsole } from '../console/build.js';
import { createFunctionLogger } from '../lambda/adapters/logger.js';
import {
  createPipelineResources,
  type PipelineNames,
  type PipelineResources,
} from '../lambda/adapters/pipeline-admin.js';
import { createEventsTable } from '../lambda/adapters/table-admin.js';
import { channelArn, DEFAULT_CHANNEL_NAME } from '../lambda/core/cloudtrail/channels.js';
import { DEFAULT_TRAIL_NAME, trailArn } from '../lambda/core/cloudtrail/trail-arn.js';
import type { InsightsRunSummary } from '../lambda/core/insights/run.js';
import type { LogLineFormat } from '../lambda/core/pipeline.js';
import type { ProvenanceMode } from '../lambda/core/provenance.js';
import type { RedactionRules } from '../lambda/core/redaction.js';
import type { TrailSelectors } from '../lambda/core/selectors.js';
import {
  type AwsClientSettings,
  clientSettingsFor,
  type FunctionConfig,
  type FunctionRuntime,
} from '../lambda/functions/runtime.js';
import {
  FUNCTIONS,
  type FunctionName,
  type FunctionsTriggeredBy,
  functionsTriggeredBy,
  type StreamMapping,
} from '../lambda/manifest/functions.js';
import { withDefaults } from '../lambda/manifest/settings.js';
import { type MotoEmulator, startEmulator } from './emulator.js';
import {
  createFirehoseDelivery,
  type FirehoseDelivery,
  type FirehoseDeliveryStats,
  type FirehoseS3Destination,
} from './firehose-delivery.js';
import { type FirehoseEndpoint, startFirehoseEndpoint } from './firehose-endpoint.js';
import { FUNCTION_BUILDERS } from './functions.js';
import { type HttpApiHandler, type RouteTable, type RouteTarget, startHttpFront } from './http-front.js';
import {
  createIntegrityResources,
  type IntegrityNames,
  type IntegrityResources,
} from './integrity-resources.js';
import { type MiniStack, startMiniStack } from './ministack.js';
import { isDigesterPlan, type LocalFunctionPlan, planLocalFunctions } from './plan.js';
import { createRouteAuthorizer, type LocalPrincipal } from './route-access.js';
import { type ScheduledFunction, type Scheduler, startScheduler } from './scheduler.js';
import { createSigV4Verifier, type LocalCredential, localUserArn } from './sigv4-verifier.js';
import { realClock } from './stream-mapping/clock.js';
import {
  createStreamPoller,
  latestStreamArn,
  type StreamFunction,
  type StreamPoller,
  type StreamPollerStats,
  type StreamPollerTiming,
  sqsFailureDestination,
} from './stream-poller.js';

/**
 * Local mode: moto for the AWS side (DynamoDB and its stream on MiniStack, by default), the HTTP front for API Gateway, a stream poller per stream consumer for the
 * DynamoDB event source mappings, a scheduler for the scheduled functions, and the real functions in this
 * process, each built from the deployment manifest (lambda/manifest/functions.ts) with its settings as values:
 * the same functions, triggers and settings as the stack deploys.
 */

/** The table stream's consumers (docs/pipeline.md): the manifest's stream-triggered functions. */
export type StreamConsumer = FunctionsTriggeredBy<'stream'>;

export const DEFAULT_PIPELINE_NAMES: PipelineNames = {
  bucketName: 'opentrail-archive',
  deliveryStreamName: 'opentrail-events',
  logGroupName: '/opentrail/events',
  archiveDlqName: deadLetterQueueName('archive'),
  logForwardDlqName: deadLetterQueueName('logForward'),
};

export const DEFAULT_INTEGRITY_NAMES: IntegrityNames = {
  ledgerTableName: 'opentrail-ledger',
  deliveryQueueName: 'opentrail-archive-deliveries',
  digestBucketName: 'opentrail-digests',
  signingKeyAlias: 'alias/opentrail-digests',
};

/**
 * Who writes the archive: in AWS the Firehose delivery role's session, whose S3 notifications name it
 * `AWS:<roleId>:<session>`; the digester takes only objects whose writer starts with the prefix. Local mode's
 * Firehose player writes as this made-up role (a role id is AROA and 17 more characters).
 */
const LOCAL_ARCHIVE_WRITER = {
  principalPrefix: 'AWS:AROALOCALFIREHOSE0001:',
  session: 'AWSFirehoseToS3',
} as const;

/**
 * A key pair local mode accepts, with the session token that must come with it when it stands for temporary
 * credentials (the console's identity pool role); the verifier's LocalCredential, less the user name each pair gets.
 */
export type LocalCredentials = Pick<LocalCredential, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>;

export interface LocalOptions {
  /** Port of the API; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** An emulator that is already running (tests share one); without it local mode starts its own. */
  readonly awsEndpoint?: string;
  /**
   * Where the tables and their stream live: MiniStack (about 3x moto's speed per call, docs/load.md) or moto with
   * the rest. @default 'ministack' when local mode starts its own emulators, 'moto' (awsEndpoint) when given one
   */
  readonly dynamodb?: DynamoDbEmulator;
  /** @default 'opentrail-events' */
  readonly tableName?: string;
  /** Keys that may call every route; the same pair is used for the emulator. @default test/test */
  readonly credentials?: LocalCredentials;
  /** Keys that may call the put routes only (`grantPut`). @default producer/producer */
  readonly producerCredentials?: LocalCredentials;
  /** Keys that may call the lookup routes only (`grantLookup`). @default reader/reader */
  readonly readerCredentials?: LocalCredentials;
  /** The trail selectors the ingest function applies (docs/selectors.md). @default CloudTrail's default trail */
  readonly selectors?: TrailSelectors;
  /** The redaction rules the ingest function applies (docs/selectors.md). @default the default rules */
  readonly redaction?: RedactionRules;
  /** Where producers' events may claim to come from (lambda/core/provenance.ts). @default 'strict' */
  readonly provenance?: ProvenanceMode;
  /** @default 90 */
  readonly retentionDays?: number;
  /** @default 16 */
  readonly writeShards?: number;
  /** What each forwarded log line holds. @default 'full' */
  readonly logLine?: LogLineFormat;
  /** Names of the pipeline's bucket, delivery stream, log group and dead-letter queues. @default DEFAULT_PIPELINE_NAMES */
  readonly pipelineNames?: Partial<PipelineNames>;
  /** Wraps each stream consumer's handler, e.g. to inject faults in a test. @default the handlers as they are */
  readonly wrapStreamHandler?: (consumer: StreamConsumer, handler: StreamFunction) => StreamFunction;
  /** Changes to every consumer's event source mapping, and the pollers' timings. @default the manifest's mappings */
  readonly streamMapping?: Partial<StreamMapping> & StreamPollerTiming;
  /** Insights: baseline window and how often the scheduled function runs. @default 7 days, the manifest's rate */
  readonly insights?: { readonly baselineMinutes?: number; readonly intervalSeconds?: number };
  /**
   * Seconds local mode's Firehose buffers the archive before it writes an object (it also writes once 64 MiB are
   * buffered, and at stop). @default the stack's buffering interval, 60 s
   */
  readonly archiveBufferSeconds?: number;
  /** Where the archive function reaches local mode's Firehose, e.g. a fault proxy in front of it. @default its own URL */
  readonly wrapFirehoseEndpoint?: (url: string) => Promise<string>;
  /** Tamper evidence (docs/integrity.md). @default trail `opentrail`, a digest an hour, no key prefix */
  readonly integrity?: {
    readonly trailName?: string;
    /** How often the digester runs: its schedule and its digestIntervalSeconds setting. */
    readonly digestIntervalSeconds?: number;
    readonly digestKeyPrefix?: string;
    readonly names?: Partial<IntegrityNames>;
  };
  /** Diagnostics: emulator output, the functions' JSON log lines, one line per request and per stream batch. @default drop them */
  readonly log?: (line: string) => void;
  /** Serve the investigator's console at /console/, built at start (docs/console.md). @default true */
  readonly console?: boolean;
}

export interface LocalHandle {
  readonly apiUrl: string;
  readonly region: string;
  /** The emulator of everything but DynamoDB, Streams and Firehose's data plane, which `aws` names. */
  readonly awsEndpoint: string;
  /**
   * How local mode's SDK clients reach each service, as the functions are given it: `clientSettingsFor(aws,
   * 'dynamodb')` for the tables, 'dynamodbstreams' for their stream, 'firehose' for local mode's Firehose.
   */
  readonly aws: AwsClientSettings;
  /** May call every route. */
  readonly credentials: LocalCredentials;
  /** May call the put routes only. */
  readonly producerCredentials: LocalCredentials;
  /** May call the lookup routes only. */
  readonly readerCredentials: LocalCredentials;
  /** The IAM user ARN each pair signs as: what the handlers see as `requestContext.authorizer.iam.userArn`. */
  readonly callerArns: Readonly<Record<LocalCaller, string>>;
  readonly tableName: string;
  readonly pipeline: PipelineResources;
  /** The EventBridge bus insight events are put on. */
  readonly eventBusName: string;
  /** The account the API reports to the functions: PutAuditEvents' recipientAccountId must name it. */
  readonly accountId: string;
  /** The default channel PutAuditEvents puts to (docs/cloudtrail-compat.md). */
  readonly channelArn: string;
  /** Route key -> function, as the HTTP front serves them (a test can put a second front on the same functions). */
  readonly routes: RouteTable;
  /** The console's address, when it is served. */
  readonly consoleUrl?: string;
  /** The emulator's S3 endpoint (path-style addressing), where the archive and the digests are read. */
  readonly s3Endpoint: string;
  /** The trail's integrity resources and settings, as the digester is given them. */
  readonly integrity: LocalIntegrity;
  /** Local mode's Firehose (the archive function's endpoint) and what it has delivered. */
  readonly firehose: { readonly url: string; stats(): FirehoseDeliveryStats; flush(): Promise<void> };
  /** Each consumer's poller counters: invocations, records delivered, records sent to its DLQ. */
  streamStats(): Record<StreamConsumer, StreamPollerStats>;
  /** Runs the scheduled insights function now and returns its summary. */
  runInsights(): Promise<InsightsRunSummary>;
  /** Runs the scheduled digester now and returns its summary. */
  runDigester(): Promise<unknown>;
  /** Stops the API, the stream pollers and, if local mode started it, the emulator. */
  stop(): Promise<void>;
}

export interface LocalIntegrity extends IntegrityResources {
  readonly trailName: string;
  readonly trailArn: string;
  readonly digestKeyPrefix: string;
  readonly digestIntervalSeconds: number;
  /** The principal prefix the digester accepts as the archive's writer. */
  readonly archiveWriterPrincipal: string;
}

/** The emulators DynamoDB and DynamoDB Streams can run on (LocalOptions.dynamodb, OPENTRAIL_DYNAMODB). */
export const DYNAMODB_EMULATORS = ['ministack', 'moto'] as const;
export type DynamoDbEmulator = (typeof DYNAMODB_EMULATORS)[number];

/** OPENTRAIL_DYNAMODB's value (`npm start`, the load benchmark); unset or empty: the default. */
export const dynamodbEmulatorOf = (value: string | undefined): DynamoDbEmulator | undefined => {
  if (value === undefined || value === '') return undefined;
  const emulator = DYNAMODB_EMULATORS.find((name) => name === value);
  if (emulator === undefined) {
    throw new Error(`OPENTRAIL_DYNAMODB must be ${DYNAMODB_EMULATORS.join(' or ')}, not '${value}'`);
  }
  return emulator;
};

/** The three credential pairs of .opentrail/local.json. */
export type LocalCaller = 'credentials' | 'producerCredentials' | 'readerCredentials';

/** Who each pair signs as and which sides of the API it may call, as grantPut / grantLookup would allow. */
const LOCAL_CALLERS: Readonly<
  Record<LocalCaller, { readonly userName: string; readonly access: LocalPrincipal['access'] }>
> = {
  credentials: { userName: 'local', access: ['put', 'lookup'] },
  producerCredentials: { userName: 'opentrail-producer', access: ['put'] },
  readerCredentials: { userName: 'opentrail-reader', access: ['lookup'] },
};

const INSIGHTS_BUS_NAME = 'opentrail-insights';
const DEFAULT_TABLE_NAME = 'opentrail-events';
/** The account the local API reports as its own (requestContext.accountId) and callers' accounts. */
const API_ACCOUNT_ID = '000000000000';
/** The account local mode's functions run in (moto's default). */
const LOCAL_ACCOUNT_ID = '123456789012';

/** A stream consumer's on-failure queue in local mode. */
function deadLetterQueueName(consumer: StreamConsumer): string {
  return `${FUNCTIONS[consumer].localName}-dlq`;
}

/** A planned function built with its own logger and the emulator's clients. */
function buildFunction(
  plan: LocalFunctionPlan,
  aws: AwsClientSettings,
  log: (line: string) => void,
): unknown {
  const build = FUNCTION_BUILDERS[plan.name] as (
    config: FunctionConfig<FunctionName>,
    runtime: FunctionRuntime,
  ) => unknown;
  return build(plan.config, { aws, logger: createFunctionLogger({ sink: log }), metricsOutput: log });
}

/** What only the emulator knows once the resources exist. */
export interface ResolvedResources {
  readonly deliveryQueueUrl: string;
}

/** The integrity settings for these options; `resolved` fills in what the emulator knows. */
function integrityOf(options: LocalOptions, resolved?: ResolvedResources) {
  const region = options.region ?? 'us-east-1';
  const names: IntegrityNames = { ...DEFAULT_INTEGRITY_NAMES, ...options.integrity?.names };
  const trailName = options.integrity?.trailName ?? DEFAULT_TRAIL_NAME;
  return {
    names,
    settings: {
      trailName,
      // The account of the trail's resources (buckets, ledger, key), as their ARNs in the emulator name it.
      trailArn: trailArn({ region, account: LOCAL_ACCOUNT_ID, name: trailName }),
      digestBucketName: names.digestBucketName,
      digestKeyPrefix: options.integrity?.digestKeyPrefix ?? '',
      ledgerTableName: names.ledgerTableName,
      // Planned without an emulator (the agreement test), the queue's URL in AWS's form.
      deliveryQueueUrl:
        resolved?.deliveryQueueUrl ??
        `https://sqs.${region}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${names.deliveryQueueName}`,
      signingKeyId: names.signingKeyAlias,
      archiveWriterPrincipal: LOCAL_ARCHIVE_WRITER.principalPrefix,
      digestIntervalSeconds: options.integrity?.digestIntervalSeconds,
    },
  };
}

/** Every function local mode runs for these options, with its settings and triggers (local/plan.ts). */
export function planLocal(options: LocalOptions = {}, resolved?: ResolvedResources): LocalFunctionPlan[] {
  const region = options.region ?? 'us-east-1';
  const names: PipelineNames = { ...DEFAULT_PIPELINE_NAMES, ...options.pipelineNames };
  const integrity = integrityOf(options, resolved).settings;
  const { pollIntervalMs, retryBaseDelayMs, retryMaxDelayMs, shardRefreshMs, ...mappingChanges } =
    options.streamMapping ?? {};
  return planLocalFunctions({
    // What the stack's constructs set for each function, as values (lambda/manifest/settings.ts).
    settings: {
      region,
      tableName: options.tableName ?? DEFAULT_TABLE_NAME,
      retentionDays: options.retentionDays,
      writeShards: options.writeShards,
      deliveryStreamName: names.deliveryStreamName,
      logGroupName: names.logGroupName,
      logLine: options.logLine,
      eventBusName: INSIGHTS_BUS_NAME,
      channels: [{ name: DEFAULT_CHANNEL_NAME, arn: defaultChannelArn(region) }],
      selectors: options.selectors,
      redaction: options.redaction,
      provenance: options.provenance,
      // Local mode always runs the insights function and its counter.
      insights: 'on',
      insightsBaselineMinutes: options.insights?.baselineMinutes,
      // Only NextToken signing uses it; a fresh one per start invalidates tokens from an earlier run.
      tokenSecret: randomBytes(32).toString('base64url'),
      archiveBucketName: names.bucketName,
      ...integrity,
    },
    mappingChanges,
    // The digester runs at its digestIntervalSeconds setting (local/plan.ts).
    intervalSeconds: { insights: options.insights?.intervalSeconds },
  });
}

const defaultChannelArn = (region: string): string =>
  channelArn('aws', region, API_ACCOUNT_ID, DEFAULT_CHANNEL_NAME);

export const startLocal = async (options: LocalOptions = {}): Promise<LocalHandle> => {
  const region = options.region ?? 'us-east-1';
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const pairs: Record<LocalCaller, LocalCredentials> = {
    credentials: options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    producerCredentials: options.producerCredentials ?? {
      accessKeyId: 'producer',
      secretAccessKey: 'producer',
    },
    readerCredentials: options.readerCredentials ?? { accessKeyId: 'reader', secretAccessKey: 'reader' },
  };
  const { credentials } = pairs;
  const callerNames = Object.keys(LOCAL_CALLERS) as LocalCaller[];
  const callerArns = Object.fromEntries(
    callerNames.map((caller) => [caller, localUserArn(API_ACCOUNT_ID, LOCAL_CALLERS[caller].userName)]),
  ) as Record<LocalCaller, string>;
  const principals: LocalPrincipal[] = callerNames.map((caller) => ({
    ...pairs[caller],
    ...LOCAL_CALLERS[caller],
  }));
  // Checked before anything starts: the verifier refuses a key shared by two pairs.
  const verifySignature = createSigV4Verifier({
    credentials: principals,
    region,
    accountId: API_ACCOUNT_ID,
    // API Gateway verifies execute-api only; local mode also takes the CloudTrail clients' default names.
    services: ['execute-api', 'cloudtrail', 'cloudtrail-data'],
  });
  const names: PipelineNames = { ...DEFAULT_PIPELINE_NAMES, ...options.pipelineNames };
  const log = options.log ?? (() => {});

  const { emulator, miniStack } = await startEmulators(options, log);
  const awsEndpoint = options.awsEndpoint ?? emulator?.url ?? '';
  const dynamodbEndpoint = miniStack?.url ?? awsEndpoint;
  const aws: AwsClientSettings = {
    region,
    endpoint: awsEndpoint,
    credentials,
    serviceEndpoints: { dynamodb: dynamodbEndpoint, dynamodbstreams: dynamodbEndpoint },
  };
  const dynamodb = new DynamoDBClient(clientSettingsFor(aws, 'dynamodb'));
  const streams = new DynamoDBStreamsClient(clientSettingsFor(aws, 'dynamodbstreams'));
  const sqs = new SQSClient(aws);
  const eventBridge = new EventBridgeClient(aws);
  // An emulator on an IP address has no bucket subdomains.
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const kms = new KMSClient(aws);
  const pollers = new Map<StreamConsumer, StreamPoller>();
  const schedulers = new Map<FunctionName, Scheduler<unknown>>();
  let firehose: { delivery: FirehoseDelivery; endpoint: FirehoseEndpoint } | undefined;
  let consoleRoot: string | undefined;
  const shutdown = async () => {
    try {
      if (consoleRoot !== undefined) await rm(consoleRoot, { recursive: true, force: true });
      await Promise.all([...schedulers.values()].map((scheduler) => scheduler.stop()));
      await Promise.all([...pollers.values()].map((poller) => poller.stop()));
      // After the archive function's last put: what Firehose buffered is delivered, as at a stream's end.
      await firehose?.delivery.close();
      await firehose?.endpoint.close();
    } finally {
      for (const client of [dynamodb, streams, sqs, eventBridge, s3, kms]) client.destroy();
      await Promise.all([emulator?.stop(), miniStack?.stop()]);
    }
  };
  try {
    const streamConsumers = functionsTriggeredBy('stream') as StreamConsumer[];
    const integrityNames = integrityOf(options).names;
    const [, pipeline, deadLetterQueueUrls] = await Promise.all([
      createEventsTable(dynamodb, tableName),
      createPipeline(aws, names),
      createDeadLetterQueues(sqs, streamConsumers, names),
      createEventBus(eventBridge),
    ]);
    const integrityResources = await createIntegrityResources(
      { dynamodb, sqs, s3, kms },
      integrityNames,
      names.bucketName,
    );
    const { pollIntervalMs, retryBaseDelayMs, retryMaxDelayMs, shardRefreshMs } = options.streamMapping ?? {};
    const plans = planLocal(options, integrityResources);
    const integrity = integrityOf(options, integrityResources).settings;

    const delivery = createFirehoseDelivery({
      destination: await firehoseDestination(aws, names.deliveryStreamName, options.archiveBufferSeconds),
      objects: s3ObjectWriter(s3),
      notify: async (body) => {
        await sqs.send(
          new SendMessageCommand({ QueueUrl: integrityResources.deliveryQueueUrl, MessageBody: body }),
        );
      },
      writerPrincipal: `${LOCAL_ARCHIVE_WRITER.principalPrefix}${LOCAL_ARCHIVE_WRITER.session}`,
      region,
      clock: realClock,
      log,
    });
    firehose = {
      delivery,
      endpoint: await startFirehoseEndpoint({
        streams: new Map([[names.deliveryStreamName, delivery]]),
        region,
        accountId: LOCAL_ACCOUNT_ID,
        log,
      }),
    };
    // The functions' clients go to the emulator, but for Firehose's data plane, which local mode plays.
    const firehoseUrl =
      (await options.wrapFirehoseEndpoint?.(firehose.endpoint.url)) ?? firehose.endpoint.url;
    const functionAws: AwsClientSettings = {
      ...aws,
      serviceEndpoints: { ...aws.serviceEndpoints, firehose: firehoseUrl },
    };

    const routes = new Map<string, RouteTarget>();
    const streamArn = await latestStreamArn(dynamodb, tableName);
    for (const plan of plans) {
      const handler = buildFunction(plan, functionAws, log);
      const { localName: functionName, timeoutMs, memoryMb } = plan;
      for (const key of plan.routeKeys) {
        routes.set(key, { functionName, handler: handler as HttpApiHandler, timeoutMs, memoryMb });
      }
      if (plan.mapping !== undefined) {
        // One event source mapping per consumer, each with its own poller, progress and dead-letter queue.
        const consumer = plan.name as StreamConsumer;
        const streamHandler = handler as StreamFunction;
        const poller = createStreamPoller({
          mapping: plan.mapping,
          timing: { pollIntervalMs, retryBaseDelayMs, retryMaxDelayMs, shardRefreshMs },
          functionTimeoutMs: timeoutMs,
          functionMemoryMb: memoryMb,
          functionName,
          handler: options.wrapStreamHandler?.(consumer, streamHandler) ?? streamHandler,
          streams,
          streamArn,
          onFailure: sqsFailureDestination(sqs, deadLetterQueueUrls[consumer]),
          log,
        });
        pollers.set(consumer, poller);
        poller.start();
      }
      if (plan.intervalMs !== undefined) {
        schedulers.set(
          plan.name,
          startScheduler({
            functionName,
            handler: handler as ScheduledFunction<unknown>,
            intervalMs: plan.intervalMs,
            timeoutMs,
            memoryMb,
            region,
            accountId: LOCAL_ACCOUNT_ID,
            log,
          }),
        );
      }
    }

    // A folder per start: tests start several local modes at once, and each removes its own at stop.
    consoleRoot = options.console === false ? undefined : await mkdtemp(join(tmpdir(), 'opentrail-console-'));
    if (consoleRoot !== undefined) await buildConsole(consoleRoot);
    const front = await startHttpFront({
      routes,
      verifySignature,
      authorize: createRouteAuthorizer(principals),
      port: options.port ?? 0,
      region,
      accountId: API_ACCOUNT_ID,
      log,
      // The console signs as the reader: it only looks up.
      ...(consoleRoot === undefined
        ? {}
        : {
            console: { root: consoleRoot, config: () => ({ region, credentials: pairs.readerCredentials }) },
          }),
    });
    return {
      apiUrl: front.url,
      region,
      awsEndpoint,
      aws: { ...aws, serviceEndpoints: { ...aws.serviceEndpoints, firehose: firehose.endpoint.url } },
      ...pairs,
      callerArns,
      tableName,
      pipeline,
      eventBusName: INSIGHTS_BUS_NAME,
      accountId: API_ACCOUNT_ID,
      channelArn: defaultChannelArn(region),
      routes,
      ...(consoleRoot === undefined ? {} : { consoleUrl: `${front.url}/console/` }),
      s3Endpoint: awsEndpoint,
      integrity: {
        ...integrityResources,
        trailName: integrity.trailName,
        trailArn: integrity.trailArn,
        digestKeyPrefix: integrity.digestKeyPrefix,
        digestIntervalSeconds: withDefaults(['digestIntervalSeconds'], integrity).digestIntervalSeconds,
        archiveWriterPrincipal: integrity.archiveWriterPrincipal,
      },
      firehose: { url: firehose.endpoint.url, stats: () => delivery.stats(), flush: () => delivery.flush() },
      streamStats: () =>
        Object.fromEntries([...pollers].map(([consumer, poller]) => [consumer, poller.stats()])) as Record<
          StreamConsumer,
          StreamPollerStats
        >,
      runInsights: async () => {
        const scheduler = schedulers.get('insights');
        if (scheduler === undefined) throw new Error('the insights function is not scheduled');
        return (await scheduler.runNow()) as InsightsRunSummary;
      },
      runDigester: async () => {
        const digester = plans.find(isDigesterPlan);
        const scheduler = digester === undefined ? undefined : schedulers.get(digester.name);
        if (scheduler === undefined) throw new Error('the digester is not scheduled');
        return scheduler.runNow();
      },
      stop: async () => {
        try {
          await front.close();
        } finally {
          await shutdown();
        }
      },
    };
  } catch (error) {
    await shutdown();
    throw error;
  }
};

/**
 * moto, unless the caller runs one, and MiniStack for DynamoDB and its stream unless the caller chose moto; started
 * side by side. One that fails to start stops the other.
 */
const startEmulators = async (
  options: LocalOptions,
  log: (line: string) => void,
): Promise<{ emulator?: MotoEmulator; miniStack?: MiniStack }> => {
  const dynamodb = options.dynamodb ?? (options.awsEndpoint === undefined ? 'ministack' : 'moto');
  const [moto, mini] = await Promise.allSettled([
    options.awsEndpoint === undefined ? startEmulator({ log: withoutRoutineAccessLines(log) }) : undefined,
    dynamodb === 'ministack'
      ? // Only the services it stands in for; its ARNs name the account of moto's.
        startMiniStack({ log, services: ['dynamodb', 'dynamodbstreams'], accountId: LOCAL_ACCOUNT_ID })
      : undefined,
  ]);
  const emulator = moto.status === 'fulfilled' ? moto.value : undefined;
  const miniStack = mini.status === 'fulfilled' ? mini.value : undefined;
  for (const result of [moto, mini]) {
    if (result.status === 'rejected') {
      await Promise.all([emulator?.stop(), miniStack?.stop()]);
      throw result.reason;
    }
  }
  return { emulator, miniStack };
};

/** The insights bus (docs/insights.md); idempotent. */
const createEventBus = async (eventBridge: EventBridgeClient): Promise<void> => {
  try {
    await eventBridge.send(new CreateEventBusCommand({ Name: INSIGHTS_BUS_NAME }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
  }
};

/** Every stream consumer's on-failure queue, as the stack gives each its own; idempotent. */
const createDeadLetterQueues = async (
  sqs: SQSClient,
  consumers: readonly StreamConsumer[],
  names: PipelineNames,
): Promise<Record<StreamConsumer, string>> => {
  const queueNames: Partial<Record<StreamConsumer, string>> = {
    archive: names.archiveDlqName,
    logForward: names.logForwardDlqName,
  };
  const urls = await Promise.all(
    consumers.map(async (consumer) => {
      const QueueName = queueNames[consumer] ?? deadLetterQueueName(consumer);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName }));
      return [consumer, QueueUrl ?? ''] as const;
    }),
  );
  return Object.fromEntries(urls) as Record<StreamConsumer, string>;
};

/**
 * moto logs every request it serves, and the stream pollers ask it for records several times a second: only
 * the requests it failed (5xx) and its other output are worth a line.
 */
const withoutRoutineAccessLines =
  (log: (line: string) => void) =>
  (line: string): void => {
    const access = /^\S+ - - \[[^\]]*\] "[^"]*" (\d{3}) /.exec(line);
    if (access === null || Number(access[1]) >= 500) log(line);
  };

/**
 * The bucket, delivery stream, log group and dead-letter queues the stack would own (docs/pipeline.md). The
 * stream in moto is the control plane only: it holds the stack's configuration (prefix expressions included),
 * and local mode's Firehose player delivers by it.
 */
const createPipeline = async (aws: AwsClientSettings, names: PipelineNames): Promise<PipelineResources> => {
  const clients = {
    s3: new S3Client({ ...aws, forcePathStyle: true }),
    firehose: new FirehoseClient(aws),
    logs: new CloudWatchLogsClient(aws),
    sqs: new SQSClient(aws),
  };
  try {
    return await createPipelineResources(clients, names, { prefixStyle: 'firehose-expressions' });
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
};

/**
 * The stream's S3 destination as moto describes it, for the player; `bufferSeconds` replaces its buffering
 * interval (a test's seconds instead of the stack's minute).
 */
const firehoseDestination = async (
  aws: AwsClientSettings,
  deliveryStreamName: string,
  bufferSeconds: number | undefined,
): Promise<FirehoseS3Destination> => {
  const client = new FirehoseClient(aws);
  try {
    const { DeliveryStreamDescription: description } = await client.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: deliveryStreamName }),
    );
    const s3 = description?.Destinations?.[0]?.ExtendedS3DestinationDescription;
    const hints = s3?.BufferingHints;
    if (
      description?.VersionId === undefined ||
      s3?.BucketARN === undefined ||
      hints?.IntervalInSeconds === undefined ||
      hints.SizeInMBs === undefined
    ) {
      throw new Error(`Delivery stream ${deliveryStreamName} has no S3 destination with buffering hints`);
    }
    if (s3.CompressionFormat !== 'GZIP')
      throw new Error(`Delivery stream ${deliveryStreamName} does not gzip`);
    return {
      deliveryStreamName,
      versionId: description.VersionId,
      bucketName: s3.BucketARN.replace(/^arn:[^:]+:s3:::/, ''),
      prefix: s3.Prefix ?? '',
      buffering: {
        intervalSeconds: bufferSeconds ?? hints.IntervalInSeconds,
        sizeBytes: hints.SizeInMBs * 1024 * 1024,
      },
    };
  } finally {
    client.destroy();
  }
};

/** S3 PutObject as the player needs it: the object's ETag and version. */
const s3ObjectWriter = (s3: S3Client) => ({
  putObject: async (bucket: string, key: string, body: Uint8Array) => {
    const { ETag, VersionId } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    if (ETag === undefined) throw new Error(`PutObject ${key} answered no ETag`);
    return { eTag: ETag, ...(VersionId === undefined ? {} : { versionId: VersionId }) };
  },
});
