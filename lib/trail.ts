import {
  ArnFormat,
  AspectPriority,
  Aspects,
  Lazy,
  RemovalPolicies,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { EventBus, IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import type { CfnTable, Database } from 'aws-cdk-lib/aws-glue';
import { type Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { trailArn } from '../lambda/core/cloudtrail/trail-arn.js';
import { FUNCTIONS, type FunctionName } from '../lambda/manifest/functions.js';
import { CustomerKeyAspect } from './aspects/customer-key.js';
import { Archive, defaultDatabaseName } from './constructs/archive.js';
import { ConsoleSite } from './constructs/console-site.js';
import { type NamedResource, TrailDashboard } from './constructs/dashboard.js';
import { EventAlarms } from './constructs/event-alarms.js';
import { EventStore } from './constructs/event-store.js';
import { type InsightRuleOptions, Insights } from './constructs/insights.js';
import { Integrity } from './constructs/integrity.js';
import { allowLogsToUseKey, LogForwarding } from './constructs/log-forwarding.js';
import { StreamConsumer } from './constructs/stream-consumer.js';
import { TrailApi } from './constructs/trail-api.js';
import { checkEnvironmentBudget } from './lambda-environment.js';
import { throwIfInvalid } from './props-validation.js';
import { defaultTrailName, type TrailProps, validateTrailProps } from './trail-config.js';
import { grantPermissions, type PermissionGrants, type SettingValues } from './trail-function.js';
import { functionsOf, type StreamConsumerName } from './trail-functions.js';

export type { ChannelProps } from './constructs/trail-api.js';
export type {
  TrailArchiveOptions,
  TrailInsightsOptions,
  TrailLogForwardingOptions,
  TrailProps,
} from './trail-config.js';

/** CDK leaves this construct id out of logical IDs: a Trail with it keeps the IDs its resources had in a stack. */
export const HIDDEN_TRAIL_ID = 'Default';

/**
 * The selectors, redaction rules and provenance as the ingest function applies them (the lookup function answers
 * GetEventSelectors from the same selectors); unset means the defaults.
 */
function ingestPolicySettings({ selectors, redaction, provenance }: TrailProps): SettingValues {
  return {
    selectors: selectors === undefined ? undefined : JSON.stringify(selectors),
    redaction: redaction === undefined ? undefined : JSON.stringify(redaction),
    provenance,
  };
}

/** `archive` -> `Archive`: how a stream consumer's dashboard widget, queue and output are named. */
const pascalCase = (name: string): string => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/**
 * OpenTrail as one reusable construct: the events table and the API in front of it, and the pipeline behind it:
 * the archive (Firehose -> S3 -> Athena), the event log group (with alarms) and the insights counters, each fed by
 * its own stream consumer, the insights function putting insight events on an EventBridge bus, and a dashboard.
 * `new Trail(this, 'Trail', props)`, then `trail.grantPut(producer)`, `trail.grantLookup(reader)` and
 * `trail.onInsight(target)`.
 */
export class Trail extends Construct {
  public readonly eventStore: EventStore;
  public readonly trailApi: TrailApi;
  public readonly archive: Archive;
  public readonly logForwarding: LogForwarding;
  /** The stream consumers the trail itself holds (the insights counter belongs to `insights`). */
  private readonly trailConsumers: ReadonlyMap<FunctionName, StreamConsumer>;
  /** Undefined when `eventAlarms` is false. */
  public readonly eventAlarms?: EventAlarms;
  /** Undefined when `insights` is false. */
  public readonly insights?: Insights;
  /** Signed, chained digests of the archive; undefined when `integrity` is false. */
  public readonly integrity?: Integrity;
  /** Undefined when `dashboard` is false. */
  public readonly dashboard?: TrailDashboard;
  /** The console in AWS (CloudFront, Cognito); undefined when `console` is false. */
  public readonly consoleSite?: ConsoleSite;
  /** The topic every alarm notifies: `alarmTopic`, or the one created for `alarmEmail`; undefined without both. */
  public readonly alarmTopic?: ITopic;
  /** The customer managed key, when one is given. */
  public readonly encryptionKey?: IKey;
  /** The trail's name, as CloudTrail's DescribeTrails and the digest keys give it. */
  public readonly trailName: string;
  /** The trail's CloudTrail-style ARN: `arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`. */
  public readonly trailArn: string;

  constructor(scope: Construct, id: string, props: TrailProps = {}) {
    super(scope, id);
    throwIfInvalid('Trail', validateTrailProps(props));
    const { encryptionKey, logRetention } = props;
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    this.encryptionKey = encryptionKey;
    this.alarmTopic = this.createAlarmTopic(props);
    this.trailName = props.trailName ?? this.defaultTrailName();
    // The ARN's one spelling (trail-arn.ts), from the stack's values: literals when known, else pseudo-parameter tokens.
    const stack = Stack.of(this);
    this.trailArn = trailArn({
      partition: stack.partition,
      region: stack.region,
      account: stack.account,
      name: this.trailName,
    });

    this.eventStore = new EventStore(this, 'EventStore', {
      retentionDays: props.retentionDays,
      writeShards: props.writeShards,
      pointInTimeRecovery: props.pointInTimeRecovery,
      encryptionKey,
      ...(destroy ? { tableProps: { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false } } : {}),
    });
    this.archive = new Archive(this, 'Archive', {
      ...props.archive,
      databaseName: props.archive?.databaseName ?? this.defaultDatabaseName(),
      logRetention,
      encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    this.logForwarding = new LogForwarding(this, 'LogForwarding', { ...props.logForwarding, encryptionKey });

    // The manifest's stream consumers of the archive and the event log, each with what it reads and may touch.
    const settings: SettingValues = {
      tableName: this.eventStore.table.tableName,
      retentionDays: this.eventStore.retentionDays,
      writeShards: this.eventStore.writeShards,
      deliveryStreamName: this.archive.deliveryStream.deliveryStreamName,
      logGroupName: this.logForwarding.logGroup.logGroupName,
      logLine: this.logForwarding.logLine,
    };
    const grants: PermissionGrants = {
      'archive:putRecords': (grantee) => this.archive.grantPutRecords(grantee),
      'eventLog:write': (grantee) => this.logForwarding.grantForward(grantee),
    };
    this.trailConsumers = new Map(
      [...functionsOf('archive', 'stream'), ...functionsOf('logForwarding', 'stream')].map((name) => {
        const consumer = new StreamConsumer(this, FUNCTIONS[name].constructId, {
          eventStore: this.eventStore,
          consumer: name as StreamConsumerName,
          settings,
          logRetention,
          alarmTopic: this.alarmTopic,
          encryptionKey,
        });
        grantPermissions(consumer.function, FUNCTIONS[name], grants);
        return [name, consumer];
      }),
    );
    if (props.eventAlarms !== false) {
      this.eventAlarms = new EventAlarms(this, 'EventAlarms', {
        ...(typeof props.eventAlarms === 'object' ? props.eventAlarms : {}),
        logGroup: this.logForwarding.logGroup,
        alarmTopic: this.alarmTopic,
      });
    }

    if (props.insights !== false) {
      this.insights = new Insights(this, 'Insights', {
        ...props.insights,
        eventStore: this.eventStore,
        logRetention,
        alarmTopic: this.alarmTopic,
        encryptionKey,
      });
    }

    if (props.integrity !== false) {
      this.integrity = new Integrity(this, 'Integrity', {
        ...props.integrity,
        archiveBucket: this.archive.bucket,
        archiveWriterRole: this.archive.deliveryRole,
        trailArn: this.trailArn,
        serverAccessLogsBucket: this.archive.accessLogsBucket,
        encryptionKey,
        logRetention,
        alarmTopic: this.alarmTopic,
        removalPolicy: props.removalPolicy,
      });
    }
    const { integrity } = this;
    this.trailApi = new TrailApi(this, 'TrailApi', {
      eventStore: this.eventStore,
      logRetention,
      throttle: props.apiThrottle,
      putThrottle: props.putThrottle,
      lookupThrottle: props.lookupThrottle,
      reservedConcurrency: props.reservedConcurrency,
      channels: props.channels,
      settings: {
        ...ingestPolicySettings(props),
        insights: this.insights ? 'on' : 'off',
        trailName: this.trailName,
        trailArn: this.trailArn,
        ...(integrity
          ? {
              digestBucketName: integrity.digestBucket.bucketName,
              digestKeyPrefix: integrity.digestKeyPrefix,
              ledgerTableName: integrity.ledgerTable.tableName,
              digestIntervalSeconds: integrity.digestIntervalSeconds,
            }
          : {}),
      },
      ...(integrity ? { grants: { 'ledger:read': (grantee) => integrity.grantReadLedger(grantee) } } : {}),
      // The console is built after the API it calls; its origin reaches the API's CORS at synthesis.
      ...(props.console === false
        ? {}
        : { corsOrigins: Lazy.list({ produce: () => (this.consoleSite ? [this.consoleSite.origin] : []) }) }),
    });
    checkEnvironmentBudget(
      this.trailApi.ingestFunction,
      'Shorten the selectors (fewer values, shared prefixes with startsWith) or the redaction rules, or use fewer channels.',
    );
    // The lookup function reads the selectors too, for GetEventSelectors.
    checkEnvironmentBudget(
      this.trailApi.lookupFunction,
      'Shorten the selectors (fewer values, shared prefixes with startsWith).',
    );

    if (props.dashboard ?? true) {
      this.dashboard = new TrailDashboard(this, 'Dashboard', {
        httpApi: this.trailApi.httpApi,
        ingestFunction: this.trailApi.ingestFunction,
        lookupFunction: this.trailApi.lookupFunction,
        streamConsumers: this.streamConsumers().map(({ name, resource }) => ({
          name,
          resource: resource.function,
        })),
        deadLetterQueues: this.deadLetterQueues,
        insightsFunction: this.insights?.insightsFunction,
      });
    }

    if (props.console !== false) {
      this.consoleSite = new ConsoleSite(this, 'Console', {
        ...(typeof props.console === 'object' ? props.console : {}),
        apiUrl: this.apiUrl,
        grantLookup: (grantee) => this.grantLookup(grantee),
        removalPolicy: props.removalPolicy,
      });
    }

    if (encryptionKey) {
      allowLogsToUseKey(encryptionKey, this);
      // An aspect sees the whole tree at synthesis, constructs added after this one included.
      Aspects.of(this).add(new CustomerKeyAspect(encryptionKey), { priority: AspectPriority.MUTATING });
    }
    // Development stacks: everything goes with the stack (the table and buckets were prepared above).
    if (destroy) RemovalPolicies.of(this).destroy();
  }

  /** The events table. */
  public get table(): TableV2 {
    return this.eventStore.table;
  }

  /** Base URL of the API (the default stage). */
  public get apiUrl(): string {
    return this.trailApi.url;
  }

  /** Channel name -> channel ARN, the `channelArn` PutAuditEvents callers pass. */
  public get channelArns(): Readonly<Record<string, string>> {
    return this.trailApi.channelArns;
  }

  /** The archive bucket. */
  public get bucket(): Bucket {
    return this.archive.bucket;
  }

  /** The CloudWatch Logs group with one JSON line per event. */
  public get eventLogGroup(): LogGroup {
    return this.logForwarding.logGroup;
  }

  /** The EventBridge bus insight events are put on; undefined when insights are off. */
  public get bus(): EventBus | undefined {
    return this.insights?.bus;
  }

  /** The Glue database of the archive. */
  public get athenaDatabase(): Database {
    return this.archive.database;
  }

  /** The raw archive table (`events_raw`). */
  public get athenaTable(): CfnTable {
    return this.archive.table;
  }

  /** Every dead-letter queue, named after what fails into it. */
  public get deadLetterQueues(): NamedResource<Queue>[] {
    const queues = this.streamConsumers().map(({ name, resource }) => ({
      name,
      resource: resource.deadLetterQueue,
    }));
    return [
      ...queues,
      ...(this.insights ? [{ name: 'InsightsRuns', resource: this.insights.deadLetterQueue }] : []),
      ...(this.integrity
        ? [
            { name: 'DigestDeliveries', resource: this.integrity.deliveriesDeadLetterQueue },
            { name: 'DigesterRuns', resource: this.integrity.runsDeadLetterQueue },
          ]
        : []),
    ];
  }

  /** Every function of the trail, named after its role. */
  public get functions(): NamedResource<NodejsFunction>[] {
    return [
      { name: 'Ingest', resource: this.trailApi.ingestFunction },
      { name: 'Lookup', resource: this.trailApi.lookupFunction },
      ...this.streamConsumers().map(({ name, resource }) => ({ name, resource: resource.function })),
      ...(this.insights ? [{ name: 'Insights', resource: this.insights.insightsFunction }] : []),
      ...(this.integrity ? [{ name: 'Digester', resource: this.integrity.digester }] : []),
    ];
  }

  /** Lets a producer call `POST /events` and `POST /PutAuditEvents` (execute-api:Invoke on them), and nothing else. */
  public grantPut(grantee: IGrantable): Grant {
    return this.trailApi.grantPut(grantee);
  }

  /**
   * Lets a reader call `GET /events`, `GET /events/{eventId}` and `POST /` (LookupEvents) (execute-api:Invoke on
   * them), and nothing else.
   */
  public grantLookup(grantee: IGrantable): Grant {
    return this.trailApi.grantLookup(grantee);
  }

  /**
   * Sends insight events to `target` (all of them, or the states and types in `options`):
   * `trail.onInsight(new SnsTopic(topic), { states: ['Start'] })`. Throws when `insights` is false.
   */
  public onInsight(target: IRuleTarget, options?: InsightRuleOptions): Rule {
    if (!this.insights) throw new Error('Trail.onInsight: insights are turned off (insights: false)');
    return this.insights.onInsight(target, options);
  }

  /** The archive's stream consumer. */
  public get archiveConsumer(): StreamConsumer {
    return this.trailConsumer('archive');
  }

  /** The event log's stream consumer. */
  public get logForwardConsumer(): StreamConsumer {
    return this.trailConsumer('logForward');
  }

  private trailConsumer(name: FunctionName): StreamConsumer {
    const consumer = this.trailConsumers.get(name);
    if (consumer === undefined) throw new Error(`Trail: the manifest has no stream consumer ${name}`);
    return consumer;
  }

  /** The stream consumers, named after their manifest function. */
  private streamConsumers(): NamedResource<StreamConsumer>[] {
    return [
      ...[...this.trailConsumers].map(([name, resource]) => ({ name: pascalCase(name), resource })),
      ...(this.insights
        ? [{ name: pascalCase('insightsCounter'), resource: this.insights.counterConsumer }]
        : []),
    ];
  }

  /**
   * The stack name and this trail's path in it, as Athena wants database names: `opentrail` for the repository's
   * stack, `mystack_audit` for a trail `Audit` in `MyStack`. Two trails in one stack get two databases.
   */
  private defaultDatabaseName(): string {
    return defaultDatabaseName(this.stackPath().join('_'));
  }

  /** The stack name and this trail's path in it, joined by `-`: `OpenTrail`, or `MyStack-Audit` for a trail `Audit`. */
  private defaultTrailName(): string {
    return defaultTrailName(this.stackPath().join('-'));
  }

  private stackPath(): string[] {
    const stack = Stack.of(this);
    const path = this.node.scopes
      .slice(this.node.scopes.indexOf(stack) + 1)
      .map((scope) => scope.node.id)
      .filter((scopeId) => scopeId !== HIDDEN_TRAIL_ID);
    return [stack.stackName, ...path];
  }

  private createAlarmTopic(props: TrailProps): ITopic | undefined {
    if (props.alarmEmail === undefined) return props.alarmTopic;
    const topic = props.alarmTopic ?? this.createTopic(props.encryptionKey);
    const subscription = topic.addSubscription(new EmailSubscription(props.alarmEmail));
    Validations.of(subscription).acknowledge({
      id: 'Serverless-SNSRedrivePolicy',
      reason:
        'An alarm email SNS cannot deliver is retried by SNS; a dead-letter queue for it would be one more queue ' +
        'to watch, and the alarm state it reports stays visible in CloudWatch and on the dashboard.',
    });
    return topic;
  }

  private createTopic(encryptionKey: IKey | undefined): Topic {
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'OpenTrail alarms',
      enforceSSL: true,
      ...(encryptionKey ? { masterKey: encryptionKey } : {}),
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one: allow the alarms explicitly.
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (encryptionKey) {
      // CloudWatch publishes alarm notifications into the encrypted topic (SNS developer guide, SSE).
      encryptionKey.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    } else {
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key aws/sns, and the ' +
          'notifications carry alarm names and states, no event data. Give the trail an encryptionKey to encrypt ' +
          'the topic with it.',
      });
    }
    return topic;
  }
}
