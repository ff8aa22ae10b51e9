import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, type Policy, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createFunctionMetrics } from '../../lambda/adapters/function-metrics.js';
import { publishIngestMetrics } from '../../lambda/adapters/ingest-metrics.js';
import type { PutFailure } from '../../lambda/core/ingest.js';
import { controlPlaneTrail } from '../../lambda/functions/lookup.js';
import { FUNCTIONS } from '../../lambda/manifest/functions.js';
import { readSettings } from '../../lambda/manifest/settings.js';
import { DASHBOARD_QUERIES, INGEST_METRICS } from '../../lib/constructs/dashboard.js';
import { Trail } from '../../lib/trail.js';
import {
  createTestApp,
  isRecord,
  logicalIdOf,
  propertiesOf,
  renderCfnString,
  statementsOfRole,
  TEST_ENV,
  unacknowledgedNagFindings,
} from './cdk-test-app.js';

/** Properties that would give a resource a fixed physical name; the trail leaves them to CloudFormation. */
const PHYSICAL_NAME_PROPERTIES = [
  'TableName',
  'BucketName',
  'FunctionName',
  'QueueName',
  'LogGroupName',
  'TopicName',
  'DashboardName',
  'DeliveryStreamName',
  'RoleName',
  'ScheduleName',
];

describe('Trail', () => {
  // Two trails in one stack and a third in another stack of the same app, with callers granted on one of them.
  const { app, cleanup } = createTestApp();
  const shared = new Stack(app, 'TwoTrails', { env: TEST_ENV });
  const audit = new Trail(shared, 'Audit');
  const security = new Trail(shared, 'Security', {
    eventAlarms: { metricNamespace: 'OpenTrail/Security' },
    channels: [{ name: 'billing' }, { name: 'admin', principals: ['arn:aws:iam::123456789012:role/admin'] }],
  });
  const other = new Stack(app, 'Other', { env: TEST_ENV });
  const otherTrail = new Trail(other, 'Trail', { insights: false, dashboard: false });
  const withoutInsights = new Trail(other, 'NoInsights', { insights: false });
  const producer = new Role(shared, 'Producer', { assumedBy: new AccountRootPrincipal() });
  const reader = new Role(shared, 'Reader', { assumedBy: new AccountRootPrincipal() });
  audit.grantPut(producer);
  audit.grantLookup(reader);

  // A development trail: customer key everywhere, DESTROY, and an alarm email.
  const encrypted = createTestApp();
  const devStack = new Stack(encrypted.app, 'Dev', { env: TEST_ENV });
  const key = new Key(devStack, 'TrailKey', { enableKeyRotation: true });
  const devTrail = new Trail(devStack, 'Trail', {
    encryptionKey: key,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmEmail: 'ops@example.com',
  });

  let sharedTemplate: Template;
  let otherTemplate: Template;
  let devTemplate: Template;
  beforeAll(() => {
    sharedTemplate = Template.fromStack(shared);
    otherTemplate = Template.fromStack(other);
    devTemplate = Template.fromStack(devStack);
  });
  afterAll(() => {
    cleanup();
    encrypted.cleanup();
  });

  describe('reuse', () => {
    it('gives each trail its own Athena database and bus when two trails share a stack and an app', () => {
      // Act
      const databaseNames = [sharedTemplate, otherTemplate].flatMap((template) =>
        Object.values(template.findResources('AWS::Glue::Database')).map(
          (resource) => resource.Properties.DatabaseInput.Name,
        ),
      );
      const busNames = Object.values(sharedTemplate.findResources('AWS::Events::EventBus')).map(
        (resource) => resource.Properties.Name,
      );

      // Assess
      expect(databaseNames.sort()).toEqual([
        'other_noinsights',
        'other_trail',
        'twotrails_audit',
        'twotrails_security',
      ]);
      expect(busNames).toHaveLength(2);
      expect(new Set(busNames).size).toBe(2);
    });

    it('leaves every other physical name to CloudFormation when trails are reused', () => {
      // Act
      const named = [sharedTemplate, otherTemplate, devTemplate].flatMap((template) =>
        Object.entries(template.toJSON().Resources as Record<string, { Properties?: object }>).flatMap(
          ([logicalId, resource]) =>
            Object.entries(resource.Properties ?? {})
              // A literal string is a name chosen at synthesis; a reference points at a generated one.
              .filter(
                ([property, value]) =>
                  PHYSICAL_NAME_PROPERTIES.includes(property) && typeof value === 'string',
              )
              .map(([property]) => `${logicalId}.${property}`),
        ),
      );

      // Assess
      expect(named).toEqual([]);
    });

    it('keeps each trail to its own table and resources when two trails share a stack', () => {
      // Assess
      // Each trail's events table and integrity ledger.
      sharedTemplate.resourceCountIs('AWS::DynamoDB::GlobalTable', 4);
      sharedTemplate.resourceCountIs('AWS::ApiGatewayV2::Api', 2);
      sharedTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
      otherTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      otherTemplate.resourceCountIs('AWS::Events::EventBus', 0);
      expect(audit.table.node.path).not.toBe(security.table.node.path);
      expect(otherTrail.bus).toBeUndefined();
      sharedTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
        MetricTransformations: [Match.objectLike({ MetricNamespace: 'OpenTrail/Security' })],
      });
    });
  });

  it('forwards its channels to the API and exposes their ARNs when channels are set', () => {
    // Assess
    expect(Object.keys(security.channelArns)).toEqual(['billing', 'admin']);
    expect(Object.keys(audit.channelArns)).toEqual(['default']);
    expect(renderCfnString(shared.resolve(security.channelArns.billing))).toBe(
      'arn:aws:cloudtrail:us-east-1:123456789012:channel/billing',
    );
  });

  describe("the trail CloudTrail's control-plane reads describe", () => {
    // The lookup function's settings as deployed, read as its cold start reads them (tokens become placeholders).
    const lookupTrail = (trail: Trail, template: Template) => {
      const properties = propertiesOf(
        template,
        logicalIdOf(Stack.of(trail), trail.trailApi.lookupFunction.functionName),
      );
      const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const environment = Object.fromEntries(
        Object.entries(variables).map(([variable, value]) => [
          variable,
          typeof value === 'string' ? value : 'resolved-at-deploy',
        ]),
      );
      return controlPlaneTrail(readSettings(FUNCTIONS.lookup.settings, environment));
    };

    it('answers the selectors and no insights when the trail has selectors and insights: false', () => {
      // Prepare
      const selective = createTestApp();
      const stack = new Stack(selective.app, 'Selective', { env: TEST_ENV });
      const selectors = { management: { read: false } };
      const trail = new Trail(stack, 'Trail', { selectors, insights: false, dashboard: false });

      // Act
      const described = lookupTrail(trail, Template.fromStack(stack));
      selective.cleanup();

      // Assess
      expect(described.selectors).toEqual(selectors);
      expect(described.insightTypes).toEqual([]);
    });

    it("answers CloudTrail's default trail and both insight types when defaults apply", () => {
      // Act
      const described = lookupTrail(audit, sharedTemplate);

      // Assess
      expect(described.selectors).toBeUndefined();
      expect(described.insightTypes).toEqual(['ApiCallRateInsight', 'ApiErrorRateInsight']);
    });
  });

  describe('grants to callers', () => {
    const apiArn = (trail: Trail) =>
      `arn:${renderCfnString(shared.resolve(Aws.PARTITION))}:execute-api:us-east-1:123456789012:` +
      renderCfnString(shared.resolve(trail.trailApi.httpApi.apiId));
    const statementsOf = (role: Role) =>
      statementsOfRole(sharedTemplate.toJSON().Resources, shared.resolve(role.roleName)).map((statement) => ({
        ...statement,
        Resource: [statement.Resource].flat().map(renderCfnString).sort(),
      }));

    it('gives a producer execute-api:Invoke on POST /events and POST /PutAuditEvents of its trail and nothing else when grantPut is called', () => {
      // Assess
      expect(statementsOf(producer)).toEqual([
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: [`${apiArn(audit)}/*/POST/PutAuditEvents`, `${apiArn(audit)}/*/POST/events`],
        },
      ]);
    });

    it('gives a reader execute-api:Invoke on the lookup routes (GET, POST / LookupEvents, the series and values routes) of its trail and nothing else when grantLookup is called', () => {
      // Assess
      expect(statementsOf(reader)).toEqual([
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: [
            `${apiArn(audit)}/*/GET/events`,
            `${apiArn(audit)}/*/GET/events/*`,
            // CDK's route grant ends at the first path variable: GET /insights/{sharedEventID}/series.
            `${apiArn(audit)}/*/GET/insights/*`,
            `${apiArn(audit)}/*/GET/values/*`,
            `${apiArn(audit)}/*/POST/`,
          ],
        },
      ]);
    });
  });

  describe('customer managed key', () => {
    const keyArn = () => devStack.resolve(key.keyArn);

    it('encrypts the table, the archive bucket and the Firehose stream with the key when encryptionKey is set', () => {
      // Assess
      devTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: keyArn() } })],
      });
      devTemplate.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn() },
            }),
          ],
        },
      });
      devTemplate.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamEncryptionConfigurationInput: { KeyARN: keyArn(), KeyType: 'CUSTOMER_MANAGED_CMK' },
        ExtendedS3DestinationConfiguration: Match.objectLike({
          EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: keyArn() } },
        }),
      });
    });

    it('encrypts every log group, every queue, the bus and the alarm topic with the key when encryptionKey is set', () => {
      // Assess
      expect(Object.keys(devTemplate.findResources('AWS::Logs::LogGroup')).length).toBeGreaterThanOrEqual(8);
      devTemplate.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: keyArn() });
      devTemplate.resourceCountIs('AWS::SQS::Queue', 7);
      devTemplate.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn() });
      devTemplate.hasResourceProperties('AWS::Events::EventBus', { KmsKeyIdentifier: keyArn() });
      devTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn() });
    });

    it('lets the insights schedule send to its encrypted dead-letter queue when encryptionKey is set', () => {
      // Prepare
      const scheduleRole = devTrail.insights?.scheduleRole;
      if (!scheduleRole) throw new Error('the dev trail has insights');

      // Act
      const statements = statementsOfRole(
        devTemplate.toJSON().Resources,
        devStack.resolve(scheduleRole.roleName),
      );

      // Assess
      expect(statements).toContainEqual({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: keyArn(),
      });
    });

    it('lets CloudWatch Logs, EventBridge and CloudWatch alarms use the key through its policy when the key is in the app', () => {
      // Act
      const principals = (
        devTemplate.toJSON().Resources[logicalIdOf(devStack, key.keyId)].Properties.KeyPolicy.Statement as {
          Principal: unknown;
        }[]
      ).map((statement) => JSON.stringify(statement.Principal));

      // Assess
      expect(principals).toEqual(
        expect.arrayContaining([
          JSON.stringify({ Service: 'logs.us-east-1.amazonaws.com' }),
          JSON.stringify({ Service: 'events.amazonaws.com' }),
          JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
        ]),
      );
    });

    it('reports no unacknowledged AwsSolutions or Serverless finding when key, DESTROY and alarm email are on', () => {
      // Act
      const findings = unacknowledgedNagFindings(encrypted.app);

      // Assess
      expect(findings).toEqual([]);
    });

    it('acknowledges the KMS wildcards only on policies scoped to the key, each with a reason, when encryptionKey is set', () => {
      // Act
      const acknowledged = devStack.node
        .findAll()
        .flatMap((construct) =>
          construct.node.metadata
            .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
            .flatMap((entry) => (isRecord(entry.data) ? Object.entries(entry.data) : []))
            .map(([rule, reason]) => ({ path: construct.node.path, rule, reason: String(reason) })),
        )
        .filter(({ rule }) => rule.includes('Action::kms:'));
      const paths = [...new Set(acknowledged.map(({ path }) => path))].sort();

      // Assess
      expect(paths).toEqual([
        'Dev/Trail/ArchiveConsumer/HandlerRole/DefaultPolicy',
        'Dev/Trail/Insights/CounterConsumer/HandlerRole/DefaultPolicy',
        'Dev/Trail/Insights/InsightsRole/DefaultPolicy',
        'Dev/Trail/Integrity/DigesterRole/DefaultPolicy',
        'Dev/Trail/LogForwardConsumer/HandlerRole/DefaultPolicy',
        'Dev/Trail/TrailApi/IngestRole/DefaultPolicy',
      ]);
      for (const { reason } of acknowledged) expect(reason).toMatch(/scoped to that one key/);
      for (const { path } of acknowledged) {
        const policy = devStack.node.findAll().find((construct) => construct.node.path === path);
        expect(JSON.stringify(devStack.resolve((policy as Policy).document))).not.toMatch(
          /"kms:[A-Za-z]*\*"[^}]*"Resource":"\*"/,
        );
      }
    });
  });

  describe('point-in-time recovery', () => {
    const recoveryOf = (template: Template, stack: Stack, tableName: string): unknown => {
      const { Replicas } = propertiesOf(template, logicalIdOf(stack, tableName));
      return (Replicas as Array<Record<string, unknown>>)[0]?.PointInTimeRecoverySpecification;
    };

    it('backs up the ledger but not the events table when defaults apply (the archive rebuilds it)', () => {
      // Assess
      expect(recoveryOf(otherTemplate, other, otherTrail.eventStore.table.tableName)).toEqual({
        PointInTimeRecoveryEnabled: false,
      });
      otherTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      });
    });

    it('backs up the events table when pointInTimeRecovery is true', () => {
      // Prepare: an app of its own, since the shared one is synthesized already.
      const recovered = createTestApp();
      onTestFinished(recovered.cleanup);
      const stack = new Stack(recovered.app, 'Recovered', { env: TEST_ENV });
      const trail = new Trail(stack, 'Trail', {
        pointInTimeRecovery: true,
        insights: false,
        integrity: false,
        dashboard: false,
        console: false,
      });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      expect(recoveryOf(template, stack, trail.eventStore.table.tableName)).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
    });
  });

  describe('removal policy', () => {
    it('retains the table, both buckets and the event log group with deletion protection when defaults apply', () => {
      // Assess
      sharedTemplate.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] }),
      });
      sharedTemplate.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
      sharedTemplate.hasResource('AWS::Logs::LogGroup', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ RetentionInDays: 365 }),
      });
      sharedTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    });

    it('deletes every resource, drops deletion protection and empties both buckets when removalPolicy is DESTROY', () => {
      // Act
      const keyId = logicalIdOf(devStack, key.keyId);
      const policies = Object.entries(
        devTemplate.toJSON().Resources as Record<string, { DeletionPolicy?: string }>,
      )
        // The key belongs to the app, not the trail: it keeps its own (RETAIN) policy.
        .filter(([logicalId]) => logicalId !== keyId)
        .map(([, resource]) => resource.DeletionPolicy)
        .filter((policy) => policy !== undefined);

      // Assess
      expect(policies.length).toBeGreaterThan(10);
      expect(new Set(policies)).toEqual(new Set(['Delete']));
      devTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
      });
      devTemplate.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
      // The archive and its access-log bucket, the digest bucket and the console's bucket.
      devTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
    });
  });

  describe('alarms', () => {
    it('subscribes the email to a new topic that every alarm notifies when alarmEmail is set', () => {
      // Prepare
      const topicRef = devStack.resolve(devTrail.alarmTopic?.topicArn);

      // Assess
      devTemplate.resourceCountIs('AWS::SNS::Topic', 1);
      devTemplate.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        TopicArn: topicRef,
      });
      devTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sns:Publish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Condition: {
                StringEquals: { 'aws:SourceAccount': '123456789012' },
                ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*' },
              },
            }),
          ]),
        },
      });
      expect(Object.keys(devTemplate.findResources('AWS::CloudWatch::Alarm')).length).toBe(11);
      devTemplate.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [topicRef],
        OKActions: [topicRef],
      });
    });

    it('creates no topic when neither alarmEmail nor alarmTopic is set', () => {
      // Assess
      expect(audit.alarmTopic).toBeUndefined();
      sharedTemplate.resourceCountIs('AWS::SNS::Topic', 0);
    });
  });

  describe('dashboard', () => {
    const widgetsOf = (trail: Trail) => {
      const dashboard = trail.dashboard?.dashboard;
      if (!dashboard) throw new Error('the trail has no dashboard');
      const stack = Stack.of(trail);
      const template = stack === shared ? sharedTemplate : otherTemplate;
      const properties = template.toJSON().Resources[logicalIdOf(stack, dashboard.dashboardName)]
        .Properties as Record<string, unknown>;
      const body: unknown = JSON.parse(renderCfnString(properties.DashboardBody));
      if (!isRecord(body) || !Array.isArray(body.widgets))
        throw new Error('no widgets in the dashboard body');
      return body.widgets.filter(isRecord).map((widget) => widget.properties as Record<string, unknown>);
    };
    const widget = (trail: Trail, title: string) => {
      const found = widgetsOf(trail).find((properties) => properties.title === title);
      if (!found) throw new Error(`no widget titled ${title}`);
      return found;
    };
    const metricsOf = (properties: Record<string, unknown>) => JSON.stringify(properties.metrics);
    const ref = (token: string) => `\${${logicalIdOf(shared, token)}}`;

    it('charts the pipeline lag of every stream consumer and the depth of every dead-letter queue when built', () => {
      // Act
      const lag = metricsOf(widget(audit, 'Pipeline lag (IteratorAge, max)'));
      const depths = metricsOf(widget(audit, 'Dead-letter queue depths'));

      // Assess
      expect(audit.functions.map(({ name }) => name)).toEqual([
        'Ingest',
        'Lookup',
        'Archive',
        'LogForward',
        'InsightsCounter',
        'Insights',
        'Digester',
      ]);
      for (const { name, resource } of audit.functions.slice(2, 5)) {
        expect(lag).toContain(`"IteratorAge","FunctionName","${ref(resource.functionName)}"`);
        expect(lag).toContain(`"label":"${name}"`);
      }
      expect(audit.deadLetterQueues).toHaveLength(6);
      for (const { resource } of audit.deadLetterQueues) {
        expect(depths).toContain(
          `"ApproximateNumberOfMessagesVisible","QueueName","\${${logicalIdOf(shared, resource.queueName)}.QueueName}"`,
        );
      }
    });

    it('charts ingest rate, rejects, lookup latency and insights from the functions, the API and their logs when built', () => {
      // Act
      const titles = widgetsOf(audit).map((properties) => properties.title);
      const rejects = widget(audit, 'Rejected requests by code');
      const latency = metricsOf(widget(audit, 'Lookup latency (function)'));
      const insights = widget(audit, 'Insights opened and closed');

      // Assess
      expect(titles).toEqual([
        undefined,
        'Ingest rate (POST /events invocations)',
        'Rejects (HTTP status class)',
        'Rejected requests by code',
        'Events stored, refused and filtered per event',
        'Events filtered and rejected by code (metrics)',
        'Lookup latency (function)',
        'API latency (all routes)',
        'Pipeline lag (IteratorAge, max)',
        'Dead-letter queue depths',
        'Insights opened and closed',
        'Insights runs',
      ]);
      expect(metricsOf(widget(audit, 'Ingest rate (POST /events invocations)'))).toContain(
        `"Invocations","FunctionName","${ref(audit.trailApi.ingestFunction.functionName)}"`,
      );
      expect(metricsOf(widget(audit, 'Rejects (HTTP status class)'))).toContain('"4xx"');
      expect(rejects.query).toContain(DASHBOARD_QUERIES.rejectsByCode.join('\n| '));
      expect(rejects.query).toContain(ref(audit.trailApi.ingestFunction.logGroup.logGroupName));
      expect(latency).toContain(
        `"Duration","FunctionName","${ref(audit.trailApi.lookupFunction.functionName)}"`,
      );
      expect(latency).toContain('"stat":"p99"');
      expect(insights.query).toContain(DASHBOARD_QUERIES.insightsOpened.join('\n| '));
    });

    it('counts stored, refused and filtered events from both put routes when built', () => {
      // Act
      const eventsPut = widget(audit, 'Events stored, refused and filtered per event');

      // Assess
      expect(eventsPut.query).toContain(DASHBOARD_QUERIES.eventsPut.join('\n| '));
      expect(eventsPut.query).toContain('"events put", "audit events put"');
      expect(eventsPut.query).toContain('sum(filtered) as filtered');
      expect(eventsPut.query).toContain(ref(audit.trailApi.ingestFunction.logGroup.logGroupName));
    });

    it('charts the EventsFiltered metric and one EventsRejected line per error code the ingest function writes when built', () => {
      // Prepare: the metric documents the ingest function really writes for a filtered and a refused event.
      const refused: PutFailure = {
        index: 1,
        errorCode: 'FieldTooLong',
        errorMessage: 'userAgent is too long',
      };
      const ingestMetrics = createFunctionMetrics();
      const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      let lines: string[];
      try {
        publishIngestMetrics(
          { successful: [], filtered: [{ index: 0, eventID: 'filtered-1' }], failed: [refused] },
          ingestMetrics,
        );
        lines = write.mock.calls.map(([line]) => String(line));
      } finally {
        write.mockRestore();
      }
      const written = lines.map((line) => {
        const { _aws, Service } = JSON.parse(line);
        const [directive] = _aws.CloudWatchMetrics;
        return {
          namespace: directive.Namespace,
          name: directive.Metrics[0].Name,
          dimensions: [...directive.Dimensions[0]].sort(),
          service: Service,
        };
      });

      // Act
      const metrics = widget(audit, 'Events filtered and rejected by code (metrics)').metrics;

      // Assess
      expect(written).toEqual([
        {
          namespace: INGEST_METRICS.namespace,
          name: INGEST_METRICS.filtered,
          dimensions: ['Service'],
          service: INGEST_METRICS.service,
        },
        {
          namespace: INGEST_METRICS.namespace,
          name: INGEST_METRICS.rejected,
          dimensions: ['ErrorCode', 'Service'],
          service: INGEST_METRICS.service,
        },
      ]);
      expect(metrics).toEqual([
        ['OpenTrail', 'EventsFiltered', 'Service', 'opentrail', { label: 'filtered', stat: 'Sum' }],
        [
          {
            expression:
              'SEARCH(\'{OpenTrail,ErrorCode,Service} MetricName="EventsRejected" Service="opentrail"\', \'Sum\', 60)',
            label: `rejected \${PROP('Dim.ErrorCode')}`,
            period: 60,
          },
        ],
      ]);
    });

    it('leaves out the insights row and charts two consumers and queues when insights are off', () => {
      // Act
      const titles = widgetsOf(withoutInsights).map((properties) => properties.title);

      // Assess
      expect(titles).not.toContain('Insights opened and closed');
      expect(titles).not.toContain('Insights runs');
      expect(withoutInsights.deadLetterQueues.map(({ name }) => name)).toEqual([
        'Archive',
        'LogForward',
        'DigestDeliveries',
        'DigesterRuns',
      ]);
      expect(
        metricsOf(widget(withoutInsights, 'Pipeline lag (IteratorAge, max)')).match(/IteratorAge/g),
      ).toHaveLength(2);
    });
  });
});
