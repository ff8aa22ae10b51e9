import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import type { RedactionRules } from '../../lambda/core/redaction.js';
import type { TrailSelectors } from '../../lambda/core/selectors.js';
import { TRAIL_ENV } from '../../lambda/manifest/settings.js';
import { environmentSize, LAMBDA_ENVIRONMENT_BYTES } from '../../lib/lambda-environment.js';
import { Trail } from '../../lib/trail.js';
import { createTestApp, isRecord, logicalIdOf, TEST_ENV } from './cdk-test-app.js';

const SELECTORS: TrailSelectors = {
  advanced: [
    {
      name: 'Writes to orders',
      fieldSelectors: [
        { field: 'eventCategory', equals: ['Management'] },
        { field: 'readOnly', equals: ['false'] },
        { field: 'eventSource', equals: ['orders.example.com'] },
      ],
    },
  ],
  regions: ['eu-west-1'],
};
const REDACTION: RedactionRules = { keys: ['ssn'], paths: ['requestParameters.card.number'] };

/** The Environment.Variables of every function in the template, by logical ID. */
function variablesByFunction(template: Template): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(template.findResources('AWS::Lambda::Function')).map(([id, resource]) => {
      const environment: unknown = resource.Properties?.Environment;
      const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
      return [id, variables];
    }),
  );
}

describe('Trail selectors and redaction', () => {
  // One app synthesizes once: the stacks under test are all built before the first template is read.
  const { app, cleanup } = createTestApp();
  const policyStack = new Stack(app, 'Policy', { env: TEST_ENV });
  const policyTrail = new Trail(policyStack, 'Trail', { selectors: SELECTORS, redaction: REDACTION });
  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const defaultTrail = new Trail(defaultStack, 'Trail');
  const refused = createTestApp();
  afterAll(() => {
    cleanup();
    refused.cleanup();
  });

  it('gives the selectors to the ingest and lookup functions and the redaction rules to ingest alone, as JSON', () => {
    // Prepare
    const [stack, trail] = [policyStack, policyTrail];

    // Act
    const variables = variablesByFunction(Template.fromStack(stack));

    // Assess
    const ingestId = logicalIdOf(stack, trail.trailApi.ingestFunction.functionName);
    const lookupId = logicalIdOf(stack, trail.trailApi.lookupFunction.functionName);
    expect(variables[ingestId]).toMatchObject({
      [TRAIL_ENV.selectors]: JSON.stringify(SELECTORS),
      [TRAIL_ENV.redaction]: JSON.stringify(REDACTION),
    });
    // GetEventSelectors answers the trail's real selectors.
    expect(variables[lookupId]).toMatchObject({ [TRAIL_ENV.selectors]: JSON.stringify(SELECTORS) });
    expect(Object.keys(variables[lookupId] ?? {})).not.toContain(TRAIL_ENV.redaction);
    const others = Object.entries(variables).filter(([id]) => id !== ingestId && id !== lookupId);
    // The trail's other functions, CDK's bucket-notifications handler (the archive's ObjectCreated feed to the
    // digester's queue) and the console's BucketDeployment handler: none with the policy.
    expect(others.length).toBe(trail.functions.length - 2 + 1 + (trail.consoleSite ? 1 : 0));
    for (const [, otherVariables] of others) {
      expect(Object.keys(otherVariables)).not.toContain(TRAIL_ENV.selectors);
      expect(Object.keys(otherVariables)).not.toContain(TRAIL_ENV.redaction);
    }
  });

  it('sets neither variable when the trail keeps the defaults, so the ingest function uses its own', () => {
    // Prepare
    const [stack, trail] = [defaultStack, defaultTrail];

    // Act
    const variables = variablesByFunction(Template.fromStack(stack));

    // Assess
    const ingest = variables[logicalIdOf(stack, trail.trailApi.ingestFunction.functionName)] ?? {};
    expect(Object.keys(ingest)).toContain(TRAIL_ENV.tableName);
    expect(Object.keys(ingest)).not.toContain(TRAIL_ENV.selectors);
    expect(Object.keys(ingest)).not.toContain(TRAIL_ENV.redaction);
  });

  it('stops the Trail at construction with the selector problem under its prop when the selectors are invalid', () => {
    // Prepare
    const stack = new Stack(refused.app, 'BadSelectors', { env: TEST_ENV });

    // Act
    const build = () =>
      new Trail(stack, 'Trail', {
        selectors: { advanced: [{ fieldSelectors: [{ field: 'eventName', equals: ['Get'] }] }] },
      });

    // Assess
    expect(build).toThrowError(
      'Invalid Trail props:\n' +
        '- selectors: advanced[0] needs an eventCategory field selector (equals Management or Data), as in CloudTrail',
    );
  });

  it('stops synthesis naming the size and the largest variable when valid rules overflow the 4 KB environment', () => {
    // Prepare: 200 redaction keys (the most allowed) of 20 characters are valid, but about 4.6 KB of JSON.
    const stack = new Stack(refused.app, 'TooLarge', { env: TEST_ENV });
    const keys = Array.from({ length: 200 }, (_, i) => `sensitive_field_${String(i).padStart(4, '0')}`);
    new Trail(stack, 'Trail', { redaction: { keys } });
    const redactionBytes = JSON.stringify({ [TRAIL_ENV.redaction]: JSON.stringify({ keys }) }).length - 2;

    // Act
    const synth = () => Template.fromStack(stack);

    // Assess
    expect(synth).toThrowError(
      new RegExp(
        `Trail/TrailApi/IngestFunction.*the environment variables take up to \\d+ bytes; Lambda allows 4096 bytes ` +
          `\\(4 KB\\) in total\\. Largest: ${TRAIL_ENV.redaction} ${redactionBytes} bytes, `,
      ),
    );
  });
});

describe('environmentSize', () => {
  it('measures the variables as one JSON object, with escapes, and counts references at their longest', () => {
    // Prepare
    const variables = {
      A: 'x"y',
      TABLE: { Ref: 'EventsTable' },
      ARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':', { Ref: 'AWS::AccountId' }]] },
    };

    // Act
    const { total, byVariable } = environmentSize(variables);

    // Assess: {"A":"x\"y","TABLE":"<256>","ARN":"arn:<10>:<12>"}
    expect(byVariable).toEqual({ A: 10, TABLE: 266, ARN: 35 });
    expect(total).toBe(2 + 10 + 1 + 266 + 1 + 35);
    expect(total).toBeLessThan(LAMBDA_ENVIRONMENT_BYTES);
  });
});
