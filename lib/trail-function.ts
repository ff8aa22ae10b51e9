import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Acknowledgment, Duration, Validations } from 'aws-cdk-lib';
import { type IGrantable, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FunctionSpec, Permission } from '../lambda/manifest/functions.js';
import {
  SETTINGS,
  type SettingKey,
  type SettingSpec,
  settingsEnvironment,
} from '../lambda/manifest/settings.js';
import { defaultNodejsFunctionProps, mergeNodejsFunctionProps } from './defaults/lambda.js';

/** The repository root: handler entries and the lock file are resolved from here. */
export const REPO_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Function settings the constructs own: code, handler, role and log group. */
type OwnedFunctionProp =
  | 'entry'
  | 'handler'
  | 'code'
  | 'projectRoot'
  | 'depsLockFilePath'
  | 'role'
  | 'logGroup'
  | 'logRetention';

/** `NodejsFunctionProps` without the settings the constructs own. */
export type TrailFunctionProps = Omit<NodejsFunctionProps, OwnedFunctionProp>;

/** Findings every OpenTrail function carries whoever invokes it, each with why it stands. */
export const RUNTIME_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  {
    id: 'AwsSolutions-L1',
    reason:
      'Node.js 22 is pinned on purpose (issue 3): a supported LTS runtime that matches the esbuild target node22. ' +
      'Moving to nodejs24.x is a deliberate, tested change through functionProps.runtime, not a lint fix.',
  },
  {
    id: 'Serverless-LambdaLatestVersion',
    reason: 'Same finding as AwsSolutions-L1: Node.js 22 is pinned on purpose, see there.',
  },
  {
    id: 'Serverless-LambdaTracing',
    reason:
      'X-Ray is opt-in (functionProps.tracing): the handlers emit no subsegments yet, so a trace would add little ' +
      'to the JSON logs and the Lambda metrics, while its price grows with ingest volume.',
  },
];

/** Values for the settings functions read (lambda/manifest/settings.ts): CDK tokens, or text already serialised. */
export type SettingValues = Readonly<Partial<Record<SettingKey, string | number | undefined>>>;

export interface TrailFunctionOptions {
  /** The function's manifest entry: code, memory, timeout, architecture and the settings it reads. */
  readonly spec: FunctionSpec;
  readonly userProps: TrailFunctionProps | undefined;
  /** Where the construct takes the values of the function's settings from; they win over the user's variables. */
  readonly settings: SettingValues;
  readonly logRetention: RetentionDays;
  /** Findings this function carries, each with a reason. */
  readonly acknowledgments: readonly Acknowledgment[];
  /** Whether the manifest's reserved concurrency applies (accounts with a small concurrency quota turn it off). @default true */
  readonly reserveConcurrency?: boolean;
}

/**
 * One OpenTrail function: `<id>Function` with its own log group `<id>Logs` and its own role `<id>Role`, allowed to
 * write to that log group only (the AWSLambdaBasicExecutionRole managed policy would allow every log group in the
 * account). Merge order: secure defaults <- user props <- what the construct requires.
 */
export function createTrailFunction(
  scope: Construct,
  id: string,
  options: TrailFunctionOptions,
): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: options.logRetention });
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(
    scope,
    `${id}Function`,
    mergeNodejsFunctionProps(
      defaultNodejsFunctionProps(),
      manifestProps(options.spec, options.reserveConcurrency ?? true),
      options.userProps ?? {},
      {
        entry: path.resolve(REPO_ROOT, options.spec.entry),
        handler: 'handler',
        projectRoot: REPO_ROOT,
        depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
        role,
        logGroup,
        environment: functionEnvironment(options.spec, options.settings),
      },
    ),
  );
  Validations.of(fn).acknowledge(...options.acknowledgments);
  return fn;
}

/** Memory, timeout, architecture and reserved concurrency as the manifest sizes the function; user props may change them. */
function manifestProps(spec: FunctionSpec, reserveConcurrency: boolean) {
  return {
    memorySize: spec.memoryMb,
    timeout: Duration.seconds(spec.timeoutSeconds),
    architecture: spec.architecture === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64,
    ...(reserveConcurrency && spec.reservedConcurrency !== undefined
      ? { reservedConcurrentExecutions: spec.reservedConcurrency }
      : {}),
  };
}

/**
 * The variables of the settings the function reads, from the construct's values; settings the Lambda runtime
 * sets itself are left out, and so are optional ones without a value (the function applies its default). A
 * required setting without a value stops synth.
 */
export function functionEnvironment(spec: FunctionSpec, values: SettingValues): Record<string, string> {
  const given: Record<string, string | number> = {};
  for (const key of spec.settings) {
    const setting: SettingSpec = SETTINGS[key];
    if ('fromRuntime' in setting && setting.fromRuntime) continue;
    const value = values[key];
    if (value !== undefined) given[key] = value;
    else if ('required' in setting && setting.required) {
      throw new Error(`${spec.constructId}: the manifest says it reads ${key}, and nothing provides it`);
    }
  }
  return settingsEnvironment(given);
}

/** What each permission of the manifest means here: the grant that allows it. */
export type PermissionGrants = Readonly<Partial<Record<Permission, (grantee: IGrantable) => unknown>>>;

/** Grants the function what its manifest entry says it may touch; a permission this scope cannot grant stops synth. */
export function grantPermissions(fn: IGrantable, spec: FunctionSpec, grants: PermissionGrants): void {
  for (const permission of spec.permissions) {
    const grant = grants[permission];
    if (grant === undefined) {
      throw new Error(
        `${spec.constructId}: the manifest gives it ${permission}, which nothing here can grant`,
      );
    }
    grant(fn);
  }
}
