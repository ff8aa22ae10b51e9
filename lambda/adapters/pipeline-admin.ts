import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  type FirehoseClient,
  ResourceInUseException,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  ARCHIVE_BUFFERING,
  ARCHIVE_ERROR_OUTPUT_PREFIX,
  ARCHIVE_PREFIX,
  ARCHIVE_PREFIXES,
} from '../core/archive-layout.js';

// The archive's layout and buffering, as the stack deploys them (moto ignores the buffering and writes each
// PutRecordBatch at once; local mode's Firehose player honours it).
export { ARCHIVE_ERROR_OUTPUT_PREFIX, ARCHIVE_PREFIX } from '../core/archive-layout.js';

/**
 * Creates the pipeline's resources (docs/pipeline.md) in an emulator, for local mode and the tests; in AWS the
 * CDK stack owns them. Idempotent: what exists already is kept, so a second call (a restart against the same
 * emulator) changes nothing.
 */

export interface PipelineNames {
  /** S3 bucket the archive lands in. */
  readonly bucketName: string;
  /** Firehose delivery stream the archive function puts to (OPENTRAIL_DELIVERY_STREAM_NAME). */
  readonly deliveryStreamName: string;
  /** CloudWatch Logs group the log-forward function writes to (OPENTRAIL_LOG_GROUP_NAME). */
  readonly logGroupName: string;
  /** On-failure destination of the archive event source mapping. */
  readonly archiveDlqName: string;
  /** On-failure destination of the log-forward event source mapping. */
  readonly logForwardDlqName: string;
}

export interface PipelineClients {
  readonly s3: S3Client;
  readonly firehose: FirehoseClient;
  readonly logs: CloudWatchLogsClient;
  readonly sqs: SQSClient;
}

export interface PipelineResources extends PipelineNames {
  readonly deliveryStreamArn: string;
  readonly archiveDlqUrl: string;
  readonly logForwardDlqUrl: string;
}

/**
 * How the emulator names archive objects.
 * - `firehose-expressions`: the stream gets ARCHIVE_PREFIX, the configuration the stack deploys; Firehose
 *   evaluates it to `events/YYYY/MM/DD/HH/`.
 * - `appended-by-emulator`: for moto 5.2, which evaluates no prefix expression: it keeps the prefix as
 *   written and always appends `YYYY/MM/DD/HH/` (UTC, time of the PutRecordBatch) itself, so ARCHIVE_PREFIX
 *   would give keys like `events/!{timestamp:yyyy}/.../2026/11/24/05/<stream>-1-...`. The stream then gets
 *   the plain prefix `events/`, and objects land under `events/YYYY/MM/DD/HH/` as in AWS.
 */
export type ArchivePrefixStyle = 'firehose-expressions' | 'appended-by-emulator';

export interface PipelineResourceOptions {
  /** @default 'firehose-expressions' */
  readonly prefixStyle?: ArchivePrefixStyle;
  /**
   * The role Firehose assumes to write to the bucket; emulators do not check it.
   * @default a role in moto's default account 123456789012
   */
  readonly firehoseRoleArn?: string;
  /** Upper bound for the delivery stream to turn ACTIVE. @default 120 000 ms */
  readonly activeTimeoutMs?: number;
}

/** The prefix for an emulator that appends YYYY/MM/DD/HH/ itself (see ArchivePrefixStyle). */
export const ARCHIVE_PREFIX_WITHOUT_TIME = ARCHIVE_PREFIXES.events;
/** SQS's longest retention: a dead-letter message waits two weeks for someone to look at it. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
const ACTIVE_POLL_MS = 500;

export const createPipelineResources = async (
  clients: PipelineClients,
  names: PipelineNames,
  options: PipelineResourceOptions = {},
): Promise<PipelineResources> => {
  await createBucket(clients.s3, names.bucketName);
  const [deliveryStreamArn, , archiveDlqUrl, logForwardDlqUrl] = await Promise.all([
    createDeliveryStream(clients.firehose, names, options),
    createLogGroup(clients.logs, names.logGroupName),
    createQueue(clients.sqs, names.archiveDlqName),
    createQueue(clients.sqs, names.logForwardDlqName),
  ]);
  return { ...names, deliveryStreamArn, archiveDlqUrl, logForwardDlqUrl };
};

const createBucket = async (s3: S3Client, bucketName: string): Promise<void> => {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  } catch (error) {
    // us-east-1 answers 200 for a bucket you already own; other regions answer BucketAlreadyOwnedByYou.
    if (errorName(error) !== 'BucketAlreadyOwnedByYou') throw error;
  }
};

const createDeliveryStream = async (
  firehose: FirehoseClient,
  names: PipelineNames,
  options: PipelineResourceOptions,
): Promise<string> => {
  const bucketArn = `arn:aws:s3:::${names.bucketName}`;
  const evaluated = (options.prefixStyle ?? 'firehose-expressions') === 'firehose-expressions';
  try {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: names.deliveryStreamName,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: bucketArn,
          RoleARN: options.firehoseRoleArn ?? 'arn:aws:iam::123456789012:role/opentrail-archive-delivery',
          Prefix: evaluated ? ARCHIVE_PREFIX : ARCHIVE_PREFIX_WITHOUT_TIME,
          ErrorOutputPrefix: ARCHIVE_ERROR_OUTPUT_PREFIX,
          // moto stores it and writes uncompressed objects anyway (NOTES.md 15).
          CompressionFormat: 'GZIP',
          BufferingHints: {
            IntervalInSeconds: ARCHIVE_BUFFERING.intervalSeconds,
            SizeInMBs: ARCHIVE_BUFFERING.sizeMiB,
          },
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  return waitUntilActive(firehose, names.deliveryStreamName, bucketArn, options.activeTimeoutMs ?? 120_000);
};

/** Polls DescribeDeliveryStream until ACTIVE (an emulator is at once, AWS takes a minute or so). */
const waitUntilActive = async (
  firehose: FirehoseClient,
  deliveryStreamName: string,
  bucketArn: string,
  timeoutMs: number,
): Promise<string> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { DeliveryStreamDescription: description } = await firehose.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: deliveryStreamName }),
    );
    const destinationBucket = description?.Destinations?.[0]?.ExtendedS3DestinationDescription?.BucketARN;
    if (destinationBucket !== undefined && destinationBucket !== bucketArn) {
      throw new Error(
        `Delivery stream ${deliveryStreamName} already exists and delivers to ${destinationBucket}, not ${bucketArn}`,
      );
    }
    const status = description?.DeliveryStreamStatus;
    if (status === 'ACTIVE' && description?.DeliveryStreamARN !== undefined) {
      return description.DeliveryStreamARN;
    }
    if (status === 'CREATING_FAILED' || status === 'DELETING' || status === 'DELETING_FAILED') {
      throw new Error(`Delivery stream ${deliveryStreamName} is ${status}`);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Delivery stream ${deliveryStreamName} is not ACTIVE after ${timeoutMs} ms (${status})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
  }
};

const createLogGroup = async (logs: CloudWatchLogsClient, logGroupName: string): Promise<void> => {
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
};

const createQueue = async (sqs: SQSClient, queueName: string): Promise<string> => {
  try {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        // As the stack's dead-letter queues (lib/defaults/sqs.ts): SQS-managed encryption, kept 14 days.
        Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS), SqsManagedSseEnabled: 'true' },
      }),
    );
    if (QueueUrl !== undefined) return QueueUrl;
  } catch (error) {
    // The queue exists with other attributes: keep it as it is.
    if (errorName(error) !== 'QueueNameExists' && errorName(error) !== 'QueueAlreadyExists') throw error;
  }
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  if (QueueUrl === undefined) throw new Error(`GetQueueUrl returned no URL for ${queueName}`);
  return QueueUrl;
};

const errorName = (error: unknown): string | undefined => (error instanceof Error ? error.name : undefined);
