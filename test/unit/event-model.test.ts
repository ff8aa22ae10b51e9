import { describe, expect, it } from 'vitest';
import {
  buildRecord,
  byteLength,
  checkEventTime,
  checkStoredSize,
  inferReadOnly,
  producerEventJsonSchema,
  validateProducerEvent,
} from '../../lambda/core/event-model.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';

const ascii = (bytes: number): string => 'a'.repeat(bytes);
/** An object whose JSON text is exactly `bytes` long. */
const objectOfJsonBytes = (bytes: number): Record<string, string> => ({
  k: 'x'.repeat(bytes - '{"k":""}'.length),
});

function codeOf(input: unknown): string | undefined {
  const result = validateProducerEvent(input);
  return result.ok ? undefined : result.errorCode;
}

/** Validation plus the size checks that need the serialised record, as ingest runs them. */
function storedCodeOf(input: unknown): string | undefined {
  const result = validateProducerEvent(input);
  if (!result.ok) return result.errorCode;
  return checkStoredSize(result.event, byteLength(JSON.stringify(result.event)))?.errorCode;
}

describe('validateProducerEvent', () => {
  it('accepts a complete CloudTrail-shaped event', () => {
    expect(validateProducerEvent(sampleEvent()).ok).toBe(true);
  });

  it.each([
    ['eventSource', 'eventSource'],
    ['eventName', 'eventName'],
    ['userIdentity', 'userIdentity'],
  ])('answers FieldNotFound naming %s when it is missing', (field, named) => {
    const event = sampleEvent();
    delete event[field];
    const result = validateProducerEvent(event);
    expect(result).toMatchObject({ ok: false, errorCode: 'FieldNotFound' });
    expect(!result.ok && result.errorMessage).toContain(named);
  });

  it('answers FieldNotFound when the identity has neither principalId nor userName', () => {
    expect(codeOf(sampleEvent({ userIdentity: { type: 'IAMUser' } }))).toBe('FieldNotFound');
  });

  it('answers FieldNotFound when userIdentity.type is missing', () => {
    expect(codeOf(sampleEvent({ userIdentity: { principalId: 'p' } }))).toBe('FieldNotFound');
  });

  it.each(['userAgent', 'errorCode', 'errorMessage', 'requestID'])(
    'accepts %s at 1 KB and answers FieldTooLong one byte past it',
    (field) => {
      expect(codeOf(sampleEvent({ [field]: ascii(LIMITS.shortFieldBytes) }))).toBeUndefined();
      expect(codeOf(sampleEvent({ [field]: ascii(LIMITS.shortFieldBytes + 1) }))).toBe('FieldTooLong');
    },
  );

  it('counts UTF-8 bytes, not characters, against a limit', () => {
    const euro = '€'; // 3 bytes in UTF-8
    expect(codeOf(sampleEvent({ userAgent: euro.repeat(341) }))).toBeUndefined();
    expect(codeOf(sampleEvent({ userAgent: euro.repeat(342) }))).toBe('FieldTooLong');
  });

  it.each([
    ['requestParameters', LIMITS.requestParametersBytes],
    ['responseElements', LIMITS.responseElementsBytes],
    ['additionalEventData', LIMITS.additionalEventDataBytes],
  ])('accepts %s at its limit and answers FieldTooLong one byte past it', (field, limit) => {
    expect(storedCodeOf(sampleEvent({ [field]: objectOfJsonBytes(limit) }))).toBeUndefined();
    expect(storedCodeOf(sampleEvent({ [field]: objectOfJsonBytes(limit + 1) }))).toBe('FieldTooLong');
    const valid = validateProducerEvent(sampleEvent({ [field]: objectOfJsonBytes(limit + 1) }));
    if (!valid.ok) throw new Error(valid.errorMessage);
    expect(checkStoredSize(valid.event, LIMITS.eventBytes)?.errorMessage).toContain(field);
  });

  it('accepts 50 resources and refuses 51', () => {
    const resources = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ ARN: `arn:r:${i}`, type: 'T' }));
    expect(codeOf(sampleEvent({ resources: resources(LIMITS.resourcesPerEvent) }))).toBeUndefined();
    expect(codeOf(sampleEvent({ resources: resources(LIMITS.resourcesPerEvent + 1) }))).toBe('FieldTooLong');
  });

  it.each([
    ['eventName', 42],
    ['eventSource', ['a']],
    ['readOnly', 'yes'],
    ['eventTime', '2026-11-20 10:00:00'],
    ['eventTime', '2026-11-20T10:00:00+02:00'],
    ['eventCategory', 'Insight'],
    ['eventType', 'Insight'],
    ['recipientAccountId', '12345'],
    ['requestParameters', 'not an object'],
    ['resources', [{ accountId: '123456789012' }]],
    ['id', 'has spaces'],
    ['id', 'x'.repeat(129)],
  ])('answers InvalidData or FieldNotFound when %s is %j', (field, value) => {
    expect(['InvalidData', 'FieldNotFound']).toContain(codeOf(sampleEvent({ [field]: value })));
  });

  it('refuses unknown top-level fields by name, so typos are not stored silently', () => {
    const result = validateProducerEvent(sampleEvent({ evntName: 'x' }));
    expect(result).toMatchObject({ ok: false, errorCode: 'InvalidData' });
    expect(!result.ok && result.errorMessage).toContain('evntName');
  });

  it('refuses an eventID sent by the producer and says to use id', () => {
    const result = validateProducerEvent(sampleEvent({ eventID: 'abc' }));
    expect(!result.ok && result.errorMessage).toContain('send your own identifier as id');
  });

  it('refuses an unpaired surrogate anywhere, because storage would rewrite it', () => {
    expect(codeOf(sampleEvent({ requestParameters: { name: 'a\uD800b' } }))).toBe('InvalidData');
    expect(codeOf(sampleEvent({ eventName: '\uDC00' }))).toBe('InvalidData');
    expect(codeOf(sampleEvent({ requestParameters: { '\uD800': 1 } }))).toBe('InvalidData');
  });

  it('accepts astral characters, combining marks and right-to-left text unchanged', () => {
    const text = '😀 e\u0301 שלום \u200d';
    const result = validateProducerEvent(sampleEvent({ requestParameters: { text } }));
    expect(result.ok && (result.event.requestParameters as { text: string }).text).toBe(text);
  });

  it('refuses integers JSON cannot carry exactly and nesting past the limit', () => {
    expect(codeOf(sampleEvent({ requestParameters: { n: 2 ** 53 + 2 } }))).toBe('InvalidData');
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < LIMITS.nestingDepth + 2; i++) deep = { d: deep };
    expect(codeOf(sampleEvent({ requestParameters: deep }))).toBe('InvalidData');
  });

  it('answers InvalidData for an event that is not an object', () => {
    expect(codeOf([])).toBe('InvalidData');
    expect(codeOf('event')).toBe('InvalidData');
    expect(codeOf(null)).toBe('InvalidData');
  });
});

describe('buildRecord', () => {
  it('fills what OpenTrail owns and leaves producer fields untouched', () => {
    // Prepare
    const input = sampleEvent({ id: 'order-1', eventTime: undefined });
    const valid = validateProducerEvent(input);
    if (!valid.ok) throw new Error(valid.errorMessage);
    // Act
    const record = buildRecord(valid.event, '01ABCDEFGHJKMNPQRSTVWXYZ00', NOW_MS, ENRICHMENT);
    // Assess
    expect(record).toMatchObject({
      eventVersion: '1.11',
      eventID: '01ABCDEFGHJKMNPQRSTVWXYZ00',
      eventTime: new Date(NOW_MS).toISOString(),
      eventType: 'ApiCall',
      eventCategory: 'Management',
      managementEvent: true,
      readOnly: false,
      recipientAccountId: '123456789012',
      awsRegion: 'us-east-1',
      clientType: 'sdk',
      ingestion: { receivedAt: new Date(NOW_MS).toISOString(), id: 'order-1' },
      requestParameters: input.requestParameters,
      userIdentity: input.userIdentity,
    });
    expect(record).not.toHaveProperty('id');
  });

  it('keeps a producer-given readOnly, category and clientType', () => {
    const valid = validateProducerEvent(
      sampleEvent({ readOnly: true, eventCategory: 'Data', clientType: 'cli', managementEvent: false }),
    );
    if (!valid.ok) throw new Error(valid.errorMessage);
    const record = buildRecord(valid.event, '01ABCDEFGHJKMNPQRSTVWXYZ00', NOW_MS, ENRICHMENT);
    expect(record).toMatchObject({
      readOnly: true,
      eventCategory: 'Data',
      managementEvent: false,
      clientType: 'cli',
    });
  });

  it('refuses managementEvent that contradicts the category', () => {
    const valid = validateProducerEvent(sampleEvent({ eventCategory: 'Data', managementEvent: true }));
    if (!valid.ok) throw new Error(valid.errorMessage);
    expect(buildRecord(valid.event, '01ABCDEFGHJKMNPQRSTVWXYZ00', NOW_MS, ENRICHMENT)).toMatchObject({
      ok: false,
      errorCode: 'InvalidData',
    });
  });
});

describe('checkEventTime', () => {
  it('accepts the edges of the retention window and refuses just outside them', () => {
    const oldest = NOW_MS - 90 * 86_400_000;
    expect(checkEventTime(oldest, ENRICHMENT)).toBeUndefined();
    expect(checkEventTime(oldest - 1, ENRICHMENT)).toMatchObject({ errorCode: 'InvalidData' });
    expect(checkEventTime(NOW_MS + LIMITS.futureSkewMs, ENRICHMENT)).toBeUndefined();
    expect(checkEventTime(NOW_MS + LIMITS.futureSkewMs + 1, ENRICHMENT)).toMatchObject({
      errorCode: 'InvalidData',
    });
  });
});

describe('inferReadOnly', () => {
  it.each([
    ['GetObject', true],
    ['ListUsers', true],
    ['DescribeInstances', true],
    ['HeadBucket', true],
    ['LookupEvents', true],
    ['Get', true],
    ['CreateUser', false],
    ['DeleteBucket', false],
    ['Getaway', false],
    ['Listen', false],
    ['PutObject', false],
  ])('infers %s as readOnly=%s', (eventName, expected) => {
    expect(inferReadOnly(eventName)).toBe(expected);
  });
});

describe('producerEventJsonSchema', () => {
  it('exports a JSON Schema that requires what the validator requires', () => {
    const schema = producerEventJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(['eventSource', 'eventName', 'userIdentity']));
    expect(Object.keys(schema.properties)).toContain('requestParameters');
  });
});
