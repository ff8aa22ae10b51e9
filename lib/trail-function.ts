import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Acknowledgment, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  defaultNodejsFunctionProps,
  type FunctionSizing,
  mergeNodejsFunctionProps,
} from './defaults/lambda.js';

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

export interface TrailFunctionOptions {
  /** Handler file, relative to the repository root (or absolute); it exports `handler`. */
  readonly entry: string;
  readonly sizing: FunctionSizing;
  readonly userProps: TrailFunctionProps | undefined;
  /** Variables the construct sets; they win over the user's. */
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** Findings this function carries, each with a reason. */
  readonly acknowledgments: readonly Acknowledgment[];
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
    mergeNodejsFunctionProps(defaultNodejsFunctionProps(options.sizing), options.userProps ?? {}, {
      entry: path.resolve(REPO_ROOT, options.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      role,
      logGroup,
      environment: options.environment,
    }),
  );
  Validations.of(fn).acknowledge(...options.acknowledgments);
  return fn;
}
