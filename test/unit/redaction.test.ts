import { describe, expect, it } from 'vitest';
import { buildRecord, type ProducerEvent, type TrailRecord } from '../../lambda/core/event-model.js';
import {
  compileRedaction,
  REDACTION_MASK,
  type RedactionRules,
  redactionProblems,
} from '../../lambda/core/redaction.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';

function redacted(overrides: Record<string, unknown>, rules?: RedactionRules): TrailRecord {
  const built = buildRecord(
    sampleEvent(overrides) as ProducerEvent,
    '01JD0000000000000000000000',
    0,
    ENRICHMENT,
  );
  if (!('eventID' in built)) throw new Error(built.errorMessage);
  compileRedaction(rules)(built);
  return built;
}

describe('compileRedaction with the default rules', () => {
  it('masks sensitive keys at any depth in the three payloads and lists each one', () => {
    // Prepare
    const requestParameters = {
      userName: 'alice',
      Password: 'hunter2',
      login: { 'x-api-key': 'k-1', nested: [{ refresh_token: 't-1', keep: 1 }] },
    };
    // Act
    const record = redacted({
      requestParameters,
      responseElements: { sessionCredentials: { accessKeyId: 'AKIA', SecretAccessKey: 's' } },
      additionalEventData: { Authorization: 'Bearer x', 'Set-Cookie': 'c=1' },
    });
    // Assess
    expect(record.requestParameters).toEqual({
      userName: 'alice',
      Password: REDACTION_MASK,
      login: { 'x-api-key': REDACTION_MASK, nested: [{ refresh_token: REDACTION_MASK, keep: 1 }] },
    });
    expect(record.responseElements).toEqual({ sessionCredentials: REDACTION_MASK });
    expect(record.additionalEventData).toEqual({
      Authorization: REDACTION_MASK,
      'Set-Cookie': REDACTION_MASK,
    });
    expect(record.ingestion.redactedFields).toEqual([
      'requestParameters.Password',
      'requestParameters.login["x-api-key"]',
      'requestParameters.login.nested[0].refresh_token',
      'responseElements.sessionCredentials',
      'additionalEventData.Authorization',
      'additionalEventData["Set-Cookie"]',
    ]);
  });

  it("never changes the producer's objects", () => {
    const input = sampleEvent({ requestParameters: { password: 'p', items: [{ token: 't' }] } });
    const copy = structuredClone(input);
    const built = buildRecord(input as ProducerEvent, '01JD0000000000000000000000', 0, ENRICHMENT);
    if (!('eventID' in built)) throw new Error(built.errorMessage);
    compileRedaction()(built);
    expect(input).toEqual(copy);
    expect(built.requestParameters).toEqual({ password: REDACTION_MASK, items: [{ token: REDACTION_MASK }] });
  });

  it('leaves a record without sensitive keys untouched, with no redactedFields', () => {
    const record = redacted({ requestParameters: { orderId: 'o-1' } });
    expect(record.requestParameters).toEqual({ orderId: 'o-1' });
    expect(record.ingestion).not.toHaveProperty('redactedFields');
  });

  it('keeps null values, since they hide nothing', () => {
    const record = redacted({ requestParameters: { password: null } });
    expect(record.requestParameters).toEqual({ password: null });
    expect(record.ingestion.redactedFields).toBeUndefined();
  });

  it('does not look at fields outside the three payloads', () => {
    const record = redacted({ userAgent: 'token-bot', addendum: { token: 'kept' } });
    expect(record.addendum).toEqual({ token: 'kept' });
  });
});

describe('compileRedaction with configured rules', () => {
  it('masks configured keys ignoring case, - and _', () => {
    const record = redacted(
      { requestParameters: { SSN: '1', card_number: '4111' } },
      { keys: ['ssn', 'cardNumber'] },
    );
    expect(record.requestParameters).toEqual({ SSN: REDACTION_MASK, card_number: REDACTION_MASK });
  });

  it('masks configured paths, with [*] over array items', () => {
    const record = redacted(
      {
        requestParameters: { card: { number: '4111', expiry: '12/30' } },
        responseElements: { users: [{ email: 'a@x' }, { email: 'b@x' }, { name: 'c' }] },
      },
      { defaults: false, paths: ['requestParameters.card.number', 'responseElements.users[*].email'] },
    );
    expect(record.requestParameters).toEqual({ card: { number: REDACTION_MASK, expiry: '12/30' } });
    expect(record.responseElements).toEqual({
      users: [{ email: REDACTION_MASK }, { email: REDACTION_MASK }, { name: 'c' }],
    });
    expect(record.ingestion.redactedFields).toEqual([
      'requestParameters.card.number',
      'responseElements.users[0].email',
      'responseElements.users[1].email',
    ]);
  });

  it('masks every key of an object with .* in a path', () => {
    const record = redacted(
      { requestParameters: { headers: { host: 'h', 'x-trace': 't' }, body: 'b' } },
      { defaults: false, paths: ['requestParameters.headers.*'] },
    );
    expect(record.requestParameters).toEqual({
      headers: { host: REDACTION_MASK, 'x-trace': REDACTION_MASK },
      body: 'b',
    });
    expect(record.ingestion.redactedFields).toEqual([
      'requestParameters.headers.host',
      'requestParameters.headers["x-trace"]',
    ]);
  });

  it('names a path once when a key rule and a path rule both mask it', () => {
    const record = redacted(
      { requestParameters: { password: 'p' } },
      { paths: ['requestParameters.password'] },
    );
    expect(record.ingestion.redactedFields).toEqual(['requestParameters.password']);
  });

  it('masks nothing when the defaults are off and no rule is configured', () => {
    const record = redacted({ requestParameters: { password: 'p' } }, { defaults: false });
    expect(record.requestParameters).toEqual({ password: 'p' });
  });

  it('masks a key named __proto__ as an own property, never touching the prototype', () => {
    const requestParameters = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<
      string,
      unknown
    >;
    const record = redacted({}, { keys: ['__proto__'] });
    record.requestParameters = requestParameters;
    compileRedaction({ keys: ['__proto__'] })(record);
    expect(Object.getOwnPropertyDescriptor(record.requestParameters, '__proto__')?.value).toBe(
      REDACTION_MASK,
    );
    expect(Object.getPrototypeOf(record.requestParameters)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('redactionProblems', () => {
  it.each([
    [[], 'must be an object'],
    [{ default: true }, 'unknown redaction key(s) "default"'],
    [{ defaults: 'yes' }, 'defaults must be true or false'],
    [{ keys: 'ssn' }, 'keys must be a list of strings'],
    [{ keys: ['-_'] }, 'keys[0] must be a key name'],
    [{ paths: ['userIdentity.arn'] }, 'paths[0] must be a path'],
    [{ paths: ['requestParameters'] }, 'paths[0] must be a path'],
    [{ paths: ['requestParameters..a'] }, 'paths[0] must be a path'],
    [{ paths: ['requestParameters.a[x]'] }, 'paths[0] must be a path'],
    [{ keys: Array.from({ length: 201 }, (_, i) => `k${i}`) }, 'at most 200'],
  ])('reports %j: %s', (config, problem) => {
    expect(redactionProblems(config).join('\n')).toContain(problem);
  });

  it('accepts the defaults and valid rules', () => {
    expect(redactionProblems(undefined)).toEqual([]);
    expect(
      redactionProblems({ defaults: false, keys: ['ssn'], paths: ['additionalEventData.a[0].b[*]'] }),
    ).toEqual([]);
  });
});
