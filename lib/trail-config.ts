import { Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Node } from 'constructs';
import { DEFAULT_TRAIL_NAME, trailNameProblem } from '../lambda/core/cloudtrail/trail-arn.js';
import type { LogLineFormat } from '../lambda/core/pipeline.js';
import { PROVENANCE_MODES, type ProvenanceMode } from '../lambda/core/provenance.js';
import { type RedactionRules, redactionProblems } from '../lambda/core/redaction.js';
import { selectorProblems, type TrailSelectors } from '../lambda/core/selectors.js';
import { type ArchiveProps, archivePropsProblems, type ObjectLockMode } from './constructs/archive.js';
import { type ConsoleSiteOptions, consoleSitePropsProblems } from './constructs/console-site.js';
import { type EventAlarmsOptions, eventAlarmsPropsProblems } from './constructs/event-alarms.js';
import { eventStorePropsProblems } from './constructs/event-store.js';
import { type InsightsProps, insightsPropsProblems } from './constructs/insights.js';
import { type IntegrityOptions, integrityPropsProblems } from './constructs/integrity.js';
import { type LogForwardingProps, logForwardingPropsProblems } from './constructs/log-forwarding.js';
import { type ChannelProps, channelProblems } from './constructs/trail-api.js';
import { definedProps } from './props-merge.js';
import { nestedProblems, oneOfProblem, positiveNumberProblem } from './props-validation.js';

/** Archive settings a Trail passes through; the key, the log retention and the removal policy are the Trail's. */
export type TrailArchiveOptions = Omit<ArchiveProps, 'encryptionKey' | 'logRetention' | 'removalPolicy'>;

/** Event log group settings a Trail passes through; the key is the Trail's. */
export type TrailLogForwardingOptions = Omit<LogForwardingProps, 'encryptionKey'>;

/** Insights settings a Trail passes through; the table, log retention, alarm topic and key are the Trail's. */
export type TrailInsightsOptions = Omit<
  InsightsProps,
  'eventStore' | 'logRetention' | 'alarmTopic' | 'encryptionKey'
>;

/**
 * The one typed configuration of a trail. Every field is optional; `validateTrailProps` checks them all at once,
 * and `trailPropsFromContext` reads the ones with a scalar form from CDK context (docs/configuration.md).
 */
export interface TrailProps {
  /**
   * The trail's name, as CloudTrail's DescribeTrails gives it, in its ARN (`arn:<partition>:cloudtrail:<region>:
   * <account>:trail/<name>`) and in its digest keys: CloudTrail's rules, 3 to 128 letters, digits, `.`, `_` or `-`,
   * starting and ending with a letter or digit, no two of `._-` in a row, not an IP address.
   *
   * @default - the stack name and the trail's path in it, joined by `-`
   */
  readonly trailName?: string;
  /**
   * Days an event stays searchable, 1 to 3650.
   *
   * @default 90
   */
  readonly retentionDays?: number;
  /**
   * Write shards per hot key, 1 to 32.
   *
   * @default 16
   */
  readonly writeShards?: number;
  /**
   * DynamoDB point-in-time recovery of the events table. Off, the S3 archive is its backup and `npm run rebuild`
   * restores it (docs/storage.md, "Point-in-time recovery and rebuilding from the archive").
   *
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Retention of the function logs, the API access logs and the Firehose delivery error log: one of the
   * CloudWatch Logs retention periods.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Throttling of every API route.
   *
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly apiThrottle?: ThrottleSettings;
  /**
   * Throttling of each put route, a bucket of its own (see TrailApiProps.putThrottle).
   *
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly putThrottle?: ThrottleSettings;
  /**
   * Throttling of each lookup route, a bucket of its own, so a producer flood never throttles readers.
   *
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly lookupThrottle?: ThrottleSettings;
  /**
   * Reserves each API function's concurrency as the manifest sizes it (ingest 200, lookup 40): a producer flood can
   * then take neither the readers' share nor the stream consumers'. The account needs 100 unreserved beyond that;
   * turn it off for an account with a small concurrency quota.
   *
   * @default true
   */
  readonly reservedConcurrency?: boolean;
  /**
   * The S3 archive, its Firehose stream and its Athena table: lifecycle (days to Standard-IA, Glacier Instant
   * Retrieval, expiry), Object Lock, buffering, database name, bucket overrides.
   *
   * @default - see ArchiveProps; the database is named after the stack and the trail's path in it
   */
  readonly archive?: TrailArchiveOptions;
  /**
   * The CloudWatch Logs group holding one line per event: retention and line format (`logLine`).
   *
   * @default - kept one year, full lines
   */
  readonly logForwarding?: TrailLogForwardingOptions;
  /**
   * Metric filters and alarms on the event log group: true or options for defaults or thresholds, false to leave
   * them out (emulators without AWS::Logs::MetricFilter).
   *
   * @default true
   */
  readonly eventAlarms?: boolean | EventAlarmsOptions;
  /**
   * Insights: the counter consumer, the scheduled insights function and the EventBridge bus. `false` leaves all
   * three out.
   *
   * @default - on, see InsightsProps
   */
  readonly insights?: TrailInsightsOptions | false;
  /**
   * Tamper evidence in CloudTrail's format (docs/integrity.md): the deliveries queue and ledger, the scheduled
   * digester, the digest bucket (optionally under Object Lock) and the signing key. `false` leaves all of it out.
   *
   * @default - on: a digest every hour, no Object Lock, a signing key of its own
   */
  readonly integrity?: IntegrityOptions | false;
  /**
   * The channels `POST /PutAuditEvents` accepts, each with its name (CloudTrail's rules, checked by TrailApi) and
   * optionally the principals allowed to put to it.
   *
   * @default - one channel named `default` that any producer may put to
   */
  readonly channels?: readonly ChannelProps[];
  /**
   * Which events the trail records: basic selectors (management reads and writes, data events) or advanced
   * selectors with CloudTrail's fields and operators, and optionally the regions (docs/selectors.md). Checked at
   * synth with CloudTrail's limits; the ingest function gets them as JSON.
   *
   * @default - CloudTrail's default trail: management reads and writes, no data events, every region
   */
  readonly selectors?: TrailSelectors;
  /**
   * Where producers' events may claim to come from, on both put routes: `strict` refuses a foreign
   * `recipientAccountId` and `*.amazonaws.com` event sources (as PutAuditEvents does); `relaxed` keeps them as sent,
   * for trails that collect forwarded events. OpenTrail's own identities are refused either way.
   *
   * @default 'strict'
   */
  readonly provenance?: ProvenanceMode;
  /**
   * What the ingest function masks in requestParameters, responseElements and additionalEventData before an event
   * is stored: the default secret-looking keys, more key names, exact paths (docs/selectors.md).
   *
   * @default - keys that look like secrets (password, token, API keys, ...) are masked
   */
  readonly redaction?: RedactionRules;
  /**
   * Email address subscribed to the alarm topic (a topic is created when `alarmTopic` is not given). The address
   * must confirm the subscription before it receives anything.
   *
   * @default - no email subscription
   */
  readonly alarmEmail?: string;
  /**
   * Topic notified by every alarm the trail creates (event alarms and dead-letter queue alarms).
   *
   * @default - a new topic when `alarmEmail` is given, otherwise alarms notify no one
   */
  readonly alarmTopic?: ITopic;
  /**
   * RETAIN keeps the table, the buckets and the event log group when the stack is deleted. DESTROY, for
   * development stacks only, deletes every resource of the trail: it turns off the table's deletion protection
   * and empties the buckets first. Conflicts with `archive.objectLockRetentionDays`.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer managed KMS key for the table, the archive bucket and its Firehose stream, every log group, the
   * dead-letter queues, the insights bus and the alarm topic. A key defined in the app gets the key policy
   * statements CloudWatch Logs, EventBridge and CloudWatch alarms need; an imported key's policy must already
   * allow them (docs/configuration.md).
   *
   * @default - AWS managed or owned keys (the table's aws/dynamodb key, SSE-S3, SQS-managed keys, ...)
   */
  readonly encryptionKey?: IKey;
  /**
   * Creates the CloudWatch dashboard (TrailDashboard).
   *
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * The investigator's console in AWS (ConsoleSite): CloudFront in front of a private bucket, Cognito sign-in with
   * MFA, an identity pool whose role may only look up, and CORS on the API for the console's origin. `false` leaves
   * all of it out (as local mode and MiniStack want).
   *
   * @default true
   */
  readonly console?: boolean | ConsoleSiteOptions;
}

/** The topic and key as context can give them (strings from `-c`): by ARN, or a key the stack creates. */
export interface TrailResourceSettings {
  /** ARN of an existing SNS topic for the alarms (`alarmTopic`). */
  readonly alarmTopicArn?: string;
  /** ARN of an existing customer managed KMS key (`encryptionKey`); its key policy must allow the services. */
  readonly encryptionKeyArn?: string;
  /**
   * Creates a customer managed KMS key (rotated yearly) in the stack and uses it as `encryptionKey`. It is retained
   * with the stack unless `removalPolicy` is DESTROY.
   *
   * @default false
   */
  readonly createEncryptionKey?: boolean;
}

/** The configuration as context can express it: scalars only, topic and key by ARN. */
export type TrailContextProps = Omit<TrailProps, 'alarmTopic' | 'encryptionKey'> & TrailResourceSettings;

/** A trail name from a stack path: other characters become `-`, runs of `._-` one `-`, cut to 128. */
export function defaultTrailName(stackPath: string): string {
  if (Token.isUnresolved(stackPath)) return DEFAULT_TRAIL_NAME;
  const name = stackPath
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+/, '')
    .slice(0, 128)
    .replace(/[._-]+$/, '');
  return name.length >= 3 ? name : `opentrail-${name}`.replace(/-$/, '');
}

/** CloudTrail's naming rules (the control-plane reads refuse names by the same function). */
function trailNamePropProblem(name: string | undefined): string | undefined {
  if (name === undefined || Token.isUnresolved(name)) return undefined;
  const problem = trailNameProblem(name);
  return problem === undefined ? undefined : `trailName: ${problem}`;
}

/** The CloudWatch Logs retention periods, in days (RetentionDays, INFINITE included). */
const LOG_RETENTION_DAYS = Object.values(RetentionDays).filter(
  (value): value is RetentionDays => typeof value === 'number',
);
const REMOVAL_POLICIES = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY] as const;
/** Deliberately loose: SNS checks the address, this catches typos such as a missing `@` before deployment. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ARN_PATTERNS = {
  alarmTopicArn: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
  encryptionKeyArn: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
} as const;

/**
 * Every problem with a trail's configuration, one message each, named after the prop holding it. The rules are
 * the constructs' own (each exports its problems function), so a value is checked the same way whether it comes
 * from props, context or a construct used on its own.
 */
export function validateTrailProps(props: TrailProps & TrailResourceSettings): string[] {
  const { archive, logForwarding, eventAlarms, insights } = props;
  const problems: (string | undefined)[] = [
    trailNamePropProblem(props.trailName),
    ...eventStorePropsProblems({ retentionDays: props.retentionDays, writeShards: props.writeShards }),
    oneOfProblem('logRetention', props.logRetention, LOG_RETENTION_DAYS),
    positiveNumberProblem('apiThrottle.rateLimit', props.apiThrottle?.rateLimit),
    positiveNumberProblem('apiThrottle.burstLimit', props.apiThrottle?.burstLimit),
    ...(['putThrottle', 'lookupThrottle'] as const).flatMap((side) => [
      positiveNumberProblem(`${side}.rateLimit`, props[side]?.rateLimit),
      positiveNumberProblem(`${side}.burstLimit`, props[side]?.burstLimit),
    ]),
    ...nestedProblems(
      'archive',
      archivePropsProblems({
        ...archive,
        ...definedProps({
          encryptionKey: props.encryptionKey,
          // An unknown policy is reported once, below, not again as the archive's.
          removalPolicy: REMOVAL_POLICIES.find((policy) => policy === props.removalPolicy),
        }),
      }),
    ),
    ...nestedProblems('logForwarding', logForwardingPropsProblems({ ...logForwarding })),
    ...(typeof eventAlarms === 'object'
      ? nestedProblems('eventAlarms', eventAlarmsPropsProblems(eventAlarms))
      : []),
    ...(insights === false || insights === undefined
      ? []
      : nestedProblems('insights', insightsPropsProblems(insights))),
    ...(props.integrity === false || props.integrity === undefined
      ? []
      : nestedProblems(
          'integrity',
          integrityPropsProblems({
            ...props.integrity,
            ...definedProps({
              removalPolicy: REMOVAL_POLICIES.find((policy) => policy === props.removalPolicy),
            }),
          }),
        )),
    ...(typeof props.console === 'object'
      ? nestedProblems('console', consoleSitePropsProblems(props.console))
      : []),
    // The core's messages name their place inside the value (`advanced[0].fieldSelectors[1] ...`); the redaction
    // ones already start with `redaction`.
    ...selectorProblems(props.selectors).map((problem) => `selectors: ${problem}`),
    ...redactionProblems(props.redaction),
    oneOfProblem('provenance', props.provenance, PROVENANCE_MODES),
    ...(props.channels === undefined ? [] : channelProblems(props.channels)),
    oneOfProblem('removalPolicy', props.removalPolicy, REMOVAL_POLICIES),
    props.alarmEmail === undefined ||
    Token.isUnresolved(props.alarmEmail) ||
    EMAIL_PATTERN.test(props.alarmEmail)
      ? undefined
      : `alarmEmail must be an email address (got ${props.alarmEmail})`,
    props.alarmTopic && props.alarmTopicArn
      ? 'alarmTopic and alarmTopicArn conflict: set only one'
      : undefined,
    [props.encryptionKey, props.encryptionKeyArn, props.createEncryptionKey || undefined].filter(
      (setting) => setting !== undefined,
    ).length > 1
      ? 'encryptionKey, encryptionKeyArn and createEncryptionKey conflict: set only one'
      : undefined,
    arnProblem('alarmTopicArn', props.alarmTopicArn),
    arnProblem('encryptionKeyArn', props.encryptionKeyArn),
  ];
  return problems.filter((problem): problem is string => problem !== undefined);
}

function arnProblem(name: keyof typeof ARN_PATTERNS, arn: string | undefined): string | undefined {
  if (arn === undefined || Token.isUnresolved(arn) || ARN_PATTERNS[name].test(arn)) return undefined;
  return `${name} must be ${name === 'alarmTopicArn' ? 'an SNS topic ARN' : 'a KMS key ARN (key/<id>)'} (got ${arn})`;
}

/**
 * The trail configuration from CDK context: `cdk deploy -c retentionDays=30 -c alarmEmail=ops@example.com
 * -c removalPolicy=destroy`. Values come as strings from `-c` or typed from cdk.json. Values that do not parse and
 * values out of range are reported together in one error, by the same rules the Trail applies to its props.
 */
export function trailPropsFromContext(node: Node): TrailContextProps {
  const read = new ContextReader(node);
  const insightsOn = read.boolean('insights');
  const integrityOn = read.boolean('integrity');
  const eventAlarmsOn = read.boolean('eventAlarms');
  const removalPolicy = read.string('removalPolicy')?.toLowerCase();
  const props: TrailContextProps = definedProps<TrailContextProps>({
    trailName: read.string('trailName'),
    retentionDays: read.number('retentionDays'),
    writeShards: read.number('writeShards'),
    pointInTimeRecovery: read.boolean('pointInTimeRecovery'),
    logRetention: read.number('logRetentionDays'),
    apiThrottle: optionalObject<ThrottleSettings>({
      rateLimit: read.number('apiRateLimit'),
      burstLimit: read.number('apiBurstLimit'),
    }),
    putThrottle: optionalObject<ThrottleSettings>({
      rateLimit: read.number('putRateLimit'),
      burstLimit: read.number('putBurstLimit'),
    }),
    lookupThrottle: optionalObject<ThrottleSettings>({
      rateLimit: read.number('lookupRateLimit'),
      burstLimit: read.number('lookupBurstLimit'),
    }),
    reservedConcurrency: read.boolean('reservedConcurrency'),
    archive: optionalObject<TrailArchiveOptions>({
      infrequentAccessAfterDays: read.number('archiveInfrequentAccessAfterDays'),
      glacierInstantRetrievalAfterDays: read.number('archiveGlacierAfterDays'),
      expirationDays: read.number('archiveExpirationDays'),
      objectLockRetentionDays: read.number('archiveObjectLockDays'),
      // Checked against OBJECT_LOCK_MODES by the validation.
      objectLockMode: read.string('archiveObjectLockMode')?.toUpperCase() as ObjectLockMode | undefined,
      serverAccessLogs: read.boolean('archiveServerAccessLogs'),
      bufferingInterval: read.amount('archiveBufferingSeconds', Duration.seconds),
      bufferingSize: read.amount('archiveBufferingMebibytes', Size.mebibytes),
      databaseName: read.string('archiveDatabaseName'),
      workGroup: read.string('archiveWorkGroup'),
      athenaQueries: read.boolean('athenaQueries'),
    }),
    logForwarding: optionalObject<TrailLogForwardingOptions>({
      retention: read.number('eventLogRetentionDays'),
      // Checked against LOG_LINE_FORMATS by the validation.
      logLine: read.string('logLine') as LogLineFormat | undefined,
    }),
    eventAlarms:
      eventAlarmsOn === false
        ? false
        : (optionalObject<EventAlarmsOptions>({
            metricNamespace: read.string('eventAlarmsMetricNamespace'),
            accessDeniedThreshold: read.number('accessDeniedThreshold'),
            resourceDeletesThreshold: read.number('resourceDeletesThreshold'),
            consoleSignInFailuresThreshold: read.number('consoleSignInFailuresThreshold'),
          }) ?? eventAlarmsOn),
    insights:
      insightsOn === false
        ? false
        : optionalObject<TrailInsightsOptions>({
            schedule: read.amount('insightsScheduleMinutes', Duration.minutes),
            baselineDays: read.number('insightsBaselineDays'),
            sensitivity: read.number('insightsSensitivity'),
            minVolume: read.number('insightsMinVolume'),
            eventBusName: read.string('insightsEventBusName'),
          }),
    integrity:
      integrityOn === false
        ? false
        : optionalObject<IntegrityOptions>({
            digestInterval: read.amount('digestIntervalMinutes', Duration.minutes),
            digestKeyPrefix: read.string('digestKeyPrefix'),
            objectLockRetentionDays: read.number('digestObjectLockDays'),
            // Checked against OBJECT_LOCK_MODES by the validation.
            objectLockMode: read.string('digestObjectLockMode')?.toUpperCase() as ObjectLockMode | undefined,
          }),
    channels: read
      .string('channels')
      ?.split(',')
      .map((name) => ({ name: name.trim() })),
    // Checked by selectorProblems and redactionProblems in the validation.
    selectors: read.json('selectors') as TrailSelectors | undefined,
    redaction: read.json('redaction') as RedactionRules | undefined,
    // Checked against PROVENANCE_MODES by the validation.
    provenance: read.string('provenance') as ProvenanceMode | undefined,
    alarmEmail: read.string('alarmEmail'),
    alarmTopicArn: read.string('alarmTopicArn'),
    encryptionKeyArn: read.string('encryptionKeyArn'),
    createEncryptionKey: read.boolean('createEncryptionKey'),
    // Checked against RETAIN and DESTROY by the validation; RemovalPolicy's values are the lower-case words.
    removalPolicy: removalPolicy as RemovalPolicy | undefined,
    dashboard: read.boolean('dashboard'),
    console: read.boolean('console'),
  });
  const problems = [...read.problems, ...validateTrailProps(props)];
  if (problems.length > 0) {
    throw new Error(
      `Invalid OpenTrail context (-c key=value, docs/configuration.md):\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
  }
  return props;
}

/** The context keys trailPropsFromContext reads, in the order docs/configuration.md lists them. */
export const TRAIL_CONTEXT_KEYS = [
  'trailName',
  'retentionDays',
  'writeShards',
  'pointInTimeRecovery',
  'logRetentionDays',
  'apiRateLimit',
  'apiBurstLimit',
  'putRateLimit',
  'putBurstLimit',
  'lookupRateLimit',
  'lookupBurstLimit',
  'reservedConcurrency',
  'archiveInfrequentAccessAfterDays',
  'archiveGlacierAfterDays',
  'archiveExpirationDays',
  'archiveObjectLockDays',
  'archiveObjectLockMode',
  'archiveServerAccessLogs',
  'archiveBufferingSeconds',
  'archiveBufferingMebibytes',
  'archiveDatabaseName',
  'archiveWorkGroup',
  'athenaQueries',
  'eventLogRetentionDays',
  'logLine',
  'eventAlarms',
  'eventAlarmsMetricNamespace',
  'accessDeniedThreshold',
  'resourceDeletesThreshold',
  'consoleSignInFailuresThreshold',
  'insights',
  'insightsScheduleMinutes',
  'insightsBaselineDays',
  'insightsSensitivity',
  'insightsMinVolume',
  'insightsEventBusName',
  'integrity',
  'digestIntervalMinutes',
  'digestKeyPrefix',
  'digestObjectLockDays',
  'digestObjectLockMode',
  'channels',
  'selectors',
  'redaction',
  'provenance',
  'alarmEmail',
  'alarmTopicArn',
  'encryptionKeyArn',
  'createEncryptionKey',
  'removalPolicy',
  'dashboard',
  'console',
] as const;

type TrailContextKey = (typeof TRAIL_CONTEXT_KEYS)[number];

/** Reads typed values from context, collecting a problem for each value that does not parse. */
class ContextReader {
  public readonly problems: string[] = [];

  constructor(private readonly node: Node) {}

  public number(key: TrailContextKey): number | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'number') return value;
    const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (!Number.isNaN(parsed)) return parsed;
    this.problems.push(`${key} must be a number (got ${String(value)})`);
    return undefined;
  }

  /** An amount in a unit (`Duration.minutes`, `Size.mebibytes`); both refuse negative amounts, reported here. */
  public amount<T>(key: TrailContextKey, inUnit: (amount: number) => T): T | undefined {
    const value = this.number(key);
    if (value === undefined) return undefined;
    if (value >= 0) return inUnit(value);
    this.problems.push(`${key} must not be negative (got ${value})`);
    return undefined;
  }

  public boolean(key: TrailContextKey): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problems.push(`${key} must be true or false (got ${String(value)})`);
    return undefined;
  }

  public string(key: TrailContextKey): string | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'string') return value;
    this.problems.push(`${key} must be a string (got ${JSON.stringify(value)})`);
    return undefined;
  }

  /** JSON from `-c key='{...}'`, or the value itself when cdk.json holds an object. */
  public json(key: TrailContextKey): unknown {
    const value = this.raw(key);
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      this.problems.push(`${key} must be JSON (${(error as Error).message})`);
      return undefined;
    }
  }

  private raw(key: TrailContextKey): unknown {
    const value: unknown = this.node.tryGetContext(key);
    return value ?? undefined;
  }
}

/** The object with its undefined fields dropped, or undefined when none is left. */
function optionalObject<T extends object>(fields: T): T | undefined {
  const defined = definedProps(fields);
  return Object.keys(defined).length === 0 ? undefined : (defined as T);
}
