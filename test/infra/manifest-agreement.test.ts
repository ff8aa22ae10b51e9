import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName } from '../../lambda/manifest/functions.js';
import { SETTINGS, type SettingKey } from '../../lambda/manifest/settings.js';
import { OpenTrailStack } from '../../lib/opentrail-stack.js';
import { isDigesterPlan, type LocalFunctionPlan } from '../../local/plan.js';
import { planLocal } from '../../local/runner.js';
import { createTestApp, isRecord, logicalIdOf, propertiesOf, TEST_ENV } from './cdk-test-app.js';

/**
 * Local mode and the stack are built from one manifest (lambda/manifest/functions.ts): this test reads what the
 * synthesized template deploys for every function and what local mode runs for it (planLocal), and requires the
 * two to agree on every setting: sizing, environment, stream mapping, routes and schedule.
 */

/** Settings whose variables only one side sets, on purpose. */
const ONE_SIDED: Readonly<Partial<Record<SettingKey, string>>> = {
  region: 'Lambda sets AWS_REGION itself; local mode passes the region',
  tokenSecret: 'local mode signs tokens with a secret it is given; AWS reads it from Secrets Manager',
  tokenSecretArn: 'the Secrets Manager secret exists in AWS only',
};

const VARIABLE_TO_SETTING = new Map(
  (Object.keys(SETTINGS) as SettingKey[]).map((key) => [SETTINGS[key].variable as string, key]),
);

const pascalCase = (name: string): string => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

describe('the manifest, as the stack deploys it and as local mode runs it', () => {
  const { app, cleanup } = createTestApp();
  const stack = new OpenTrailStack(app, 'Agreement', { env: TEST_ENV });
  // The trail's name is the one value each side picks for itself (the stack from its path, local mode `opentrail`):
  // local mode is given the stack's, so every setting derived from it must agree.
  const plans = new Map<FunctionName, LocalFunctionPlan>(
    planLocal({ integrity: { trailName: stack.trail.trailName } }).map((plan) => [plan.name, plan]),
  );
  let template: Template;
  let resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  beforeAll(() => {
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });
  afterAll(cleanup);

  const functionIdOf = (name: FunctionName): string => {
    const fn = stack.trail.functions.find((named) => named.name === pascalCase(name))?.resource;
    if (fn === undefined) throw new Error(`the stack has no function for ${name}`);
    return logicalIdOf(stack, fn.functionName);
  };
  const planOf = (name: FunctionName): LocalFunctionPlan => {
    const plan = plans.get(name);
    if (plan === undefined) throw new Error(`local mode plans no function ${name}`);
    return plan;
  };

  it('deploys and runs every manifest function, and nothing else', () => {
    // Assess
    expect([...plans.keys()]).toEqual(FUNCTION_NAMES);
    expect(stack.trail.functions.map(({ name }) => name).sort()).toEqual(
      FUNCTION_NAMES.map(pascalCase).sort(),
    );
  });

  it.each(FUNCTION_NAMES)('gives %s the same memory, timeout and architecture on both sides', (name) => {
    // Act
    const deployed = propertiesOf(template, functionIdOf(name));
    // Assess
    expect(deployed.MemorySize).toBe(planOf(name).memoryMb);
    expect(deployed.Architectures).toEqual([FUNCTIONS[name].architecture]);
    expect(deployed.ReservedConcurrentExecutions).toBe(
      (FUNCTIONS[name] as { reservedConcurrency?: number }).reservedConcurrency,
    );
    expect(Number(deployed.Timeout) * 1000).toBe(planOf(name).timeoutMs);
  });

  it.each(FUNCTION_NAMES)('gives %s the same settings on both sides', (name) => {
    // Prepare
    const deployed = propertiesOf(template, functionIdOf(name)).Environment;
    const variables = isRecord(deployed) && isRecord(deployed.Variables) ? deployed.Variables : {};
    const deployedSettings = new Map(
      Object.entries(variables).flatMap(([variable, value]) => {
        const key = VARIABLE_TO_SETTING.get(variable);
        return key === undefined ? [] : [[key, value] as const];
      }),
    );
    const config = planOf(name).config as Readonly<Record<string, unknown>>;

    // Assess: each setting has the same effective value on both sides (a variable left out means its default),
    // but for the one-sided ones; a value only CloudFormation knows (a resource's name) must be given locally too.
    const listed: readonly SettingKey[] = FUNCTIONS[name].settings;
    expect([...deployedSettings.keys()].filter((key) => !listed.includes(key))).toEqual([]);
    for (const key of listed) {
      if (ONE_SIDED[key] !== undefined) continue;
      const deployedValue = deployedSettings.get(key);
      const spec = SETTINGS[key] as { default?: unknown };
      const local = config[key];
      if (deployedValue === undefined) {
        expect(`${key}=${String(local)}`).toBe(`${key}=${String(spec.default)}`);
      } else if (typeof deployedValue === 'string' && key !== 'channels') {
        const localText =
          typeof local === 'string'
            ? local
            : typeof local === 'number'
              ? String(local)
              : JSON.stringify(local);
        expect(`${key}=${localText}`).toBe(`${key}=${deployedValue}`);
      } else {
        expect(local, key).toBeDefined();
      }
    }
  });

  it.each(FUNCTION_NAMES.filter((name) => planOf(name).mapping !== undefined))(
    'maps the table stream to %s with the same settings on both sides',
    (name) => {
      // Prepare
      const functionId = functionIdOf(name);
      const mappings = Object.values(resources).filter(
        (resource) =>
          resource.Type === 'AWS::Lambda::EventSourceMapping' &&
          isRecord(resource.Properties?.FunctionName) &&
          resource.Properties.FunctionName.Ref === functionId,
      );
      const mapping = planOf(name).mapping;
      // Assess
      expect(mappings).toHaveLength(1);
      expect(mappings[0]?.Properties).toMatchObject({
        StartingPosition: mapping?.startingPosition,
        BatchSize: mapping?.batchSize,
        MaximumBatchingWindowInSeconds: mapping?.maxBatchingWindowSeconds,
        BisectBatchOnFunctionError: mapping?.bisectBatchOnError,
        MaximumRetryAttempts: mapping?.retryAttempts,
        MaximumRecordAgeInSeconds: mapping?.maxRecordAgeSeconds,
        ParallelizationFactor: mapping?.parallelizationFactor,
        FunctionResponseTypes: mapping?.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
        FilterCriteria: {
          Filters: mapping?.filters.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
        },
        DestinationConfig: { OnFailure: { Destination: expect.anything() } },
      });
    },
  );

  it('sends every route to the same function on both sides', () => {
    // Prepare: route key -> the function its integration invokes, in the template...
    const integrationTarget = new Map(
      Object.entries(resources)
        .filter(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Integration')
        .map(([id, resource]) => [id, JSON.stringify(resource.Properties?.IntegrationUri)]),
    );
    const deployed = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .map((resource) => {
        const target = JSON.stringify(resource.Properties?.Target);
        const integrationId = [...integrationTarget.keys()].find((id) => target.includes(id));
        const uri = integrationId === undefined ? '' : (integrationTarget.get(integrationId) ?? '');
        const owner = FUNCTION_NAMES.find((name) => uri.includes(functionIdOf(name)));
        return `${String(resource.Properties?.RouteKey)} -> ${owner}`;
      });
    // ...and in local mode's plan.
    const local = [...plans.values()].flatMap((plan) =>
      plan.routeKeys.map((key) => `${key} -> ${plan.name}`),
    );
    // Assess
    expect(deployed.sort()).toEqual(local.sort());
  });

  it('runs every scheduled function at the same rate on both sides', () => {
    // Prepare
    const deployed = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::Scheduler::Schedule')
      .map((resource) => String(resource.Properties?.ScheduleExpression));
    const local = [...plans.values()]
      .filter((plan) => plan.intervalMs !== undefined)
      .map((plan) => {
        const minutes = (plan.intervalMs ?? 0) / 60_000;
        return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
      });
    // Assess
    expect(deployed).toEqual(local);
  });
});

describe('a configured digest interval, as the stack deploys it and as local mode runs it', () => {
  const { app, cleanup } = createTestApp();
  const stack = new OpenTrailStack(app, 'DigestInterval', {
    env: TEST_ENV,
    integrity: { digestInterval: Duration.minutes(5) },
  });
  afterAll(cleanup);

  it('runs the digester every 5 minutes with digestIntervalSeconds 300 on both sides', () => {
    // Prepare
    const template = Template.fromStack(stack);
    const digester = stack.trail.functions.find(({ name }) => name === 'Digester')?.resource;
    if (digester === undefined) throw new Error('the stack has no digester');
    const local = planLocal({
      integrity: { trailName: stack.trail.trailName, digestIntervalSeconds: 300 },
    }).find(isDigesterPlan);

    // Act
    const environment = propertiesOf(template, logicalIdOf(stack, digester.functionName)).Environment;
    const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((resource) =>
      String((resource as { Properties?: { ScheduleExpression?: unknown } }).Properties?.ScheduleExpression),
    );

    // Assess
    expect(variables[SETTINGS.digestIntervalSeconds.variable]).toBe('300');
    expect(schedules).toContain('rate(5 minutes)');
    expect(local?.intervalMs).toBe(300_000);
    expect((local?.config as { digestIntervalSeconds?: number } | undefined)?.digestIntervalSeconds).toBe(
      300,
    );
  });
});
