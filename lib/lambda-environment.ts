import { Stack } from 'aws-cdk-lib';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { KB } from '../lambda/core/limits.js';

/**
 * Lambda refuses a function whose environment variables exceed 4 KB in total, and only at deployment. It measures
 * the variables as one JSON object (keys, values, quotes and escapes), so that is what is measured here.
 */
export const LAMBDA_ENVIRONMENT_BYTES = 4 * KB;

/**
 * Values only CloudFormation knows, counted at their longest: partitions (`aws-us-gov`), regions, account ids. Any
 * other reference (a generated table, stream or bus name, a secret's ARN) counts as 256 bytes, the longest
 * generated name of those resources; it keeps the estimate an upper bound.
 */
const PSEUDO_PARAMETER_BYTES: Readonly<Record<string, number>> = {
  'AWS::Partition': 10,
  'AWS::Region': 20,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 16,
};
const REFERENCE_BYTES = 256;

/** A resolved CloudFormation value as the longest text it can become; references become placeholders. */
function longestText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { Ref: ref, 'Fn::Join': join } = value as Record<string, unknown>;
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(longestText).join(join[0]);
    }
    const bytes =
      typeof ref === 'string' ? (PSEUDO_PARAMETER_BYTES[ref] ?? REFERENCE_BYTES) : REFERENCE_BYTES;
    return 'x'.repeat(bytes);
  }
  return 'x'.repeat(REFERENCE_BYTES);
}

/** The size of each variable (key and value as Lambda counts them) and of the whole set, at most. */
export function environmentSize(variables: Readonly<Record<string, unknown>>): {
  total: number;
  byVariable: Record<string, number>;
} {
  const texts = Object.fromEntries(
    Object.entries(variables).map(([key, value]) => [key, longestText(value)]),
  );
  const byVariable = Object.fromEntries(
    Object.entries(texts).map(([key, text]) => [key, Buffer.byteLength(JSON.stringify({ [key]: text })) - 2]),
  );
  return { total: Buffer.byteLength(JSON.stringify(texts)), byVariable };
}

/**
 * Checks at synth that the function's environment fits Lambda's 4 KB, so a too large configuration (selectors,
 * redaction rules, channels) stops `cdk synth` with its size instead of failing the deployment. The check runs on
 * the final environment, after every construct has added its variables.
 */
export function checkEnvironmentBudget(fn: LambdaFunction, hint: string): void {
  fn.node.addValidation({
    validate: () => {
      const resolved: unknown = Stack.of(fn).resolve((fn.node.defaultChild as CfnFunction).environment);
      const variables =
        resolved !== null && typeof resolved === 'object'
          ? (resolved as { variables?: Record<string, unknown> }).variables
          : undefined;
      const { total, byVariable } = environmentSize(variables ?? {});
      if (total <= LAMBDA_ENVIRONMENT_BYTES) return [];
      const largest = Object.entries(byVariable)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 3)
        .map(([key, bytes]) => `${key} ${bytes} bytes`)
        .join(', ');
      return [
        `the environment variables take up to ${total} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_BYTES} bytes ` +
          `(4 KB) in total. Largest: ${largest}. ${hint}`,
      ];
    },
  });
}
