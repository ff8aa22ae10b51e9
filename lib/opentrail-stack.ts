import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { TRAIL_ENV } from '../lambda/core/environment.js';
import { Archive, type ArchiveProps } from './constructs/archive.js';
import { EventAlarms } from './constructs/event-alarms.js';
import { EventStore } from './constructs/event-store.js';
import { type InsightRuleOptions, Insights, type InsightsProps } from './constructs/insights.js';
import { LogForwarding, type LogForwardingProps } from './constructs/log-forwarding.js';
import { StreamConsumer } from './constructs/stream-consumer.js';
import { TrailApi } from './constructs/trail-api.js';

/** Insights settings the stack passes through; the events table, log retention and alarm topic come from the stack. */
export type InsightsOptions = Omit<InsightsProps, 'eventStore' | 'logRetention' | 'alarmTopic'>;

export interface OpenTrailStackProps extends StackProps {
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
   * Retention of the function logs, the API access logs and the Firehose delivery error log.
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
   * The S3 archive, its Firehose stream and its Athena table. `logRetention` wins over `archive.logRetention`.
   *
   * @default - see ArchiveProps
   */
  readonly archive?: ArchiveProps;
  /**
   * The CloudWatch Logs group holding one line per event.
   *
   * @default - kept one year, retained on stack deletion
   */
  readonly logForwarding?: LogForwardingProps;
  /**
   * Creates the metric filters and alarms on the event log group (EventAlarms).
   *
   * @default true
   */
  readonly eventAlarms?: boolean;
  /**
   * Insights: the counter consumer, the scheduled insights function and the EventBridge bus (docs/insights.md).
   * `false` leaves all three out.
   *
   * @default - on, see InsightsProps
   */
  readonly insights?: InsightsOptions | false;
  /**
   * Topic notified by every alarm the stack creates (event alarms and dead-letter queue alarms).
   *
   * @default - alarms notify no one
   */
  readonly alarmTopic?: ITopic;
}

/**
 * OpenTrail in one stack: the events table and the API in front of it, and the pipeline behind it: the archive
 * (Firehose -> S3 -> Athena), the event log group (with alarms) and the insights counters, each fed by its own
 * stream consumer, and the insights function that puts insight events on an EventBridge bus every minute.
 */
export class OpenTrailStack extends Stack {
  public readonly eventStore: EventStore;
  public readonly trailApi: TrailApi;
  public readonly archive: Archive;
  public readonly logForwarding: LogForwarding;
  /** Undefined when `eventAlarms` is false. */
  public readonly eventAlarms?: EventAlarms;
  public readonly archiveConsumer: StreamConsumer;
  public readonly logForwardConsumer: StreamConsumer;
  /** Undefined when `insights` is false. */
  public readonly insights?: Insights;

  constructor(scope: Construct, id: string, props: OpenTrailStackProps = {}) {
    super(scope, id, props);
    this.eventStore = new EventStore(this, 'EventStore', {
      retentionDays: props.retentionDays,
      writeShards: props.writeShards,
    });
    this.trailApi = new TrailApi(this, 'TrailApi', {
      eventStore: this.eventStore,
      logRetention: props.logRetention,
      throttle: props.apiThrottle,
    });

    this.archive = new Archive(this, 'Archive', {
      ...props.archive,
      logRetention: props.logRetention ?? props.archive?.logRetention,
    });
    this.archiveConsumer = new StreamConsumer(this, 'ArchiveConsumer', {
      eventStore: this.eventStore,
      entry: 'lambda/handlers/archive.ts',
      environment: { [TRAIL_ENV.deliveryStreamName]: this.archive.deliveryStream.deliveryStreamName },
      logRetention: props.logRetention,
      alarmTopic: props.alarmTopic,
    });
    this.archive.grantPutRecords(this.archiveConsumer.function);

    this.logForwarding = new LogForwarding(this, 'LogForwarding', props.logForwarding);
    this.logForwardConsumer = new StreamConsumer(this, 'LogForwardConsumer', {
      eventStore: this.eventStore,
      entry: 'lambda/handlers/log-forward.ts',
      environment: this.logForwarding.forwarderEnvironment(),
      logRetention: props.logRetention,
      alarmTopic: props.alarmTopic,
    });
    this.logForwarding.grantForward(this.logForwardConsumer.function);
    if (props.eventAlarms ?? true) {
      this.eventAlarms = new EventAlarms(this, 'EventAlarms', {
        logGroup: this.logForwarding.logGroup,
        alarmTopic: props.alarmTopic,
      });
    }

    if (props.insights !== false) {
      this.insights = new Insights(this, 'Insights', {
        ...props.insights,
        eventStore: this.eventStore,
        logRetention: props.logRetention,
        alarmTopic: props.alarmTopic,
      });
    }

    this.addOutputs();
  }

  /**
   * Sends insight events to `target` (all of them, or the states and types in `options`):
   * `stack.onInsight(new SnsTopic(topic), { states: ['Start'] })`. Throws when `insights` is false.
   */
  public onInsight(target: IRuleTarget, options?: InsightRuleOptions): Rule {
    if (!this.insights)
      throw new Error('OpenTrailStack.onInsight: insights are turned off (insights: false)');
    return this.insights.onInsight(target, options);
  }

  private addOutputs(): void {
    const outputs: Record<string, { value: string; description: string }> = {
      ApiUrl: { value: this.trailApi.url, description: 'Base URL of the OpenTrail API' },
      TableName: { value: this.eventStore.table.tableName, description: 'The events table' },
      ArchiveBucketName: {
        value: this.archive.bucket.bucketName,
        description: 'S3 bucket of the event archive',
      },
      DeliveryStreamName: {
        value: this.archive.deliveryStream.deliveryStreamName,
        description: 'Firehose stream writing the archive',
      },
      EventLogGroupName: {
        value: this.logForwarding.logGroup.logGroupName,
        description: 'CloudWatch Logs group with one JSON line per event',
      },
      AthenaDatabase: {
        value: this.archive.database.databaseName,
        description: 'Glue database of the archive',
      },
      AthenaTable: { value: this.archive.table.ref, description: 'Raw archive table (events_raw)' },
      ArchiveDlqUrl: {
        value: this.archiveConsumer.deadLetterQueue.queueUrl,
        description: 'Dead-letter queue of the archive stream consumer',
      },
      LogForwardDlqUrl: {
        value: this.logForwardConsumer.deadLetterQueue.queueUrl,
        description: 'Dead-letter queue of the log-forward stream consumer',
      },
    };
    if (this.insights) {
      Object.assign(outputs, {
        EventBusName: {
          value: this.insights.bus.eventBusName,
          description: 'EventBridge bus insight events are put on (source opentrail.insights)',
        },
        EventBusArn: { value: this.insights.bus.eventBusArn, description: 'ARN of the insights bus' },
        InsightsCounterDlqUrl: {
          value: this.insights.counterConsumer.deadLetterQueue.queueUrl,
          description: 'Dead-letter queue of the insights counter stream consumer',
        },
        InsightsDlqUrl: {
          value: this.insights.deadLetterQueue.queueUrl,
          description: 'Dead-letter queue of insights runs that failed or could not be started',
        },
      });
    }
    for (const [id, output] of Object.entries(outputs)) new CfnOutput(this, id, output);
  }
}
