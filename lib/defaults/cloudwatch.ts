import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

export interface CountAlarmProps {
  /** A count per period: messages waiting, matching log lines, refused objects. */
  readonly metric: IMetric;
  /** @default 1: the first occurrence */
  readonly threshold?: number;
  readonly alarmDescription: string;
  /** Notified of the alarm and of its recovery. @default no notification */
  readonly alarmTopic?: ITopic;
}

/**
 * An alarm on a count reaching its threshold in one period. No data in a period means nothing happened, not that
 * the data is missing, so it does not breach.
 */
export function countAlarm(scope: Construct, id: string, props: CountAlarmProps): Alarm {
  const alarm = new Alarm(scope, id, {
    metric: props.metric,
    threshold: props.threshold ?? 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: props.alarmDescription,
  });
  if (props.alarmTopic) {
    const action = new SnsAction(props.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}
