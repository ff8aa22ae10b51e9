import { Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAIL_ENV } from '../../lambda/manifest/settings.js';
import type { Insights } from '../../lib/constructs/insights.js';
import { OpenTrailStack } from '../../lib/opentrail-stack.js';
import { CONTRACT_FILTERS } from '../fixtures/stream-filter.js';
import {
  actionsOfRole,
  createTestApp,
  isRecord,
  logicalIdOf,
  propertiesOf,
  renderCfnString,
  statementsOfRole,
  TEST_ENV,
  unacknowledgedNagFindings,
} from './cdk-test-app.js';

const MAPPING = 'AWS::Lambda::EventSourceMapping';
/** Resources that hold data or are named by callers: replacing one loses its contents or breaks its users. */
const STATEFUL_TYPES = [
  'AWS::DynamoDB::GlobalTable',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::SQS::Queue',
  'AWS::Events::EventBus',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::SecretsManager::Secret',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::KMS::Key',
];
/** The logical IDs of the stack's stateful resources, as deployed stacks have them (README: upgrading). */
const PINNED_STATEFUL_IDS = [
  'AWS::DynamoDB::GlobalTable EventStoreTable9A84AAAA',
  // Integrity (on by default): the ledger, the signing key (retained with digests it signed), the digest bucket.
  'AWS::DynamoDB::GlobalTable IntegrityLedgerBF02B6C2',
  'AWS::Events::EventBus InsightsBus5D45813F',
  'AWS::Glue::Database ArchiveDatabaseCC44DFCF',
  'AWS::Glue::Table ArchiveTable38D6931A',
  'AWS::KMS::Key IntegritySigningKey094B2219',
  'AWS::KinesisFirehose::DeliveryStream ArchiveDeliveryStream87A0F874',
  'AWS::Logs::LogGroup ArchiveConsumerHandlerLogs81D14E09',
  'AWS::Logs::LogGroup ArchiveDeliveryErrorsCE456CD4',
  // The console (ConsoleSite, on by default): the deployment's log group, and the bucket below.
  'AWS::Logs::LogGroup ConsoleDeploymentLogsF47DC59F',
  'AWS::Logs::LogGroup InsightsCounterConsumerHandlerLogs96924D50',
  'AWS::Logs::LogGroup InsightsInsightsLogsF8DD859A',
  'AWS::Logs::LogGroup IntegrityDigesterLogsF16D2208',
  'AWS::Logs::LogGroup LogForwardConsumerHandlerLogs4C52681D',
  'AWS::Logs::LogGroup LogForwardingEventLogGroup17C54D1C',
  'AWS::Logs::LogGroup TrailApiAccessLogsA2B848C1',
  'AWS::Logs::LogGroup TrailApiIngestLogs90FD002F',
  'AWS::Logs::LogGroup TrailApiLookupLogs80C3CB8F',
  'AWS::S3::Bucket ArchiveAccessLogsBucket848A773E',
  'AWS::S3::Bucket ArchiveBucket49F1AC64',
  'AWS::S3::Bucket ConsoleBucket86B6957C',
  'AWS::S3::Bucket IntegrityDigestBucketFD214947',
  'AWS::SQS::Queue ArchiveConsumerDeadLetterQueueE1AE5C24',
  'AWS::SQS::Queue InsightsCounterConsumerDeadLetterQueue5A546A8F',
  'AWS::SQS::Queue InsightsDeadLetterQueueFCE40B1C',
  'AWS::SQS::Queue IntegrityDeliveriesDeadLetterQueue63B93013',
  'AWS::SQS::Queue IntegrityDeliveryQueue44BC81B0',
  'AWS::SQS::Queue IntegrityRunsDeadLetterQueue93403915',
  'AWS::SQS::Queue LogForwardConsumerDeadLetterQueue3D6F3529',
  'AWS::SecretsManager::Secret TrailApiTokenSecret4AD3197D',
];
const DYNAMODB_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

describe('OpenTrailStack', () => {
  const { app, cleanup } = createTestApp();
  const stack = new OpenTrailStack(app, 'OpenTrail', { env: TEST_ENV, retentionDays: 30, writeShards: 8 });

  // An existing topic, so the alarm actions are a plain ARN rather than a cross-stack reference.
  const topicArn = 'arn:aws:sns:us-east-1:123456789012:opentrail-alarms';
  const topic = Topic.fromTopicArn(stack, 'AlarmTopic', topicArn);
  const quiet = new OpenTrailStack(app, 'Quiet', {
    env: TEST_ENV,
    eventAlarms: false,
    alarmTopic: topic,
    createEncryptionKey: true,
    insights: { schedule: Duration.minutes(2), baselineDays: 3, sensitivity: 6, minVolume: 5 },
  });

  // Stacks outside the cdk-nag run: one without insights, one whose insights feed a plain queue.
  const extra = createTestApp();
  const noInsights = new OpenTrailStack(extra.app, 'NoInsights', { env: TEST_ENV, insights: false });
  const withRule = new OpenTrailStack(extra.app, 'WithRule', { env: TEST_ENV });
  const insightQueue = new Queue(withRule, 'InsightQueue');
  const startRule = withRule.trail.onInsight(new SqsQueue(insightQueue), { states: ['Start'] });

  let template: Template;
  let quietTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(stack);
    quietTemplate = Template.fromStack(quiet);
  });
  afterAll(() => {
    cleanup();
    extra.cleanup();
  });

  const resolve = (value: unknown): unknown => stack.resolve(value);
  const functionProps = (fn: NodejsFunction) => propertiesOf(template, logicalIdOf(stack, fn.functionName));
  const roleOf = (fn: NodejsFunction) => resolve(fn.role?.roleName);
  const insightsOf = (target: OpenTrailStack): Insights => {
    if (!target.trail.insights) throw new Error(`${target.stackName} has no insights`);
    return target.trail.insights;
  };

  it('keeps the logical ID of every stateful resource, so an update replaces none, when the stack holds one Trail', () => {
    // Act
    const statefulIds = (target: Template) =>
      Object.entries(target.toJSON().Resources as Record<string, { Type: string }>)
        .filter(([, resource]) => STATEFUL_TYPES.includes(resource.Type))
        .map(([logicalId, resource]) => `${resource.Type} ${logicalId}`)
        .sort();

    // Assess: taken from the synthesized template; a change here replaces (and may empty) a deployed resource.
    expect(statefulIds(template)).toEqual(PINNED_STATEFUL_IDS);
    expect(statefulIds(quietTemplate)).toEqual(
      [...PINNED_STATEFUL_IDS, 'AWS::KMS::Key EncryptionKey1B843E66'].sort(),
    );
  });

  it('gives every IAM role a user other than its own policy, and Firehose roles an external ID, with or without a customer key', () => {
    for (const target of [template, quietTemplate]) {
      // Act
      const resources = target.toJSON().Resources as Record<string, { Type: string; Properties?: unknown }>;
      const roles = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::IAM::Role');
      const unused = roles
        .map(([roleId]) => roleId)
        .filter(
          (roleId) =>
            !Object.entries(resources).some(
              ([logicalId, resource]) =>
                logicalId !== roleId &&
                resource.Type !== 'AWS::IAM::Policy' &&
                JSON.stringify(resource).includes(`"${roleId}"`),
            ),
        );
      const firehoseTrusts = roles
        .map(([, role]) => JSON.stringify(role.Properties))
        .filter((properties) => properties.includes('firehose.amazonaws.com'));

      // Assess
      expect(roles.length).toBeGreaterThanOrEqual(8);
      expect(unused).toEqual([]);
      expect(firehoseTrusts).toHaveLength(1);
      expect(firehoseTrusts[0]).toContain('"sts:ExternalId"');
    }
  });

  it('creates a rotated, retained customer key and encrypts the trail with it when createEncryptionKey is set', () => {
    // Prepare
    const keyArn = quiet.resolve(quiet.encryptionKey?.keyArn);

    // Assess
    expect(stack.encryptionKey).toBeUndefined();
    quietTemplate.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    quietTemplate.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn });
    quietTemplate.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: keyArn });
    quietTemplate.hasOutput('EncryptionKeyArn', { Value: keyArn });
  });

  describe('outputs', () => {
    it('outputs the API URL and the table name when the stack is built', () => {
      // Assess
      template.hasOutput('ApiUrl', { Value: resolve(stack.trail.trailApi.url) });
      template.hasOutput('TableName', { Value: resolve(stack.trail.eventStore.table.tableName) });
    });

    it('outputs the archive, log group, Athena names and both dead-letter queues when the stack is built', () => {
      // Assess
      template.hasOutput('ArchiveBucketName', { Value: resolve(stack.trail.archive.bucket.bucketName) });
      template.hasOutput('DeliveryStreamName', {
        Value: resolve(stack.trail.archive.deliveryStream.deliveryStreamName),
      });
      template.hasOutput('EventLogGroupName', {
        Value: resolve(stack.trail.logForwarding.logGroup.logGroupName),
      });
      template.hasOutput('AthenaDatabase', { Value: resolve(stack.trail.athenaDatabase.databaseName) });
      template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'opentrail' } });
      template.hasOutput('AthenaTable', { Value: resolve(stack.trail.archive.table.ref) });
      template.hasOutput('ArchiveDlqUrl', {
        Value: resolve(stack.trail.archiveConsumer.deadLetterQueue.queueUrl),
      });
      template.hasOutput('LogForwardDlqUrl', {
        Value: resolve(stack.trail.logForwardConsumer.deadLetterQueue.queueUrl),
      });
    });

    it('outputs the channel ARNs, the dashboard name and, when alarms notify a topic, its ARN when the stack is built', () => {
      // Assess
      template.hasOutput('ChannelDefaultArn', { Value: resolve(stack.trail.channelArns.default) });
      template.hasOutput('DashboardName', { Value: resolve(stack.trail.dashboard?.dashboard.dashboardName) });
      expect(Object.keys(template.findOutputs('AlarmTopicArn'))).toEqual([]);
      quietTemplate.hasOutput('AlarmTopicArn', { Value: topicArn });
    });

    it("gives each channel its own output when names reduce to the same ID or to another name's numbered ID", () => {
      // Prepare
      const channels = createTestApp();
      let channelOutputs: Record<string, string>;
      try {
        const clashing = new OpenTrailStack(channels.app, 'Clashing', {
          env: TEST_ENV,
          channels: [{ name: 'abc3' }, { name: 'abc' }, { name: 'a-bc' }],
        });

        // Act
        channelOutputs = Object.fromEntries(
          Object.entries(Template.fromStack(clashing).findOutputs('*'))
            .filter(([outputId]) => outputId.startsWith('Channel'))
            .map(([outputId, output]) => [outputId, renderCfnString(output.Value)]),
        );
      } finally {
        channels.cleanup();
      }

      // Assess
      expect(channelOutputs).toEqual({
        ChannelAbc3Arn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/abc3',
        ChannelAbcArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/abc',
        ChannelAbc4Arn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/a-bc',
      });
    });

    it('outputs the insights bus name and ARN and both insights dead-letter queues when insights are on', () => {
      // Prepare
      const insights = insightsOf(stack);

      // Assess
      template.hasOutput('EventBusName', { Value: resolve(insights.bus.eventBusName) });
      template.hasOutput('EventBusArn', { Value: resolve(insights.bus.eventBusArn) });
      template.hasOutput('InsightsCounterDlqUrl', {
        Value: resolve(insights.counterConsumer.deadLetterQueue.queueUrl),
      });
      template.hasOutput('InsightsDlqUrl', { Value: resolve(insights.deadLetterQueue.queueUrl) });
    });
  });

  it('passes retentionDays and writeShards to both API functions and the insights function when they are set', () => {
    // Assess
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({ OPENTRAIL_RETENTION_DAYS: '30', OPENTRAIL_WRITE_SHARDS: '8' }),
        },
      },
      3,
    );
  });

  describe('pipeline', () => {
    const consumers = () => [
      { name: 'archive', consumer: stack.trail.archiveConsumer },
      { name: 'log-forward', consumer: stack.trail.logForwardConsumer },
    ];

    it('gives each consumer its own mapping on the table stream with the contract settings when built', () => {
      // Assess
      template.resourceCountIs(MAPPING, 3);
      for (const { consumer } of consumers()) {
        template.hasResourceProperties(MAPPING, {
          FunctionName: { Ref: logicalIdOf(stack, consumer.function.functionName) },
          EventSourceArn: resolve(stack.trail.eventStore.table.tableStreamArn),
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: 100,
          MaximumBatchingWindowInSeconds: 1,
          BisectBatchOnFunctionError: true,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          MaximumRetryAttempts: 5,
          MaximumRecordAgeInSeconds: 86_400,
          ParallelizationFactor: 1,
          FilterCriteria: { Filters: CONTRACT_FILTERS },
          DestinationConfig: {
            OnFailure: {
              Destination: { 'Fn::GetAtt': [logicalIdOf(stack, consumer.deadLetterQueue.queueName), 'Arn'] },
            },
          },
        });
      }
    });

    it('gives each consumer its own encrypted dead-letter queue and depth alarm when built', () => {
      // Prepare
      const queueIds = consumers().map(({ consumer }) =>
        logicalIdOf(stack, consumer.deadLetterQueue.queueName),
      );

      // Assess
      expect(new Set(queueIds).size).toBe(2);
      for (const queueId of queueIds) {
        expect(propertiesOf(template, queueId)).toEqual({
          SqsManagedSseEnabled: true,
          MessageRetentionPeriod: 1_209_600,
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    });

    it('runs lambda/handlers/archive.ts with the delivery stream name from TRAIL_ENV when built', () => {
      // Assess
      expect(functionProps(stack.trail.archiveConsumer.function).Environment).toEqual({
        Variables: expect.objectContaining({
          [TRAIL_ENV.deliveryStreamName]: resolve(stack.trail.archive.deliveryStream.deliveryStreamName),
        }),
      });
      expect(TRAIL_ENV.deliveryStreamName).toBe('OPENTRAIL_DELIVERY_STREAM_NAME');
    });

    it('runs lambda/handlers/log-forward.ts with the event log group name from TRAIL_ENV when built', () => {
      // Assess
      expect(functionProps(stack.trail.logForwardConsumer.function).Environment).toEqual({
        Variables: expect.objectContaining({
          [TRAIL_ENV.logGroupName]: resolve(stack.trail.logForwarding.logGroup.logGroupName),
        }),
      });
      expect(TRAIL_ENV.logGroupName).toBe('OPENTRAIL_LOG_GROUP_NAME');
    });
  });

  describe('pipeline permissions', () => {
    it('lets the archive function PutRecordBatch on its stream only and never write the table when built', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const streamArn = renderCfnString(resolve(stack.trail.archive.deliveryStream.deliveryStreamArn));

      // Act
      const actions = actionsOfRole(resources, roleOf(stack.trail.archiveConsumer.function));
      const firehoseStatements = statementsOfRole(
        resources,
        roleOf(stack.trail.archiveConsumer.function),
      ).filter((statement) => JSON.stringify(statement.Action).includes('firehose:'));

      // Assess
      expect(actions.filter((action) => action.startsWith('firehose:'))).toEqual(['firehose:PutRecordBatch']);
      expect(firehoseStatements.map((statement) => renderCfnString(statement.Resource))).toEqual([streamArn]);
      for (const forbidden of DYNAMODB_WRITE_ACTIONS) expect(actions).not.toContain(forbidden);
      expect(actions.filter((action) => /^(s3|logs:Put|kms):/.test(action))).toEqual([]);
    });

    it('lets the log-forward function write its event log group only and never write the table when built', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const eventLogGroupArn = resolve(stack.trail.logForwarding.logGroup.logGroupArn);

      // Act
      const actions = actionsOfRole(resources, roleOf(stack.trail.logForwardConsumer.function));
      const logStatements = statementsOfRole(
        resources,
        roleOf(stack.trail.logForwardConsumer.function),
      ).filter((statement) => JSON.stringify(statement.Action).includes('logs:'));

      // Assess
      expect(logStatements).toHaveLength(1);
      expect(logStatements[0]?.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(logStatements[0]?.Resource).toEqual([
        resolve(stack.trail.logForwardConsumer.function.logGroup.logGroupArn),
        eventLogGroupArn,
      ]);
      for (const forbidden of DYNAMODB_WRITE_ACTIONS) expect(actions).not.toContain(forbidden);
      expect(actions.filter((action) => action.startsWith('firehose:'))).toEqual([]);
    });

    it('lets neither API function touch the archive stream or the event log group when built', () => {
      // Act
      const actions = [stack.trail.trailApi.ingestFunction, stack.trail.trailApi.lookupFunction].flatMap(
        (fn) =>
          statementsOfRole(template.toJSON().Resources, roleOf(fn)).map((statement) =>
            JSON.stringify(statement),
          ),
      );

      // Assess
      for (const statement of actions) {
        expect(statement).not.toContain('firehose:');
        expect(statement).not.toContain(logicalIdOf(stack, stack.trail.logForwarding.logGroup.logGroupName));
      }
    });
  });

  describe('event alarms', () => {
    it('creates the metric filters and alarms on the event log group when defaults apply', () => {
      // Assess
      expect(stack.trail.eventAlarms).toBeDefined();
      template.resourcePropertiesCountIs(
        'AWS::Logs::MetricFilter',
        { LogGroupName: resolve(stack.trail.logForwarding.logGroup.logGroupName) },
        4,
      );
      // Three event alarms, and the digester's refused and foreign objects alarms.
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'OpenTrail' }, 5);
    });

    it('removes every metric filter and event alarm but keeps the queue alarms when eventAlarms is false', () => {
      // Assess
      expect(quiet.trail.eventAlarms).toBeUndefined();
      quietTemplate.resourceCountIs('AWS::Logs::MetricFilter', 0);
      // The digester's refused and foreign objects alarms only.
      quietTemplate.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'OpenTrail' }, 2);
      // Four stream and insights dead-letter queues, two of Integrity.
      quietTemplate.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SQS' }, 6);
    });

    it('notifies the alarm topic from every queue alarm when alarmTopic is given', () => {
      // Assess
      quietTemplate.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [topicArn],
        OKActions: [topicArn],
      });
    });
  });

  describe('insights', () => {
    it('counts events with the contract filter and runs the insights function every minute when defaults apply', () => {
      // Prepare
      const insights = insightsOf(stack);

      // Assess
      template.hasResourceProperties(MAPPING, {
        FunctionName: { Ref: logicalIdOf(stack, insights.counterConsumer.function.functionName) },
        EventSourceArn: resolve(stack.trail.eventStore.table.tableStreamArn),
        FilterCriteria: { Filters: CONTRACT_FILTERS },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: false,
      });
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf(stack, insights.insightsFunction.functionName), 'Arn'] },
        }),
      });
      expect(functionProps(insights.insightsFunction).Environment).toEqual({
        Variables: expect.objectContaining({
          [TRAIL_ENV.tableName]: resolve(stack.trail.eventStore.table.tableName),
          [TRAIL_ENV.eventBusName]: resolve(insights.bus.eventBusName),
          [TRAIL_ENV.insightsBaselineMinutes]: '10080',
        }),
      });
    });

    it('passes the insights settings through and notifies the alarm topic when they are given', () => {
      // Prepare
      const insights = insightsOf(quiet);

      // Assess
      quietTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(2 minutes)',
      });
      expect(
        propertiesOf(quietTemplate, logicalIdOf(quiet, insights.insightsFunction.functionName)).Environment,
      ).toEqual({
        Variables: expect.objectContaining({
          [TRAIL_ENV.insightsBaselineMinutes]: '4320',
          [TRAIL_ENV.insightsSensitivity]: '6',
          [TRAIL_ENV.insightsMinVolume]: '5',
        }),
      });
    });

    it('leaves out the bus, the schedule, the counter consumer and their outputs when insights is false', () => {
      // Act
      const noInsightsTemplate = Template.fromStack(noInsights);

      // Assess
      expect(noInsights.trail.insights).toBeUndefined();
      noInsightsTemplate.resourceCountIs('AWS::Events::EventBus', 0);
      // The digester's schedule only.
      noInsightsTemplate.resourceCountIs('AWS::Scheduler::Schedule', 1);
      noInsightsTemplate.resourceCountIs(MAPPING, 2);
      expect(Object.keys(noInsightsTemplate.findOutputs('*'))).not.toEqual(
        expect.arrayContaining(['EventBusName']),
      );
      expect(() => noInsights.trail.onInsight(new SqsQueue(insightQueue))).toThrowError(
        /insights are turned off/,
      );
    });

    it('attaches a target to the insights bus in one line when onInsight is called on the stack', () => {
      // Act
      const withRuleTemplate = Template.fromStack(withRule);
      const insights = insightsOf(withRule);

      // Assess
      expect(propertiesOf(withRuleTemplate, logicalIdOf(withRule, startRule.ruleName))).toMatchObject({
        EventBusName: withRule.resolve(insights.bus.eventBusName),
        EventPattern: {
          source: ['opentrail.insights'],
          'detail-type': ['OpenTrail Insight'],
          detail: { insightDetails: { state: ['Start'] } },
        },
        Targets: [expect.objectContaining({ Arn: withRule.resolve(insightQueue.queueArn) })],
      });
    });
  });

  describe('cdk-nag', () => {
    it('reports no unacknowledged AwsSolutions or Serverless finding when the packs run on the app', () => {
      // Act
      const findings = unacknowledgedNagFindings(app);

      // Assess
      expect(findings).toEqual([]);
    });

    it('acknowledges findings only on the exact constructs that carry them, each with a reason, when built', () => {
      // Act
      const acknowledgments = app.node
        .findAll()
        .filter((construct) => construct.node.path.startsWith('OpenTrail/'))
        .flatMap((construct) =>
          construct.node.metadata
            .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
            .flatMap((entry) => (isRecord(entry.data) ? Object.entries(entry.data) : []))
            .map(([rule, reason]) => ({ path: construct.node.path, rule, reason: String(reason) })),
        );
      const rulesAt = (path: string) =>
        acknowledgments
          .filter((acknowledgment) => acknowledgment.path === path)
          .map((acknowledgment) => acknowledgment.rule.replace('Annotation::', ''))
          .sort();
      const functionRules = [
        'AwsSolutions-L1',
        'Serverless-LambdaDLQ',
        'Serverless-LambdaLatestVersion',
        'Serverless-LambdaTracing',
      ];
      const bucketId = logicalIdOf(stack, stack.trail.archive.bucket.bucketName);
      // CDK's BucketDeployment handler of the console, a stack-level singleton (console-site.test.ts checks the rest).
      const deploymentHandler =
        stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'))?.node
          .path ?? 'no deployment handler';
      // CDK's bucket notifications handler, a stack-level singleton (the archive's notifications to Integrity).
      const notificationsHandler =
        stack.node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'))?.node
          .path ?? 'no notifications handler';

      // Assess
      expect([...new Set(acknowledgments.map((acknowledgment) => acknowledgment.path))].sort()).toEqual([
        `${notificationsHandler}/Role`,
        `${deploymentHandler}/Resource`,
        `${deploymentHandler}/ServiceRole/DefaultPolicy/Resource`,
        `${deploymentHandler}/ServiceRole/Resource`,
        'OpenTrail/Default/Archive/DeliveryPolicy',
        'OpenTrail/Default/ArchiveConsumer/DeadLetterQueue',
        'OpenTrail/Default/ArchiveConsumer/HandlerFunction',
        'OpenTrail/Default/Console/Bucket',
        'OpenTrail/Default/Console/Distribution',
        'OpenTrail/Default/Console/IdentityPool/AuthenticatedRole/DefaultPolicy/Resource',
        'OpenTrail/Default/Console/UserPool',
        'OpenTrail/Default/Insights/CounterConsumer/DeadLetterQueue',
        'OpenTrail/Default/Insights/CounterConsumer/HandlerFunction',
        'OpenTrail/Default/Insights/DeadLetterQueue',
        'OpenTrail/Default/Insights/InsightsFunction',
        'OpenTrail/Default/Integrity/DeliveriesDeadLetterQueue',
        'OpenTrail/Default/Integrity/DigesterFunction',
        'OpenTrail/Default/Integrity/DigesterRole/DefaultPolicy',
        'OpenTrail/Default/Integrity/RunsDeadLetterQueue',
        'OpenTrail/Default/Integrity/SigningKey',
        'OpenTrail/Default/LogForwardConsumer/DeadLetterQueue',
        'OpenTrail/Default/LogForwardConsumer/HandlerFunction',
        'OpenTrail/Default/TrailApi/IngestFunction',
        'OpenTrail/Default/TrailApi/LookupFunction',
        'OpenTrail/Default/TrailApi/TokenSecret',
      ]);
      expect(rulesAt('OpenTrail/Default/Archive/DeliveryPolicy')).toEqual([
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/errors/*]`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/events/*]`,
      ]);
      for (const queue of ['ArchiveConsumer', 'LogForwardConsumer', 'Insights/CounterConsumer', 'Insights'])
        expect(rulesAt(`OpenTrail/Default/${queue}/DeadLetterQueue`)).toEqual([
          'AwsSolutions-SQS3',
          'Serverless-SQSRedrivePolicy',
        ]);
      for (const fn of [
        'ArchiveConsumer/HandlerFunction',
        'TrailApi/IngestFunction',
        'Insights/InsightsFunction',
      ])
        expect(rulesAt(`OpenTrail/Default/${fn}`)).toEqual(functionRules);
      expect(rulesAt('OpenTrail/Default/Console/Distribution')).toEqual([
        'AwsSolutions-CFR1',
        'AwsSolutions-CFR2',
        'AwsSolutions-CFR3',
        'AwsSolutions-CFR4',
      ]);
      expect(rulesAt('OpenTrail/Default/Console/UserPool')).toEqual([
        'AwsSolutions-COG3',
        'AwsSolutions-COG8',
      ]);
      expect(rulesAt('OpenTrail/Default/Console/Bucket')).toEqual(['AwsSolutions-S1']);
      for (const { reason } of acknowledgments) expect(reason.length).toBeGreaterThan(40);
    });
  });
});
