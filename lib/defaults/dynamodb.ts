import { RemovalPolicy } from 'aws-cdk-lib';
import { Billing, TableEncryptionV2, type TablePropsV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/** The table settings a user may override; the rest of `TablePropsV2` is fixed by the construct using it. */
export type OverridableTableProps = Omit<TablePropsV2, 'partitionKey'>;

/**
 * Secure defaults for a DynamoDB table holding audit data: on-demand billing, point-in-time recovery (unless the
 * table can be rebuilt another way: the events table from its archive, docs/storage.md), deletion protection,
 * retained on stack deletion, encrypted with a KMS key (AWS managed unless a customer key is given).
 */
export function defaultTableProps(
  encryptionKey?: IKey,
  { pointInTimeRecovery = true }: { readonly pointInTimeRecovery?: boolean } = {},
): OverridableTableProps {
  return {
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: pointInTimeRecovery },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    encryption: encryptionKey
      ? TableEncryptionV2.customerManagedKey(encryptionKey)
      : TableEncryptionV2.awsManagedKey(),
  };
}
