import { type Acknowledgment, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INSIGHT_TYPES, type InsightType } from '../../lambda/core/insights/counters.js';
import {
  INSIGHT_DETAIL_TYPE,
  INSIGHT_EVENT_SOURCE,
  INSIGHT_STATES,
  type InsightState,
} from '../../lambda/core/insights/records.js';
import { FUNCTIONS, scheduleOf } from '../../lambda/manifest/functions.js';
import { SETTINGS } from '../../lambda/manifest/settings.js';
import { deadLetterQueueAlarm, defaultDeadLetterQueueProps } from '../defaults/sqs.js';
import { definedProps } from '../props-merge.js';
import {
  integerRangeProblem,
  minimumNumberProblem,
  minutesRangeProblem,
  positiveNumberProblem,
  throwIfInvalid,
} from '../props-validation.js';
import {
  createTrailFunction,
  grantPermissions,
  type PermissionGrants,
  RUNTIME_ACKNOWLEDGMENTS,
  type SettingValues,
  type TrailFunctionProps,
} from '../trail-function.js';
import type { EventStore } from './event-store.js';
import { StreamConsumer, type StreamEventSourceProps } from './stream-consumer.js';

export { INSIGHT_DETAIL_TYPE, INSIGHT_EVENT_SOURCE, INSIGHT_STATES, type InsightState };

/** How the scheduled function fails: the construct owns its asynchronous invocation settings. */
type OwnedAsyncProp =
  | 'onFailure'
  | 'onSuccess'
  | 'retryAttempts'
  | 'maxEventAge'
  | 'deadLetterQueue'
  | 'deadLetterQueueEnabled'
  | 'deadLetterTopic';

/** `TrailFunctionProps` without the failure handling the construct fixes. */
export type InsightsFunctionProps = Omit<TrailFunctionProps, OwnedAsyncProp>;

export interface InsightsProps {
  /** The events table: its stream feeds the counters, and it stores counters and insight events. */
  readonly eventStore: EventStore;
  /**
   * How often the insights function runs: a whole number of minutes, 1 to 60. Each run handles every complete
   * minute since the last one, so a longer interval only delays insights.
   *
   * @default Duration.minutes(1)
   */
  readonly schedule?: Duration;
  /**
   * Days of history the baseline covers, 1 to 90 (CloudTrail Insights uses 7); counters are kept about this long.
   * With less history the detector works on what it has and says so in the insight.
   *
   * @default 7
   */
  readonly baselineDays?: number;
  /**
   * Detector sensitivity, above 0: higher means fewer, stronger insights.
   *
   * @default - the detector's own default (lambda/core/insights)
   */
  readonly sensitivity?: number;
  /**
   * Fewest calls (or errors) per minute an anomaly must reach, at least 1, so that 1 -> 3 calls is no insight.
   *
   * @default - the detector's own default (lambda/core/insights)
   */
  readonly minVolume?: number;
  /**
   * Name of the EventBridge bus insight events are put on: 1 to 256 letters, digits, `.`, `-`, `_` or `/`, not
   * `default`.
   *
   * @default - a name CloudFormation generates
   */
  readonly eventBusName?: string;
  /**
   * Retention of both functions' log groups.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Topic notified when a dead-letter queue alarm (counter records or insights runs) fires and when it recovers.
   *
   * @default - the alarms change state without notifying anyone
   */
  readonly alarmTopic?: ITopic;
  /**
   * Customer managed KMS key encrypting the bus and both dead-letter queues (the key policy gets the statement
   * EventBridge needs when the key is defined in the app).
   *
   * @default - an AWS owned key for the bus, SQS-managed keys for the queues
   */
  readonly encryptionKey?: IKey;
  /**
   * Overrides for the insights function (memory, timeout, environment, bundling ...). Variables named in
   * `TRAIL_ENV` are set by the construct and win; its failure handling is fixed.
   *
   * @default - arm64, Node.js 22, 512 MB, 55 s, bundled ES module
   */
  readonly functionProps?: InsightsFunctionProps;
  /**
   * Overrides for the counter consumer function, as for `functionProps`.
   *
   * @default - arm64, Node.js 22, 512 MB, 60 s, bundled ES module
   */
  readonly counterFunctionProps?: TrailFunctionProps;
  /**
   * Overrides of the counter consumer's event source mapping. The filter, the partial batch responses and the
   * on-failure queue are fixed by the pipeline contract.
   *
   * @default - as StreamConsumer, but batches of up to 1,000 records gathered for up to 5 s: a batch makes one
   * update per key and minute, so larger batches cost fewer writes per event
   */
  readonly counterEventSourceProps?: StreamEventSourceProps;
}

/** Which insight events a rule made by `onInsight` matches. */
export interface InsightRuleOptions {
  /**
   * Only these states.
   *
   * @default - Start and End
   */
  readonly states?: readonly InsightState[];
  /**
   * Only these insight types.
   *
   * @default - ApiCallRateInsight and ApiErrorRateInsight
   */
  readonly insightTypes?: readonly InsightType[];
  /**
   * Description of the rule.
   *
   * @default - says which insight events it matches
   */
  readonly description?: string;
}

/** The insights function's schedule in the manifest (lambda/manifest/functions.ts). */
const SCHEDULE_TRIGGER = scheduleOf('insights');

const INSIGHTS_DEFAULTS = {
  schedule: Duration.minutes(SCHEDULE_TRIGGER.rateMinutes),
  logRetention: RetentionDays.ONE_MONTH,
} as const;

const MINUTES_PER_DAY = 1440;

const LIMITS = {
  scheduleMinutes: { min: 1, max: 60 },
  baselineDays: { min: 1, max: 90 },
  minVolume: 1,
} as const;

/** EventBridge event bus names (EventBridge API reference, CreateEventBus). */
const EVENT_BUS_NAME_PATTERN = /^[/.\-_A-Za-z0-9]{1,256}$/;

/**
 * A failed run is not retried: the next run handles the minutes this one left. A run waiting longer than this
 * (the function throttled) is dropped to the dead-letter queue, since later runs have done its work.
 */
const ASYNC_INVOKE = {
  retryAttempts: SCHEDULE_TRIGGER.retryAttempts,
  maxEventAge: Duration.seconds(SCHEDULE_TRIGGER.maxEventAgeSeconds),
} as const;
/** Scheduler gives up on a delivery it cannot make at once, for the same reason; the minimum event age is 60 s. */
export const SCHEDULE_RETRY = { retryAttempts: 0, maxEventAge: Duration.minutes(1) } as const;

/** Findings the insights function carries, each with why it stands. */
const FUNCTION_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  ...RUNTIME_ACKNOWLEDGMENTS,
  {
    id: 'Serverless-LambdaDLQ',
    reason:
      'Failed asynchronous invocations go to the on-failure destination of the function EventInvokeConfig, the ' +
      'SQS queue DeadLetterQueue of this construct, which records the error with the request; a DeadLetterConfig ' +
      'would only add a second, less informative copy.',
  },
];

/** Findings the dead-letter queue carries, each with why it stands. */
const QUEUE_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  {
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue of the insights schedule and of the function asynchronous ' +
      'invocations. Nothing consumes it: the next run catches up, and an alarm fires on its first message.',
  },
  {
    id: 'Serverless-SQSRedrivePolicy',
    reason:
      'Same as AwsSolutions-SQS3: this queue is the dead-letter queue, so it has no redrive of its own.',
  },
];

/**
 * CloudTrail-style Insights for the trail (docs/insights.md): a stream consumer that adds every event to
 * per-minute counters in the events table, a function EventBridge Scheduler runs every minute to turn unusual
 * call and error rates into Start and End insight events (stored in the trail and put on the bus), and the bus
 * users attach targets to with `onInsight`.
 */
export class Insights extends Construct {
  /** The bus insight events are put on: source `opentrail.insights`, detail-type `OpenTrail Insight`. */
  public readonly bus: EventBus;
  public readonly counterConsumer: StreamConsumer;
  public readonly insightsFunction: NodejsFunction;
  public readonly schedule: Schedule;
  /** The role Scheduler assumes to invoke the insights function and send to the dead-letter queue; nothing else. */
  public readonly scheduleRole: Role;
  /** Runs Scheduler could not deliver and runs that failed: nothing is retried, the next run catches up. */
  public readonly deadLetterQueue: Queue;
  public readonly dlqAlarm: Alarm;
  public readonly baselineMinutes: number;

  private ruleCount = 0;

  constructor(scope: Construct, id: string, props: InsightsProps) {
    super(scope, id);
    throwIfInvalid('Insights', insightsPropsProblems(props));
    const { eventStore } = props;
    const logRetention = props.logRetention ?? INSIGHTS_DEFAULTS.logRetention;
    this.baselineMinutes =
      props.baselineDays === undefined
        ? SETTINGS.insightsBaselineMinutes.default
        : props.baselineDays * MINUTES_PER_DAY;

    this.bus = new EventBus(this, 'Bus', {
      ...definedProps({ eventBusName: props.eventBusName, kmsKey: props.encryptionKey }),
      description: `OpenTrail insight events (source ${INSIGHT_EVENT_SOURCE}, detail-type ${INSIGHT_DETAIL_TYPE})`,
    });

    const settings: SettingValues = {
      tableName: eventStore.table.tableName,
      retentionDays: eventStore.retentionDays,
      writeShards: eventStore.writeShards,
      eventBusName: this.bus.eventBusName,
      insightsBaselineMinutes: this.baselineMinutes,
      // Left out, the detector uses its own defaults.
      insightsSensitivity: props.sensitivity,
      insightsMinVolume: props.minVolume,
    };
    const grants: PermissionGrants = {
      'events:count': (grantee) => eventStore.grantCountEvents(grantee),
      'events:runInsights': (grantee) => eventStore.grantRunInsights(grantee),
      'insightsBus:putEvents': (grantee) => this.bus.grantPutEventsTo(grantee),
    };

    this.counterConsumer = new StreamConsumer(this, FUNCTIONS.insightsCounter.constructId, {
      eventStore,
      consumer: 'insightsCounter',
      settings,
      functionProps: props.counterFunctionProps,
      eventSourceProps: props.counterEventSourceProps,
      logRetention,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
    });
    grantPermissions(this.counterConsumer.function, FUNCTIONS.insightsCounter, grants);

    this.deadLetterQueue = new Queue(
      this,
      'DeadLetterQueue',
      defaultDeadLetterQueueProps(props.encryptionKey),
    );
    Validations.of(this.deadLetterQueue).acknowledge(...QUEUE_ACKNOWLEDGMENTS);

    this.insightsFunction = createTrailFunction(this, FUNCTIONS.insights.constructId, {
      spec: FUNCTIONS.insights,
      userProps: props.functionProps,
      settings,
      logRetention,
      acknowledgments: FUNCTION_ACKNOWLEDGMENTS,
    });
    this.insightsFunction.configureAsyncInvoke({
      ...ASYNC_INVOKE,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    grantPermissions(this.insightsFunction, FUNCTIONS.insights, grants);

    this.scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: schedulerPrincipal(this),
      description: 'EventBridge Scheduler invokes the OpenTrail insights function',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.rate(props.schedule ?? INSIGHTS_DEFAULTS.schedule),
      description: 'Runs the OpenTrail insights function',
      target: new UnqualifiedLambdaInvoke(this.insightsFunction, {
        ...SCHEDULE_RETRY,
        role: this.scheduleRole,
        deadLetterQueue: this.deadLetterQueue,
        input: scheduledEventInput(),
      }),
    });
    // The stock target grants sqs:SendMessage only; an SSE-KMS queue also needs these two on its key
    // (SQS developer guide, "Amazon SQS key management").
    props.encryptionKey?.grant(this.scheduleRole, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.dlqAlarm = deadLetterQueueAlarm(
      this,
      this.deadLetterQueue,
      `OpenTrail ${id}: an insights run failed or could not be started; the next run catches up, the ` +
        'dead-letter queue holds the error',
      props.alarmTopic,
    );
  }

  /**
   * Sends insight events to `target`: every Start and End by default, or only the states and types asked for.
   * For example `insights.onInsight(new SnsTopic(topic), { states: ['Start'] })`. Give the target a dead-letter
   * queue (cdk-nag Serverless-EventBusDLQ) so an undeliverable insight is kept.
   */
  public onInsight(target: IRuleTarget, options: InsightRuleOptions = {}): Rule {
    throwIfInvalid('onInsight', [
      listProblem('states', options.states, INSIGHT_STATES),
      listProblem('insightTypes', options.insightTypes, INSIGHT_TYPES),
    ]);
    const insightDetails = {
      ...(options.states ? { state: [...options.states] } : {}),
      ...(options.insightTypes ? { insightType: [...options.insightTypes] } : {}),
    };
    this.ruleCount += 1;
    return new Rule(this, `InsightRule${this.ruleCount}`, {
      eventBus: this.bus,
      description: options.description ?? describeRule(options),
      eventPattern: {
        source: [INSIGHT_EVENT_SOURCE],
        detailType: [INSIGHT_DETAIL_TYPE],
        ...(Object.keys(insightDetails).length > 0 ? { detail: { insightDetails } } : {}),
      },
      targets: [target],
    });
  }
}

/**
 * LambdaInvoke whose role may invoke the unqualified function only: the stock target calls `grantInvoke`, which
 * adds `<function ARN>:*` (every version and alias) and with it a wildcard resource.
 */
export class UnqualifiedLambdaInvoke extends LambdaInvoke {
  private readonly target: IFunction;

  constructor(target: IFunction, props: ScheduleTargetBaseProps) {
    super(target, props);
    this.target = target;
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }),
    );
  }
}

/**
 * The Scheduler service principal, allowed to assume the role only for schedules of this account's default group
 * (Scheduler user guide, "Preventing cross-service confused deputy").
 */
export function schedulerPrincipal(scope: Construct): ServicePrincipal {
  const stack = Stack.of(scope);
  return new ServicePrincipal('scheduler.amazonaws.com', {
    conditions: {
      StringEquals: {
        'aws:SourceAccount': stack.account,
        'aws:SourceArn': stack.formatArn({
          service: 'scheduler',
          resource: 'schedule-group',
          resourceName: 'default',
        }),
      },
    },
  });
}

/** What the function receives: a ScheduledEvent-like object with the scheduled time and the execution id. */
export function scheduledEventInput(): ScheduleTargetInput {
  return ScheduleTargetInput.fromObject({
    id: ContextAttribute.executionId,
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    time: ContextAttribute.scheduledTime,
    resources: [ContextAttribute.scheduleArn],
    detail: {},
  });
}

/** Every problem with `props`, one message each (undefined where a rule holds), for one error listing them all. */
export function insightsPropsProblems(props: Omit<InsightsProps, 'eventStore'>): (string | undefined)[] {
  return [
    minutesRangeProblem('schedule', props.schedule, LIMITS.scheduleMinutes),
    integerRangeProblem('baselineDays', props.baselineDays, LIMITS.baselineDays),
    positiveNumberProblem('sensitivity', props.sensitivity),
    minimumNumberProblem('minVolume', props.minVolume, LIMITS.minVolume),
    eventBusNameProblem(props.eventBusName),
  ];
}

function eventBusNameProblem(name: string | undefined): string | undefined {
  if (name === undefined || Token.isUnresolved(name)) return undefined;
  if (EVENT_BUS_NAME_PATTERN.test(name) && name !== 'default') return undefined;
  return `eventBusName must be 1 to 256 letters, digits, ".", "-", "_" or "/", and not "default" (got "${name}")`;
}

function listProblem(
  name: string,
  values: readonly string[] | undefined,
  allowed: readonly string[],
): string | undefined {
  if (values === undefined) return undefined;
  if (values.length > 0 && values.every((value) => allowed.includes(value))) return undefined;
  return `${name} must list one or more of ${allowed.join(', ')} (got [${values.join(', ')}])`;
}

function describeRule(options: InsightRuleOptions): string {
  const states = options.states?.join(' and ') ?? 'Start and End';
  const types = options.insightTypes?.join(' and ') ?? 'every insight type';
  return `OpenTrail insight events: ${states}, ${types}`;
}
