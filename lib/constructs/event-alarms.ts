import { Duration } from 'aws-cdk-lib';
import { type Alarm, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { countAlarm } from '../defaults/cloudwatch.js';
import { integerRangeProblem, throwIfInvalid } from '../props-validation.js';

/** The JSON filter patterns, metric names and defaults in one place, so the README and the tests quote them. */
export const EVENT_METRICS = {
  namespace: 'OpenTrail',
  /** Every failed event, one metric per errorCode (dimension `errorCode`). */
  errorsByCode: {
    metricName: 'Errors',
    pattern: '{ $.errorCode = "*" }',
  },
  /** Denied or unauthorized calls: a burst means probing or a broken credential. */
  accessDenied: {
    metricName: 'AccessDenied',
    pattern: '{ ($.errorCode = "*AccessDenied*") || ($.errorCode = "*Unauthorized*") }',
    threshold: 10,
  },
  /** Delete calls (writes): a burst means a clean-up script, or someone destroying things. */
  resourceDeletes: {
    metricName: 'ResourceDeletes',
    pattern: '{ ($.eventName = "Delete*") && ($.readOnly IS FALSE) }',
    threshold: 50,
  },
  /** Failed console sign-ins (CloudTrail's message, or any error a producer reports on ConsoleLogin). */
  consoleSignInFailures: {
    metricName: 'ConsoleSignInFailures',
    pattern:
      '{ ($.eventName = "ConsoleLogin") && (($.errorMessage = "Failed authentication") || ($.errorCode = "*")) }',
    threshold: 5,
  },
  /** Every alarm counts over this window. */
  period: Duration.minutes(5),
} as const;

export interface EventAlarmsProps {
  /** The group holding one JSON line per event (LogForwarding.logGroup). */
  readonly logGroup: ILogGroup;
  /**
   * Topic notified when an alarm fires and when it recovers.
   *
   * @default - the alarms change state without notifying anyone
   */
  readonly alarmTopic?: ITopic;
  /**
   * Namespace of the metrics. Give each OpenTrail stack in one account and Region its own, or their counts add up.
   *
   * @default 'OpenTrail'
   */
  readonly metricNamespace?: string;
  /**
   * AccessDenied or Unauthorized events in 5 minutes that raise the alarm, 1 or more.
   *
   * @default 10
   */
  readonly accessDeniedThreshold?: number;
  /**
   * Delete calls in 5 minutes that raise the alarm, 1 or more.
   *
   * @default 50
   */
  readonly resourceDeletesThreshold?: number;
  /**
   * Failed console sign-ins in 5 minutes that raise the alarm, 1 or more.
   *
   * @default 5
   */
  readonly consoleSignInFailuresThreshold?: number;
}

/** The alarm settings without the log group and topic, which a Trail supplies. */
export type EventAlarmsOptions = Omit<EventAlarmsProps, 'logGroup' | 'alarmTopic'>;

const THRESHOLD_RANGE = { min: 1, max: 1_000_000 } as const;

/**
 * Metric filters on the event log group and the alarms users ask for first: AccessDenied bursts, mass deletes and
 * failed console sign-ins, plus an `Errors` metric per errorCode for dashboards and alarms of your own
 * (`errorsMetric('ThrottlingException')`). Opt out by not creating it (the stack's `eventAlarms: false`).
 */
export class EventAlarms extends Construct {
  public readonly errorsByCodeFilter: MetricFilter;
  public readonly accessDeniedAlarm: Alarm;
  public readonly resourceDeletesAlarm: Alarm;
  public readonly consoleSignInFailuresAlarm: Alarm;
  public readonly metricNamespace: string;

  constructor(scope: Construct, id: string, props: EventAlarmsProps) {
    super(scope, id);
    throwIfInvalid('EventAlarms', eventAlarmsPropsProblems(props));
    this.metricNamespace = props.metricNamespace ?? EVENT_METRICS.namespace;

    this.errorsByCodeFilter = new MetricFilter(this, 'ErrorsByCodeFilter', {
      logGroup: props.logGroup,
      filterPattern: FilterPattern.literal(EVENT_METRICS.errorsByCode.pattern),
      metricNamespace: this.metricNamespace,
      metricName: EVENT_METRICS.errorsByCode.metricName,
      metricValue: '1',
      dimensions: { errorCode: '$.errorCode' },
    });

    const countingAlarm = (
      name: 'accessDenied' | 'resourceDeletes' | 'consoleSignInFailures',
      threshold: number,
      description: string,
    ): Alarm => {
      const { metricName, pattern } = EVENT_METRICS[name];
      const capitalised = `${name[0]?.toUpperCase()}${name.slice(1)}`;
      const filter = new MetricFilter(this, `${capitalised}Filter`, {
        logGroup: props.logGroup,
        filterPattern: FilterPattern.literal(pattern),
        metricNamespace: this.metricNamespace,
        metricName,
        metricValue: '1',
      });
      return countAlarm(this, `${capitalised}Alarm`, {
        metric: filter.metric({ statistic: Stats.SUM, period: EVENT_METRICS.period }),
        threshold,
        alarmDescription: `${description} (${threshold} or more in 5 minutes)`,
        alarmTopic: props.alarmTopic,
      });
    };

    this.accessDeniedAlarm = countingAlarm(
      'accessDenied',
      props.accessDeniedThreshold ?? EVENT_METRICS.accessDenied.threshold,
      'OpenTrail: AccessDenied or Unauthorized events',
    );
    this.resourceDeletesAlarm = countingAlarm(
      'resourceDeletes',
      props.resourceDeletesThreshold ?? EVENT_METRICS.resourceDeletes.threshold,
      'OpenTrail: Delete calls',
    );
    this.consoleSignInFailuresAlarm = countingAlarm(
      'consoleSignInFailures',
      props.consoleSignInFailuresThreshold ?? EVENT_METRICS.consoleSignInFailures.threshold,
      'OpenTrail: failed console sign-ins',
    );
  }

  /** Failed events with one errorCode, counted per 5 minutes: chart it or alarm on it. */
  public errorsMetric(errorCode: string): Metric {
    return new Metric({
      namespace: this.metricNamespace,
      metricName: EVENT_METRICS.errorsByCode.metricName,
      dimensionsMap: { errorCode },
      statistic: Stats.SUM,
      period: EVENT_METRICS.period,
    });
  }
}

/** Every problem with the settings, one message each (undefined where a rule holds), for one error listing them all. */
export function eventAlarmsPropsProblems(props: EventAlarmsOptions): (string | undefined)[] {
  return [
    integerRangeProblem('accessDeniedThreshold', props.accessDeniedThreshold, THRESHOLD_RANGE),
    integerRangeProblem('resourceDeletesThreshold', props.resourceDeletesThreshold, THRESHOLD_RANGE),
    integerRangeProblem(
      'consoleSignInFailuresThreshold',
      props.consoleSignInFailuresThreshold,
      THRESHOLD_RANGE,
    ),
    props.metricNamespace !== undefined && !/^[^:$]{1,255}$/.test(props.metricNamespace)
      ? `metricNamespace must be 1 to 255 characters without ':' or '$' (got ${props.metricNamespace})`
      : undefined,
  ];
}
