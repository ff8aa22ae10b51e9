import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRecord, type ProducerEvent, type TrailRecord } from '../../lambda/core/event-model.js';
import {
  type AdvancedEventSelector,
  compileSelectors,
  type FieldSelector,
  SELECTOR_OPERATORS,
  type SelectorField,
  type SelectorOperator,
  selectorProblems,
  type TrailSelectors,
} from '../../lambda/core/selectors.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';
import { jsonish, key } from './arbitraries.js';

// Values from a small alphabet, so that generated conditions and records overlap (prefixes, suffixes, equality).
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'é', ':'), minLength: 1, maxLength: 3 });
const fieldValue = fc.option(text, { nil: undefined });

const record = fc
  .record({
    eventSource: text,
    eventName: text,
    eventCategory: fc.constantFrom('Management', 'Data', 'Insight'),
    readOnly: fc.boolean(),
    arn: fieldValue,
    resources: fc.option(fc.array(fc.record({ ARN: fieldValue, type: fieldValue }), { maxLength: 3 }), {
      nil: undefined,
    }),
  })
  .map(({ arn, resources, eventCategory, ...fields }): TrailRecord => {
    const event = sampleEvent({
      ...fields,
      eventCategory: eventCategory === 'Insight' ? 'Management' : eventCategory,
      userIdentity: { type: 'IAMUser', principalId: 'P', ...(arn === undefined ? {} : { arn }) },
      resources: resources?.map((resource) => JSON.parse(JSON.stringify(resource))),
    }) as ProducerEvent;
    const built = buildRecord(event, '01JD0000000000000000000000', 0, ENRICHMENT);
    if (!('eventID' in built)) throw new Error(built.errorMessage);
    return { ...built, eventCategory };
  });

const values = (pool: fc.Arbitrary<string>) => fc.uniqueArray(pool, { minLength: 1, maxLength: 3 });

const freeField = fc.constantFrom<SelectorField>(
  'eventSource',
  'eventName',
  'resources.ARN',
  'userIdentity.arn',
);
const freeCondition = fc
  .tuple(freeField, fc.dictionary(fc.constantFrom(...SELECTOR_OPERATORS), values(text), { minKeys: 1 }))
  .map(([field, operators]) => ({ field, ...operators }) as FieldSelector);
const equalsCondition = fc.oneof(
  values(fc.constantFrom('true', 'false')).map((equals) => ({ field: 'readOnly' as const, equals })),
  values(text).map((equals) => ({ field: 'resources.type' as const, equals })),
);
const advancedSelector = fc
  .tuple(
    values(fc.constantFrom('Management', 'Data')),
    fc.array(fc.oneof(freeCondition, equalsCondition), { maxLength: 3 }),
  )
  .map(
    ([categories, conditions]): AdvancedEventSelector => ({
      fieldSelectors: [{ field: 'eventCategory', equals: categories }, ...conditions],
    }),
  );

const selectors: fc.Arbitrary<TrailSelectors> = fc.oneof(
  fc.record(
    {
      management: fc.record({ read: fc.boolean(), write: fc.boolean() }, { requiredKeys: [] }),
      data: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  fc.array(advancedSelector, { minLength: 1, maxLength: 3 }).map((advanced) => ({ advanced })),
);

// The reference: CloudTrail's semantics written out plainly, one value at a time.
function fieldValues(event: TrailRecord, field: SelectorField): string[] {
  switch (field) {
    case 'readOnly':
      return [String(event.readOnly)];
    case 'userIdentity.arn':
      return [event.userIdentity.arn ?? ''];
    case 'resources.type':
    case 'resources.ARN': {
      const resources = event.resources ?? [];
      if (resources.length === 0) return [''];
      return resources.map((resource) => (field === 'resources.type' ? resource.type : resource.ARN) ?? '');
    }
    default:
      return [event[field]];
  }
}

function operatorHolds(operator: SelectorOperator, list: readonly string[], value: string): boolean {
  switch (operator) {
    case 'equals':
      return list.includes(value);
    case 'startsWith':
      return list.some((item) => value.startsWith(item));
    case 'endsWith':
      return list.some((item) => value.endsWith(item));
    case 'notEquals':
      return !list.includes(value);
    case 'notStartsWith':
      return !list.some((item) => value.startsWith(item));
    case 'notEndsWith':
      return !list.some((item) => value.endsWith(item));
  }
}

function referenceKeeps(config: TrailSelectors, event: TrailRecord): boolean {
  if (event.eventCategory === 'Insight') return true;
  if (config.advanced === undefined) {
    if (event.eventCategory === 'Data') return config.data ?? false;
    return event.readOnly ? (config.management?.read ?? true) : (config.management?.write ?? true);
  }
  return config.advanced.some((selector) =>
    selector.fieldSelectors.every((condition) =>
      fieldValues(event, condition.field).some((value) =>
        SELECTOR_OPERATORS.every((operator) => {
          const list = condition[operator];
          return list === undefined || operatorHolds(operator, list, value);
        }),
      ),
    ),
  );
}

describe('trail selectors on generated configurations and records', () => {
  it('the compiled matcher agrees with the reference semantics', () => {
    let kept = 0;
    let dropped = 0;
    fc.assert(
      fc.property(selectors, fc.array(record, { minLength: 1, maxLength: 10 }), (config, events) => {
        expect(selectorProblems(config)).toEqual([]);
        const policy = compileSelectors(config);
        for (const event of events) {
          const keeps = policy.keeps(event);
          expect(keeps).toBe(referenceKeeps(config, event));
          if (keeps) kept++;
          else dropped++;
        }
      }),
      { numRuns: 3000 },
    );
    // Both outcomes must be common, or the agreement proves little.
    expect(Math.min(kept, dropped)).toBeGreaterThan(2000);
  });

  it('selectorProblems answers any value with a list of messages, and whatever it accepts compiles', () => {
    const hostile = fc.oneof(
      jsonish,
      fc.dictionary(key, jsonish),
      selectors.chain((config) =>
        fc
          .tuple(fc.constantFrom('management', 'data', 'advanced', 'regions'), jsonish)
          .map(([name, value]) => {
            const broken: Record<string, unknown> = { ...config };
            Object.defineProperty(broken, name, {
              value,
              enumerable: true,
              configurable: true,
              writable: true,
            });
            return broken;
          }),
      ),
    );
    fc.assert(
      fc.property(hostile, (config) => {
        const problems = selectorProblems(config);
        expect(Array.isArray(problems)).toBe(true);
        for (const problem of problems) expect(typeof problem).toBe('string');
        if (problems.length === 0) compileSelectors(config as TrailSelectors);
      }),
      { numRuns: 3000 },
    );
  });
});
