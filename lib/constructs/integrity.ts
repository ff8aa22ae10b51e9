import { type Acknowledgment, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type Alarm, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  AnyPrincipal,
  Effect,
  type IGrantable,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Bucket,
  type BucketNotificationDestinationConfig,
  BucketNotificationDestinationType,
  type CfnBucket,
  EventType,
  type IBucket,
  type IBucketNotificationDestination,
  ObjectLockRetention,
} from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DIGESTER_METRICS } from '../../lambda/adapters/digester-metrics.js';
import { METRICS_NAMESPACE } from '../../lambda/adapters/function-metrics.js';
import { ARCHIVE_PREFIXES } from '../../lambda/core/archive-layout.js';
import { LEDGER_LAYOUT } from '../../lambda/core/integrity/ledger-layout.js';
import { FUNCTIONS, SERVICE_NAME, scheduleOf } from '../../lambda/manifest/functions.js';
import { countAlarm } from '../defaults/cloudwatch.js';
import { defaultTableProps } from '../defaults/dynamodb.js';
import { defaultArchiveBucketProps } from '../defaults/s3.js';
import { deadLetterQueueAlarm, defaultDeadLetterQueueProps } from '../defaults/sqs.js';
import {
  integerRangeProblem,
  minutesRangeProblem,
  oneOfProblem,
  throwIfInvalid,
} from '../props-validation.js';
import {
  createTrailFunction,
  grantPermissions,
  type PermissionGrants,
  RUNTIME_ACKNOWLEDGMENTS,
  type SettingValues,
} from '../trail-function.js';
import { OBJECT_LOCK_MODES, type ObjectLockMode } from './archive.js';
import {
  type InsightsFunctionProps,
  SCHEDULE_RETRY,
  scheduledEventInput,
  schedulerPrincipal,
  UnqualifiedLambdaInvoke,
} from './insights.js';

export interface IntegrityProps {
  /** The archive bucket whose objects are digested. */
  readonly archiveBucket: Bucket;
  /** The Firehose delivery role: the archive's only writer under `events/`. */
  readonly archiveWriterRole: Role;
  /** The trail's CloudTrail-style ARN (account, region and name of the digest keys). */
  readonly trailArn: string;
  /**
   * How often a digest is written: a whole number of minutes, 1 to 1440. CloudTrail writes one an hour.
   *
   * @default Duration.hours(1)
   */
  readonly digestInterval?: Duration;
  /**
   * Key prefix of the digests in the digest bucket (CloudTrail's S3KeyPrefix), without a trailing `/`.
   *
   * @default - none: digests under `AWSLogs/`
   */
  readonly digestKeyPrefix?: string;
  /**
   * Turns S3 Object Lock on for the digest bucket with this default retention in days (1 to 36500): during it nobody,
   * the account's administrators included in COMPLIANCE mode, can delete or overwrite a digest version. Object Lock
   * can only be chosen when the bucket is created.
   *
   * @default - no Object Lock
   */
  readonly objectLockRetentionDays?: number;
  /**
   * Object Lock mode of the digest bucket. Only with `objectLockRetentionDays`.
   *
   * @default 'COMPLIANCE'
   */
  readonly objectLockMode?: ObjectLockMode;
  /**
   * The KMS key that signs digests: asymmetric, RSA_2048, SIGN_VERIFY. Passing a new key rotates: the digester
   * registers it at its next run and ends the old key's validity there, so older digests stay verifiable. A key
   * defined in the app gets a key policy statement denying kms:Sign to everyone but the digester; an imported key's
   * policy must say that itself.
   *
   * @default - a key of its own, retained with the stack
   */
  readonly signingKey?: IKey;
  /**
   * Bucket receiving the digest bucket's S3 server access logs (under `opentrail-digests/`).
   *
   * @default - no access logs; cdk-nag's AwsSolutions-S1 is then acknowledged with that reason
   */
  readonly serverAccessLogsBucket?: IBucket;
  /**
   * Customer managed key for the ledger table, the digest bucket and the queues.
   *
   * @default - the table's AWS managed key, SSE-S3, SQS-managed keys
   */
  readonly encryptionKey?: IKey;
  /**
   * Retention of the digester's log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Topic notified by the refused/foreign objects alarm and the dead-letter queue alarms.
   *
   * @default - the alarms notify no one
   */
  readonly alarmTopic?: ITopic;
  /**
   * RETAIN keeps the ledger, the digest bucket and the signing key; DESTROY (development stacks) deletes the ledger
   * and the bucket with the stack. Conflicts with `objectLockRetentionDays`.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Overrides for the digester function; its failure handling is fixed.
   *
   * @default - arm64, Node.js 22, 1,769 MB, 900 s, bundled ES module
   */
  readonly functionProps?: InsightsFunctionProps;
}

/** The trail's integrity options: everything but what the Trail itself provides. */
export type IntegrityOptions = Omit<
  IntegrityProps,
  | 'archiveBucket'
  | 'archiveWriterRole'
  | 'trailArn'
  | 'encryptionKey'
  | 'logRetention'
  | 'alarmTopic'
  | 'removalPolicy'
  | 'serverAccessLogsBucket'
>;

const SCHEDULE_TRIGGER = scheduleOf('digester');
const LIMITS = {
  intervalMinutes: { min: 1, max: 1440 },
  retentionDays: { min: 1, max: 36_500 },
} as const;
/** A notification the digester could not handle this many times goes to the dead-letter queue. */
const MAX_RECEIVES = 5;
const ACCESS_LOGS_PREFIX = 'opentrail-digests/';

const FUNCTION_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  ...RUNTIME_ACKNOWLEDGMENTS,
  {
    id: 'Serverless-LambdaDLQ',
    reason:
      'Failed scheduled runs go to the on-failure destination of the function EventInvokeConfig, the SQS queue ' +
      'RunsDeadLetterQueue of this construct, which records the error with the request; the next run finishes a ' +
      'digest a failed one started.',
  },
];

const DEAD_LETTER_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  {
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself a dead-letter queue (of the deliveries queue, or of the schedule and the function runs); ' +
      'an alarm fires on its first message.',
  },
  {
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'Same as AwsSolutions-SQS3: this queue is a dead-letter queue, so it has no redrive of its own.',
  },
];

/**
 * Tamper evidence in CloudTrail's own format (docs/integrity.md): every archive object Firehose writes under
 * `events/` is announced on a queue (S3 ObjectCreated notifications); a scheduled digester records each in a ledger
 * table, hashes it once and writes one signed, chained digest per interval into a digest bucket (optionally under
 * Object Lock), signed by an asymmetric KMS key only the digester may use. `aws cloudtrail validate-logs` checks it.
 */
export class Integrity extends Construct {
  public readonly signingKey: IKey;
  public readonly ledgerTable: TableV2;
  public readonly digestBucket: Bucket;
  public readonly deliveryQueue: Queue;
  public readonly deliveriesDeadLetterQueue: Queue;
  public readonly runsDeadLetterQueue: Queue;
  public readonly digester: NodejsFunction;
  public readonly schedule: Schedule;
  /** Fires when the digester refused an object (more than one gzip member). */
  public readonly refusedObjectsAlarm: Alarm;
  /** Fires when the digester found an object the trail did not write. */
  public readonly foreignObjectsAlarm: Alarm;
  public readonly digestIntervalSeconds: number;
  public readonly digestKeyPrefix: string;

  constructor(scope: Construct, id: string, props: IntegrityProps) {
    super(scope, id);
    throwIfInvalid('Integrity', integrityPropsProblems(props));
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    const { encryptionKey } = props;
    this.digestIntervalSeconds = (
      props.digestInterval ?? Duration.minutes(SCHEDULE_TRIGGER.rateMinutes)
    ).toSeconds();
    this.digestKeyPrefix = props.digestKeyPrefix ?? '';

    this.signingKey = props.signingKey ?? this.createSigningKey();
    this.ledgerTable = new TableV2(this, 'Ledger', {
      ...defaultTableProps(encryptionKey),
      partitionKey: { name: LEDGER_LAYOUT.partitionKey, type: AttributeType.STRING },
      sortKey: { name: LEDGER_LAYOUT.sortKey, type: AttributeType.STRING },
      ...(destroy ? { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false } : {}),
    });
    this.digestBucket = this.createDigestBucket(props);

    const queueEncryption = encryptionKey
      ? { encryption: QueueEncryption.KMS, encryptionMasterKey: encryptionKey }
      : { encryption: QueueEncryption.SQS_MANAGED };
    this.deliveriesDeadLetterQueue = new Queue(
      this,
      'DeliveriesDeadLetterQueue',
      defaultDeadLetterQueueProps(encryptionKey),
    );
    this.runsDeadLetterQueue = new Queue(
      this,
      'RunsDeadLetterQueue',
      defaultDeadLetterQueueProps(encryptionKey),
    );
    for (const queue of [this.deliveriesDeadLetterQueue, this.runsDeadLetterQueue]) {
      Validations.of(queue).acknowledge(...DEAD_LETTER_ACKNOWLEDGMENTS);
    }
    const timeout = Duration.seconds(FUNCTIONS.digester.timeoutSeconds);
    this.deliveryQueue = new Queue(this, 'DeliveryQueue', {
      ...queueEncryption,
      enforceSSL: true,
      // Kept while the digester is down for two weeks; a received message stays hidden for a whole run.
      retentionPeriod: Duration.days(14),
      visibilityTimeout: timeout,
      deadLetterQueue: { queue: this.deliveriesDeadLetterQueue, maxReceiveCount: MAX_RECEIVES },
    });
    props.archiveBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new DeliveryQueueDestination(this.deliveryQueue, encryptionKey),
      { prefix: ARCHIVE_PREFIXES.events },
    );
    this.acknowledgeNotificationsHandler();
    this.denyForeignArchiveWrites(props.archiveBucket, props.archiveWriterRole);

    const settings: SettingValues = {
      trailArn: props.trailArn,
      archiveBucketName: props.archiveBucket.bucketName,
      digestBucketName: this.digestBucket.bucketName,
      digestKeyPrefix: props.digestKeyPrefix,
      ledgerTableName: this.ledgerTable.tableName,
      deliveryQueueUrl: this.deliveryQueue.queueUrl,
      signingKeyId: this.signingKey.keyArn,
      // S3 names an assumed role's session `AWS:<role id>:<session>` in userIdentity.principalId.
      archiveWriterPrincipal: `AWS:${props.archiveWriterRole.roleId}:`,
      digestIntervalSeconds: this.digestIntervalSeconds,
    };
    this.digester = createTrailFunction(this, FUNCTIONS.digester.constructId, {
      spec: FUNCTIONS.digester,
      userProps: props.functionProps,
      settings,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      acknowledgments: FUNCTION_ACKNOWLEDGMENTS,
    });
    this.digester.configureAsyncInvoke({
      retryAttempts: SCHEDULE_TRIGGER.retryAttempts,
      maxEventAge: Duration.seconds(SCHEDULE_TRIGGER.maxEventAgeSeconds),
      onFailure: new SqsDestination(this.runsDeadLetterQueue),
    });
    const grants: PermissionGrants = {
      'ledger:write': (grantee) => this.ledgerTable.grantReadWriteData(grantee),
      'archive:readObjects': (grantee) => this.grantReadArchive(grantee, props.archiveBucket, encryptionKey),
      'digests:write': (grantee) => this.grantWriteDigests(grantee, encryptionKey),
      'signingKey:sign': (grantee) => this.signingKey.grant(grantee, 'kms:Sign', 'kms:GetPublicKey'),
      'deliveries:consume': (grantee) => this.deliveryQueue.grantConsumeMessages(grantee),
    };
    grantPermissions(this.digester, FUNCTIONS.digester, grants);
    this.restrictSigning();

    const minutes = this.digestIntervalSeconds / 60;
    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: schedulerPrincipal(this),
      description: 'EventBridge Scheduler invokes the OpenTrail digester',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      // In minutes, as the manifest and local mode count them (ScheduleExpression.rate would say `1 hour`).
      schedule: ScheduleExpression.expression(`rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`),
      description: 'Runs the OpenTrail digester: one signed digest of the archive per interval',
      target: new UnqualifiedLambdaInvoke(this.digester, {
        ...SCHEDULE_RETRY,
        role: scheduleRole,
        deadLetterQueue: this.runsDeadLetterQueue,
        input: scheduledEventInput(),
      }),
    });
    encryptionKey?.grant(scheduleRole, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.refusedObjectsAlarm = this.createObjectsAlarm(
      'RefusedObjectsAlarm',
      DIGESTER_METRICS.refusedObjects,
      'OpenTrail: the digester refused an archive object (more than one gzip member, trailing bytes or a bad CRC); ' +
        'it is in no digest. The digester log names it.',
      props.alarmTopic,
    );
    this.foreignObjectsAlarm = this.createObjectsAlarm(
      'ForeignObjectsAlarm',
      DIGESTER_METRICS.foreignObjects,
      'OpenTrail: an object appeared in the archive that the Firehose delivery role did not write; it is in no ' +
        'digest. The digester log names it and its writer.',
      props.alarmTopic,
    );
    deadLetterQueueAlarm(
      new Construct(this, 'Deliveries'),
      this.deliveriesDeadLetterQueue,
      `OpenTrail ${id}: an archive object could not be read ${MAX_RECEIVES} times; it is in no digest until its ` +
        'notification is replayed from the dead-letter queue',
      props.alarmTopic,
    );
    deadLetterQueueAlarm(
      new Construct(this, 'Runs'),
      this.runsDeadLetterQueue,
      `OpenTrail ${id}: a digester run failed or could not be started; the next run finishes its digest`,
      props.alarmTopic,
    );
  }

  /** Lets a reader (the lookup function's control-plane reads) read the ledger, and nothing else. */
  public grantReadLedger(grantee: IGrantable): void {
    this.ledgerTable.grantReadData(grantee);
  }

  private createSigningKey(): Key {
    const key = new Key(this, 'SigningKey', {
      description: 'OpenTrail: signs the archive digests (SHA256withRSA); only the digester may sign',
      keySpec: KeySpec.RSA_2048,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Digests it signed must stay verifiable: its public key is in the ledger, and the key stays in KMS.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(key).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason:
        'KMS cannot rotate asymmetric keys automatically. Rotation is the key registry: pass a new signingKey and ' +
        'the digester registers it and ends this one\u2019s validity (docs/integrity.md, "Keys and rotation").',
    });
    return key;
  }

  /**
   * addEventNotification applies the bucket's notification configuration through CDK's singleton custom resource
   * (S3 checks the queue's policy when the configuration is put, which a plain CloudFormation property would race).
   */
  private acknowledgeNotificationsHandler(): void {
    const handler = Stack.of(this)
      .node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'))
      ?.node.tryFindChild('Role');
    if (handler === undefined) throw new Error('Integrity: no bucket notifications handler to acknowledge');
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's bucket notifications handler (a singleton Lambda run only during deployment to put the archive bucket's " +
        'notification configuration) writes its own logs with the AWS managed basic execution policy; CDK offers no ' +
        'role of our own for it.',
    });
  }

  /** Nobody but the digester's role may kms:Sign with the key, whatever their IAM policies say. */
  private restrictSigning(): void {
    const role = this.digester.role;
    if (role === undefined) throw new Error('Integrity: the digester has no role');
    this.signingKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheDigesterSigns',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );
  }

  private createDigestBucket(props: IntegrityProps): Bucket {
    const days = props.objectLockRetentionDays;
    const bucket = new Bucket(this, 'DigestBucket', {
      ...defaultArchiveBucketProps(props.encryptionKey),
      ...(props.removalPolicy === RemovalPolicy.DESTROY
        ? { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true }
        : {}),
      ...(days === undefined
        ? {}
        : {
            objectLockEnabled: true,
            objectLockDefaultRetention:
              (props.objectLockMode ?? 'COMPLIANCE') === 'COMPLIANCE'
                ? ObjectLockRetention.compliance(Duration.days(days))
                : ObjectLockRetention.governance(Duration.days(days)),
          }),
      ...(props.serverAccessLogsBucket
        ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: ACCESS_LOGS_PREFIX }
        : {}),
    });
    if (!props.serverAccessLogsBucket) {
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          "The trail's archive has server access logs off (archive.serverAccessLogs: false), and the digest bucket " +
          'follows it. Only the digester writes digests, each signed and chained, so a changed or missing one is seen.',
      });
    }
    return bucket;
  }

  /**
   * Only the Firehose delivery role may put objects under `events/`, whatever other principals' IAM policies allow:
   * the writer check would report a foreign object, and this keeps it from being written at all.
   */
  private denyForeignArchiveWrites(bucket: Bucket, writer: Role): void {
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyFirehoseWritesEvents',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${ARCHIVE_PREFIXES.events}*`)],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writer.roleArn } },
      }),
    );
  }

  /** Reads archive object versions under `events/`, nothing else of the bucket. */
  private grantReadArchive(grantee: IGrantable, bucket: Bucket, encryptionKey: IKey | undefined): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket.arnForObjects(`${ARCHIVE_PREFIXES.events}*`)],
      }),
    );
    encryptionKey?.grantDecrypt(grantee);
    this.acknowledgeObjectWildcard(
      grantee,
      bucket,
      ARCHIVE_PREFIXES.events,
      'reads the archive objects Firehose wrote',
    );
  }

  /** Puts digests under the digest prefix, nothing else: no delete, no read of other keys. */
  private grantWriteDigests(grantee: IGrantable, encryptionKey: IKey | undefined): void {
    const prefix = `${this.digestKeyPrefix === '' ? '' : `${this.digestKeyPrefix}/`}AWSLogs/`;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.digestBucket.arnForObjects(`${prefix}*`)],
      }),
    );
    encryptionKey?.grant(grantee, 'kms:GenerateDataKey');
    this.acknowledgeObjectWildcard(
      grantee,
      this.digestBucket,
      prefix,
      'writes digests with generated, dated keys',
    );
  }

  private acknowledgeObjectWildcard(grantee: IGrantable, bucket: Bucket, prefix: string, what: string): void {
    const policy = this.digester.role?.node.tryFindChild('DefaultPolicy');
    if (policy === undefined || grantee !== this.digester) return;
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnBucket);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason: `The digester ${what} under ${prefix} of this one bucket; the wildcard covers those keys only.`,
    });
  }

  /** One alarm per metric: plain metric alarms, which emulators such as MiniStack deploy (metric math they do not). */
  private createObjectsAlarm(
    id: string,
    metricName: string,
    alarmDescription: string,
    alarmTopic: ITopic | undefined,
  ): Alarm {
    return countAlarm(this, id, {
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { Service: SERVICE_NAME },
        statistic: Stats.SUM,
        period: Duration.minutes(5),
      }),
      alarmDescription,
      alarmTopic,
    });
  }
}

/**
 * The deliveries queue as the archive bucket's notification destination. aws-s3-notifications' SqsDestination
 * grants S3 the queue's customer key with a condition naming the bucket, and the bucket is encrypted with that same
 * key: a dependency cycle. Here the key policy statement names the account instead; the queue policy still admits
 * this bucket only.
 */
class DeliveryQueueDestination implements IBucketNotificationDestination {
  constructor(
    private readonly queue: Queue,
    private readonly encryptionKey: IKey | undefined,
  ) {}

  bind(scope: Construct, bucket: IBucket): BucketNotificationDestinationConfig {
    const s3 = new ServicePrincipal('s3.amazonaws.com');
    const { policyDependable } = this.queue.addToResourcePolicy(
      new PolicyStatement({
        principals: [s3],
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [this.queue.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn } },
      }),
    );
    this.encryptionKey?.addToResourcePolicy(
      new PolicyStatement({
        sid: 'ArchiveNotificationsToDeliveryQueue',
        principals: [s3],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
    );
    return {
      arn: this.queue.queueArn,
      type: BucketNotificationDestinationType.QUEUE,
      // S3 checks that it may send when the configuration is put.
      dependencies: policyDependable === undefined ? [] : [policyDependable],
    };
  }
}

/** Every problem with `props`, one message each (undefined where a rule holds). */
export function integrityPropsProblems(
  props: Pick<
    IntegrityProps,
    'digestInterval' | 'digestKeyPrefix' | 'objectLockRetentionDays' | 'objectLockMode' | 'removalPolicy'
  >,
): (string | undefined)[] {
  return [
    minutesRangeProblem('digestInterval', props.digestInterval, LIMITS.intervalMinutes),
    integerRangeProblem('objectLockRetentionDays', props.objectLockRetentionDays, LIMITS.retentionDays),
    oneOfProblem('objectLockMode', props.objectLockMode, OBJECT_LOCK_MODES),
    props.objectLockMode !== undefined && props.objectLockRetentionDays === undefined
      ? 'objectLockMode needs objectLockRetentionDays'
      : undefined,
    props.removalPolicy === RemovalPolicy.DESTROY && props.objectLockRetentionDays !== undefined
      ? 'removalPolicy DESTROY cannot empty a bucket under Object Lock: leave out objectLockRetentionDays'
      : undefined,
    props.digestKeyPrefix !== undefined &&
    !/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(props.digestKeyPrefix)
      ? `digestKeyPrefix must be S3 key segments of safe characters separated by "/", without a leading or trailing "/" (got ${JSON.stringify(props.digestKeyPrefix)})`
      : undefined,
  ];
}
