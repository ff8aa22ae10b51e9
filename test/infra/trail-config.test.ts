import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrailSelectors } from '../../lambda/core/selectors.js';
import { OpenTrailStack } from '../../lib/opentrail-stack.js';
import { Trail } from '../../lib/trail.js';
import { TRAIL_CONTEXT_KEYS, trailPropsFromContext, validateTrailProps } from '../../lib/trail-config.js';
import { createTestApp, TEST_ENV } from './cdk-test-app.js';

/** Context as `cdk deploy -c key=value` passes it: every value a string. */
function contextNode(context: Record<string, string>) {
  return new App({ context }).node;
}

describe('validateTrailProps', () => {
  it('returns no problem when the configuration is empty or valid', () => {
    // Assess
    expect(validateTrailProps({})).toEqual([]);
    expect(
      validateTrailProps({
        retentionDays: 30,
        logRetention: RetentionDays.ONE_WEEK,
        archive: { expirationDays: 2000 },
        insights: { baselineDays: 14 },
        removalPolicy: RemovalPolicy.DESTROY,
        alarmEmail: 'ops@example.com',
      }),
    ).toEqual([]);
  });

  it('names every problem, each under the prop holding it, when many settings are wrong at once', () => {
    // Act
    const problems = validateTrailProps({
      retentionDays: 0,
      writeShards: 64,
      logRetention: 45 as RetentionDays,
      apiThrottle: { rateLimit: -1 },
      archive: { infrequentAccessAfterDays: 10, objectLockRetentionDays: 30 },
      logForwarding: { logLine: 'verbose' as 'full' },
      eventAlarms: { accessDeniedThreshold: 0 },
      insights: { baselineDays: 200, schedule: Duration.seconds(90) },
      removalPolicy: RemovalPolicy.DESTROY,
      alarmEmail: 'ops.example.com',
      alarmTopicArn: 'topic',
      encryptionKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/trail',
    });

    // Assess
    expect(problems).toEqual([
      'retentionDays must be an integer from 1 to 3650 (got 0)',
      'writeShards must be an integer from 1 to 32 (got 64)',
      `logRetention must be one of ${Object.values(RetentionDays)
        .filter((days) => typeof days === 'number')
        .join(', ')} (got 45)`,
      'apiThrottle.rateLimit must be a number above 0 (got -1)',
      'archive.infrequentAccessAfterDays must be an integer from 30 to 36500 (got 10)',
      'archive.removalPolicy DESTROY cannot empty a bucket under Object Lock: leave out objectLockRetentionDays',
      'logForwarding.logLine must be one of full, summary (got verbose)',
      'eventAlarms.accessDeniedThreshold must be an integer from 1 to 1000000 (got 0)',
      'insights.schedule must be a whole number of minutes from 1 to 60 (got 1.5 min)',
      'insights.baselineDays must be an integer from 1 to 90 (got 200)',
      'alarmEmail must be an email address (got ops.example.com)',
      'alarmTopicArn must be an SNS topic ARN (got topic)',
      'encryptionKeyArn must be a KMS key ARN (key/<id>) (got arn:aws:kms:us-east-1:123456789012:alias/trail)',
    ]);
  });

  it('refuses a second source of the customer key when createEncryptionKey meets encryptionKeyArn', () => {
    // Assess
    expect(
      validateTrailProps({
        createEncryptionKey: true,
        encryptionKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
    ).toEqual(['encryptionKey, encryptionKeyArn and createEncryptionKey conflict: set only one']);
    expect(validateTrailProps({ createEncryptionKey: false, encryptionKeyArn: undefined })).toEqual([]);
  });

  it('refuses a removal policy other than RETAIN or DESTROY', () => {
    // Assess
    expect(validateTrailProps({ removalPolicy: RemovalPolicy.SNAPSHOT })).toEqual([
      'removalPolicy must be one of retain, destroy (got snapshot)',
    ]);
  });

  it('names every selector and redaction problem under its prop with CloudTrail limits when the policy is wrong', () => {
    // Prepare: 501 values across two advanced selectors (CloudTrail allows 500), one selector without eventCategory.
    const names = Array.from({ length: 499 }, (_, i) => `Op${i}`);
    const selectors: TrailSelectors = {
      management: { write: true },
      advanced: [
        {
          fieldSelectors: [
            { field: 'eventCategory', equals: ['Management'] },
            { field: 'eventName', equals: names },
          ],
        },
        { fieldSelectors: [{ field: 'readOnly', startsWith: ['t'] }] },
      ],
    };

    // Act
    const problems = validateTrailProps({
      selectors,
      redaction: { keys: [''], paths: ['body.password'], defaults: 'yes' as unknown as boolean },
    });

    // Assess
    expect(problems).toEqual([
      'selectors: a trail uses basic selectors (management, data) or advanced selectors, not both, as in CloudTrail',
      'selectors: advanced[1].fieldSelectors[0].startsWith: readOnly allows only equals, as in CloudTrail',
      'selectors: advanced[1].fieldSelectors[0].startsWith[0] must be one of "true", "false"',
      'selectors: advanced[1] needs an eventCategory field selector (equals Management or Data), as in CloudTrail',
      "selectors: the advanced selectors hold 501 values; CloudTrail's limit, kept here, is 500",
      'redaction defaults must be true or false',
      'redaction keys[0] must be a key name',
      'redaction paths[0] must be a path below one of requestParameters, responseElements, additionalEventData, ' +
        'serviceEventDetails, addendum, edgeDeviceDetails, userIdentity.details, userIdentity.sessionContext, ' +
        'like "requestParameters.card.number"',
    ]);
  });

  it('reports bad channels with the other problems, in the same single list', () => {
    // Act
    const problems = validateTrailProps({
      retentionDays: 0,
      channels: [{ name: 'ok-channel' }, { name: 'x' }, { name: 'ok-channel', principals: [] }],
    });

    // Assess
    expect(problems).toEqual([
      'retentionDays must be an integer from 1 to 3650 (got 0)',
      `channels[1].name must be 3 to 128 letters, digits, '.', '_' or '-' (got "x")`,
      'channels[2].name repeats "ok-channel"',
      'channels[2].principals is empty: leave it out to admit every producer',
    ]);
  });

  describe('in the constructs', () => {
    // Constructs that throw leave empty stacks behind, which would fail synthesis of a shared app.
    const { app, cleanup } = createTestApp();
    const refused = createTestApp();
    afterAll(() => {
      cleanup();
      refused.cleanup();
    });

    it('stops the Trail with one error listing every problem when its props are invalid', () => {
      // Prepare
      const stack = new Stack(refused.app, 'Invalid', { env: TEST_ENV });

      // Act
      const build = () => new Trail(stack, 'Trail', { retentionDays: 5000, insights: { minVolume: 0 } });

      // Assess
      expect(build).toThrowError(
        'Invalid Trail props:\n' +
          '- retentionDays must be an integer from 1 to 3650 (got 5000)\n' +
          '- insights.minVolume must be a number of at least 1 (got 0)',
      );
    });

    it('stops the stack with one error naming a bad ARN and a bad setting together', () => {
      // Act
      const build = () =>
        new OpenTrailStack(refused.app, 'BadArn', {
          env: TEST_ENV,
          writeShards: 0,
          alarmTopicArn: 'arn:aws:sns:x',
        });

      // Assess
      expect(build).toThrowError(
        'Invalid OpenTrail props:\n' +
          '- writeShards must be an integer from 1 to 32 (got 0)\n' +
          '- alarmTopicArn must be an SNS topic ARN (got arn:aws:sns:x)',
      );
    });

    it('notifies an existing topic, uses an existing key and outputs each channel ARN when the stack gets them', () => {
      // Prepare
      const topicArn = 'arn:aws:sns:us-east-1:123456789012:ops-alarms';
      const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

      // Act
      const stack = new OpenTrailStack(app, 'Imported', {
        env: TEST_ENV,
        alarmTopicArn: topicArn,
        encryptionKeyArn: keyArn,
        channels: [{ name: 'audit-log' }, { name: 'auditlog' }],
      });
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
      template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn });
      template.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: keyArn });
      template.hasOutput('AlarmTopicArn', { Value: topicArn });
      template.hasOutput('ChannelAuditlogArn', {
        Value: stack.resolve(stack.trail.channelArns['audit-log']),
      });
      template.hasOutput('ChannelAuditlog2Arn', { Value: stack.resolve(stack.trail.channelArns.auditlog) });
    });
  });
});

describe('trailPropsFromContext', () => {
  it('reads nothing when no trail setting is in context', () => {
    // Assess
    expect(trailPropsFromContext(contextNode({ '@aws-cdk/core:checkSecretUsage': 'true' }))).toEqual({});
  });

  it('turns every -c string into its typed prop when all scalar settings are given', () => {
    // Prepare
    const node = contextNode({
      trailName: 'audit-trail',
      retentionDays: '30',
      writeShards: '8',
      pointInTimeRecovery: 'true',
      logRetentionDays: '14',
      apiRateLimit: '50',
      apiBurstLimit: '100',
      putRateLimit: '40',
      putBurstLimit: '80',
      lookupRateLimit: '5',
      lookupBurstLimit: '10',
      reservedConcurrency: 'false',
      archiveInfrequentAccessAfterDays: '60',
      archiveGlacierAfterDays: '180',
      archiveExpirationDays: '3650',
      archiveObjectLockDays: '365',
      archiveObjectLockMode: 'compliance',
      archiveServerAccessLogs: 'false',
      archiveBufferingSeconds: '30',
      archiveBufferingMebibytes: '16',
      archiveDatabaseName: 'audit_archive',
      archiveWorkGroup: 'audit',
      athenaQueries: 'false',
      eventLogRetentionDays: '90',
      logLine: 'summary',
      eventAlarms: 'true',
      eventAlarmsMetricNamespace: 'OpenTrail/Audit',
      accessDeniedThreshold: '20',
      resourceDeletesThreshold: '100',
      consoleSignInFailuresThreshold: '3',
      insightsScheduleMinutes: '5',
      insightsBaselineDays: '14',
      insightsSensitivity: '6.5',
      insightsMinVolume: '10',
      insightsEventBusName: 'audit-insights',
      integrity: 'true',
      digestIntervalMinutes: '30',
      digestKeyPrefix: 'audit',
      digestObjectLockDays: '2555',
      digestObjectLockMode: 'governance',
      channels: 'billing, audit',
      selectors: '{"management":{"read":false},"regions":["eu-west-1"]}',
      redaction: '{"keys":["ssn"],"paths":["requestParameters.card.number"]}',
      provenance: 'relaxed',
      alarmEmail: 'ops@example.com',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
      encryptionKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      createEncryptionKey: 'false',
      removalPolicy: 'Retain',
      dashboard: 'false',
      console: 'false',
    });

    // Act
    const props = trailPropsFromContext(node);

    // Assess
    expect(props).toEqual({
      trailName: 'audit-trail',
      retentionDays: 30,
      writeShards: 8,
      pointInTimeRecovery: true,
      logRetention: RetentionDays.TWO_WEEKS,
      apiThrottle: { rateLimit: 50, burstLimit: 100 },
      putThrottle: { rateLimit: 40, burstLimit: 80 },
      lookupThrottle: { rateLimit: 5, burstLimit: 10 },
      reservedConcurrency: false,
      archive: {
        infrequentAccessAfterDays: 60,
        glacierInstantRetrievalAfterDays: 180,
        expirationDays: 3650,
        objectLockRetentionDays: 365,
        objectLockMode: 'COMPLIANCE',
        serverAccessLogs: false,
        bufferingInterval: Duration.seconds(30),
        bufferingSize: Size.mebibytes(16),
        databaseName: 'audit_archive',
        workGroup: 'audit',
        athenaQueries: false,
      },
      logForwarding: { retention: RetentionDays.THREE_MONTHS, logLine: 'summary' },
      eventAlarms: {
        metricNamespace: 'OpenTrail/Audit',
        accessDeniedThreshold: 20,
        resourceDeletesThreshold: 100,
        consoleSignInFailuresThreshold: 3,
      },
      insights: {
        schedule: Duration.minutes(5),
        baselineDays: 14,
        sensitivity: 6.5,
        minVolume: 10,
        eventBusName: 'audit-insights',
      },
      integrity: {
        digestInterval: Duration.minutes(30),
        digestKeyPrefix: 'audit',
        objectLockRetentionDays: 2555,
        objectLockMode: 'GOVERNANCE',
      },
      channels: [{ name: 'billing' }, { name: 'audit' }],
      selectors: { management: { read: false }, regions: ['eu-west-1'] },
      redaction: { keys: ['ssn'], paths: ['requestParameters.card.number'] },
      provenance: 'relaxed',
      alarmEmail: 'ops@example.com',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
      encryptionKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      createEncryptionKey: false,
      removalPolicy: RemovalPolicy.RETAIN,
      dashboard: false,
      console: false,
    });
    expect(Object.keys(node.getAllContext()).filter((key) => !key.startsWith('aws:'))).toEqual([
      ...TRAIL_CONTEXT_KEYS.filter((key) => key !== 'insights'),
    ]);
  });

  it("turns integrity off with -c integrity=false and refuses a trail name outside CloudTrail's rules", () => {
    // Act
    const props = trailPropsFromContext(
      new App({ context: { integrity: 'false', trailName: 'ok-name' } }).node,
    );

    // Assess
    expect(props).toEqual({ integrity: false, trailName: 'ok-name' });
    expect(() => trailPropsFromContext(new App({ context: { trailName: 'bad--name' } }).node)).toThrow(
      /trailName: "bad--name" is not a valid trail name: use 3 to 128 letters/,
    );
  });

  it('turns insights off with -c insights=false and accepts typed values from cdk.json', () => {
    // Prepare
    const node = new App({ context: { insights: false, retentionDays: 7, insightsBaselineDays: 3 } }).node;

    // Act
    const props = trailPropsFromContext(node);

    // Assess
    expect(props).toEqual({ retentionDays: 7, insights: false });
  });

  it('takes selectors and redaction as objects from cdk.json as well as JSON strings from -c', () => {
    // Prepare
    const selectors = { advanced: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }] };
    const node = new App({ context: { selectors, redaction: { defaults: false } } }).node;

    // Act
    const props = trailPropsFromContext(node);

    // Assess
    expect(props).toEqual({ selectors, redaction: { defaults: false } });
  });

  it('names the key of context that is not JSON and the selector problems of context that is, in one error', () => {
    // Prepare
    const node = contextNode({
      selectors: '{"management":{"read":"no"}}',
      redaction: "{keys: ['ssn']}",
    });

    // Act
    const read = () => trailPropsFromContext(node);

    // Assess
    expect(read).toThrowError(
      /^Invalid OpenTrail context \(-c key=value, docs\/configuration.md\):\n- redaction must be JSON \(.+\)\n- selectors: management.read must be true or false$/,
    );
  });

  it('reports unparseable and out-of-range values together in one error when context is wrong', () => {
    // Prepare
    const node = contextNode({
      retentionDays: 'abc',
      writeShards: '64',
      eventAlarms: 'maybe',
      insightsScheduleMinutes: '-2',
      removalPolicy: 'snapshot',
      logLine: 'verbose',
      archiveObjectLockMode: 'strict',
      archiveObjectLockDays: '30',
    });

    // Act
    const read = () => trailPropsFromContext(node);

    // Assess
    expect(read).toThrowError(
      'Invalid OpenTrail context (-c key=value, docs/configuration.md):\n' +
        '- eventAlarms must be true or false (got maybe)\n' +
        '- retentionDays must be a number (got abc)\n' +
        '- insightsScheduleMinutes must not be negative (got -2)\n' +
        '- writeShards must be an integer from 1 to 32 (got 64)\n' +
        '- archive.objectLockMode must be one of GOVERNANCE, COMPLIANCE (got STRICT)\n' +
        '- logForwarding.logLine must be one of full, summary (got verbose)\n' +
        '- removalPolicy must be one of retain, destroy (got snapshot)',
    );
  });
});
