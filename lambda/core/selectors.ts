import type { TrailRecord } from './event-model.js';
import { LIMITS } from './limits.js';

/**
 * Trail selectors: which events a trail records (docs/selectors.md). Like CloudTrail, a trail uses either basic
 * selectors (management read/write, data on or off) or advanced selectors (CloudTrail's AdvancedEventSelector
 * fields and operators), never both; a region list applies in either mode. One validation function serves the
 * CDK app at synth and the ingest function at cold start; the valid configuration is compiled once into a
 * matcher that runs per event without building regular expressions or arrays.
 */

export const SELECTOR_FIELDS = [
  'eventCategory',
  'eventSource',
  'eventName',
  'readOnly',
  'resources.type',
  'resources.ARN',
  'userIdentity.arn',
] as const;
export type SelectorField = (typeof SELECTOR_FIELDS)[number];

export const SELECTOR_OPERATORS = [
  'equals',
  'startsWith',
  'endsWith',
  'notEquals',
  'notStartsWith',
  'notEndsWith',
] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** CloudTrail allows only Equals on these fields. */
const EQUALS_ONLY_FIELDS: ReadonlySet<string> = new Set(['eventCategory', 'readOnly', 'resources.type']);
/** The values an Equals-only field can take; insights are always recorded, so no selector names them. */
const ALLOWED_VALUES: Readonly<Record<string, readonly string[]>> = {
  eventCategory: ['Management', 'Data'],
  readOnly: ['true', 'false'],
};

export type FieldSelector = { readonly field: SelectorField } & {
  readonly [operator in SelectorOperator]?: readonly string[];
};

export interface AdvancedEventSelector {
  readonly name?: string;
  /** ANDed; within one field selector the operators are ANDed too. */
  readonly fieldSelectors: readonly FieldSelector[];
}

export interface TrailSelectors {
  /** Basic: management events, read and write separately. @default { read: true, write: true } */
  readonly management?: { readonly read?: boolean; readonly write?: boolean };
  /** Basic: every data event. @default false */
  readonly data?: boolean;
  /** Advanced selectors, ORed; a trail with advanced selectors has no `management` or `data`. */
  readonly advanced?: readonly AdvancedEventSelector[];
  /** The regions the trail records (awsRegion); events for others are refused. @default every region */
  readonly regions?: readonly string[];
}

/** The compiled selectors. */
export interface SelectorPolicy {
  /** Whether the trail keeps a built record; insight events are always kept. */
  readonly keeps: (record: TrailRecord) => boolean;
  /** The recorded regions, or undefined for all of them. */
  readonly regions?: ReadonlySet<string>;
}

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const TOP_LEVEL_KEYS = ['management', 'data', 'advanced', 'regions'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Own keys outside `allowed`; JSON.parse makes `__proto__` an own key, so it is caught here too. */
function unknownKeys(value: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(value).filter((key) => !allowed.includes(key));
}

const listed = (keys: readonly string[]): string => keys.map((key) => JSON.stringify(key)).join(', ');

function basicProblems(config: Record<string, unknown>, problems: string[]): void {
  const { management, data } = config;
  if (management !== undefined) {
    if (!isObject(management))
      problems.push('management must be an object like { "read": true, "write": true }');
    else {
      const extra = unknownKeys(management, ['read', 'write']);
      if (extra.length > 0)
        problems.push(`management has unknown key(s) ${listed(extra)}; use read and write`);
      for (const key of ['read', 'write'] as const) {
        if (management[key] !== undefined && typeof management[key] !== 'boolean')
          problems.push(`management.${key} must be true or false`);
      }
    }
  }
  if (data !== undefined && typeof data !== 'boolean') problems.push('data must be true or false');
}

function regionProblems(regions: unknown, problems: string[]): void {
  if (regions === undefined) return;
  if (!Array.isArray(regions) || regions.length === 0 || regions.length > LIMITS.selectors.regions) {
    problems.push(
      `regions must be a list of 1 to ${LIMITS.selectors.regions} region names, like ["us-east-1"]`,
    );
    return;
  }
  const seen = new Set<string>();
  regions.forEach((region, i) => {
    if (typeof region !== 'string' || !REGION_PATTERN.test(region))
      problems.push(`regions[${i}] must be a region name like "eu-west-1"`);
    else if (seen.has(region)) problems.push(`regions[${i}] repeats "${region}"`);
    else seen.add(region);
  });
}

/** Checks one field selector; returns how many values it holds, for the trail-wide limit. */
function fieldSelectorProblems(value: unknown, path: string, problems: string[]): number {
  if (!isObject(value)) {
    problems.push(`${path} must be an object like { "field": "eventName", "equals": ["CreateOrder"] }`);
    return 0;
  }
  const extra = unknownKeys(value, ['field', ...SELECTOR_OPERATORS]);
  if (extra.length > 0)
    problems.push(`${path} has unknown key(s) ${listed(extra)}; operators are ${listed(SELECTOR_OPERATORS)}`);
  const field = value.field;
  if (typeof field !== 'string' || !(SELECTOR_FIELDS as readonly string[]).includes(field)) {
    problems.push(`${path}.field must be one of ${listed(SELECTOR_FIELDS)}`);
  }
  const operators = SELECTOR_OPERATORS.filter((operator) => value[operator] !== undefined);
  if (operators.length === 0)
    problems.push(`${path} needs at least one operator (${listed(SELECTOR_OPERATORS)})`);
  let values = 0;
  for (const operator of operators) {
    const list = value[operator];
    const where = `${path}.${operator}`;
    if (typeof field === 'string' && EQUALS_ONLY_FIELDS.has(field) && operator !== 'equals') {
      problems.push(`${where}: ${field} allows only equals, as in CloudTrail`);
    }
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`${where} must be a non-empty list of strings`);
      continue;
    }
    values += list.length;
    list.forEach((item, i) => {
      if (typeof item !== 'string' || item.length === 0 || item.length > LIMITS.selectors.valueChars) {
        problems.push(`${where}[${i}] must be a string of 1 to ${LIMITS.selectors.valueChars} characters`);
        return;
      }
      const allowed = typeof field === 'string' ? ALLOWED_VALUES[field] : undefined;
      if (allowed !== undefined && !allowed.includes(item)) {
        const insight = field === 'eventCategory' && item === 'Insight';
        problems.push(
          `${where}[${i}] must be one of ${listed(allowed)}${insight ? '; insight events are always recorded' : ''}`,
        );
      }
    });
  }
  return values;
}

function advancedProblems(advanced: unknown, problems: string[]): void {
  if (!Array.isArray(advanced) || advanced.length === 0) {
    problems.push('advanced must be a non-empty list of selectors like { "fieldSelectors": [...] }');
    return;
  }
  let values = 0;
  advanced.forEach((selector, i) => {
    const path = `advanced[${i}]`;
    if (!isObject(selector)) {
      problems.push(`${path} must be an object like { "name": "...", "fieldSelectors": [...] }`);
      return;
    }
    const extra = unknownKeys(selector, ['name', 'fieldSelectors']);
    if (extra.length > 0)
      problems.push(`${path} has unknown key(s) ${listed(extra)}; use name and fieldSelectors`);
    const { name, fieldSelectors } = selector;
    if (name !== undefined && (typeof name !== 'string' || name.length > LIMITS.selectors.nameChars))
      problems.push(`${path}.name must be a string of at most ${LIMITS.selectors.nameChars} characters`);
    if (!Array.isArray(fieldSelectors) || fieldSelectors.length === 0) {
      problems.push(`${path}.fieldSelectors must be a non-empty list`);
      return;
    }
    fieldSelectors.forEach((fieldSelector, j) => {
      values += fieldSelectorProblems(fieldSelector, `${path}.fieldSelectors[${j}]`, problems);
    });
    if (
      !fieldSelectors.some(
        (fieldSelector) => isObject(fieldSelector) && fieldSelector.field === 'eventCategory',
      )
    )
      problems.push(
        `${path} needs an eventCategory field selector (equals Management or Data), as in CloudTrail`,
      );
  });
  if (values > LIMITS.selectors.valuesPerTrail) {
    problems.push(
      `the advanced selectors hold ${values} values; CloudTrail's limit, kept here, is ${LIMITS.selectors.valuesPerTrail}`,
    );
  }
}

/**
 * Every problem with a selector configuration, each naming where it is; empty when the configuration is valid.
 * `undefined` is the default trail: management reads and writes, no data events, every region.
 */
export function selectorProblems(config: unknown): string[] {
  if (config === undefined) return [];
  if (!isObject(config)) return ['the selectors must be an object like { "management": { "write": true } }'];
  const problems: string[] = [];
  const extra = unknownKeys(config, TOP_LEVEL_KEYS);
  if (extra.length > 0)
    problems.push(`unknown selector key(s) ${listed(extra)}; use ${listed(TOP_LEVEL_KEYS)}`);
  basicProblems(config, problems);
  regionProblems(config.regions, problems);
  if (config.advanced !== undefined) {
    if (config.management !== undefined || config.data !== undefined) {
      problems.push(
        'a trail uses basic selectors (management, data) or advanced selectors, not both, as in CloudTrail',
      );
    }
    advancedProblems(config.advanced, problems);
  }
  return problems;
}

type ValueTest = (value: string) => boolean;
type RecordTest = (record: TrailRecord) => boolean;

function anyOf(tests: readonly ValueTest[]): ValueTest {
  if (tests.length === 1) return tests[0] as ValueTest;
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
}

function allOf<T>(tests: ReadonlyArray<(input: T) => boolean>): (input: T) => boolean {
  if (tests.length === 1) return tests[0] as (input: T) => boolean;
  return (input) => {
    for (const test of tests) if (!test(input)) return false;
    return true;
  };
}

/** A test for "the value matches one of these" under one positive operator. */
function positiveTest(operator: 'equals' | 'startsWith' | 'endsWith', values: readonly string[]): ValueTest {
  if (operator === 'equals') {
    const [only] = values;
    if (values.length === 1 && only !== undefined) return (value) => value === only;
    const set = new Set(values);
    return (value) => set.has(value);
  }
  const tests = values.map(
    (prefixOrSuffix): ValueTest =>
      operator === 'startsWith'
        ? (value) => value.startsWith(prefixOrSuffix)
        : (value) => value.endsWith(prefixOrSuffix),
  );
  return anyOf(tests);
}

const NEGATED = { notEquals: 'equals', notStartsWith: 'startsWith', notEndsWith: 'endsWith' } as const;

/** The operators of one field selector, ANDed; a Not* operator holds when none of its values match. */
function valueTest(selector: FieldSelector): ValueTest {
  const tests: ValueTest[] = [];
  for (const operator of SELECTOR_OPERATORS) {
    const values = selector[operator];
    if (values === undefined) continue;
    if (operator === 'equals' || operator === 'startsWith' || operator === 'endsWith') {
      tests.push(positiveTest(operator, values));
    } else {
      const matches = positiveTest(NEGATED[operator], values);
      tests.push((value) => !matches(value));
    }
  }
  return allOf(tests);
}

/**
 * A field's value in a record. A missing value reads as the empty string (no condition value is empty, so only
 * Not* operators hold for it); a multi-valued field (resources) matches when one of its values does.
 */
function fieldTest(field: SelectorField, test: ValueTest): RecordTest {
  switch (field) {
    case 'eventCategory':
      return (record) => test(record.eventCategory);
    case 'eventSource':
      return (record) => test(record.eventSource);
    case 'eventName':
      return (record) => test(record.eventName);
    case 'readOnly':
      return (record) => test(record.readOnly ? 'true' : 'false');
    case 'userIdentity.arn':
      return (record) => test(record.userIdentity.arn ?? '');
    case 'resources.type':
    case 'resources.ARN': {
      const key = field === 'resources.type' ? 'type' : 'ARN';
      return (record) => {
        const resources = record.resources;
        if (resources === undefined || resources.length === 0) return test('');
        for (const resource of resources) if (test(resource[key] ?? '')) return true;
        return false;
      };
    }
  }
}

function compileAdvanced(selectors: readonly AdvancedEventSelector[]): RecordTest {
  const compiled = selectors.map((selector) =>
    allOf(
      selector.fieldSelectors.map((fieldSelector) =>
        fieldTest(fieldSelector.field, valueTest(fieldSelector)),
      ),
    ),
  );
  return (record) => {
    for (const matches of compiled) if (matches(record)) return true;
    return false;
  };
}

function compileBasic(config: TrailSelectors): RecordTest {
  const read = config.management?.read ?? true;
  const write = config.management?.write ?? true;
  const data = config.data ?? false;
  return (record) =>
    record.eventCategory === 'Management'
      ? record.readOnly
        ? read
        : write
      : record.eventCategory === 'Data' && data;
}

/** Compiles a configuration that selectorProblems found valid. */
export function compileSelectors(config: TrailSelectors = {}): SelectorPolicy {
  const chosen = config.advanced === undefined ? compileBasic(config) : compileAdvanced(config.advanced);
  const keeps: RecordTest = (record) => record.eventCategory === 'Insight' || chosen(record);
  return config.regions === undefined ? { keeps } : { keeps, regions: new Set(config.regions) };
}
