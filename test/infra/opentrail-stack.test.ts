import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenTrailStack } from '../../lib/opentrail-stack.js';
import { createTestApp, isRecord, TEST_ENV } from './cdk-test-app.js';

describe('OpenTrailStack', () => {
  const { app, cleanup } = createTestApp();
  const stack = new OpenTrailStack(app, 'OpenTrail', { env: TEST_ENV, retentionDays: 30, writeShards: 8 });

  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(stack);
  });
  afterAll(cleanup);

  it('outputs the API URL and the table name when the stack is built', () => {
    // Assess
    template.hasOutput('ApiUrl', { Value: stack.resolve(stack.trailApi.url) });
    template.hasOutput('TableName', { Value: stack.resolve(stack.eventStore.table.tableName) });
  });

  it('passes retentionDays and writeShards from the stack props to both functions when they are set', () => {
    // Assess
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({ OPENTRAIL_RETENTION_DAYS: '30', OPENTRAIL_WRITE_SHARDS: '8' }),
        },
      },
      2,
    );
  });

  it('reports no unacknowledged AwsSolutions or Serverless finding when the packs run on the app', () => {
    // Act
    const reports = [new AwsSolutionsChecks(), new ServerlessChecks()].map((pack) => pack.validateScope(app));

    // Assess
    const findings = reports.flatMap((report) =>
      report.violations.map((violation) => ({
        rule: violation.ruleName,
        severity: violation.severity,
        at: violation.violatingResources.map((resource) => resource.constructPath),
      })),
    );
    expect(findings).toEqual([]);
    expect(reports.every((report) => report.success)).toBe(true);
  });

  it('acknowledges findings only on the functions and the token secret, each with a reason, when built', () => {
    // Act
    const acknowledgments = app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => (isRecord(entry.data) ? Object.entries(entry.data) : []))
        .map(([rule, reason]) => ({ path: construct.node.path, rule, reason: String(reason) })),
    );

    // Assess
    expect([...new Set(acknowledgments.map((acknowledgment) => acknowledgment.path))].sort()).toEqual([
      'OpenTrail/TrailApi/IngestFunction',
      'OpenTrail/TrailApi/LookupFunction',
      'OpenTrail/TrailApi/TokenSecret',
    ]);
    for (const { reason } of acknowledgments) expect(reason.length).toBeGreaterThan(40);
  });
});
