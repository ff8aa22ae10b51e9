import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_METRICS, EventAlarms } from '../../lib/constructs/event-alarms.js';
import { createTestApp, logicalIdOf, TEST_ENV } from './cdk-test-app.js';

const FILTER = 'AWS::Logs::MetricFilter';
const ALARM = 'AWS::CloudWatch::Alarm';

describe('EventAlarms', () => {
  const { app, cleanup } = createTestApp();

  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const logGroup = new LogGroup(defaultStack, 'Events');
  const alarms = new EventAlarms(defaultStack, 'EventAlarms', { logGroup });

  const overrideStack = new Stack(app, 'Overrides', { env: TEST_ENV });
  const topic = new Topic(overrideStack, 'Alarms');
  const tuned = new EventAlarms(overrideStack, 'EventAlarms', {
    logGroup: new LogGroup(overrideStack, 'Events'),
    alarmTopic: topic,
    metricNamespace: 'OpenTrail/prod',
    accessDeniedThreshold: 3,
    resourceDeletesThreshold: 20,
    consoleSignInFailuresThreshold: 1,
  });

  let template: Template;
  let overrideTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(defaultStack);
    overrideTemplate = Template.fromStack(overrideStack);
  });
  afterAll(cleanup);

  const logGroupRef = () => ({ Ref: logicalIdOf(defaultStack, logGroup.logGroupName) });
  const alarmOn = (tmpl: Template, metricName: string) =>
    Object.values(tmpl.findResources(ALARM, { Properties: { MetricName: metricName } })).map(
      (resource) => resource.Properties,
    );

  describe('metric filters', () => {
    it('counts failed events per errorCode in the OpenTrail namespace when defaults apply', () => {
      // Assess
      template.hasResourceProperties(FILTER, {
        LogGroupName: logGroupRef(),
        FilterPattern: '{ $.errorCode = "*" }',
        MetricTransformations: [
          {
            MetricNamespace: 'OpenTrail',
            MetricName: 'Errors',
            MetricValue: '1',
            Dimensions: [{ Key: 'errorCode', Value: '$.errorCode' }],
          },
        ],
      });
    });

    it('matches AccessDenied and Unauthorized error codes when the filter is built', () => {
      // Assess
      template.hasResourceProperties(FILTER, {
        LogGroupName: logGroupRef(),
        FilterPattern: '{ ($.errorCode = "*AccessDenied*") || ($.errorCode = "*Unauthorized*") }',
        MetricTransformations: [
          { MetricNamespace: 'OpenTrail', MetricName: 'AccessDenied', MetricValue: '1' },
        ],
      });
    });

    it('matches Delete* writes when the filter is built', () => {
      // Assess
      template.hasResourceProperties(FILTER, {
        FilterPattern: '{ ($.eventName = "Delete*") && ($.readOnly IS FALSE) }',
        MetricTransformations: [
          { MetricNamespace: 'OpenTrail', MetricName: 'ResourceDeletes', MetricValue: '1' },
        ],
      });
    });

    it('matches failed console sign-ins when the filter is built', () => {
      // Assess
      template.hasResourceProperties(FILTER, {
        FilterPattern:
          '{ ($.eventName = "ConsoleLogin") && (($.errorMessage = "Failed authentication") || ($.errorCode = "*")) }',
        MetricTransformations: [
          { MetricNamespace: 'OpenTrail', MetricName: 'ConsoleSignInFailures', MetricValue: '1' },
        ],
      });
    });

    it('creates exactly the four filters on the given log group when defaults apply', () => {
      // Assess
      template.resourcePropertiesCountIs(FILTER, { LogGroupName: logGroupRef() }, 4);
    });
  });

  describe('alarms', () => {
    it('alarms on 10 or more AccessDenied events in 5 minutes when defaults apply', () => {
      // Assess
      expect(alarmOn(template, 'AccessDenied')).toEqual([
        expect.objectContaining({
          Namespace: 'OpenTrail',
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 10,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ]);
    });

    it('alarms on 50 deletes and 5 failed sign-ins in 5 minutes when defaults apply', () => {
      // Assess
      expect(alarmOn(template, 'ResourceDeletes')).toEqual([
        expect.objectContaining({ Threshold: 50, Period: 300, Statistic: 'Sum' }),
      ]);
      expect(alarmOn(template, 'ConsoleSignInFailures')).toEqual([
        expect.objectContaining({ Threshold: 5, Period: 300, Statistic: 'Sum' }),
      ]);
    });

    it('creates three alarms that notify no one when no topic is given', () => {
      // Assess
      template.resourceCountIs(ALARM, 3);
      template.allResourcesProperties(ALARM, { AlarmActions: Match.absent(), OKActions: Match.absent() });
    });

    it('exposes a per-errorCode metric in the namespace when errorsMetric is called', () => {
      // Act
      const metric = alarms.errorsMetric('ThrottlingException');

      // Assess
      expect(metric).toMatchObject({
        namespace: 'OpenTrail',
        metricName: 'Errors',
        dimensions: { errorCode: 'ThrottlingException' },
        statistic: 'Sum',
      });
      expect(metric.period.toSeconds()).toBe(300);
      expect(EVENT_METRICS.namespace).toBe('OpenTrail');
    });
  });

  describe('overrides', () => {
    it('uses the given thresholds, namespace and topic when they are set', () => {
      // Prepare
      const topicRef = overrideStack.resolve(topic.topicArn);

      // Assess
      expect(alarmOn(overrideTemplate, 'AccessDenied')).toEqual([
        expect.objectContaining({
          Threshold: 3,
          Namespace: 'OpenTrail/prod',
          AlarmActions: [topicRef],
          OKActions: [topicRef],
        }),
      ]);
      expect(alarmOn(overrideTemplate, 'ResourceDeletes')).toEqual([
        expect.objectContaining({ Threshold: 20 }),
      ]);
      expect(alarmOn(overrideTemplate, 'ConsoleSignInFailures')).toEqual([
        expect.objectContaining({ Threshold: 1 }),
      ]);
      overrideTemplate.allResourcesProperties(FILTER, {
        MetricTransformations: [Match.objectLike({ MetricNamespace: 'OpenTrail/prod' })],
      });
      expect(tuned.metricNamespace).toBe('OpenTrail/prod');
    });
  });

  describe('validation', () => {
    it('throws one error naming every bad threshold and the namespace when they are invalid', () => {
      // Prepare
      const validation = createTestApp();
      const stack = new Stack(validation.app, 'Invalid', { env: TEST_ENV });

      // Act
      const build = () =>
        new EventAlarms(stack, 'EventAlarms', {
          logGroup: new LogGroup(stack, 'Events'),
          accessDeniedThreshold: 0,
          resourceDeletesThreshold: 2.5,
          consoleSignInFailuresThreshold: -1,
          metricNamespace: 'Open:Trail',
        });

      // Assess
      expect(build).toThrowError(
        'Invalid EventAlarms props:\n' +
          '- accessDeniedThreshold must be an integer from 1 to 1000000 (got 0)\n' +
          '- resourceDeletesThreshold must be an integer from 1 to 1000000 (got 2.5)\n' +
          '- consoleSignInFailuresThreshold must be an integer from 1 to 1000000 (got -1)\n' +
          "- metricNamespace must be 1 to 255 characters without ':' or '$' (got Open:Trail)",
      );
      validation.cleanup();
    });
  });
});
