import { AspectPriority, Aspects, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Policy, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerKeyAspect } from '../../lib/aspects/customer-key.js';
import { createTestApp, logicalIdOf, TEST_ENV, unacknowledgedNagFindings } from './cdk-test-app.js';

describe('CustomerKeyAspect', () => {
  const { app, cleanup } = createTestApp();
  const stack = new Stack(app, 'Keyed', { env: TEST_ENV });
  const key = new Key(stack, 'Key', { enableKeyRotation: true });
  const ownKey = new Key(stack, 'OwnKey', { enableKeyRotation: true });
  const plainGroup = new LogGroup(stack, 'Plain');
  const ownKeyGroup = new LogGroup(stack, 'OwnKeyGroup', { encryptionKey: ownKey });
  // The key grant CDK writes for an encrypted queue: KMS wildcard actions scoped to the key.
  const queue = new Queue(stack, 'Queue', { encryption: QueueEncryption.KMS, encryptionMasterKey: key });
  const consumer = new Role(stack, 'Consumer', { assumedBy: new AccountRootPrincipal() });
  queue.grantSendMessages(consumer);
  const broad = new Policy(stack, 'Broad', {
    statements: [new PolicyStatement({ actions: ['kms:GenerateDataKey*'], resources: ['*'] })],
  });
  broad.attachToRole(consumer);
  Aspects.of(stack).add(new CustomerKeyAspect(key), { priority: AspectPriority.MUTATING });
  // Added after the aspect: it still sees it, as it visits the tree at synthesis.
  const lateGroup = new LogGroup(stack, 'Late');

  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(stack);
  });
  afterAll(cleanup);

  it('gives every log group without a key the key, constructs added later included, and leaves own keys', () => {
    // Act
    const kmsKeyIdOf = (group: LogGroup) =>
      template.toJSON().Resources[logicalIdOf(stack, group.logGroupName)].Properties.KmsKeyId;

    // Assess
    const keyArn = stack.resolve(key.keyArn);
    expect(kmsKeyIdOf(plainGroup)).toEqual(keyArn);
    expect(kmsKeyIdOf(lateGroup)).toEqual(keyArn);
    expect(kmsKeyIdOf(ownKeyGroup)).toEqual(stack.resolve(ownKey.keyArn));
  });

  it('acknowledges the KMS wildcards only on a policy that scopes them to the key', () => {
    // Act
    const wildcardFindings = unacknowledgedNagFindings(stack).filter(({ rule }) =>
      rule.startsWith('AwsSolutions-IAM5[Action::kms:'),
    );

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['kms:GenerateDataKey*']),
            Resource: stack.resolve(key.keyArn),
          }),
        ]),
      },
    });
    expect(wildcardFindings).toEqual([
      {
        rule: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        severity: 'error',
        at: ['Keyed/Broad/Resource'],
      },
    ]);
  });
});
