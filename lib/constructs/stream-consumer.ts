import { type Acknowledgment, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, type DynamoEventSourceProps, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTIONS, type StreamMapping, streamMappingOf } from '../../lambda/manifest/functions.js';
import { eventSourcePropsOf } from '../defaults/event-source.js';
import { deadLetterQueueAlarm, defaultDeadLetterQueueProps } from '../defaults/sqs.js';
import { definedProps } from '../props-merge.js';
import { integerRangeProblem, secondsRangeProblem, throwIfInvalid } from '../props-validation.js';
import {
  createTrailFunction,
  RUNTIME_ACKNOWLEDGMENTS,
  type SettingValues,
  type TrailFunctionProps,
} from '../trail-function.js';
import type { StreamConsumerName } from '../trail-functions.js';
import type { EventStore } from './event-store.js';

/** Mapping settings the pipeline contract fixes (docs/pipeline.md): which records travel and where failures go. */
type ContractEventSourceProp = 'filters' | 'onFailure' | 'reportBatchItemFailures';

/** `DynamoEventSourceProps` without the settings the pipeline contract fixes, every one optional. */
export type StreamEventSourceProps = Partial<Omit<DynamoEventSourceProps, ContractEventSourceProp>>;

export interface StreamConsumerProps {
  /** The table whose stream the function consumes. */
  readonly eventStore: EventStore;
  /** Which stream consumer of the deployment manifest (lambda/manifest/functions.ts) this is. */
  readonly consumer: StreamConsumerName;
  /** The values of the settings the consumer reads (its manifest entry lists them); they win over `functionProps`. */
  readonly settings: SettingValues;
  /**
   * Overrides for the function (memory, timeout, environment, bundling ...).
   *
   * @default - the manifest's: arm64, Node.js 22, 512 MB, 60 s, bundled ES module
   */
  readonly functionProps?: TrailFunctionProps;
  /**
   * Overrides of the event source mapping defaults (batch size, window, retries, record age, ...). The filter,
   * the partial batch responses and the on-failure queue are fixed by the pipeline contract.
   *
   * @default - the manifest's mapping; for most consumers TRIM_HORIZON, batches of 100 within 1 s, bisect on
   * error, 5 retries, records up to 24 h old, parallelization factor 1
   */
  readonly eventSourceProps?: StreamEventSourceProps;
  /**
   * Retention of the function's log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Topic notified when the dead-letter queue alarm fires and when it recovers.
   *
   * @default - the alarm changes state without notifying anyone
   */
  readonly alarmTopic?: ITopic;
  /**
   * Customer managed KMS key encrypting the dead-letter queue (SSE-KMS); the function may use it to send.
   *
   * @default - SQS-managed keys
   */
  readonly encryptionKey?: IKey;
}

const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The ranges Lambda accepts for a DynamoDB stream mapping, with retries kept finite. */
const LIMITS = {
  batchSize: { min: 1, max: 1000 },
  maxBatchingWindowSeconds: { min: 0, max: 300 },
  retryAttempts: { min: 0, max: 10_000 },
  maxRecordAgeSeconds: { min: 60, max: 604_800 },
  parallelizationFactor: { min: 1, max: 10 },
} as const;

/** Findings every stream consumer function carries, each with why it stands. */
const FUNCTION_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  ...RUNTIME_ACKNOWLEDGMENTS,
  {
    id: 'Serverless-LambdaDLQ',
    reason:
      'The event source mapping invokes the function synchronously; a function DeadLetterConfig only receives ' +
      'failed asynchronous invocations. Records that exhaust their retries go to the mapping on-failure ' +
      'destination, the SQS queue DeadLetterQueue of this construct.',
  },
];

/** Findings the dead-letter queue carries, each with why it stands. */
const QUEUE_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  {
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue: the on-failure destination of a stream event source mapping. ' +
      'Nothing consumes it automatically; an alarm fires on its first message.',
  },
  {
    id: 'Serverless-SQSRedrivePolicy',
    reason:
      'Same as AwsSolutions-SQS3: this queue is the dead-letter queue, so it has no redrive of its own.',
  },
];

/**
 * One consumer of the events table's stream: a function with its own event source mapping (only INSERTs of event
 * items, partial batch responses, bisect on error, bounded retries and record age), its own SQS dead-letter queue
 * and an alarm on that queue's first message. A failing consumer never blocks or loses another one.
 */
export class StreamConsumer extends Construct {
  public readonly function: NodejsFunction;
  public readonly eventSource: DynamoEventSource;
  public readonly deadLetterQueue: Queue;
  public readonly dlqAlarm: Alarm;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    const source = props.eventSourceProps;
    throwIfInvalid('StreamConsumer', [
      integerRangeProblem('eventSourceProps.batchSize', source?.batchSize, LIMITS.batchSize),
      secondsRangeProblem(
        'eventSourceProps.maxBatchingWindow',
        source?.maxBatchingWindow,
        LIMITS.maxBatchingWindowSeconds,
      ),
      integerRangeProblem('eventSourceProps.retryAttempts', source?.retryAttempts, LIMITS.retryAttempts),
      secondsRangeProblem('eventSourceProps.maxRecordAge', source?.maxRecordAge, LIMITS.maxRecordAgeSeconds),
      integerRangeProblem(
        'eventSourceProps.parallelizationFactor',
        source?.parallelizationFactor,
        LIMITS.parallelizationFactor,
      ),
    ]);

    const mapping = streamMappingOf(props.consumer);
    this.function = createTrailFunction(this, 'Handler', {
      spec: FUNCTIONS[props.consumer],
      userProps: props.functionProps,
      settings: props.settings,
      logRetention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      acknowledgments: FUNCTION_ACKNOWLEDGMENTS,
    });

    this.deadLetterQueue = new Queue(
      this,
      'DeadLetterQueue',
      defaultDeadLetterQueueProps(props.encryptionKey),
    );
    Validations.of(this.deadLetterQueue).acknowledge(...QUEUE_ACKNOWLEDGMENTS);

    // Binding grants the function the stream reads (table.grantStreamRead) and sending to the queue.
    this.eventSource = new DynamoEventSource(props.eventStore.table, {
      ...eventSourcePropsOf(mapping),
      ...definedProps(source),
      ...contractEventSourceProps(mapping, this.deadLetterQueue),
    });
    this.function.addEventSource(this.eventSource);

    this.dlqAlarm = deadLetterQueueAlarm(
      this,
      this.deadLetterQueue,
      `OpenTrail ${id}: stream records gave up after their retries; the dead-letter queue names the shard and ` +
        'sequence numbers to replay (within the stream retention of 24 h)',
      props.alarmTopic,
    );
  }
}

/**
 * What the pipeline contract requires of every mapping: only INSERTs of items carrying a stored record (event
 * items, not TTL removals, updates, index, claim or catalog items), partial batch responses, and an SQS
 * on-failure destination.
 */
function contractEventSourceProps(
  mapping: StreamMapping,
  deadLetterQueue: Queue,
): Pick<DynamoEventSourceProps, ContractEventSourceProp> {
  return {
    // Only INSERTs of pages a put wrote (stored records, B) reach the consumers.
    filters: mapping.filters.map((pattern) => FilterCriteria.filter(pattern)),
    reportBatchItemFailures: mapping.reportBatchItemFailures,
    onFailure: new SqsDlq(deadLetterQueue),
  };
}
