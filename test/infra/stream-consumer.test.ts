import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../lib/constructs/event-store.js';
import { StreamConsumer } from '../../lib/constructs/stream-consumer.js';
import { CONTRACT_FILTERS } from '../fixtures/stream-filter.js';
import {
  actionsOfRole,
  createTestApp,
  logicalIdOf,
  propertiesOf,
  renderCfnString,
  statementsOfRole,
  TEST_ENV,
} from './cdk-test-app.js';

const MAPPING = 'AWS::Lambda::EventSourceMapping';
const ALARM = 'AWS::CloudWatch::Alarm';

describe('StreamConsumer', () => {
  const { app, cleanup } = createTestApp();

  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const store = new EventStore(defaultStack, 'EventStore');
  const consumer = new StreamConsumer(defaultStack, 'Archiver', {
    eventStore: store,
    consumer: 'archive',
    settings: { deliveryStreamName: 'the-stream' },
  });

  const overrideStack = new Stack(app, 'Overrides', { env: TEST_ENV });
  const overrideStore = new EventStore(overrideStack, 'EventStore');
  const topic = new Topic(overrideStack, 'Alarms');
  const tuned = new StreamConsumer(overrideStack, 'Forwarder', {
    eventStore: overrideStore,
    consumer: 'logForward',
    settings: { logGroupName: 'required-group' },
    functionProps: { memorySize: 1024, environment: { OPENTRAIL_LOG_GROUP_NAME: 'user-group' } },
    // An undefined override must not erase a secure default.
    eventSourceProps: {
      batchSize: 500,
      retryAttempts: 2,
      maxRecordAge: Duration.hours(1),
      bisectBatchOnError: undefined,
    },
    logRetention: RetentionDays.ONE_WEEK,
    alarmTopic: topic,
  });

  let template: Template;
  let overrideTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(defaultStack);
    overrideTemplate = Template.fromStack(overrideStack);
  });
  afterAll(cleanup);

  const functionId = (stack: Stack, target: StreamConsumer) =>
    logicalIdOf(stack, target.function.functionName);
  const queueId = (stack: Stack, target: StreamConsumer) =>
    logicalIdOf(stack, target.deadLetterQueue.queueName);

  describe('event source mapping', () => {
    it('reads the table stream from the oldest record into this function when defaults apply', () => {
      // Assess
      template.resourceCountIs(MAPPING, 1);
      template.hasResourceProperties(MAPPING, {
        EventSourceArn: defaultStack.resolve(store.table.tableStreamArn),
        FunctionName: { Ref: functionId(defaultStack, consumer) },
        StartingPosition: 'TRIM_HORIZON',
      });
    });

    it('batches 100 records within 1 s, one batch per shard at a time, when defaults apply', () => {
      // Assess
      template.hasResourceProperties(MAPPING, {
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        ParallelizationFactor: 1,
      });
    });

    it('bisects failing batches, reports item failures and bounds retries and age when defaults apply', () => {
      // Assess
      template.hasResourceProperties(MAPPING, {
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 86_400,
      });
    });

    it('passes only INSERTs of items carrying a record, as the pipeline contract says, when built', () => {
      // Assess
      template.hasResourceProperties(MAPPING, {
        FilterCriteria: { Filters: CONTRACT_FILTERS },
      });
    });

    it('sends records that exhaust their retries to its own dead-letter queue when built', () => {
      // Assess
      template.hasResourceProperties(MAPPING, {
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [queueId(defaultStack, consumer), 'Arn'] } },
        },
      });
    });
  });

  describe('dead-letter queue', () => {
    it('encrypts with SQS-managed keys and keeps messages 14 days when defaults apply', () => {
      // Assess
      expect(propertiesOf(template, queueId(defaultStack, consumer))).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
    });

    it('denies every request without TLS when defaults apply', () => {
      // Assess
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId(defaultStack, consumer) }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ],
        },
      });
    });

    it('raises an alarm on the first visible message, notifying no one, when defaults apply', () => {
      // Assess
      template.resourceCountIs(ALARM, 1);
      template.hasResourceProperties(ALARM, {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(defaultStack, consumer), 'QueueName'] } },
        ],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: Match.absent(),
      });
    });
  });

  describe('function', () => {
    it('runs on arm64 and nodejs22.x with 512 MB and 60 s when defaults apply', () => {
      // Assess
      expect(propertiesOf(template, functionId(defaultStack, consumer))).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        MemorySize: 512,
        Timeout: 60,
        Handler: 'index.handler',
      });
    });

    it('sets the given environment next to the Powertools defaults when built', () => {
      // Assess
      expect(propertiesOf(template, functionId(defaultStack, consumer)).Environment).toEqual({
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'opentrail',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
          OPENTRAIL_DELIVERY_STREAM_NAME: 'the-stream',
        },
      });
    });

    it('reads the table stream and sends to its queue only, never writing the table, when built', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const roleRef = defaultStack.resolve(consumer.function.role?.roleName);
      const streamArn = renderCfnString(defaultStack.resolve(store.table.tableStreamArn));

      // Act
      const statements = statementsOfRole(resources, roleRef);
      const dynamodbStatements = statements.filter((statement) =>
        JSON.stringify(statement.Action).includes('dynamodb:'),
      );

      // Assess
      expect(actionsOfRole(resources, roleRef)).toEqual([
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ]);
      expect(dynamodbStatements.map((statement) => renderCfnString(statement.Resource))).toEqual([streamArn]);
    });
  });

  describe('overrides', () => {
    it('applies eventSourceProps and keeps the other defaults when some keys are set', () => {
      // Assess
      overrideTemplate.hasResourceProperties(MAPPING, {
        BatchSize: 500,
        MaximumRetryAttempts: 2,
        MaximumRecordAgeInSeconds: 3600,
        BisectBatchOnFunctionError: true,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: CONTRACT_FILTERS },
      });
    });

    it('lets the construct environment win and applies memory and log retention when they are overridden', () => {
      // Act
      const fn = propertiesOf(overrideTemplate, functionId(overrideStack, tuned));

      // Assess
      expect(fn).toMatchObject({
        MemorySize: 1024,
        Environment: { Variables: expect.objectContaining({ OPENTRAIL_LOG_GROUP_NAME: 'required-group' }) },
      });
      overrideTemplate.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    });

    it('notifies the topic when the alarm fires and when it recovers when alarmTopic is given', () => {
      // Prepare
      const topicRef = overrideStack.resolve(topic.topicArn);

      // Assess
      overrideTemplate.hasResourceProperties(ALARM, { AlarmActions: [topicRef], OKActions: [topicRef] });
    });
  });

  describe('validation', () => {
    // Stacks that are never synthesized, in an app of their own whose folder is removed afterwards.
    const validation = createTestApp();
    afterAll(validation.cleanup);

    it('throws one error naming every bad mapping setting when several are out of range', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Invalid', { env: TEST_ENV });
      const eventStore = new EventStore(stack, 'EventStore');

      // Act
      const build = () =>
        new StreamConsumer(stack, 'Consumer', {
          eventStore,
          consumer: 'archive',
          settings: { deliveryStreamName: 'the-stream' },
          eventSourceProps: {
            batchSize: 0,
            maxBatchingWindow: Duration.seconds(301),
            retryAttempts: -1,
            maxRecordAge: Duration.seconds(30),
            parallelizationFactor: 11,
          },
        });

      // Assess
      expect(build).toThrowError(
        'Invalid StreamConsumer props:\n' +
          '- eventSourceProps.batchSize must be an integer from 1 to 1000 (got 0)\n' +
          '- eventSourceProps.maxBatchingWindow must be a whole number of seconds from 0 to 300 (got 301 s)\n' +
          '- eventSourceProps.retryAttempts must be an integer from 0 to 10000 (got -1)\n' +
          '- eventSourceProps.maxRecordAge must be a whole number of seconds from 60 to 604800 (got 30 s)\n' +
          '- eventSourceProps.parallelizationFactor must be an integer from 1 to 10 (got 11)',
      );
    });
  });
});
