import { Duration } from 'aws-cdk-lib';
import { type Alarm, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { type IQueue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { countAlarm } from './cloudwatch.js';

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
  return countAlarm(scope, 'DeadLetterQueueAlarm', {
    metric: queue.metricApproximateNumberOfMessagesVisible({
      statistic: Stats.MAXIMUM,
      period: Duration.minutes(1),
    }),
    alarmDescription,
    alarmTopic,
  });
}
