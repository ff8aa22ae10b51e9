/**
 * Lambda event filtering (FilterCriteria) for the stream pollers: the same pattern objects an event source
 * mapping takes, so local mode filters exactly like the mapping the stack deploys. Supported: exact values
 * (strings, numbers, null), `exists`, `prefix`, `suffix`, `equals-ignore-case` and `anything-but`. Any other
 * operator is refused when the filter is compiled, never silently ignored.
 */

export type FilterValue = string | number | boolean | null;
export type FilterCondition =
  | FilterValue
  | { readonly exists: boolean }
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly 'equals-ignore-case': string }
  | { readonly 'anything-but': FilterValue | readonly FilterValue[] };

/** A field maps to a list of conditions (any may match) or to a nested pattern. */
export interface FilterPattern {
  readonly [field: string]: readonly FilterCondition[] | FilterPattern;
}

export type RecordFilter = (record: unknown) => boolean;

type LeafTest = (present: boolean, value: unknown) => boolean;

/** A record passes when any of the patterns matches it; no patterns means every record passes. */
export const compileFilters = (patterns: readonly FilterPattern[]): RecordFilter => {
  if (patterns.length === 0) return () => true;
  const compiled = patterns.map(compilePattern);
  return (record) => compiled.some((matches) => matches(record));
};

const compilePattern = (pattern: FilterPattern): RecordFilter => {
  const fields = Object.entries(pattern).map(([field, rule]): [string, RecordFilter] => {
    if (Array.isArray(rule)) {
      const tests = (rule as readonly FilterCondition[]).map((condition) =>
        compileCondition(field, condition),
      );
      return [field, (object) => matchesLeaf(object, field, tests)];
    }
    const nested = compilePattern(rule as FilterPattern);
    return [field, (object) => isObject(object) && isObject(object[field]) && nested(object[field])];
  });
  return (object) => fields.every(([, matches]) => matches(object));
};

const matchesLeaf = (object: unknown, field: string, tests: readonly LeafTest[]): boolean => {
  const present = isObject(object) && Object.hasOwn(object, field);
  const value = present ? object[field] : undefined;
  // An array field matches when any of its elements does.
  const values = Array.isArray(value) ? value : [value];
  return tests.some((test) => values.some((element) => test(present, element)));
};

const compileCondition = (field: string, condition: FilterCondition): LeafTest => {
  if (condition === null || typeof condition !== 'object') {
    return (present, value) => present && value === condition;
  }
  const entries = Object.entries(condition);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1) throw new Error(`Filter on '${field}': a condition has exactly one operator`);
  switch (operator) {
    case 'exists':
      return (present) => present === operand;
    case 'prefix':
      return (present, value) => present && typeof value === 'string' && value.startsWith(String(operand));
    case 'suffix':
      return (present, value) => present && typeof value === 'string' && value.endsWith(String(operand));
    case 'equals-ignore-case':
      return (present, value) =>
        present && typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'anything-but': {
      const excluded: readonly unknown[] = Array.isArray(operand) ? operand : [operand];
      return (present, value) => present && !excluded.includes(value);
    }
    default:
      throw new Error(`Filter on '${field}': operator '${String(operator)}' is not supported in local mode`);
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
