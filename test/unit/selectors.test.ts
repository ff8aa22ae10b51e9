import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambda/core/limits.js';
import {
  type AdvancedEventSelector,
  compileSelectors,
  selectorProblems,
  type TrailSelectors,
} from '../../lambda/core/selectors.js';
import { sampleRecord } from '../fixtures/events.js';

const record = sampleRecord;

const keeps = (config: TrailSelectors, overrides: Record<string, unknown> = {}): boolean =>
  compileSelectors(config).keeps(record(overrides));

const management = { field: 'eventCategory', equals: ['Management'] } as const;

describe('basic selectors', () => {
  it('keep management reads and writes and no data events by default', () => {
    expect(keeps({}, { eventName: 'GetOrder' })).toBe(true);
    expect(keeps({}, { eventName: 'CreateOrder' })).toBe(true);
    expect(keeps({}, { eventCategory: 'Data' })).toBe(false);
  });

  it('keep only writes when reads are off, and only reads when writes are off', () => {
    expect(keeps({ management: { read: false } }, { eventName: 'GetOrder' })).toBe(false);
    expect(keeps({ management: { read: false } }, { eventName: 'CreateOrder' })).toBe(true);
    expect(keeps({ management: { write: false } }, { readOnly: true })).toBe(true);
    expect(keeps({ management: { write: false } }, { readOnly: false })).toBe(false);
  });

  it('keep data events only when data is on', () => {
    expect(keeps({ data: true }, { eventCategory: 'Data' })).toBe(true);
    expect(keeps({ data: true, management: { read: false, write: false } }, { eventCategory: 'Data' })).toBe(
      true,
    );
  });

  it('always keep insight events', () => {
    const insight = { ...record(), eventCategory: 'Insight' as const };
    expect(compileSelectors({ management: { read: false, write: false } }).keeps(insight)).toBe(true);
    expect(compileSelectors({ advanced: [{ fieldSelectors: [management] }] }).keeps(insight)).toBe(true);
  });

  it('compile the region list into a set, and leave it out for every region', () => {
    expect([...(compileSelectors({ regions: ['eu-west-1', 'us-east-1'] }).regions ?? [])]).toEqual([
      'eu-west-1',
      'us-east-1',
    ]);
    expect(compileSelectors({}).regions).toBeUndefined();
  });
});

describe('advanced selectors', () => {
  const selector = (...fieldSelectors: AdvancedEventSelector['fieldSelectors']): TrailSelectors => ({
    advanced: [{ fieldSelectors: [management, ...fieldSelectors] }],
  });

  it('AND the field selectors of one selector and OR the selectors', () => {
    const config: TrailSelectors = {
      advanced: [
        { fieldSelectors: [management, { field: 'eventName', equals: ['CreateOrder'] }] },
        { fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] },
      ],
    };
    expect(keeps(config)).toBe(true);
    expect(keeps(config, { eventName: 'DeleteOrder' })).toBe(false);
    expect(keeps(config, { eventName: 'DeleteOrder', eventCategory: 'Data' })).toBe(true);
  });

  it('OR the values of a positive operator and require none of the values of a Not operator', () => {
    const config = selector({
      field: 'eventName',
      startsWith: ['Create', 'Update'],
      notEndsWith: ['Draft', 'Test'],
    });
    expect(keeps(config, { eventName: 'UpdateOrder' })).toBe(true);
    expect(keeps(config, { eventName: 'CreateDraft' })).toBe(false);
    expect(keeps(config, { eventName: 'DeleteOrder' })).toBe(false);
  });

  it.each([
    ['equals', ['orders.example.com'], true],
    ['equals', ['billing.example.com', 'orders.example.com'], true],
    ['startsWith', ['orders.'], true],
    ['endsWith', ['.example.com'], true],
    ['notEquals', ['orders.example.com'], false],
    ['notStartsWith', ['billing.'], true],
    ['notEndsWith', ['.com'], false],
  ])('apply %s %j to eventSource orders.example.com: %s', (operator, values, expected) => {
    expect(keeps(selector({ field: 'eventSource', [operator]: values } as never))).toBe(expected);
  });

  it('match readOnly as the text true or false', () => {
    const readsOnly = selector({ field: 'readOnly', equals: ['true'] });
    expect(keeps(readsOnly, { eventName: 'GetOrder' })).toBe(true);
    expect(keeps(readsOnly, { eventName: 'CreateOrder' })).toBe(false);
  });

  it('match a resources field when any resource matches', () => {
    const config = selector({ field: 'resources.ARN', startsWith: ['arn:example:orders:::order/'] });
    const resources = [{ type: 'Cart' }, { ARN: 'arn:example:orders:::order/o-9', type: 'Order' }];
    expect(keeps(config, { resources })).toBe(true);
    expect(keeps(config, { resources: [{ type: 'Cart' }] })).toBe(false);
  });

  it('read a missing field as empty: positive operators fail and Not operators hold', () => {
    const noArn = { userIdentity: { type: 'IAMUser', principalId: 'AIDA' }, resources: undefined };
    expect(keeps(selector({ field: 'userIdentity.arn', startsWith: ['arn:'] }), noArn)).toBe(false);
    expect(
      keeps(selector({ field: 'userIdentity.arn', notStartsWith: ['arn:aws:iam::1:role/noisy'] }), noArn),
    ).toBe(true);
    expect(keeps(selector({ field: 'resources.type', equals: ['Order'] }), noArn)).toBe(false);
  });
});

describe('selectorProblems', () => {
  it('accepts the default, basic and advanced configurations', () => {
    expect(selectorProblems(undefined)).toEqual([]);
    expect(selectorProblems({ management: { read: false }, data: true, regions: ['us-east-1'] })).toEqual([]);
    expect(selectorProblems({ advanced: [{ name: 'writes', fieldSelectors: [management] }] })).toEqual([]);
  });

  it.each([
    [[], 'must be an object'],
    [{ management: true }, 'management must be an object'],
    [{ management: { read: 'yes' } }, 'management.read must be true or false'],
    [{ data: 1 }, 'data must be true or false'],
    [{ recordAll: true }, 'unknown selector key(s) "recordAll"'],
    [JSON.parse('{"__proto__": {"data": true}}'), 'unknown selector key(s) "__proto__"'],
    [{ regions: [] }, 'regions must be a list'],
    [{ regions: ['moon-1'] }, 'regions[0] must be a region name'],
    [{ regions: ['us-east-1', 'us-east-1'] }, 'regions[1] repeats "us-east-1"'],
    [
      { data: true, advanced: [{ fieldSelectors: [management] }] },
      'basic selectors (management, data) or advanced',
    ],
    [{ advanced: [] }, 'advanced must be a non-empty list'],
    [{ advanced: [{ fieldSelectors: [] }] }, 'advanced[0].fieldSelectors must be a non-empty list'],
    [
      { advanced: [{ fieldSelectors: [{ field: 'eventName', equals: ['A'] }] }] },
      'needs an eventCategory field',
    ],
    [
      { advanced: [{ fieldSelectors: [management, { field: 'errorCode', equals: ['x'] }] }] },
      '.field must be one of',
    ],
    [{ advanced: [{ fieldSelectors: [management, { field: 'eventName' }] }] }, 'needs at least one operator'],
    [
      { advanced: [{ fieldSelectors: [management, { field: 'eventName', like: ['%'] }] }] },
      'unknown key(s) "like"',
    ],
    [{ advanced: [{ fieldSelectors: [management, { field: 'eventName', equals: [] }] }] }, 'non-empty list'],
    [{ advanced: [{ fieldSelectors: [management, { field: 'eventName', equals: [''] }] }] }, 'of 1 to 2048'],
    [
      { advanced: [{ fieldSelectors: [{ field: 'eventCategory', startsWith: ['M'] }] }] },
      'allows only equals',
    ],
    [
      { advanced: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Insight'] }] }] },
      'always recorded',
    ],
    [
      { advanced: [{ fieldSelectors: [management, { field: 'readOnly', equals: ['yes'] }] }] },
      '"true", "false"',
    ],
    [
      { advanced: [{ fieldSelectors: [management, { field: 'resources.type', notEquals: ['A'] }] }] },
      'only equals',
    ],
    [{ advanced: [{ name: 'x'.repeat(1001), fieldSelectors: [management] }] }, 'at most 1000 characters'],
  ])('reports %j: %s', (config, problem) => {
    expect(selectorProblems(config).join('\n')).toContain(problem);
  });

  it('keeps CloudTrail limits: 2,048 characters per value and 500 values per trail', () => {
    const value = (chars: number) => ({
      advanced: [{ fieldSelectors: [management, { field: 'eventName', equals: ['x'.repeat(chars)] }] }],
    });
    expect(selectorProblems(value(LIMITS.selectors.valueChars))).toEqual([]);
    expect(selectorProblems(value(LIMITS.selectors.valueChars + 1))).toHaveLength(1);
    const values = (count: number) => ({
      advanced: [
        {
          fieldSelectors: [
            management,
            { field: 'eventName', equals: Array.from({ length: count }, (_, i) => `E${i}`) },
          ],
        },
      ],
    });
    expect(selectorProblems(values(LIMITS.selectors.valuesPerTrail - 1))).toEqual([]);
    expect(selectorProblems(values(LIMITS.selectors.valuesPerTrail))[0]).toContain('hold 501 values');
  });

  it('lists every problem at once', () => {
    expect(selectorProblems({ data: 'yes', regions: 'all', extra: 1 })).toHaveLength(3);
  });
});
