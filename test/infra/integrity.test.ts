import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../lambda/manifest/settings.js';
import { OpenTrailStack } from '../../lib/opentrail-stack.js';
import {
  actionsOfRole,
  createTestApp,
  isRecord,
  logicalIdOf,
  propertiesOf,
  TEST_ENV,
  unacknowledgedNagFindings,
} from './cdk-test-app.js';

/** The Integrity construct as the stack composes it (docs/integrity.md). */
describe('Integrity', () => {
  const { app, cleanup } = createTestApp();
  const stack = new OpenTrailStack(app, 'Integrity', { env: TEST_ENV, console: false });
  const locked = new OpenTrailStack(app, 'Locked', {
    env: TEST_ENV,
    console: false,
    createEncryptionKey: true,
    integrity: {
      objectLockRetentionDays: 400,
      digestInterval: Duration.minutes(15),
      digestKeyPrefix: 'audit',
    },
  });
  const without = new OpenTrailStack(app, 'Without', { env: TEST_ENV, console: false, integrity: false });
  let template: Template;
  let lockedTemplate: Template;
  const integrity = () => {
    if (stack.trail.integrity === undefined) throw new Error('integrity is on by default');
    return stack.trail.integrity;
  };
  beforeAll(() => {
    template = Template.fromStack(stack);
    lockedTemplate = Template.fromStack(locked);
  });
  afterAll(cleanup);

  it('signs with an RSA_2048 SIGN_VERIFY key that is retained with the stack', () => {
    // Assess
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    });
  });

  it("lets only the digester's role kms:Sign, by a key policy deny and by being the only grantee", () => {
    // Prepare
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: unknown }>;
    const keyId = logicalIdOf(stack, integrity().signingKey.keyId);
    const digesterRole = stack.resolve(integrity().digester.role?.roleArn);
    const statements = (propertiesOf(template, keyId).KeyPolicy as { Statement: Record<string, unknown>[] })
      .Statement;
    const signers = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((policy) => JSON.stringify(policy.Properties).includes('"kms:Sign"'))
      .map((policy) => (isRecord(policy.Properties) ? JSON.stringify(policy.Properties.Roles) : ''));

    // Assess
    expect(statements).toContainEqual({
      Sid: 'OnlyTheDigesterSigns',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:Sign',
      Resource: '*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': digesterRole } },
    });
    expect(signers).toEqual([JSON.stringify([stack.resolve(integrity().digester.role?.roleName)])]);
  });

  it('gives the digester exactly the actions its manifest permissions name, and the lookup function ledger reads', () => {
    // Prepare
    const resources = template.toJSON().Resources;

    // Act
    const digester = actionsOfRole(resources, stack.resolve(integrity().digester.role?.roleName));
    const lookup = actionsOfRole(
      resources,
      stack.resolve(stack.trail.trailApi.lookupFunction.role?.roleName),
    );

    // Assess
    expect(digester).toEqual(expect.arrayContaining(['kms:GetPublicKey', 'kms:Sign', 's3:GetObjectVersion']));
    expect(digester).toContain('s3:PutObject');
    expect(digester).not.toContain('s3:DeleteObject');
    expect(digester).toContain('sqs:ReceiveMessage');
    expect(digester).toContain('sqs:DeleteMessage');
    expect(lookup).toContain('dynamodb:Query');
    expect(
      lookup.filter((action) => action.startsWith('dynamodb:') && /Put|Update|Delete|Write/.test(action)),
    ).toEqual([]);
  });

  it('keeps the ledger like the events table: point-in-time recovery, deletion protection, retained', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });

  it("feeds the deliveries queue from the archive's ObjectCreated notifications under events/, with a DLQ", () => {
    // Assess
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'events/' }] } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 900,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  it('denies PutObject under events/ of the archive to every principal but the Firehose delivery role', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: stack.resolve(stack.trail.bucket.bucketName),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'OnlyFirehoseWritesEvents',
            Effect: 'Deny',
            Action: 's3:PutObject',
            Condition: {
              ArnNotEquals: { 'aws:PrincipalArn': stack.resolve(stack.trail.archive.deliveryRole.roleArn) },
            },
          }),
        ]),
      },
    });
  });

  it('writes the digests to a private, versioned bucket without Object Lock when defaults apply', () => {
    // Prepare
    const bucket = propertiesOf(template, logicalIdOf(stack, integrity().digestBucket.bucketName));

    // Assess
    expect(bucket).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: expect.objectContaining({ LogFilePrefix: 'opentrail-digests/' }),
    });
    expect(bucket.ObjectLockEnabled).toBeUndefined();
  });

  it('locks every digest in COMPLIANCE mode for the retention days when objectLockRetentionDays is set', () => {
    // Assess
    lockedTemplate.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
    });
  });

  it('runs the digester at the digest interval and passes the interval and prefix to both functions', () => {
    // Prepare
    const variables = (target: OpenTrailStack, fn: 'digester' | 'lookup') => {
      const resolved = target.trail.integrity?.digester;
      const functionName =
        fn === 'digester' ? resolved?.functionName : target.trail.trailApi.lookupFunction.functionName;
      const properties = propertiesOf(Template.fromStack(target), logicalIdOf(target, functionName ?? ''));
      return (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    };

    // Assess
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(60 minutes)' });
    lockedTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
    });
    for (const fn of ['digester', 'lookup'] as const) {
      expect(variables(locked, fn)).toMatchObject({
        [SETTINGS.digestIntervalSeconds.variable]: '900',
        [SETTINGS.digestKeyPrefix.variable]: 'audit',
      });
    }
    expect(variables(stack, 'digester')[SETTINGS.archiveWriterPrincipal.variable]).toEqual({
      'Fn::Join': [
        '',
        [
          'AWS:',
          { 'Fn::GetAtt': [logicalIdOf(stack, stack.trail.archive.deliveryRole.roleName), 'RoleId'] },
          ':',
        ],
      ],
    });
  });

  it('outputs the trail ARN always and the digest bucket when integrity is on', () => {
    // Assess
    template.hasOutput('TrailArn', { Value: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/Integrity' });
    template.hasOutput('DigestBucketName', Match.anyValue());
    const withoutTemplate = Template.fromStack(without);
    withoutTemplate.hasOutput('TrailArn', Match.anyValue());
    expect(Object.keys(withoutTemplate.findOutputs('DigestBucketName'))).toEqual([]);
    withoutTemplate.resourceCountIs('AWS::Scheduler::Schedule', 1);
    expect(without.trail.integrity).toBeUndefined();
  });

  it('reports no unacknowledged AwsSolutions or Serverless finding, with or without a key and Object Lock', () => {
    // Assess
    expect([stack, locked, without].flatMap(unacknowledgedNagFindings)).toEqual([]);
  });

  it('refuses Object Lock with DESTROY and a digest interval out of range, naming both', () => {
    // Prepare
    const { app: other, cleanup: done } = createTestApp();

    // Act + Assess
    expect(
      () =>
        new OpenTrailStack(other, 'Bad', {
          env: TEST_ENV,
          removalPolicy: RemovalPolicy.DESTROY,
          integrity: { objectLockRetentionDays: 1, digestInterval: Duration.minutes(2000) },
        }),
    ).toThrow(
      /integrity\.digestInterval must be a whole number of minutes from 1 to 1440[\s\S]*integrity\.removalPolicy DESTROY/,
    );
    done();
  });
});
