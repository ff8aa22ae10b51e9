import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { type IQueue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * Secure defaults for an on-failure destination: encrypted (SQS-managed keys, or SSE-KMS with a customer key when
 * one is given), TLS only, and messages kept the longest SQS allows (14 days) so an operator has time to replay
 * them.
 */
export function defaultDeadLetterQueueProps(encryptionKey?: IKey): QueueProps {
  return {
    ...(encryptionKey
      ? { encryption: QueueEncryption.KMS, encryptionMasterKey: encryptionKey }
      : { encryption: QueueEncryption.SQS_MANAGED }),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  };
}

/**
 * An alarm on the first message in a dead-letter queue (a message there is work an operator must replay or
 * inspect), notifying `alarmTopic` of the alarm and of its recovery when one is given.
 */
export function deadLetterQueueAlarm(
  scope: Construct,
  queue: IQueue,
  alarmDescription: string,
  alarmTopic?: ITopic,
): Alarm {
  const alarm = new Alarm(scope, 'DeadLetterQueueAlarm', {
    metric: queue.metricApproximateNumberOfMessagesVisible({
      statistic: Stats.MAXIMUM,
      period: Duration.minutes(1),
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription,
  });
  if (alarmTopic) {
    const action = new SnsAction(alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}
