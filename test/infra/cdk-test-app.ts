import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type Environment, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

const REPO_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A fixed account and region, so ARNs in the templates are predictable. */
export const TEST_ENV = { account: '123456789012', region: 'us-east-1' } as const satisfies Environment;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The feature flags of cdk.json: an App in a test does not read that file (NOTES.md item 6). */
function readCdkContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8'));
  if (!isRecord(cdkJson) || !isRecord(cdkJson.context)) throw new Error('cdk.json has no context object');
  return cdkJson.context;
}

/** An App with the project's feature flags that writes its assembly to a temporary folder `cleanup` removes. */
export function createTestApp(): { app: App; cleanup: () => void } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'opentrail-infra-'));
  // Templates, not bundles, are under test: skipping esbuild saves seconds per function on a shared machine
  // (`npx cdk synth -q` still bundles every handler).
  const app = new App({ context: { ...readCdkContext(), 'aws:cdk:bundling-stacks': [] }, outdir });
  return { app, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/**
 * Renders a CloudFormation value as one readable string: `{ Ref: X }` becomes `${X}`, `Fn::GetAtt` becomes
 * `${X.Attr}` and `Fn::Join` joins its parts. ARNs built from tokens can then be compared as plain strings.
 */
export function renderCfnString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    const ref = value.Ref;
    if (typeof ref === 'string') return `\${${ref}}`;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(renderCfnString).join(join[0]);
    }
  }
  throw new Error(`Cannot render ${JSON.stringify(value)} as a string`);
}

/** Every IAM action in the policies attached to the role, flattened and sorted. */
export function actionsOfRole(resources: Record<string, unknown>, roleRef: unknown): string[] {
  return statementsOfRole(resources, roleRef)
    .flatMap((statement) => {
      const action = statement.Action;
      return Array.isArray(action) ? action : [action];
    })
    .filter((action): action is string => typeof action === 'string')
    .sort();
}

/**
 * Every statement of the AWS::IAM::Policy resources attached to one role, given as its resolved reference
 * (`stack.resolve(role.roleName)`).
 */
export function statementsOfRole(
  resources: Record<string, unknown>,
  roleRef: unknown,
): Record<string, unknown>[] {
  return Object.values(resources)
    .filter(isRecord)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .map((policy) => (isRecord(policy.Properties) ? policy.Properties : {}))
    .filter((properties) => JSON.stringify(properties.Roles) === JSON.stringify([roleRef]))
    .flatMap((properties) => {
      const document = properties.PolicyDocument;
      return isRecord(document) && Array.isArray(document.Statement) ? document.Statement : [];
    })
    .filter(isRecord);
}

/** The logical ID a synthesized `{ Ref }` or `{ Fn::GetAtt }` value points to. */
export function referencedLogicalId(value: unknown): string {
  if (isRecord(value)) {
    if (typeof value.Ref === 'string') return value.Ref;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  }
  throw new Error(`${JSON.stringify(value)} is not a reference`);
}

/** The logical ID behind a `Ref` token, such as `fn.functionName` or `role.roleName`. */
export function logicalIdOf(stack: Stack, refToken: string): string {
  return referencedLogicalId(stack.resolve(refToken));
}

/** The Properties of one resource of a synthesized template. */
export function propertiesOf(template: Template, logicalId: string): Record<string, unknown> {
  const resource: unknown = template.toJSON().Resources[logicalId];
  if (isRecord(resource) && isRecord(resource.Properties)) return resource.Properties;
  throw new Error(`${logicalId} has no properties in the template`);
}

/**
 * What cdk-nag's AwsSolutions and Serverless packs (the ones bin/opentrail.ts runs) report under `scope` and
 * nobody acknowledged: the rule, its severity and where. An empty list is what synthesis needs.
 */
export function unacknowledgedNagFindings(
  scope: IConstruct,
): Array<{ rule: string; severity?: string; at: Array<string | undefined> }> {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(scope).violations.map((violation) => ({
      rule: violation.ruleName,
      severity: violation.severity,
      at: violation.violatingResources.map((resource) => resource.constructPath),
    })),
  );
}
