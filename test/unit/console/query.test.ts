import { describe, expect, it } from 'vitest';
import {
  EMPTY_QUERY,
  formatQuery,
  LOOKUP_ATTRIBUTES,
  lookupParameters,
  parseQuery,
  withAttribute,
} from '../../../console/src/query.js';
import { LOOKUP_KEYS } from '../../../lambda/core/lookup.js';

describe('console query <-> URL', () => {
  it('offers exactly the lookup attributes GET /events takes, in their order', () => {
    expect(LOOKUP_ATTRIBUTES.map((attribute) => attribute.key)).toEqual([...LOOKUP_KEYS]);
  });

  it('reads several attributes, the insight category and an absolute range under GET /events names', () => {
    // Act
    const { query, problems } = parseQuery(
      '?Username=alice&EventName=DeleteOrder&EventCategory=insight&startTime=2026-11-01T10:00:00Z&endTime=2026-11-01T11:00:00Z',
    );

    // Assess
    expect(problems).toEqual([]);
    expect(query).toEqual({
      attributes: { Username: 'alice', EventName: 'DeleteOrder' },
      insight: true,
      range: {
        kind: 'absolute',
        startMs: Date.parse('2026-11-01T10:00:00Z'),
        endMs: Date.parse('2026-11-01T11:00:00Z'),
      },
    });
  });

  it('writes the same URL it reads, attributes in lookup order and the default range left out', () => {
    // Prepare
    const query = withAttribute(
      withAttribute(EMPTY_QUERY, 'Username', 'alice'),
      'EventName',
      'Delete Order&x',
    );

    // Act
    const search = formatQuery(query);

    // Assess
    expect(search).toBe('?EventName=Delete+Order%26x&Username=alice');
    expect(parseQuery(search).query).toEqual(query);
    expect(formatQuery(EMPTY_QUERY)).toBe('');
  });

  it('keeps a preset relative in the URL', () => {
    const { query } = parseQuery('?range=15m');
    expect(query.range).toEqual({ kind: 'relative', preset: '15m' });
    expect(formatQuery(query)).toBe('?range=15m');
  });

  it('names what it ignored when a parameter is malformed', () => {
    // Act
    const { query, problems } = parseQuery('?startTime=yesterday&range=2w&EventCategory=data&Foo=bar');

    // Assess
    expect(query).toEqual(EMPTY_QUERY);
    expect(problems).toEqual([
      'EventCategory=data ignored: the only category is insight',
      'startTime=yesterday ignored: not an ISO 8601 time like 2026-01-31T12:00:00Z',
      'range=2w ignored: not one of the presets',
    ]);
  });

  it('refuses a range that ends before it starts, and a time without an offset', () => {
    expect(parseQuery('?startTime=2026-11-02T00:00:00Z&endTime=2026-11-01T00:00:00Z').problems).toEqual([
      'startTime is after endTime: the range was ignored',
    ]);
    expect(parseQuery('?startTime=2026-11-02T00:00:00').problems).toHaveLength(1);
  });

  it('asks GET /events for fixed bounds with milliseconds, so no event of the last second is cut off', () => {
    // Act
    const parameters = lookupParameters(
      withAttribute(EMPTY_QUERY, 'ReadOnly', 'false'),
      { startMs: Date.parse('2026-11-01T00:00:00Z'), endMs: Date.parse('2026-11-01T00:00:09.999Z') },
      1000,
    );

    // Assess
    expect(Object.fromEntries(parameters)).toEqual({
      ReadOnly: 'false',
      startTime: '2026-11-01T00:00:00.000Z',
      endTime: '2026-11-01T00:00:09.999Z',
      maxResults: '1000',
    });
  });

  it('removes an attribute set to nothing', () => {
    const query = withAttribute(withAttribute(EMPTY_QUERY, 'Username', 'alice'), 'Username', '');
    expect(query.attributes).toEqual({});
  });
});
