import { Aws, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../lib/constructs/event-store.js';
import { TrailApi } from '../../lib/constructs/trail-api.js';
import {
  actionsOfRole,
  createTestApp,
  isRecord,
  logicalIdOf,
  propertiesOf,
  referencedLogicalId,
  renderCfnString,
  statementsOfRole,
  TEST_ENV,
} from './cdk-test-app.js';

const FUNCTION = 'AWS::Lambda::Function';
const DYNAMODB_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
];

describe('TrailApi', () => {
  // One app, synthesized once: bundling the functions is the slow part.
  const { app, cleanup } = createTestApp();

  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const defaultStore = new EventStore(defaultStack, 'EventStore');
  const api = new TrailApi(defaultStack, 'TrailApi', { eventStore: defaultStore });
  const producer = new Role(defaultStack, 'Producer', { assumedBy: new AccountRootPrincipal() });
  const reader = new Role(defaultStack, 'Reader', { assumedBy: new AccountRootPrincipal() });
  api.grantPut(producer);
  api.grantLookup(reader);

  const overrideStack = new Stack(app, 'Overrides', { env: TEST_ENV });
  const overrideStore = new EventStore(overrideStack, 'EventStore', { retentionDays: 30, writeShards: 4 });
  const overrideApi = new TrailApi(overrideStack, 'TrailApi', {
    eventStore: overrideStore,
    logRetention: RetentionDays.ONE_WEEK,
    throttle: { rateLimit: 50 },
    ingestFunctionProps: {
      memorySize: 1024,
      environment: { OPENTRAIL_TABLE_NAME: 'not-the-table', POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    },
    channels: [
      { name: 'billing-app', principals: ['arn:aws:iam::123456789012:role/BillingWriter'] },
      { name: 'partner.feed_1' },
    ],
  });

  let template: Template;
  let overrideTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(defaultStack);
    overrideTemplate = Template.fromStack(overrideStack);
  });
  afterAll(cleanup);

  const functionProps = (tmpl: Template, stack: Stack, functionName: string) =>
    propertiesOf(tmpl, logicalIdOf(stack, functionName));

  describe('functions', () => {
    it('runs both functions on arm64 and nodejs22.x when defaults apply', () => {
      // Assess
      template.resourcePropertiesCountIs(FUNCTION, { Architectures: ['arm64'], Runtime: 'nodejs22.x' }, 2);
    });

    it('gives each function 512 MB, ingest 25 s to outlast its write budgets and lookup 15 s, when defaults apply', () => {
      // Assess
      for (const [fn, timeout] of [
        [api.ingestFunction, 25],
        [api.lookupFunction, 15],
      ] as const) {
        template.hasResourceProperties(FUNCTION, {
          Role: defaultStack.resolve(fn.role?.roleArn),
          MemorySize: 512,
          Timeout: timeout,
        });
      }
    });

    it('logs each function to its own log group kept one month when defaults apply', () => {
      // Prepare
      const logGroupIds = [api.ingestFunction, api.lookupFunction].map((fn) => {
        const { LoggingConfig } = functionProps(template, defaultStack, fn.functionName);
        return referencedLogicalId(isRecord(LoggingConfig) ? LoggingConfig.LogGroup : undefined);
      });

      // Assess
      expect(new Set(logGroupIds).size).toBe(2);
      for (const logGroupId of logGroupIds) {
        expect(template.toJSON().Resources[logGroupId]).toMatchObject({
          Type: 'AWS::Logs::LogGroup',
          Properties: { RetentionInDays: 30 },
        });
      }
    });

    it('sets Powertools, source maps and the store settings on both functions when defaults apply', () => {
      // Prepare
      const tableRef = defaultStack.resolve(defaultStore.table.tableName);

      // Assess
      template.resourcePropertiesCountIs(
        FUNCTION,
        {
          Environment: {
            Variables: Match.objectLike({
              POWERTOOLS_SERVICE_NAME: 'opentrail',
              POWERTOOLS_LOG_LEVEL: 'INFO',
              NODE_OPTIONS: '--enable-source-maps',
              OPENTRAIL_TABLE_NAME: tableRef,
              OPENTRAIL_RETENTION_DAYS: '90',
              OPENTRAIL_WRITE_SHARDS: '16',
            }),
          },
        },
        2,
      );
    });

    it('gives the token secret ARN to the lookup function only when the API is built', () => {
      // Prepare
      const secretRef = defaultStack.resolve(api.tokenSecret.secretArn);

      // Act
      const ingestVariables = functionProps(
        template,
        defaultStack,
        api.ingestFunction.functionName,
      ).Environment;
      const lookupVariables = functionProps(
        template,
        defaultStack,
        api.lookupFunction.functionName,
      ).Environment;

      // Assess
      expect(ingestVariables).not.toHaveProperty('Variables.OPENTRAIL_TOKEN_SECRET_ARN');
      expect(lookupVariables).toHaveProperty('Variables.OPENTRAIL_TOKEN_SECRET_ARN', secretRef);
    });

    it('generates a 64-character token secret when the API is built', () => {
      // Assess
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
      });
    });
  });

  describe('permissions', () => {
    it('lets the ingest role write and get events but never query or scan when the API is built', () => {
      // Act
      const actions = actionsOfRole(
        template.toJSON().Resources,
        defaultStack.resolve(api.ingestFunction.role?.roleName),
      );

      // Assess
      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']),
      );
      for (const forbidden of ['dynamodb:Query', 'dynamodb:Scan']) expect(actions).not.toContain(forbidden);
      expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
    });

    it('lets the lookup role read events but never write them when the API is built', () => {
      // Act
      const actions = actionsOfRole(
        template.toJSON().Resources,
        defaultStack.resolve(api.lookupFunction.role?.roleName),
      );

      // Assess
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      for (const forbidden of DYNAMODB_WRITE_ACTIONS) expect(actions).not.toContain(forbidden);
    });

    it('grants reading the token secret to the lookup role only when the API is built', () => {
      // Prepare
      const secretReaders = new Capture();

      // Act
      template.resourcePropertiesCountIs(
        'AWS::IAM::Policy',
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Action: Match.arrayWith(['secretsmanager:GetSecretValue']) }),
            ]),
          },
          Roles: secretReaders,
        },
        1,
      );

      // Assess
      expect(secretReaders.asArray()).toEqual([defaultStack.resolve(api.lookupFunction.role?.roleName)]);
    });

    it('writes function logs only to the function log group when the API is built', () => {
      // Act
      const statements = statementsOfRole(
        template.toJSON().Resources,
        defaultStack.resolve(api.ingestFunction.role?.roleName),
      );
      const logStatements = statements.filter((statement) =>
        JSON.stringify(statement.Action).includes('logs:'),
      );

      // Assess
      expect(logStatements).toHaveLength(1);
      expect(logStatements[0]?.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });
  });

  describe('HTTP API', () => {
    it('requires AWS_IAM on every route when the API is built', () => {
      // Act
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));

      // Assess
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([
        'GET /events',
        'GET /events/{eventId}',
        'GET /insights/{sharedEventID}/series',
        'GET /values/{attribute}',
        'POST /',
        'POST /PutAuditEvents',
        'POST /events',
      ]);
      template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' });
    });

    it('sends both put routes to ingest and every lookup route to lookup when the API is built', () => {
      // Prepare
      const targetOfRoute = (routeKey: string) =>
        Object.values(
          template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }),
        ).map((route) => route.Properties.Target);
      const targetsOfFunction = (functionArn: string) =>
        Object.keys(
          template.findResources('AWS::ApiGatewayV2::Integration', {
            Properties: { IntegrationUri: defaultStack.resolve(functionArn) },
          }),
        ).map((integrationId) => ({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] }));

      // Act
      const ingestTargets = targetsOfFunction(api.ingestFunction.functionArn);
      const lookupTargets = targetsOfFunction(api.lookupFunction.functionArn);

      // Assess
      expect(targetOfRoute('POST /events')).toEqual(ingestTargets);
      expect(targetOfRoute('GET /events')).toEqual(lookupTargets);
      expect(targetOfRoute('GET /events/{eventId}')).toEqual(lookupTargets);
      expect(targetOfRoute('GET /insights/{sharedEventID}/series')).toEqual(lookupTargets);
      expect(targetOfRoute('GET /values/{attribute}')).toEqual(lookupTargets);
      expect(targetOfRoute('POST /PutAuditEvents')).toEqual(ingestTargets);
      expect(targetOfRoute('POST /')).toEqual(lookupTargets);
    });

    it('writes JSON access logs with the agreed fields to their own log group when the stage is built', () => {
      // Prepare
      const format = new Capture();
      const destination = new Capture();

      // Act
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AccessLogSettings: { Format: format, DestinationArn: destination },
      });

      // Assess
      expect(JSON.parse(format.asString())).toEqual({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        requestTime: '$context.requestTime',
        httpMethod: '$context.httpMethod',
        routeKey: '$context.routeKey',
        status: '$context.status',
        protocol: '$context.protocol',
        responseLength: '$context.responseLength',
        integrationError: '$context.integrationErrorMessage',
        principal: '$context.identity.userArn',
      });
      expect(template.toJSON().Resources[referencedLogicalId(destination.asObject())]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    });

    it('throttles the default stage at 1000 requests/s with bursts of 2000 when defaults apply', () => {
      // Assess
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      });
    });

    it('gives every put route a bucket of 1000/2000 and every lookup route one of 100/200 when defaults apply', () => {
      // Prepare
      const put = { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 };
      const lookup = { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 };
      // Assess
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        RouteSettings: {
          'POST /events': put,
          'POST /PutAuditEvents': put,
          'GET /events': lookup,
          'GET /events/{eventId}': lookup,
          'POST /': lookup,
        },
      });
    });

    it('creates the stage after the routes its route settings name', () => {
      // Prepare
      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
      const routeIds = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
      // Assess
      expect(routeIds).toHaveLength(7);
      expect([...(stage?.DependsOn ?? [])].sort()).toEqual(expect.arrayContaining(routeIds.sort()));
    });
  });

  describe('grants to callers', () => {
    const partition = renderCfnString(defaultStack.resolve(Aws.PARTITION));
    const apiRef = () => renderCfnString(defaultStack.resolve(api.httpApi.apiId));
    const invokeResourcesOf = (role: Role) =>
      statementsOfRole(template.toJSON().Resources, defaultStack.resolve(role.roleName)).flatMap(
        (statement) => {
          expect(statement.Action).toBe('execute-api:Invoke');
          const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
          return resources.map(renderCfnString);
        },
      );

    it('scopes grantPut to POST /events and POST /PutAuditEvents when a producer is granted', () => {
      // Act
      const resources = invokeResourcesOf(producer);

      // Assess
      expect(resources.sort()).toEqual([
        `arn:${partition}:execute-api:us-east-1:123456789012:${apiRef()}/*/POST/PutAuditEvents`,
        `arn:${partition}:execute-api:us-east-1:123456789012:${apiRef()}/*/POST/events`,
      ]);
    });

    it('scopes grantLookup to GET /events, GET /events/*, GET /insights/*, GET /values/* and POST / when a reader is granted', () => {
      // Act
      const resources = invokeResourcesOf(reader);

      // Assess
      expect(resources.sort()).toEqual([
        `arn:${partition}:execute-api:us-east-1:123456789012:${apiRef()}/*/GET/events`,
        `arn:${partition}:execute-api:us-east-1:123456789012:${apiRef()}/*/GET/events/*`,
        `arn:${partition}:execute-api:us-east-1:123456789012:${apiRef()}/*/GET/insights/*`,
        `arn:${partition}:execute-api:us-east-1:123456789012:${apiRef()}/*/GET/values/*`,
        `arn:${partition}:execute-api:us-east-1:123456789012:${apiRef()}/*/POST/`,
      ]);
    });
  });

  describe('channels', () => {
    const channelsOf = (tmpl: Template, stack: Stack, fn: TrailApi['ingestFunction']) => {
      const { Environment } = functionProps(tmpl, stack, fn.functionName);
      const value =
        isRecord(Environment) && isRecord(Environment.Variables)
          ? Environment.Variables.OPENTRAIL_CHANNELS
          : undefined;
      return JSON.parse(renderCfnString(value)) as unknown;
    };

    it('declares one channel named default that any producer may use when channels are left out', () => {
      // Act
      const channels = channelsOf(template, defaultStack, api.ingestFunction);

      // Assess
      expect(channels).toEqual([{ arn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/default' }]);
      expect(api.channelArns).toEqual({ default: expect.stringContaining(':channel/default') });
    });

    it('gives the channels to the ingest function only', () => {
      // Act
      const lookupVariables = functionProps(
        template,
        defaultStack,
        api.lookupFunction.functionName,
      ).Environment;

      // Assess
      expect(lookupVariables).not.toHaveProperty('Variables.OPENTRAIL_CHANNELS');
    });

    it('passes each declared channel with its principals to the ingest function when channels are given', () => {
      // Act
      const channels = channelsOf(overrideTemplate, overrideStack, overrideApi.ingestFunction);

      // Assess
      expect(channels).toEqual([
        {
          arn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/billing-app',
          principals: ['arn:aws:iam::123456789012:role/BillingWriter'],
        },
        { arn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/partner.feed_1' },
      ]);
    });
  });

  describe('overrides', () => {
    it('passes retentionDays and writeShards to both functions when the store overrides them', () => {
      // Assess
      overrideTemplate.resourcePropertiesCountIs(
        FUNCTION,
        {
          Environment: {
            Variables: Match.objectLike({ OPENTRAIL_RETENTION_DAYS: '30', OPENTRAIL_WRITE_SHARDS: '4' }),
          },
        },
        2,
      );
    });

    it('keeps the construct variables and takes the others when environment is overridden', () => {
      // Prepare
      const tableRef = overrideStack.resolve(overrideStore.table.tableName);

      // Act
      const ingest = functionProps(overrideTemplate, overrideStack, overrideApi.ingestFunction.functionName);

      // Assess
      expect(ingest.Environment).toEqual({
        Variables: expect.objectContaining({
          OPENTRAIL_TABLE_NAME: tableRef,
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          POWERTOOLS_SERVICE_NAME: 'opentrail',
        }),
      });
    });

    it('uses the given memory for ingest only when ingestFunctionProps sets memorySize', () => {
      // Act
      const ingest = functionProps(overrideTemplate, overrideStack, overrideApi.ingestFunction.functionName);
      const lookup = functionProps(overrideTemplate, overrideStack, overrideApi.lookupFunction.functionName);

      // Assess
      expect(ingest).toMatchObject({ MemorySize: 1024, Timeout: 25, Architectures: ['arm64'] });
      expect(lookup).toMatchObject({ MemorySize: 512 });
    });

    it('keeps the default burst limit when throttle sets only rateLimit', () => {
      // Assess
      overrideTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 2000 },
      });
    });

    it('applies logRetention to every log group when it is overridden', () => {
      // Assess
      overrideTemplate.resourceCountIs('AWS::Logs::LogGroup', 3);
      overrideTemplate.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    });
  });

  describe('validation', () => {
    // A stack that is never synthesized, in an app of its own whose folder is removed afterwards.
    const validation = createTestApp();
    afterAll(validation.cleanup);

    it('throws one error naming both limits when throttle limits are not positive', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Invalid', { env: TEST_ENV });
      const eventStore = new EventStore(stack, 'EventStore');

      // Act
      const build = () =>
        new TrailApi(stack, 'TrailApi', { eventStore, throttle: { rateLimit: 0, burstLimit: -1 } });

      // Assess
      expect(build).toThrowError(
        'Invalid TrailApi props:\n- throttle.rateLimit must be a number above 0 (got 0)\n' +
          '- throttle.burstLimit must be a number above 0 (got -1)',
      );
    });

    it('throws one error naming every bad channel when channel names break CloudTrail rules', () => {
      // Prepare
      const stack = new Stack(validation.app, 'InvalidChannels', { env: TEST_ENV });
      const eventStore = new EventStore(stack, 'EventStore');

      // Act
      const build = () =>
        new TrailApi(stack, 'TrailApi', {
          eventStore,
          channels: [
            { name: 'ok-name' },
            { name: 'no' },
            { name: 'has space' },
            { name: 'ok-name', principals: [] },
          ],
        });

      // Assess
      expect(build).toThrowError(
        'Invalid TrailApi props:\n' +
          `- channels[1].name must be 3 to 128 letters, digits, '.', '_' or '-' (got "no")\n` +
          `- channels[2].name must be 3 to 128 letters, digits, '.', '_' or '-' (got "has space")\n` +
          '- channels[3].name repeats "ok-name"\n' +
          '- channels[3].principals is empty: leave it out to admit every producer',
      );
    });
  });
});
