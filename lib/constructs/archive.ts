import { Duration, RemovalPolicy, type Size, Stack, Token, Validations } from 'aws-cdk-lib';
import { CfnNamedQuery } from 'aws-cdk-lib/aws-athena';
import { CfnTable, Database } from 'aws-cdk-lib/aws-glue';
import {
  type Grant,
  type IGrantable,
  Policy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { DeliveryStream, EnableLogging, S3Bucket, StreamEncryption } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Bucket,
  type BucketProps,
  type CfnBucket,
  type IBucket,
  ObjectLockRetention,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_PARTITION_KEYS,
  ARCHIVE_SERDE,
  ARCHIVE_STORAGE_FORMAT,
  partitionProjectionParameters,
  RAW_TABLE_NAME,
} from '../archive-table.js';
import { ATHENA_QUERIES } from '../athena-queries.js';
import { ARCHIVE_PREFIXES, defaultArchiveDestinationProps } from '../defaults/firehose.js';
import {
  ARCHIVE_LIFECYCLE_DEFAULTS,
  archiveLifecycleRules,
  defaultAccessLogsBucketProps,
  defaultArchiveBucketProps,
} from '../defaults/s3.js';
import { definedProps } from '../props-merge.js';
import {
  integerRangeProblem,
  mebibytesRangeProblem,
  oneOfProblem,
  secondsRangeProblem,
  throwIfInvalid,
} from '../props-validation.js';

/** Bucket settings the construct owns through its own props (Object Lock, access logs, customer key). */
type OwnedBucketProp =
  | 'objectLockEnabled'
  | 'objectLockDefaultRetention'
  | 'serverAccessLogsBucket'
  | 'serverAccessLogsPrefix'
  | 'encryptionKey';

/** `BucketProps` without the settings the construct owns. */
export type ArchiveBucketProps = Omit<BucketProps, OwnedBucketProp>;

/** S3 Object Lock modes: GOVERNANCE can be lifted by a principal with s3:BypassGovernanceRetention, COMPLIANCE by nobody. */
export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

export interface ArchiveProps {
  /**
   * Customer managed KMS key for the archive: the bucket uses SSE-KMS with it (and a bucket key), Firehose encrypts
   * what it writes with it, and the delivery stream encrypts its buffer with it. Conflicts with
   * `bucketProps.encryption`.
   *
   * @default - S3-managed keys (SSE-S3) for the bucket, an AWS owned key for the stream
   */
  readonly encryptionKey?: IKey;
  /**
   * Days after which objects move to S3 Standard-IA, 30 or more. Conflicts with `bucketProps.lifecycleRules`.
   *
   * @default 90
   */
  readonly infrequentAccessAfterDays?: number;
  /**
   * Days after which objects move to S3 Glacier Instant Retrieval, at least 30 after `infrequentAccessAfterDays`.
   * Conflicts with `bucketProps.lifecycleRules`.
   *
   * @default 365
   */
  readonly glacierInstantRetrievalAfterDays?: number;
  /**
   * Days after which archive objects expire, after the Glacier Instant Retrieval transition and not before the
   * Object Lock retention ends. Replaced and deleted versions are removed 30 days later. Conflicts with
   * `bucketProps.lifecycleRules`.
   *
   * @default - objects never expire
   */
  readonly expirationDays?: number;
  /**
   * Turns S3 Object Lock on, with this default retention in days (1 to 36500) for every object written. Object Lock
   * can only be chosen when the bucket is created, and a locked object cannot be deleted before its retention ends.
   * Firehose delivery into a locked bucket has not been verified against AWS yet: try it in a sandbox account first.
   *
   * @default - no Object Lock
   */
  readonly objectLockRetentionDays?: number;
  /**
   * Object Lock mode. Only with `objectLockRetentionDays`.
   *
   * @default 'GOVERNANCE'
   */
  readonly objectLockMode?: ObjectLockMode;
  /**
   * Writes S3 server access logs of the archive bucket. Set false to save the (small) cost; cdk-nag's
   * AwsSolutions-S1 is then acknowledged on the bucket.
   *
   * @default true
   */
  readonly serverAccessLogs?: boolean;
  /**
   * Bucket receiving the server access logs (under `opentrail-archive/`), for example an organisation's central log
   * bucket. It must accept S3 server access logs. Conflicts with `serverAccessLogs: false`.
   *
   * @default - a bucket of its own: private, SSE-S3, TLS only, logs kept 365 days
   */
  readonly serverAccessLogsBucket?: IBucket;
  /**
   * Longest time Firehose buffers before writing an object, 0 to 900 seconds.
   *
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * Largest buffer Firehose writes as one object, 1 to 128 MiB.
   *
   * @default Size.mebibytes(64)
   */
  readonly bufferingSize?: Size;
  /**
   * First year Athena's partition projection covers (arrival time, UTC).
   *
   * @default 2026
   */
  readonly firstPartitionYear?: number;
  /**
   * Last year Athena's partition projection covers.
   *
   * @default 2100
   */
  readonly lastPartitionYear?: number;
  /**
   * Name of the Glue database holding `events_raw`: lower-case letters, digits and underscores, as Athena wants.
   *
   * @default - the stack name in lower case, other characters replaced by underscores
   */
  readonly databaseName?: string;
  /**
   * Athena workgroup the saved queries belong to.
   *
   * @default 'primary'
   */
  readonly workGroup?: string;
  /**
   * Saves the Athena queries (AWS::Athena::NamedQuery: the `events` view and the examples). `false` leaves them
   * out, for emulators without that resource type (MiniStack); the Glue table is created either way.
   *
   * @default true
   */
  readonly athenaQueries?: boolean;
  /**
   * Retention of the log group Firehose reports delivery errors to.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the archive bucket and its access logs bucket when they leave the stack. DESTROY, for
   * development stacks, also empties them first (autoDeleteObjects). Conflicts with `objectLockRetentionDays`,
   * `bucketProps.removalPolicy` and `bucketProps.autoDeleteObjects`.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Overrides of the bucket's secure defaults (versioning, lifecycle rules, removal policy, ...). Object Lock,
   * access logs and the customer key come from the props above.
   *
   * @default - BLOCK_ALL, TLS 1.2+ only, versioned, SSE-S3, RETAIN, lifecycle as above
   */
  readonly bucketProps?: ArchiveBucketProps;
}

const ARCHIVE_DEFAULTS = {
  firstPartitionYear: 2026,
  lastPartitionYear: 2100,
  logRetention: RetentionDays.ONE_MONTH,
  workGroup: 'primary',
} as const;

/** The bounds the props are checked against. */
const LIMITS = {
  days: { min: 1, max: 36_500 },
  infrequentAccessDays: { min: 30, max: 36_500 },
  bufferingSeconds: { min: 0, max: 900 },
  bufferingMebibytes: { min: 1, max: 128 },
  year: { min: 2000, max: 9999 },
} as const;

/** S3 keeps objects in Standard-IA at least this long before a later transition. */
const MIN_DAYS_IN_INFREQUENT_ACCESS = 30;

/** Prefix of this archive's server access logs in the log bucket. */
const ACCESS_LOGS_PREFIX = 'opentrail-archive/';

const DATABASE_NAME_PATTERN = /^[a-z0-9_]{1,255}$/;

/** What the delivery role may do on the bucket and under the prefixes Firehose writes (Firehose developer guide). */
const FIREHOSE_BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'];
const FIREHOSE_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'];

/**
 * The archive: a Firehose delivery stream writing gzip NDJSON into a private, versioned S3 bucket under
 * `events/YYYY/MM/DD/HH/`, and a Glue table (`events_raw`, partition projection) with saved Athena queries over it
 * (docs/pipeline.md). `grantPutRecords` lets the archive function put batches, and nothing else.
 */
export class Archive extends Construct {
  public readonly bucket: Bucket;
  /** Receives the bucket's server access logs; undefined when they are off. */
  public readonly accessLogsBucket?: IBucket;
  public readonly deliveryStream: DeliveryStream;
  /** The role Firehose assumes to write the bucket: the bucket's prefixes and its error log only. */
  public readonly deliveryRole: Role;
  public readonly database: Database;
  public readonly table: CfnTable;
  /** Saved queries: the `events` view first, then the examples (lib/athena-queries.ts); none without athenaQueries. */
  public readonly namedQueries: readonly CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: ArchiveProps = {}) {
    super(scope, id);
    const databaseName = props.databaseName ?? defaultDatabaseName(Stack.of(this).stackName);
    throwIfInvalid('Archive', archivePropsProblems({ ...props, databaseName }));

    const serverAccessLogs = props.serverAccessLogs ?? true;
    this.accessLogsBucket = serverAccessLogs
      ? (props.serverAccessLogsBucket ?? this.createAccessLogsBucket(props.removalPolicy))
      : undefined;
    this.bucket = new Bucket(this, 'Bucket', {
      ...defaultArchiveBucketProps(props.encryptionKey),
      lifecycleRules: archiveLifecycleRules({
        infrequentAccessAfterDays:
          props.infrequentAccessAfterDays ?? ARCHIVE_LIFECYCLE_DEFAULTS.infrequentAccessAfterDays,
        glacierInstantRetrievalAfterDays:
          props.glacierInstantRetrievalAfterDays ??
          ARCHIVE_LIFECYCLE_DEFAULTS.glacierInstantRetrievalAfterDays,
        expirationDays: props.expirationDays,
      }),
      ...definedProps(props.bucketProps),
      ...removalBucketProps(props.removalPolicy),
      ...requiredBucketProps(props, this.accessLogsBucket),
    });
    if (!this.accessLogsBucket) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs were turned off on purpose (serverAccessLogs: false). Firehose is the only writer and ' +
          'logs its delivery errors; enable CloudTrail S3 data events where object-level reads must be audited.',
      });
    }

    const errorLogGroup = new LogGroup(this, 'DeliveryErrors', {
      retention: props.logRetention ?? ARCHIVE_DEFAULTS.logRetention,
    });
    this.deliveryRole = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com'),
      // Firehose passes the stream's account as the external ID (confused-deputy protection).
      externalIds: [Stack.of(this).account],
      description: 'Lets Firehose write the OpenTrail archive bucket',
    });
    const deliveryPolicy = this.createDeliveryPolicy(errorLogGroup, props.encryptionKey);
    this.deliveryStream = new DeliveryStream(this, 'DeliveryStream', {
      destination: new S3Bucket(this.bucket, {
        ...defaultArchiveDestinationProps(),
        ...definedProps({ bufferingInterval: props.bufferingInterval, bufferingSize: props.bufferingSize }),
        // The role as Firehose sees it, without the construct's broad grantReadWrite (which includes deletes):
        // deliveryPolicy below grants exactly what delivery needs.
        role: this.deliveryRole.withoutPolicyUpdates(),
        loggingConfig: new EnableLogging(errorLogGroup),
        encryptionKey: props.encryptionKey,
      }),
      encryption: props.encryptionKey
        ? StreamEncryption.customerManagedKey(props.encryptionKey)
        : StreamEncryption.awsOwnedKey(),
      // Without `role`, a customer key makes DeliveryStream create a 'Service Role' (firehose.amazonaws.com, no
      // external ID) holding the key, which nothing would use: a direct-put stream names only its destination's
      // role, and Firehose encrypts the stream through a KMS grant it creates on the key itself. The delivery role
      // without policy updates, as the destination has it, so the stream's key grant adds nothing either.
      role: this.deliveryRole.withoutPolicyUpdates(),
    });
    // Firehose checks its access when the stream is created: the policy must exist by then.
    this.deliveryStream.node.addDependency(deliveryPolicy);

    this.database = new Database(this, 'Database', {
      databaseName,
      description: 'OpenTrail activity archive (Athena)',
    });
    this.table = this.createTable({
      first: props.firstPartitionYear ?? ARCHIVE_DEFAULTS.firstPartitionYear,
      last: props.lastPartitionYear ?? ARCHIVE_DEFAULTS.lastPartitionYear,
    });
    this.namedQueries = (props.athenaQueries === false ? [] : ATHENA_QUERIES).map(
      (query) =>
        new CfnNamedQuery(this, query.id, {
          database: this.database.databaseName,
          name: query.name,
          description: query.description,
          queryString: query.sql,
          workGroup: props.workGroup ?? ARCHIVE_DEFAULTS.workGroup,
        }),
    );
  }

  /** Lets the archive function put batches of records into the delivery stream, and nothing else. */
  public grantPutRecords(grantee: IGrantable): Grant {
    return this.deliveryStream.grant(grantee, 'firehose:PutRecordBatch');
  }

  /** cdk-nag raises no AwsSolutions-S1 here: it recognises a bucket that receives server access logs. */
  private createAccessLogsBucket(removalPolicy: RemovalPolicy | undefined): Bucket {
    return new Bucket(this, 'AccessLogsBucket', {
      ...defaultAccessLogsBucketProps(),
      ...removalBucketProps(removalPolicy),
    });
  }

  private createDeliveryPolicy(errorLogGroup: LogGroup, encryptionKey: IKey | undefined): Policy {
    const objectArns = Object.values(ARCHIVE_PREFIXES).map((prefix) =>
      this.bucket.arnForObjects(`${prefix}*`),
    );
    const statements = [
      new PolicyStatement({ actions: FIREHOSE_BUCKET_ACTIONS, resources: [this.bucket.bucketArn] }),
      new PolicyStatement({ actions: FIREHOSE_OBJECT_ACTIONS, resources: objectArns }),
      new PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [errorLogGroup.logGroupArn] }),
    ];
    if (encryptionKey) {
      statements.push(
        new PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    const policy = new Policy(this, 'DeliveryPolicy', { roles: [this.deliveryRole], statements });
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    Validations.of(policy).acknowledge(
      ...Object.values(ARCHIVE_PREFIXES).map((prefix) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`,
        reason:
          `Firehose writes objects with generated names under ${prefix} of this one bucket; the wildcard covers ` +
          'those keys only, never another bucket or prefix.',
      })),
    );
    return policy;
  }

  private createTable(years: { first: number; last: number }): CfnTable {
    const location = `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIXES.events}`;
    return new CfnTable(this, 'Table', {
      catalogId: Stack.of(this).account,
      databaseName: this.database.databaseName,
      tableInput: {
        name: RAW_TABLE_NAME,
        description:
          'OpenTrail events as archived (one JSON record per line); the events view drops duplicates',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          ...partitionProjectionParameters(location, years),
        },
        partitionKeys: ARCHIVE_PARTITION_KEYS.map(({ name, type }) => ({ name, type })),
        storageDescriptor: {
          location,
          inputFormat: ARCHIVE_STORAGE_FORMAT.inputFormat,
          outputFormat: ARCHIVE_STORAGE_FORMAT.outputFormat,
          compressed: true,
          columns: ARCHIVE_COLUMNS.map(({ name, type }) => ({ name, type })),
          serdeInfo: {
            serializationLibrary: ARCHIVE_SERDE.serializationLibrary,
            parameters: { ...ARCHIVE_SERDE.parameters },
          },
        },
      },
    });
  }
}

/**
 * The stack name as Athena wants database names: lower-case letters, digits and underscores. A stack name known
 * only at deployment falls back to `opentrail`.
 */
export function defaultDatabaseName(stackName: string): string {
  if (Token.isUnresolved(stackName)) return 'opentrail';
  return stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** Every problem with `props`, one message each (undefined where a rule holds), for one error listing them all. */
export function archivePropsProblems(props: ArchiveProps): (string | undefined)[] {
  const { databaseName } = props;
  const infrequentAccessDays =
    props.infrequentAccessAfterDays ?? ARCHIVE_LIFECYCLE_DEFAULTS.infrequentAccessAfterDays;
  const glacierDays =
    props.glacierInstantRetrievalAfterDays ?? ARCHIVE_LIFECYCLE_DEFAULTS.glacierInstantRetrievalAfterDays;
  const firstYear = props.firstPartitionYear ?? ARCHIVE_DEFAULTS.firstPartitionYear;
  const lastYear = props.lastPartitionYear ?? ARCHIVE_DEFAULTS.lastPartitionYear;
  const lifecycleDaysSet = [
    props.infrequentAccessAfterDays,
    props.glacierInstantRetrievalAfterDays,
    props.expirationDays,
  ].some((days) => days !== undefined);
  return [
    integerRangeProblem(
      'infrequentAccessAfterDays',
      props.infrequentAccessAfterDays,
      LIMITS.infrequentAccessDays,
    ),
    integerRangeProblem(
      'glacierInstantRetrievalAfterDays',
      props.glacierInstantRetrievalAfterDays,
      LIMITS.days,
    ),
    glacierDays < infrequentAccessDays + MIN_DAYS_IN_INFREQUENT_ACCESS
      ? `glacierInstantRetrievalAfterDays must be at least ${MIN_DAYS_IN_INFREQUENT_ACCESS} more than ` +
        `infrequentAccessAfterDays (got ${glacierDays} and ${infrequentAccessDays})`
      : undefined,
    integerRangeProblem('expirationDays', props.expirationDays, LIMITS.days),
    props.expirationDays !== undefined && props.expirationDays <= glacierDays
      ? `expirationDays must be more than glacierInstantRetrievalAfterDays (got ${props.expirationDays} and ${glacierDays})`
      : undefined,
    lifecycleDaysSet && props.bucketProps?.lifecycleRules
      ? 'infrequentAccessAfterDays, glacierInstantRetrievalAfterDays and expirationDays conflict with ' +
        'bucketProps.lifecycleRules: set only one'
      : undefined,
    integerRangeProblem('objectLockRetentionDays', props.objectLockRetentionDays, LIMITS.days),
    oneOfProblem('objectLockMode', props.objectLockMode, OBJECT_LOCK_MODES),
    props.objectLockMode !== undefined && props.objectLockRetentionDays === undefined
      ? 'objectLockMode needs objectLockRetentionDays'
      : undefined,
    props.objectLockRetentionDays !== undefined &&
    props.expirationDays !== undefined &&
    props.expirationDays < props.objectLockRetentionDays
      ? `expirationDays must not be less than objectLockRetentionDays (got ${props.expirationDays} and ` +
        `${props.objectLockRetentionDays})`
      : undefined,
    props.objectLockRetentionDays !== undefined && props.bucketProps?.versioned === false
      ? 'objectLockRetentionDays needs a versioned bucket: bucketProps.versioned must not be false'
      : undefined,
    props.removalPolicy !== undefined &&
    props.removalPolicy !== RemovalPolicy.RETAIN &&
    props.removalPolicy !== RemovalPolicy.DESTROY
      ? `removalPolicy must be RETAIN or DESTROY (got ${props.removalPolicy})`
      : undefined,
    props.removalPolicy === RemovalPolicy.DESTROY && props.objectLockRetentionDays !== undefined
      ? 'removalPolicy DESTROY cannot empty a bucket under Object Lock: leave out objectLockRetentionDays'
      : undefined,
    props.removalPolicy !== undefined &&
    (props.bucketProps?.removalPolicy !== undefined || props.bucketProps?.autoDeleteObjects !== undefined)
      ? 'removalPolicy conflicts with bucketProps.removalPolicy and bucketProps.autoDeleteObjects: set only one'
      : undefined,
    props.serverAccessLogs === false && props.serverAccessLogsBucket
      ? 'serverAccessLogsBucket conflicts with serverAccessLogs: false: set only one'
      : undefined,
    props.encryptionKey && props.bucketProps?.encryption
      ? 'encryptionKey and bucketProps.encryption conflict: set only one'
      : undefined,
    secondsRangeProblem('bufferingInterval', props.bufferingInterval, LIMITS.bufferingSeconds),
    mebibytesRangeProblem('bufferingSize', props.bufferingSize, LIMITS.bufferingMebibytes),
    integerRangeProblem('firstPartitionYear', props.firstPartitionYear, LIMITS.year),
    integerRangeProblem('lastPartitionYear', props.lastPartitionYear, LIMITS.year),
    firstYear > lastYear
      ? `firstPartitionYear must not be after lastPartitionYear (got ${firstYear} and ${lastYear})`
      : undefined,
    databaseName === undefined || Token.isUnresolved(databaseName) || DATABASE_NAME_PATTERN.test(databaseName)
      ? undefined
      : `databaseName must be 1 to 255 lower-case letters, digits or underscores (got ${databaseName})`,
  ];
}

/** DESTROY removes a bucket with the stack and empties it first (S3 refuses to delete a bucket holding objects). */
function removalBucketProps(removalPolicy: RemovalPolicy | undefined): BucketProps {
  return removalPolicy === RemovalPolicy.DESTROY ? { removalPolicy, autoDeleteObjects: true } : {};
}

/** The bucket settings that come from the construct's own props and cannot be overridden. */
function requiredBucketProps(props: ArchiveProps, accessLogsBucket: IBucket | undefined): BucketProps {
  const days = props.objectLockRetentionDays;
  const objectLock: BucketProps =
    days === undefined
      ? {}
      : {
          objectLockEnabled: true,
          objectLockDefaultRetention:
            props.objectLockMode === 'COMPLIANCE'
              ? ObjectLockRetention.compliance(Duration.days(days))
              : ObjectLockRetention.governance(Duration.days(days)),
        };
  const accessLogs: BucketProps = accessLogsBucket
    ? { serverAccessLogsBucket: accessLogsBucket, serverAccessLogsPrefix: ACCESS_LOGS_PREFIX }
    : {};
  return { ...objectLock, ...accessLogs };
}
