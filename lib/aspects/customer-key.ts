import { type IAspect, Stack, Validations } from 'aws-cdk-lib';
import { Policy } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/** KMS names these action families with wildcards; CDK's key grants for queues and tables include them. */
const KMS_WILDCARD_ACTIONS = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'] as const;

/**
 * The customer managed key where no construct prop can put it. The constructs take the key where their L2s do
 * (table, bucket, Firehose, queues, bus, topic, event log group); the function, access and delivery-error log groups
 * come from helpers without a key prop, so every log group without a key gets this one. Every policy whose KMS
 * wildcard statements name only this key has those findings (cdk-nag AwsSolutions-IAM5) acknowledged, with a reason.
 * Add it with `AspectPriority.MUTATING`: it changes resources, which cdk-nag validates after every aspect has run.
 */
export class CustomerKeyAspect implements IAspect {
  constructor(private readonly key: IKey) {}

  public visit(node: IConstruct): void {
    if (node instanceof CfnLogGroup) node.kmsKeyId ??= this.key.keyArn;
    if (node instanceof Policy && this.scopesWildcardsToKey(node)) {
      Validations.of(node).acknowledge(
        ...KMS_WILDCARD_ACTIONS.map((action) => ({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            `Granted by CDK for the trail's customer managed key: KMS names the ${action} family with a wildcard, ` +
            'and the statement is scoped to that one key.',
        })),
      );
    }
  }

  /** Whether the policy has KMS wildcard statements and each names this key as its only resource. */
  private scopesWildcardsToKey(policy: Policy): boolean {
    const stack = Stack.of(policy);
    const keyArn = JSON.stringify(stack.resolve(this.key.keyArn));
    const statements: unknown = policy.document.toJSON()?.Statement;
    const wildcardStatements = (Array.isArray(statements) ? statements : [])
      .map((statement: unknown) => stack.resolve(statement) as { Action?: unknown; Resource?: unknown })
      .filter((statement) =>
        KMS_WILDCARD_ACTIONS.some((action) => [statement.Action].flat().includes(action)),
      );
    return (
      wildcardStatements.length > 0 &&
      wildcardStatements.every((statement) => JSON.stringify([statement.Resource].flat()) === `[${keyArn}]`)
    );
  }
}
