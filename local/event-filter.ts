/**
 * Lambda event filtering (FilterCriteria) for the stream pollers: the same pattern objects an event source
 * mapping takes, so local mode filters exactly like the mapping the stack deploys. Supported: exact values
 * (strings, numbers, booleans, null), `exists`, `prefix`, `suffix`, `equals-ignore-case` and `anything-but`.
 * Any other operator, or a field that is neither a list of conditions nor a nested pattern, is refused when the
 * filter is compiled, never silently ignored. Patterns come untyped (the manifest's `filters: object[]`, as
 * CloudFormation takes them), so their shape is checked here.
 */

export type RecordFilter = (record: unknown) => boolean;

type LeafTest = (present: boolean, value: unknown) => boolean;

/** A record passes when any of the patterns matches it; no patterns means every record passes. */
export const compileFilters = (patterns: readonly object[]): RecordFilter => {
  if (patterns.length === 0) return () => true;
  const compiled = patterns.map(compilePattern);
  return (record) => compiled.some((matches) => matches(record));
};

const compilePattern = (pattern: object): RecordFilter => {
  const fields = Object.entries(pattern).map(([field, rule]: [string, unknown]): [string, RecordFilter] => {
    if (Array.isArray(rule)) {
      const tests = rule.map((condition: unknown) => compileCondition(field, condition));
      return [field, (object) => matchesLeaf(object, field, tests)];
    }
    if (!isObject(rule))
      throw new Error(`Filter on '${field}': expected a list of conditions or a nested pattern`);
    const nested = compilePattern(rule);
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

const compileCondition = (field: string, condition: unknown): LeafTest => {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) {
    return (present, value) => present && value === condition;
  }
  if (!isObject(condition)) {
    throw new Error(`Filter on '${field}': a condition is a value or an object with one operator`);
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
