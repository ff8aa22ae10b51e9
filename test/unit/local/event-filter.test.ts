import { describe, expect, it } from 'vitest';
import { streamMappingOf } from '../../../lambda/manifest/functions.js';
import { compileFilters } from '../../../local/event-filter.js';

const insert = (newImage: Record<string, unknown>) => ({
  eventName: 'INSERT',
  dynamodb: { NewImage: newImage },
});

describe('event filter', () => {
  it('passes an INSERT of a page a put wrote (encoded records, B base64), as the manifest mapping filters', () => {
    // Prepare
    const matches = compileFilters(streamMappingOf('archive').filters);
    const put = { writtenBy: { S: 'put' } };

    // Assess
    expect(matches(insert({ record: { B: 'AXNzcw==' }, ...put }))).toBe(true);
    expect(matches(insert({ record: { B: 'AXNzcw==' }, writtenBy: { S: 'restore' } }))).toBe(false);
    expect(matches(insert({ record: { B: 'AXNzcw==' } }))).toBe(false);
    expect(matches(insert({ record: { N: '1' }, ...put }))).toBe(false);
    expect(matches(insert({ pk: { S: 'CATALOG' } }))).toBe(false);
    expect(matches({ eventName: 'MODIFY', dynamodb: { NewImage: { record: { B: 'AXNzcw==' } } } })).toBe(
      false,
    );
    expect(matches({ eventName: 'REMOVE', dynamodb: { Keys: {} } })).toBe(false);
  });

  it('passes a record when any pattern matches, and every record when there is none', () => {
    // Prepare
    const either = compileFilters([{ eventName: ['INSERT'] }, { eventName: ['REMOVE'] }]);
    const none = compileFilters([]);

    // Assess
    expect(either({ eventName: 'REMOVE' })).toBe(true);
    expect(either({ eventName: 'MODIFY' })).toBe(false);
    expect(none({ anything: true })).toBe(true);
  });

  it('supports exists false, prefix, suffix, equals-ignore-case, anything-but and array fields', () => {
    // Prepare
    const matches = compileFilters([
      {
        gone: [{ exists: false }],
        name: [{ prefix: 'Create' }],
        file: [{ suffix: '.json' }],
        mode: [{ 'equals-ignore-case': 'WRITE' }],
        state: [{ 'anything-but': ['deleted', 'archived'] }],
        tags: ['audit'],
      },
    ]);
    const record = {
      name: 'CreateOrder',
      file: 'a.json',
      mode: 'write',
      state: 'live',
      tags: ['billing', 'audit'],
    };

    // Assess
    expect(matches(record)).toBe(true);
    expect(matches({ ...record, gone: 1 })).toBe(false);
    expect(matches({ ...record, name: 'DeleteOrder' })).toBe(false);
    expect(matches({ ...record, state: 'archived' })).toBe(false);
    expect(matches({ ...record, tags: ['billing'] })).toBe(false);
  });

  it('refuses an operator it does not implement instead of ignoring it', () => {
    // Prepare
    const pattern = { size: [{ numeric: ['>', 0] }] };

    // Act / Assess
    expect(() => compileFilters([pattern])).toThrow(/operator 'numeric' is not supported/);
  });

  it('refuses a pattern whose shape is not a filter instead of matching nothing or everything', () => {
    // Act / Assess: the manifest's patterns are plain objects, so their shape is checked when compiled.
    expect(() => compileFilters([{ eventName: 'INSERT' }])).toThrow(
      /expected a list of conditions or a nested pattern/,
    );
    expect(() => compileFilters([{ eventName: [['INSERT']] }])).toThrow(
      /a condition is a value or an object/,
    );
  });
});
