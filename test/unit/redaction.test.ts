import { describe, expect, it } from 'vitest';
import { toProducerEvent } from '../../lambda/core/cloudtrail/audit-events.js';
import { buildRecord, type ProducerEvent, type TrailRecord } from '../../lambda/core/event-model.js';
import { DEFAULT_INGEST_POLICY, putEvents } from '../../lambda/core/ingest.js';
import {
  compileRedaction,
  REDACTION_MASK,
  type RedactionRules,
  redactionProblems,
} from '../../lambda/core/redaction.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

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

  it.each(['pass_word', 'Pass-Word', 'pass.word', 'PASS_PHRASE', 'pass word', 'x-Api.Key', 'private_key'])(
    'masks %j: separators and case never hide a key',
    (key) => {
      const record = redacted({ requestParameters: { [key]: 'hunter2', orderId: 'o-1' } });
      expect(record.requestParameters).toEqual({ [key]: REDACTION_MASK, orderId: 'o-1' });
    },
  );

  it.each([
    ['full-width letters', '\uFF30\uFF21\uFF33\uFF33\uFF37\uFF2F\uFF32\uFF24'],
    ['a soft hyphen', 'pa\u00ADssword'],
    ['a zero-width space', 'pass\u200Bword'],
    ['a zero-width joiner and a BOM', 'pass\u200D\uFEFFword'],
    ['a word joiner', 'api\u2060key'],
    ['the long s', '\u017Fecret'],
  ])('masks a key spelt with %s', (_, key) => {
    const record = redacted({ responseElements: { nested: { [key]: 'hunter2' } } });
    expect(record.responseElements).toEqual({ nested: { [key]: REDACTION_MASK } });
    expect(record.ingestion.redactedFields).toHaveLength(1);
  });

  it('keeps keys that only share letters with a sensitive word', () => {
    const requestParameters = { passenger: 'p', compass: 'c', secretary_name: 'kept?', tokens_left: 3 };
    const record = redacted({ requestParameters });
    // "secret" and "token" are fragments: the defaults err on the side of masking.
    expect(record.requestParameters).toEqual({
      passenger: 'p',
      compass: 'c',
      secretary_name: REDACTION_MASK,
      tokens_left: REDACTION_MASK,
    });
  });

  it('masks the other free-form objects: serviceEventDetails, addendum, edgeDeviceDetails', () => {
    const record = redacted({
      serviceEventDetails: { rotation: { newSecret: 's' } },
      addendum: { reason: 'late', token: 't' },
      edgeDeviceDetails: { deviceId: 'd-1', credentials: { key: 'k' } },
    });
    expect(record.serviceEventDetails).toEqual({ rotation: { newSecret: REDACTION_MASK } });
    expect(record.addendum).toEqual({ reason: 'late', token: REDACTION_MASK });
    expect(record.edgeDeviceDetails).toEqual({ deviceId: 'd-1', credentials: REDACTION_MASK });
    expect(record.ingestion.redactedFields).toEqual([
      'serviceEventDetails.rotation.newSecret',
      'addendum.token',
      'edgeDeviceDetails.credentials',
    ]);
  });

  it('masks userIdentity.details and userIdentity.sessionContext, never accessKeyId', () => {
    // Prepare
    const input = sampleEvent({
      userIdentity: {
        type: 'Custom',
        principalId: 'p-1',
        accessKeyId: 'AKIAEXAMPLE',
        details: { password: 'hunter2', team: 'ops' },
        sessionContext: { webIdFederationData: { attributes: { id_token: 'jwt' } } },
      },
    });
    const sent = structuredClone(input);
    const built = buildRecord(input as ProducerEvent, '01JD0000000000000000000000', 0, ENRICHMENT);
    if (!('eventID' in built)) throw new Error(built.errorMessage);
    // Act
    compileRedaction()(built);
    // Assess
    expect(built.userIdentity).toEqual({
      type: 'Custom',
      principalId: 'p-1',
      accessKeyId: 'AKIAEXAMPLE',
      details: { password: REDACTION_MASK, team: 'ops' },
      sessionContext: { webIdFederationData: { attributes: { id_token: REDACTION_MASK } } },
    });
    expect(built.ingestion.redactedFields).toEqual([
      'userIdentity.details.password',
      'userIdentity.sessionContext.webIdFederationData.attributes.id_token',
    ]);
    expect(input).toEqual(sent);
  });

  it('does not look at fields outside the free-form objects', () => {
    const record = redacted({ userAgent: 'token-bot', errorMessage: 'bad password' });
    expect(record.userAgent).toBe('token-bot');
    expect(record.errorMessage).toBe('bad password');
    expect(record.userIdentity.accessKeyId).toBe('AKIAEXAMPLE');
    expect(record.ingestion.redactedFields).toBeUndefined();
  });

  it("stores a PutAuditEvents event's userIdentity.details masked", async () => {
    // Prepare
    const eventData = JSON.stringify({
      version: '1.0',
      UID: 'lake-1',
      userIdentity: { type: 'CustomUser', principalId: 'u-1', details: { password: 'hunter2' } },
      eventSource: 'orders.example.com',
      eventName: 'Login',
      eventTime: '2026-11-20T10:00:00Z',
      recipientAccountId: '123456789012',
    });
    const mapping = toProducerEvent({ id: 'a-1', eventData });
    if (!mapping.ok) throw new Error(mapping.errorMessage);
    const store = new MemoryEventStore();
    // Act
    const result = await putEvents([mapping.event], store, {
      ...ENRICHMENT,
      writeShards: 1,
      policy: DEFAULT_INGEST_POLICY,
    });
    // Assess
    const stored = store.records.get(result.successful[0]?.eventID ?? '') ?? '';
    expect(stored).not.toContain('hunter2');
    expect(JSON.parse(stored)).toMatchObject({
      userIdentity: { details: { password: REDACTION_MASK } },
      ingestion: { redactedFields: ['userIdentity.details.password'] },
    });
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

  it('masks configured keys spelt with look-alikes, on either side', () => {
    const record = redacted(
      {
        requestParameters: {
          '\u017Fsn': '1',
          'card\u00ADnumber': '4111',
          'ＴＡＸ-ＩＤ': 't',
          taxid2: 'kept',
        },
      },
      { defaults: false, keys: ['ssn', 'cardNumber', 'tax_id'] },
    );
    expect(record.requestParameters).toEqual({
      '\u017Fsn': REDACTION_MASK,
      'card\u00ADnumber': REDACTION_MASK,
      'ＴＡＸ-ＩＤ': REDACTION_MASK,
      taxid2: 'kept',
    });
    const configuredLookAlike = redacted(
      { requestParameters: { ssn: '1' } },
      { defaults: false, keys: ['\uFF33\uFF33\uFF2E'] },
    );
    expect(configuredLookAlike.requestParameters).toEqual({ ssn: REDACTION_MASK });
  });

  it('masks configured paths below the new roots, copying userIdentity rather than changing it', () => {
    const input = sampleEvent({
      userIdentity: { type: 'Custom', principalId: 'p-1', details: { ssn: '1', team: 'ops' } },
      addendum: { reason: 'late', originalRequestID: 'r-1' },
    });
    const built = buildRecord(input as ProducerEvent, '01JD0000000000000000000000', 0, ENRICHMENT);
    if (!('eventID' in built)) throw new Error(built.errorMessage);
    compileRedaction({ defaults: false, paths: ['userIdentity.details.ssn', 'addendum.reason'] })(built);
    expect(built.userIdentity).toMatchObject({ details: { ssn: REDACTION_MASK, team: 'ops' } });
    expect(built.addendum).toEqual({ reason: REDACTION_MASK, originalRequestID: 'r-1' });
    expect(built.ingestion.redactedFields).toEqual(['userIdentity.details.ssn', 'addendum.reason']);
    expect(input.userIdentity).toMatchObject({ details: { ssn: '1' } });
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
    [{ paths: ['userIdentity.accessKeyId'] }, 'paths[0] must be a path below one of requestParameters'],
    [{ paths: ['userIdentity.details'] }, 'paths[0] must be a path'],
    [{ paths: ['userIdentity.detailsX.a'] }, 'paths[0] must be a path'],
    [{ keys: ['\u00AD\u200B.-'] }, 'keys[0] must be a key name'],
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
      redactionProblems({
        defaults: false,
        keys: ['ssn'],
        paths: [
          'additionalEventData.a[0].b[*]',
          'userIdentity.details.password',
          'userIdentity.sessionContext.attributes.*',
          'serviceEventDetails.a',
          'edgeDeviceDetails.b[0]',
        ],
      }),
    ).toEqual([]);
  });
});
