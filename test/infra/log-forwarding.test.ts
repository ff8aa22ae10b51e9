import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogForwarding } from '../../lib/constructs/log-forwarding.js';
import { createTestApp, logicalIdOf, propertiesOf, statementsOfRole, TEST_ENV } from './cdk-test-app.js';

const LOG_GROUP = 'AWS::Logs::LogGroup';

describe('LogForwarding', () => {
  const { app, cleanup } = createTestApp();

  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const forwarding = new LogForwarding(defaultStack, 'LogForwarding');
  const forwarder = new Role(defaultStack, 'Forwarder', { assumedBy: new AccountRootPrincipal() });
  forwarding.grantForward(forwarder);

  const overrideStack = new Stack(app, 'Overrides', { env: TEST_ENV });
  const key = new Key(overrideStack, 'Key', { enableKeyRotation: true });
  const encrypted = new LogForwarding(overrideStack, 'LogForwarding', {
    retention: RetentionDays.TEN_YEARS,
    encryptionKey: key,
    logGroupProps: { logGroupName: '/opentrail/events', removalPolicy: undefined },
    logLine: 'summary',
  });

  let template: Template;
  let overrideTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(defaultStack);
    overrideTemplate = Template.fromStack(overrideStack);
  });
  afterAll(cleanup);

  it('tells the forwarder to write full records by default and summaries when asked', () => {
    // Assess
    expect(forwarding.logLine).toBe('full');
    expect(encrypted.logLine).toBe('summary');
  });

  it('refuses a log line format it does not know', () => {
    // Prepare
    const stack = new Stack(app, 'BadLogLine', { env: TEST_ENV });
    // Act / Assess
    expect(() => new LogForwarding(stack, 'LogForwarding', { logLine: 'verbose' as 'full' })).toThrow(
      /logLine must be one of full, summary/,
    );
  });

  it('keeps event lines one year and retains the group on stack deletion when defaults apply', () => {
    // Assess
    template.resourceCountIs(LOG_GROUP, 1);
    template.hasResource(LOG_GROUP, {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets a forwarder create streams and put events in this group only when grantForward is called', () => {
    // Act
    const statements = statementsOfRole(
      template.toJSON().Resources,
      defaultStack.resolve(forwarder.roleName),
    );

    // Assess
    expect(statements).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalIdOf(defaultStack, forwarding.logGroup.logGroupName), 'Arn'] },
      },
    ]);
  });

  it('applies retention, key and name and keeps the removal policy when they are overridden', () => {
    // Assess
    overrideTemplate.hasResource(LOG_GROUP, {
      Properties: {
        RetentionInDays: 3653,
        LogGroupName: '/opentrail/events',
        KmsKeyId: overrideStack.resolve(key.keyArn),
      },
      DeletionPolicy: 'Retain',
    });
    expect(encrypted.logGroup).toBeDefined();
  });

  it('lets CloudWatch Logs in this Region use the key for this account log groups when encryptionKey is given', () => {
    // Act
    const keyPolicy = propertiesOf(overrideTemplate, logicalIdOf(overrideStack, key.keyId)).KeyPolicy;

    // Assess
    expect(keyPolicy).toMatchObject({
      Statement: expect.arrayContaining([
        {
          Effect: 'Allow',
          Principal: { Service: 'logs.us-east-1.amazonaws.com' },
          Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
          Resource: '*',
          Condition: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*',
            },
          },
        },
      ]),
    });
  });

  it('throws one error naming both conflicts when props and logGroupProps set the same thing', () => {
    // Prepare
    const validation = createTestApp();
    const stack = new Stack(validation.app, 'Invalid', { env: TEST_ENV });
    const conflictingKey = new Key(stack, 'Key');

    // Act
    const build = () =>
      new LogForwarding(stack, 'LogForwarding', {
        retention: RetentionDays.ONE_DAY,
        encryptionKey: conflictingKey,
        logGroupProps: {
          retention: RetentionDays.ONE_WEEK,
          encryptionKey: conflictingKey,
          removalPolicy: RemovalPolicy.RETAIN,
        },
      });

    // Assess
    expect(build).toThrowError(
      'Invalid LogForwarding props:\n- retention and logGroupProps.retention conflict: set only one\n' +
        '- encryptionKey and logGroupProps.encryptionKey conflict: set only one',
    );
    validation.cleanup();
  });

  it('keeps the template free of managed policies when built', () => {
    // Assess
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });
});
