import { type Duration, type Size, Token } from 'aws-cdk-lib';

/**
 * Describes why `value` is not an integer in `range`, or returns undefined when it is (or is not known until
 * deployment, as a token).
 */
export function integerRangeProblem(
  name: string,
  value: number | undefined,
  range: { readonly min: number; readonly max: number },
): string | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  if (Number.isInteger(value) && value >= range.min && value <= range.max) return undefined;
  return `${name} must be an integer from ${range.min} to ${range.max} (got ${value})`;
}

/** Describes why `value` is not a number above zero, or returns undefined when it is. */
export function positiveNumberProblem(name: string, value: number | undefined): string | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  if (Number.isFinite(value) && value > 0) return undefined;
  return `${name} must be a number above 0 (got ${value})`;
}

/** Describes why `value` is not a number of at least `min`, or returns undefined when it is (or is a token). */
export function minimumNumberProblem(
  name: string,
  value: number | undefined,
  min: number,
): string | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  if (Number.isFinite(value) && value >= min) return undefined;
  return `${name} must be a number of at least ${min} (got ${value})`;
}

/** Throws one error naming every problem, so a user fixes their props in one pass. */
export function throwIfInvalid(constructName: string, problems: readonly (string | undefined)[]): void {
  const found = problems.filter((problem): problem is string => problem !== undefined);
  if (found.length === 0) return;
  throw new Error(`Invalid ${constructName} props:\n${found.map((problem) => `- ${problem}`).join('\n')}`);
}

/**
 * Describes why `duration` is not a whole number of seconds in `range` (seconds), or returns undefined when it is
 * (or is a token).
 */
export function secondsRangeProblem(
  name: string,
  duration: Duration | undefined,
  range: { readonly min: number; readonly max: number },
): string | undefined {
  if (duration === undefined || duration.isUnresolved()) return undefined;
  const seconds = duration.toSeconds({ integral: false });
  if (Number.isInteger(seconds) && seconds >= range.min && seconds <= range.max) return undefined;
  return `${name} must be a whole number of seconds from ${range.min} to ${range.max} (got ${seconds} s)`;
}

/**
 * Describes why `duration` is not a whole number of minutes in `range` (minutes), or returns undefined when it is
 * (or is a token).
 */
export function minutesRangeProblem(
  name: string,
  duration: Duration | undefined,
  range: { readonly min: number; readonly max: number },
): string | undefined {
  if (duration === undefined || duration.isUnresolved()) return undefined;
  const minutes = duration.toMinutes({ integral: false });
  if (Number.isInteger(minutes) && minutes >= range.min && minutes <= range.max) return undefined;
  return `${name} must be a whole number of minutes from ${range.min} to ${range.max} (got ${minutes} min)`;
}

/**
 * Describes why `size` is not a whole number of MiB in `range` (MiB), or returns undefined when it is (or is a
 * token).
 */
export function mebibytesRangeProblem(
  name: string,
  size: Size | undefined,
  range: { readonly min: number; readonly max: number },
): string | undefined {
  if (size === undefined || size.isUnresolved()) return undefined;
  const mebibytes = size.toBytes() / (1024 * 1024);
  if (Number.isInteger(mebibytes) && mebibytes >= range.min && mebibytes <= range.max) return undefined;
  return `${name} must be a whole number of MiB from ${range.min} to ${range.max} (got ${mebibytes} MiB)`;
}

/** Describes why `value` is not one of `allowed`, or returns undefined when it is (or is left out). */
export function oneOfProblem<T extends string | number>(
  name: string,
  value: T | undefined,
  allowed: readonly T[],
): string | undefined {
  if (value === undefined || allowed.includes(value)) return undefined;
  return `${name} must be one of ${allowed.join(', ')} (got ${value})`;
}

/** The problems that are there, each prefixed with the prop holding them (`archive.expirationDays ...`). */
export function nestedProblems(prefix: string, problems: readonly (string | undefined)[]): string[] {
  return problems.filter((problem): problem is string => problem !== undefined).map((p) => `${prefix}.${p}`);
}
