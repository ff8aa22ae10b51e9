import { RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type LogGroupProps, RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Secure defaults for the group holding one JSON line per event: kept a year, retained on stack deletion. */
export function defaultEventLogGroupProps(encryptionKey?: IKey): LogGroupProps {
  return {
    retention: RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    ...(encryptionKey ? { encryptionKey } : {}),
  };
}
