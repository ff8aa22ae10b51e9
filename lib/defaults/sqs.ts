import { Duration } from 'aws-cdk-lib';
import { QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';

/**
 * Secure defaults for an on-failure destination: encrypted with SQS-managed keys, TLS only, and messages kept the
 * longest SQS allows (14 days) so an operator has time to replay them.
 */
export function defaultDeadLetterQueueProps(): QueueProps {
  return {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  };
}
