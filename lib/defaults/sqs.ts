import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';

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
