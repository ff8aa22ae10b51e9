import { randomBytes } from 'node:crypto';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  createPipelineResources,
  type PipelineNames,
  type PipelineResources,
} from '../lambda/adapters/pipeline-admin.js';
import { createEventsTable } from '../lambda/adapters/table-admin.js';
import { channelArn, DEFAULT_CHANNEL_NAME } from '../lambda/core/cloudtrail/channels.js';
import { TRAIL_ENV } from '../lambda/core/environment.js';
import type { InsightsRunSummary } from '../lambda/core/insights/run.js';
import type { RedactionRules } from '../lambda/core/redaction.js';
import type { TrailSelectors } from '../lambda/core/selectors.js';
import { routeKey, TRAIL_ROUTE_NAMES, TRAIL_ROUTES } from '../lambda/core/trail-routes.js';
import { type MotoEmulator, startEmulator } from './emulator.js';
import { type RouteTarget, startHttpFront } from './http-front.js';
import { createRouteAuthorizer, type LocalPrincipal } from './route-access.js';
import { type Scheduler, startScheduler } from './scheduler.js';
import { createSigV4Verifier, localUserArn } from './sigv4-verifier.js';
import {
  createStreamPoller,
  latestStreamArn,
  type StreamFunction,
  type StreamMappingSettings,
  type StreamPoller,
  type StreamPollerStats,
  type StreamPollerTiming,
  sqsFailureDestination,
} from './stream-poller.js';

/**
 * Local mode: moto for the AWS side, the HTTP front for API Gateway, a stream poller per pipeline consumer for
 * the DynamoDB event source mappings, and the real handlers in this process, configured through the same
 * environment variables as in AWS.
 */

/** The table stream's consumers (docs/pipeline.md). */
export type StreamConsumer = 'archive' | 'logForward' | 'insightsCounter';

export const DEFAULT_PIPELINE_NAMES: PipelineNames = {
  bucketName: 'opentrail-archive',
  deliveryStreamName: 'opentrail-events',
  logGroupName: '/opentrail/events',
  archiveDlqName: 'opentrail-archive-dlq',
  logForwardDlqName: 'opentrail-log-forward-dlq',
};

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface LocalOptions {
  /** Port of the API; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** An emulator that is already running (tests share one); without it local mode starts its own. */
  readonly awsEndpoint?: string;
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
  /** @default 90 */
  readonly retentionDays?: number;
  /** @default 16 */
  readonly writeShards?: number;
  /** Names of the pipeline's bucket, delivery stream, log group and dead-letter queues. @default DEFAULT_PIPELINE_NAMES */
  readonly pipelineNames?: Partial<PipelineNames>;
  /** Wraps each stream consumer's handler, e.g. to inject faults in a test. @default the handlers as they are */
  readonly wrapStreamHandler?: (consumer: StreamConsumer, handler: StreamFunction) => StreamFunction;
  /** Event source mapping settings and poller timings for both consumers. @default the stack's mapping */
  readonly streamMapping?: StreamMappingSettings & StreamPollerTiming;
  /** Insights: baseline window and how often the scheduled function runs. @default from OPENTRAIL_INSIGHTS_* or 7 days, 60 s */
  readonly insights?: { readonly baselineMinutes?: number; readonly intervalSeconds?: number };
  /** Diagnostics (emulator output, one line per request and per stream batch); never stdout. @default drop them */
  readonly log?: (line: string) => void;
}

export interface LocalHandle {
  readonly apiUrl: string;
  readonly region: string;
  readonly awsEndpoint: string;
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
  /** Each consumer's poller counters: invocations, records delivered, records sent to its DLQ. */
  streamStats(): Record<StreamConsumer, StreamPollerStats>;
  /** Runs the scheduled insights function now and returns its summary. */
  runInsights(): Promise<InsightsRunSummary>;
  /** Stops the API, the stream pollers and, if local mode started it, the emulator. */
  stop(): Promise<void>;
}

/** Route key -> function, for every route of TRAIL_ROUTES: put routes run on ingest, lookup routes on lookup. */
export const loadRoutes = async (): Promise<Map<string, RouteTarget>> => {
  const ingest = await import('../lambda/handlers/ingest.js');
  const lookup = await import('../lambda/handlers/lookup.js');
  const targets = {
    put: { functionName: 'opentrail-ingest', handler: ingest.handler },
    lookup: { functionName: 'opentrail-lookup', handler: lookup.handler },
  } satisfies Record<string, RouteTarget>;
  return new Map(
    TRAIL_ROUTE_NAMES.map((name) => [routeKey(TRAIL_ROUTES[name]), targets[TRAIL_ROUTES[name].access]]),
  );
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

/** Consumer -> function, as the stack deploys them (lambda/handlers, docs/pipeline.md). */
const loadStreamConsumers = async (): Promise<Record<StreamConsumer, StreamTarget>> => {
  const archive = await import('../lambda/handlers/archive.js');
  const logForward = await import('../lambda/handlers/log-forward.js');
  const insightsCounter = await import('../lambda/handlers/insights-counter.js');
  return {
    archive: { functionName: 'opentrail-archive', handler: archive.handler },
    logForward: { functionName: 'opentrail-log-forward', handler: logForward.handler },
    insightsCounter: { functionName: 'opentrail-insights-counter', handler: insightsCounter.handler },
  };
};

interface StreamTarget {
  readonly functionName: string;
  readonly handler: StreamFunction;
}

/**
 * The handlers read their configuration once, at module load, and a module loads once per process. The
 * first configuration therefore sticks; a later start that needs another one would silently talk to the
 * wrong emulator or table, so it is refused.
 */
let loadedHandlerConfig: string | undefined;

export const startLocal = async (options: LocalOptions = {}): Promise<LocalHandle> => {
  const region = options.region ?? 'us-east-1';
  const tableName = options.tableName ?? 'opentrail-events';
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

  const emulator: MotoEmulator | undefined =
    options.awsEndpoint === undefined
      ? await startEmulator({ log: withoutRoutineAccessLines(log) })
      : undefined;
  const awsEndpoint = options.awsEndpoint ?? emulator?.url ?? '';
  const clientConfig = { region, endpoint: awsEndpoint, credentials };
  const dynamodb = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const eventBridge = new EventBridgeClient(clientConfig);
  const pollers: StreamPoller[] = [];
  let scheduler: Scheduler<InsightsRunSummary> | undefined;
  const shutdown = async () => {
    try {
      await scheduler?.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
    } finally {
      for (const client of [dynamodb, streams, sqs, eventBridge]) client.destroy();
      await emulator?.stop();
    }
  };
  const defaultChannelArn = channelArn('aws', region, API_ACCOUNT_ID, DEFAULT_CHANNEL_NAME);
  try {
    const handlerEnvironment = {
      [TRAIL_ENV.tableName]: tableName,
      [TRAIL_ENV.retentionDays]: String(options.retentionDays ?? 90),
      [TRAIL_ENV.writeShards]: String(options.writeShards ?? 16),
      [TRAIL_ENV.deliveryStreamName]: names.deliveryStreamName,
      [TRAIL_ENV.logGroupName]: names.logGroupName,
      [TRAIL_ENV.eventBusName]: INSIGHTS_BUS_NAME,
      [TRAIL_ENV.channels]: JSON.stringify([{ arn: defaultChannelArn }]),
      // Empty means unset: the ingest function then applies the defaults (lambda/adapters/ingest-policy-config.ts).
      [TRAIL_ENV.selectors]: options.selectors === undefined ? '' : JSON.stringify(options.selectors),
      [TRAIL_ENV.redaction]: options.redaction === undefined ? '' : JSON.stringify(options.redaction),
      [TRAIL_ENV.insightsBaselineMinutes]: String(
        options.insights?.baselineMinutes ?? process.env[TRAIL_ENV.insightsBaselineMinutes] ?? 7 * 1440,
      ),
      AWS_REGION: region,
      AWS_ENDPOINT_URL: awsEndpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      POWERTOOLS_SERVICE_NAME: 'opentrail',
    };
    const handlerConfig = JSON.stringify(handlerEnvironment);
    if (loadedHandlerConfig !== undefined && loadedHandlerConfig !== handlerConfig) {
      throw new Error('The handlers were already loaded in this process with another configuration');
    }
    const [, pipeline, insightsDlqUrl] = await Promise.all([
      createEventsTable(dynamodb, tableName),
      createPipeline(clientConfig, names),
      createInsightsResources(eventBridge, sqs),
    ]);

    Object.assign(process.env, handlerEnvironment, {
      // Only NextToken signing uses it; a fresh one per start invalidates tokens from an earlier run.
      [TRAIL_ENV.tokenSecret]: randomBytes(32).toString('base64url'),
    });
    const routes = await loadRoutes();
    const consumers = await loadStreamConsumers();
    loadedHandlerConfig = handlerConfig;

    // One event source mapping per consumer, each with its own poller, progress and dead-letter queue.
    const streamArn = await latestStreamArn(dynamodb, tableName);
    const dlqUrls: Record<StreamConsumer, string> = {
      archive: pipeline.archiveDlqUrl,
      logForward: pipeline.logForwardDlqUrl,
      insightsCounter: insightsDlqUrl,
    };
    const startPoller = (consumer: StreamConsumer): StreamPoller => {
      const { functionName, handler } = consumers[consumer];
      const poller = createStreamPoller({
        ...options.streamMapping,
        functionName,
        handler: options.wrapStreamHandler?.(consumer, handler) ?? handler,
        streams,
        streamArn,
        onFailure: sqsFailureDestination(sqs, dlqUrls[consumer]),
        log,
      });
      pollers.push(poller);
      poller.start();
      return poller;
    };
    const archivePoller = startPoller('archive');
    const logForwardPoller = startPoller('logForward');
    const insightsCounterPoller = startPoller('insightsCounter');
    const insights = await import('../lambda/handlers/insights.js');
    scheduler = startScheduler({
      functionName: 'opentrail-insights',
      handler: insights.handler,
      intervalMs:
        1000 *
        Number(options.insights?.intervalSeconds ?? process.env.OPENTRAIL_INSIGHTS_INTERVAL_SECONDS ?? 60),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      log,
    });
    const insightsScheduler = scheduler;

    const front = await startHttpFront({
      routes,
      verifySignature,
      authorize: createRouteAuthorizer(principals),
      port: options.port ?? 0,
      region,
      accountId: API_ACCOUNT_ID,
      log,
    });
    return {
      apiUrl: front.url,
      region,
      awsEndpoint,
      ...pairs,
      callerArns,
      tableName,
      pipeline,
      eventBusName: INSIGHTS_BUS_NAME,
      accountId: API_ACCOUNT_ID,
      channelArn: defaultChannelArn,
      streamStats: () => ({
        archive: archivePoller.stats(),
        logForward: logForwardPoller.stats(),
        insightsCounter: insightsCounterPoller.stats(),
      }),
      runInsights: () => insightsScheduler.runNow(),
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

const INSIGHTS_BUS_NAME = 'opentrail-insights';
const INSIGHTS_COUNTER_DLQ_NAME = 'opentrail-insights-counter-dlq';
/** The account the local API reports as its own (requestContext.accountId) and callers' accounts. */
const API_ACCOUNT_ID = '000000000000';
/** The account local mode's functions run in (moto's default). */
const LOCAL_ACCOUNT_ID = '123456789012';

/** The insights bus and the counter consumer's dead-letter queue (docs/insights.md); idempotent. */
const createInsightsResources = async (eventBridge: EventBridgeClient, sqs: SQSClient): Promise<string> => {
  try {
    await eventBridge.send(new CreateEventBusCommand({ Name: INSIGHTS_BUS_NAME }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: INSIGHTS_COUNTER_DLQ_NAME }));
  return QueueUrl ?? '';
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

/** The bucket, delivery stream, log group and dead-letter queues the stack would own (docs/pipeline.md). */
const createPipeline = async (
  clientConfig: { region: string; endpoint: string; credentials: LocalCredentials },
  names: PipelineNames,
): Promise<PipelineResources> => {
  const clients = {
    // An emulator on an IP address has no bucket subdomains.
    s3: new S3Client({ ...clientConfig, forcePathStyle: true }),
    firehose: new FirehoseClient(clientConfig),
    logs: new CloudWatchLogsClient(clientConfig),
    sqs: new SQSClient(clientConfig),
  };
  try {
    // moto evaluates no Firehose prefix expressions and appends the hour path itself (pipeline-admin.ts).
    return await createPipelineResources(clients, names, { prefixStyle: 'appended-by-emulator' });
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
};
