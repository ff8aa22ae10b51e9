import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAIL_ENV } from '../../lambda/manifest/settings.js';
import { EventStore } from '../../lib/constructs/event-store.js';
import { INSIGHT_DETAIL_TYPE, INSIGHT_EVENT_SOURCE, Insights } from '../../lib/constructs/insights.js';
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

const BUS = 'AWS::Events::EventBus';
const SCHEDULE = 'AWS::Scheduler::Schedule';
const RULE = 'AWS::Events::Rule';
const MAPPING = 'AWS::Lambda::EventSourceMapping';
const INVOKE_CONFIG = 'AWS::Lambda::EventInvokeConfig';
const ALARM = 'AWS::CloudWatch::Alarm';
const POWERTOOLS_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: 'opentrail',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
};

describe('Insights', () => {
  const { app, cleanup } = createTestApp();

  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const store = new EventStore(defaultStack, 'EventStore');
  const insights = new Insights(defaultStack, 'Insights', { eventStore: store });

  const overrideStack = new Stack(app, 'Overrides', { env: TEST_ENV });
  const overrideStore = new EventStore(overrideStack, 'EventStore', { retentionDays: 30, writeShards: 8 });
  const topic = new Topic(overrideStack, 'Alarms', { enforceSSL: true });
  const tuned = new Insights(overrideStack, 'Insights', {
    eventStore: overrideStore,
    schedule: Duration.minutes(5),
    baselineDays: 14,
    sensitivity: 4.5,
    minVolume: 10,
    eventBusName: 'opentrail-insights',
    logRetention: RetentionDays.ONE_WEEK,
    alarmTopic: topic,
    functionProps: { memorySize: 1024, environment: { [TRAIL_ENV.eventBusName]: 'user-bus' } },
    // An undefined override must not erase a default.
    counterEventSourceProps: { batchSize: 200, maxBatchingWindow: undefined },
  });
  // A target outside the Insights construct, with its own dead-letter queue as cdk-nag's Serverless pack asks.
  const ruleDlq = new Queue(overrideStack, 'RuleDlq', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const startRule = tuned.onInsight(new SnsTopic(topic, { deadLetterQueue: ruleDlq }), {
    states: ['Start'],
    insightTypes: ['ApiErrorRateInsight'],
  });
  const everyRule = tuned.onInsight(new SnsTopic(topic, { deadLetterQueue: ruleDlq }));

  let template: Template;
  let overrideTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(defaultStack);
    overrideTemplate = Template.fromStack(overrideStack);
  });
  afterAll(cleanup);

  const ref = (stack: Stack, token: string) => ({ Ref: logicalIdOf(stack, token) });
  const arnOf = (stack: Stack, token: string) => ({ 'Fn::GetAtt': [logicalIdOf(stack, token), 'Arn'] });
  const functionOf = (stack: Stack, target: Insights) =>
    propertiesOf(
      stack === defaultStack ? template : overrideTemplate,
      logicalIdOf(stack, target.insightsFunction.functionName),
    );

  describe('bus', () => {
    it('creates one custom bus with a generated name when defaults apply', () => {
      // Assess
      template.resourceCountIs(BUS, 1);
      expect(propertiesOf(template, logicalIdOf(defaultStack, insights.bus.eventBusName))).toEqual({
        Name: expect.stringMatching(/^DefaultsInsightsBus[0-9A-F]{8}$/),
        Description: expect.stringContaining(INSIGHT_EVENT_SOURCE),
      });
    });

    it('names the bus as asked when eventBusName is given', () => {
      // Assess
      overrideTemplate.hasResourceProperties(BUS, { Name: 'opentrail-insights' });
    });
  });

  describe('schedule', () => {
    it('runs every minute, on time and enabled, when defaults apply', () => {
      // Assess
      template.resourceCountIs(SCHEDULE, 1);
      template.hasResourceProperties(SCHEDULE, {
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
      });
    });

    it('runs at the given interval when schedule is overridden', () => {
      // Assess
      overrideTemplate.hasResourceProperties(SCHEDULE, { ScheduleExpression: 'rate(5 minutes)' });
    });

    it('invokes the insights function once, without retries, dead-lettering what it cannot deliver, when built', () => {
      // Assess
      template.hasResourceProperties(SCHEDULE, {
        Target: {
          Arn: arnOf(defaultStack, insights.insightsFunction.functionName),
          RoleArn: arnOf(defaultStack, insights.scheduleRole.roleName),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          DeadLetterConfig: { Arn: arnOf(defaultStack, insights.deadLetterQueue.queueName) },
        },
      });
    });

    it('passes a ScheduledEvent-like input with the scheduled time and execution id when built', () => {
      // Act
      const schedule = propertiesOf(template, logicalIdOf(defaultStack, insights.schedule.scheduleName));
      const target = isRecord(schedule.Target) ? schedule.Target : {};

      // Assess
      expect(JSON.parse(String(target.Input))).toEqual({
        id: '<aws.scheduler.execution-id>',
        'detail-type': 'Scheduled Event',
        source: 'aws.scheduler',
        time: '<aws.scheduler.scheduled-time>',
        resources: ['<aws.scheduler.schedule-arn>'],
        detail: {},
      });
    });

    it('lets only Scheduler, for this account default schedule group, assume the schedule role when built', () => {
      // Assess
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'aws:SourceAccount': TEST_ENV.account,
                  'aws:SourceArn': 'arn:aws:scheduler:us-east-1:123456789012:schedule-group/default',
                },
              },
            },
          ],
        },
      });
    });

    it('lets the schedule role invoke the unqualified function and send to the dead-letter queue only when built', () => {
      // Act
      const statements = statementsOfRole(
        template.toJSON().Resources,
        defaultStack.resolve(insights.scheduleRole.roleName),
      );

      // Assess
      expect(statements).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          Effect: 'Allow',
          Resource: arnOf(defaultStack, insights.insightsFunction.functionName),
        },
        {
          Action: 'sqs:SendMessage',
          Effect: 'Allow',
          Resource: arnOf(defaultStack, insights.deadLetterQueue.queueName),
        },
      ]);
    });
  });

  describe('insights function', () => {
    it('runs lambda/handlers/insights.ts on arm64 and nodejs22.x with 512 MB and 55 s when defaults apply', () => {
      // Assess
      expect(functionOf(defaultStack, insights)).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        MemorySize: 512,
        Timeout: 55,
        Handler: 'index.handler',
      });
    });

    it('sets the contract environment and leaves sensitivity and minimum volume to the detector when defaults apply', () => {
      // Assess
      expect(functionOf(defaultStack, insights).Environment).toEqual({
        Variables: {
          ...POWERTOOLS_ENVIRONMENT,
          [TRAIL_ENV.tableName]: ref(defaultStack, store.table.tableName),
          [TRAIL_ENV.retentionDays]: '90',
          [TRAIL_ENV.writeShards]: '16',
          [TRAIL_ENV.eventBusName]: ref(defaultStack, insights.bus.eventBusName),
          [TRAIL_ENV.insightsBaselineMinutes]: '10080',
        },
      });
    });

    it('sets every contract variable, the construct values winning, when every setting is given', () => {
      // Assess
      expect(functionOf(overrideStack, tuned)).toMatchObject({
        MemorySize: 1024,
        Environment: {
          Variables: {
            ...POWERTOOLS_ENVIRONMENT,
            [TRAIL_ENV.tableName]: ref(overrideStack, overrideStore.table.tableName),
            [TRAIL_ENV.retentionDays]: '30',
            [TRAIL_ENV.writeShards]: '8',
            [TRAIL_ENV.eventBusName]: ref(overrideStack, tuned.bus.eventBusName),
            [TRAIL_ENV.insightsBaselineMinutes]: '20160',
            [TRAIL_ENV.insightsSensitivity]: '4.5',
            [TRAIL_ENV.insightsMinVolume]: '10',
          },
        },
      });
    });

    it('uses the names of docs/insights.md for the variables when built', () => {
      // Assess
      expect([
        TRAIL_ENV.tableName,
        TRAIL_ENV.retentionDays,
        TRAIL_ENV.writeShards,
        TRAIL_ENV.eventBusName,
        TRAIL_ENV.insightsBaselineMinutes,
        TRAIL_ENV.insightsSensitivity,
        TRAIL_ENV.insightsMinVolume,
      ]).toEqual([
        'OPENTRAIL_TABLE_NAME',
        'OPENTRAIL_RETENTION_DAYS',
        'OPENTRAIL_WRITE_SHARDS',
        'OPENTRAIL_EVENT_BUS_NAME',
        'OPENTRAIL_INSIGHTS_BASELINE_MINUTES',
        'OPENTRAIL_INSIGHTS_SENSITIVITY',
        'OPENTRAIL_INSIGHTS_MIN_VOLUME',
      ]);
    });

    it('never retries a failed run and sends it to the dead-letter queue when built', () => {
      // Assess
      template.resourceCountIs(INVOKE_CONFIG, 1);
      template.hasResourceProperties(INVOKE_CONFIG, {
        FunctionName: ref(defaultStack, insights.insightsFunction.functionName),
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: {
          OnFailure: { Destination: arnOf(defaultStack, insights.deadLetterQueue.queueName) },
        },
      });
    });

    it('lets the function read and write the table, put events on this bus only and nothing else when built', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const roleRef = defaultStack.resolve(insights.insightsFunction.role?.roleName);
      const tableArn = renderCfnString(defaultStack.resolve(store.table.tableArn));
      const busArn = renderCfnString(defaultStack.resolve(insights.bus.eventBusArn));

      // Act
      const statements = statementsOfRole(resources, roleRef);
      const resourcesOf = (prefix: string) =>
        statements
          .filter((statement) => JSON.stringify(statement.Action).includes(prefix))
          .map((statement) => renderCfnString(statement.Resource));

      // Assess
      expect(actionsOfRole(resources, roleRef)).toEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ]);
      expect(resourcesOf('dynamodb:')).toEqual([tableArn]);
      expect(resourcesOf('events:')).toEqual([busArn]);
    });

    it('applies the log retention to both functions when logRetention is given', () => {
      // Assess
      overrideTemplate.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 2);
      template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 2);
    });
  });

  describe('counter consumer', () => {
    const counterId = (stack: Stack, target: Insights) =>
      logicalIdOf(stack, target.counterConsumer.function.functionName);

    it('consumes the table stream with the contract filter, whole-batch retries (no bisect), partial responses and its own DLQ when built', () => {
      // Assess
      template.resourceCountIs(MAPPING, 1);
      template.hasResourceProperties(MAPPING, {
        FunctionName: { Ref: counterId(defaultStack, insights) },
        EventSourceArn: defaultStack.resolve(store.table.tableStreamArn),
        FilterCriteria: { Filters: CONTRACT_FILTERS },
        BisectBatchOnFunctionError: false,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 86_400,
        DestinationConfig: {
          OnFailure: { Destination: arnOf(defaultStack, insights.counterConsumer.deadLetterQueue.queueName) },
        },
      });
    });

    it('gathers batches of up to 1,000 records for up to 5 s when defaults apply', () => {
      // Assess
      template.hasResourceProperties(MAPPING, { BatchSize: 1000, MaximumBatchingWindowInSeconds: 5 });
    });

    it('applies counterEventSourceProps and keeps the other defaults when some keys are set', () => {
      // Assess
      overrideTemplate.hasResourceProperties(MAPPING, {
        BatchSize: 200,
        MaximumBatchingWindowInSeconds: 5,
        FilterCriteria: { Filters: CONTRACT_FILTERS },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('runs lambda/handlers/insights-counter.ts with the table name and baseline minutes when built', () => {
      // Assess
      expect(propertiesOf(template, counterId(defaultStack, insights)).Environment).toEqual({
        Variables: {
          ...POWERTOOLS_ENVIRONMENT,
          [TRAIL_ENV.tableName]: ref(defaultStack, store.table.tableName),
          [TRAIL_ENV.insightsBaselineMinutes]: '10080',
        },
      });
      expect(propertiesOf(overrideTemplate, counterId(overrideStack, tuned)).Environment).toEqual({
        Variables: expect.objectContaining({ [TRAIL_ENV.insightsBaselineMinutes]: '20160' }),
      });
    });

    it('lets the counter get, put and batch write the table only, never query or update, when built', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const roleRef = defaultStack.resolve(insights.counterConsumer.function.role?.roleName);
      const tableArn = renderCfnString(defaultStack.resolve(store.table.tableArn));

      // Act
      const actions = actionsOfRole(resources, roleRef);
      const tableStatements = statementsOfRole(resources, roleRef).filter(
        (statement) => renderCfnString(statement.Resource) === tableArn,
      );

      // Assess
      expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:PutItem',
      ]);
      expect(tableStatements.map((statement) => statement.Action)).toEqual([
        ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      ]);
      expect(actions.filter((action) => action.startsWith('events:'))).toEqual([]);
    });
  });

  describe('dead-letter queue', () => {
    const queueId = () => logicalIdOf(defaultStack, insights.deadLetterQueue.queueName);

    it('encrypts with SQS-managed keys, keeps messages 14 days and denies requests without TLS when built', () => {
      // Assess
      expect(propertiesOf(template, queueId())).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId() }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ],
        },
      });
    });

    it('raises an alarm on the first failed run, notifying no one, when defaults apply', () => {
      // Assess
      template.resourceCountIs(ALARM, 2);
      template.hasResourceProperties(ALARM, {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(), 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: Match.absent(),
      });
    });

    it('notifies the topic from both queue alarms when alarmTopic is given', () => {
      // Prepare
      const topicRef = overrideStack.resolve(topic.topicArn);

      // Assess
      overrideTemplate.resourceCountIs(ALARM, 2);
      overrideTemplate.allResourcesProperties(ALARM, { AlarmActions: [topicRef], OKActions: [topicRef] });
    });
  });

  describe('onInsight', () => {
    it('creates no rule until a target is attached', () => {
      // Assess
      template.resourceCountIs(RULE, 0);
    });

    it('matches the asked states and types on this bus and sends them to the target when options are given', () => {
      // Act
      const rule = propertiesOf(overrideTemplate, logicalIdOf(overrideStack, startRule.ruleName));

      // Assess
      expect(rule).toMatchObject({
        EventBusName: ref(overrideStack, tuned.bus.eventBusName),
        State: 'ENABLED',
        EventPattern: {
          source: [INSIGHT_EVENT_SOURCE],
          'detail-type': [INSIGHT_DETAIL_TYPE],
          detail: { insightDetails: { state: ['Start'], insightType: ['ApiErrorRateInsight'] } },
        },
        Targets: [
          {
            Arn: overrideStack.resolve(topic.topicArn),
            Id: 'Target0',
            DeadLetterConfig: { Arn: arnOf(overrideStack, ruleDlq.queueName) },
          },
        ],
      });
      expect(INSIGHT_EVENT_SOURCE).toBe('opentrail.insights');
      expect(INSIGHT_DETAIL_TYPE).toBe('OpenTrail Insight');
    });

    it('matches every insight event on the bus when no options are given', () => {
      // Act
      const rule = propertiesOf(overrideTemplate, logicalIdOf(overrideStack, everyRule.ruleName));

      // Assess
      overrideTemplate.resourceCountIs(RULE, 2);
      expect(rule.EventPattern).toEqual({
        source: [INSIGHT_EVENT_SOURCE],
        'detail-type': [INSIGHT_DETAIL_TYPE],
      });
    });
  });

  describe('validation', () => {
    // Stacks that are never synthesized, in an app of their own whose folder is removed afterwards.
    const validation = createTestApp();
    afterAll(validation.cleanup);

    it('throws one error naming every bad prop when several props are invalid', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Invalid', { env: TEST_ENV });
      const eventStore = new EventStore(stack, 'EventStore');

      // Act
      const build = () =>
        new Insights(stack, 'Insights', {
          eventStore,
          schedule: Duration.seconds(90),
          baselineDays: 0,
          sensitivity: 0,
          minVolume: 0.5,
          eventBusName: 'default',
        });

      // Assess
      expect(build).toThrowError(
        'Invalid Insights props:\n' +
          '- schedule must be a whole number of minutes from 1 to 60 (got 1.5 min)\n' +
          '- baselineDays must be an integer from 1 to 90 (got 0)\n' +
          '- sensitivity must be a number above 0 (got 0)\n' +
          '- minVolume must be a number of at least 1 (got 0.5)\n' +
          '- eventBusName must be 1 to 256 letters, digits, ".", "-", "_" or "/", and not "default" (got "default")',
      );
    });

    it('refuses a bus name with characters EventBridge does not allow', () => {
      // Prepare
      const stack = new Stack(validation.app, 'BadBusName', { env: TEST_ENV });
      const eventStore = new EventStore(stack, 'EventStore');

      // Act
      const build = () => new Insights(stack, 'Insights', { eventStore, eventBusName: 'insights bus' });

      // Assess
      expect(build).toThrowError(/eventBusName must be 1 to 256 letters.*\(got "insights bus"\)/);
    });

    it('throws one error naming every bad rule option when states and types are invalid', () => {
      // Prepare
      const stack = new Stack(validation.app, 'BadRule', { env: TEST_ENV });
      const bus = new Insights(stack, 'Insights', { eventStore: new EventStore(stack, 'EventStore') });
      const target = new SnsTopic(new Topic(stack, 'Topic'));

      // Act
      const attach = () =>
        bus.onInsight(target, {
          states: [],
          insightTypes: ['ApiCallRateInsight', 'Nope' as 'ApiCallRateInsight'],
        });

      // Assess
      expect(attach).toThrowError(
        'Invalid onInsight props:\n' +
          '- states must list one or more of Start, End (got [])\n' +
          '- insightTypes must list one or more of ApiCallRateInsight, ApiErrorRateInsight (got [ApiCallRateInsight, Nope])',
      );
    });
  });

  describe('cdk-nag', () => {
    it('reports no unacknowledged AwsSolutions or Serverless finding in either Insights construct when built', () => {
      // Act
      const findings = [insights, tuned].flatMap(unacknowledgedNagFindings);

      // Assess
      expect(findings).toEqual([]);
    });

    it('acknowledges findings only on the functions and the dead-letter queues, each with a reason, when built', () => {
      // Act
      const acknowledged = insights.node.findAll().flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => (isRecord(entry.data) ? Object.entries(entry.data) : []))
          .map(([rule, reason]) => ({
            path: construct.node.path,
            rule: rule.replace('Annotation::', ''),
            reason: String(reason),
          })),
      );
      const rulesAt = (path: string) =>
        acknowledged
          .filter((acknowledgment) => acknowledgment.path === path)
          .map((acknowledgment) => acknowledgment.rule)
          .sort();

      // Assess
      expect([...new Set(acknowledged.map((acknowledgment) => acknowledgment.path))].sort()).toEqual([
        'Defaults/Insights/CounterConsumer/DeadLetterQueue',
        'Defaults/Insights/CounterConsumer/HandlerFunction',
        'Defaults/Insights/DeadLetterQueue',
        'Defaults/Insights/InsightsFunction',
      ]);
      expect(rulesAt('Defaults/Insights/InsightsFunction')).toEqual([
        'AwsSolutions-L1',
        'Serverless-LambdaDLQ',
        'Serverless-LambdaLatestVersion',
        'Serverless-LambdaTracing',
      ]);
      expect(rulesAt('Defaults/Insights/DeadLetterQueue')).toEqual([
        'AwsSolutions-SQS3',
        'Serverless-SQSRedrivePolicy',
      ]);
      for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
    });
  });
});
