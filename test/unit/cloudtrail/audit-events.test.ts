import { describe, expect, it } from 'vitest';
import {
  boundedErrorMessage,
  eventDataChecksum,
  parseExternalId,
  parsePutAuditEventsBody,
  putAuditEventsResponse,
  TRUNCATION_MARKER,
  toLakeEventData,
  toProducerEvent,
} from '../../../lambda/core/cloudtrail/audit-events.js';
import { type IngestOptions, putEvents } from '../../../lambda/core/ingest.js';
import { PUT_AUDIT_EVENTS_PROTOCOL } from '../../../lambda/routes/protocols.js';
import { ENRICHMENT } from '../../fixtures/events.js';
import { MemoryEventStore } from '../../fixtures/memory-store.js';
import { requestErrorOf } from '../../fixtures/request-error.js';

/** The error PutAuditEvents answers for what `run` throws, or 'none'. */
const auditErrorOf = (run: () => unknown): string => requestErrorOf(run, PUT_AUDIT_EVENTS_PROTOCOL);

const ACCOUNT = '123456789012';

/** Every field of the CloudTrail Lake integration schema, as a producer would send it. */
function lakeEventData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '1.0',
    userIdentity: { type: 'CustomUser', principalId: 'user-42', details: { team: 'billing', mfa: true } },
    userAgent: 'billing-app/2.3',
    eventSource: 'billing.example.com',
    eventName: 'IssueRefund',
    eventTime: '2026-11-23T12:00:00Z',
    UID: 'uid-0001',
    requestParameters: { refundId: 'r-1', amount: 12.5 },
    responseElements: { status: 'ok' },
    errorCode: 'None',
    errorMessage: 'nothing went wrong',
    sourceIPAddress: '198.51.100.7',
    recipientAccountId: ACCOUNT,
    additionalEventData: { region: 'eu', tags: ['a', 'b'] },
    ...overrides,
  };
}

const auditEvent = (data: Record<string, unknown>, id = 'a1', checksum?: string) => {
  const eventData = JSON.stringify(data);
  return { id, eventData, ...(checksum === undefined ? {} : { eventDataChecksum: checksum }) };
};

describe('parsePutAuditEventsBody', () => {
  it('reads 1 to 100 audit events with their optional checksums', () => {
    // Act
    const events = parsePutAuditEventsBody(
      JSON.stringify({
        auditEvents: [
          { id: 'a', eventData: '{}', eventDataChecksum: 'x' },
          { id: 'b', eventData: '{}' },
        ],
      }),
    );

    // Assess
    expect(events).toEqual([
      { id: 'a', eventData: '{}', eventDataChecksum: 'x' },
      { id: 'b', eventData: '{}' },
    ]);
  });

  it.each([
    ['', '400 ValidationException'],
    ['{"auditEvents": []}', '400 ValidationException'],
    [
      JSON.stringify({
        auditEvents: Array.from({ length: 101 }, (_, i) => ({ id: `e${i}`, eventData: '{}' })),
      }),
      '400 ValidationException',
    ],
    ['{"auditEvents": [{"id": "a b", "eventData": "{}"}]}', '400 ValidationException'],
    ['{"auditEvents": [{"id": "a", "eventData": {}}]}', '400 ValidationException'],
    [
      '{"auditEvents": [{"id": "a", "eventData": "{}"}, {"id": "a", "eventData": "{}"}]}',
      '400 DuplicatedAuditEventId',
    ],
  ])('refuses %s with %s', (body, expected) => {
    // Assess
    expect(auditErrorOf(() => parsePutAuditEventsBody(body))).toBe(expected);
  });

  it('refuses a body over 1 MB', () => {
    // Prepare
    const body = JSON.stringify({ auditEvents: [{ id: 'a', eventData: 'x'.repeat(1024 * 1024) }] });

    // Assess
    expect(auditErrorOf(() => parsePutAuditEventsBody(body))).toBe('400 ValidationException');
  });
});

describe('parseExternalId', () => {
  it('keeps a valid externalId and refuses one outside the model pattern', () => {
    // Assess
    expect(parseExternalId('tenant-7@example')).toBe('tenant-7@example');
    expect(parseExternalId(undefined)).toBeUndefined();
    expect(auditErrorOf(() => parseExternalId('x'))).toBe('400 ValidationException');
    expect(auditErrorOf(() => parseExternalId('has space'))).toBe('400 ValidationException');
  });
});

describe('toProducerEvent', () => {
  it('maps UID to the idempotency id, version to sourceEventVersion and keeps the rest by name', () => {
    // Act
    const mapping = toProducerEvent(auditEvent(lakeEventData()));

    // Assess
    expect(mapping).toEqual({
      ok: true,
      event: expect.objectContaining({
        id: 'uid-0001',
        sourceEventVersion: '1.0',
        userIdentity: { type: 'CustomUser', principalId: 'user-42', details: { team: 'billing', mfa: true } },
        recipientAccountId: ACCOUNT,
      }),
    });
  });

  it('accepts an event whose checksum is the base64 SHA-256 of eventData', () => {
    // Prepare
    const event = auditEvent(lakeEventData());

    // Act
    const mapping = toProducerEvent({ ...event, eventDataChecksum: eventDataChecksum(event.eventData) });

    // Assess
    expect(mapping.ok).toBe(true);
  });

  it.each([
    [
      'a checksum of other data',
      auditEvent(lakeEventData(), 'a', eventDataChecksum('{}')),
      'InvalidChecksum',
    ],
    ['eventData that is not JSON', { id: 'a', eventData: '{"version":' }, 'InvalidData'],
    ['an unknown eventData field', auditEvent(lakeEventData({ color: 'red' })), 'InvalidData'],
    ['no UID', auditEvent(lakeEventData({ UID: undefined })), 'FieldNotFound'],
    ['no version', auditEvent(lakeEventData({ version: undefined })), 'FieldNotFound'],
    ['no recipientAccountId', auditEvent(lakeEventData({ recipientAccountId: undefined })), 'FieldNotFound'],
    ['no principalId', auditEvent(lakeEventData({ userIdentity: { type: 'CustomUser' } })), 'FieldNotFound'],
    [
      'an unknown userIdentity field',
      auditEvent(lakeEventData({ userIdentity: { type: 't', principalId: 'p', arn: 'x' } })),
      'InvalidData',
    ],
    ['a UID over 128 characters', auditEvent(lakeEventData({ UID: 'u'.repeat(129) })), 'FieldTooLong'],
  ])('fails %s with %s', (_, event, expected) => {
    // Act
    const mapping = toProducerEvent(event);

    // Assess
    expect(mapping).toMatchObject({ ok: false, errorCode: expected, errorMessage: expect.any(String) });
  });
});

describe('PutAuditEvents through ingest', () => {
  const options: IngestOptions = {
    ...ENRICHMENT,
    writeShards: 2,
    channelArn: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:channel/default`,
    externalId: 'ext-1',
  };

  async function put(events: ReturnType<typeof auditEvent>[], store = new MemoryEventStore()) {
    const rejected = new Map();
    const inputs: unknown[] = [];
    const indexes: number[] = [];
    events.forEach((event, index) => {
      const mapping = toProducerEvent(event);
      if (mapping.ok) {
        inputs.push(mapping.event);
        indexes.push(index);
      } else rejected.set(index, { errorCode: mapping.errorCode, errorMessage: mapping.errorMessage });
    });
    const result = await putEvents(inputs, store, options);
    return { response: putAuditEventsResponse(events, rejected, indexes, result), store };
  }

  it('gives back every eventData field in the stored record, and the channel in its ingestion metadata', async () => {
    // Prepare
    const data = lakeEventData();

    // Act
    const { response, store } = await put([auditEvent(data)]);

    // Assess
    expect(response.failed).toEqual([]);
    const record = JSON.parse(store.records.get(response.successful[0]?.eventID ?? '') ?? '{}');
    expect(toLakeEventData(record)).toEqual(data);
    expect(record.ingestion).toMatchObject({
      id: 'uid-0001',
      channelArn: options.channelArn,
      externalId: 'ext-1',
    });
  });

  it('reports each event under its audit event id in request order, failures with CloudTrail codes', async () => {
    // Act
    const { response } = await put([
      auditEvent(lakeEventData({ UID: 'u1' }), 'first'),
      auditEvent(lakeEventData({ UID: 'u2', eventName: undefined }), 'second'),
      auditEvent(lakeEventData({ UID: 'u3', userAgent: 'x'.repeat(2000) }), 'third'),
      auditEvent(lakeEventData({ UID: 'u4' }), 'fourth', 'bad'),
      auditEvent(lakeEventData({ UID: 'u5' }), 'fifth'),
    ]);

    // Assess
    expect(response.successful.map((entry) => entry.id)).toEqual(['first', 'fifth']);
    expect(response.failed.map(({ id, errorCode }) => [id, errorCode])).toEqual([
      ['second', 'FieldNotFound'],
      ['third', 'FieldTooLong'],
      ['fourth', 'InvalidChecksum'],
    ]);
  });

  it('refuses another account as recipient and an AWS event source (provenance, checked by ingest)', async () => {
    // Act
    const { response } = await put([
      auditEvent(lakeEventData({ UID: 'u1', recipientAccountId: '999999999999' }), 'recipient'),
      auditEvent(lakeEventData({ UID: 'u2', eventSource: 's3.amazonaws.com' }), 'source'),
    ]);

    // Assess
    expect(response.failed.map(({ id, errorCode }) => [id, errorCode])).toEqual([
      ['recipient', 'InvalidRecipient'],
      ['source', 'InvalidEventSource'],
    ]);
  });

  it("cuts an errorMessage over CloudTrail Data's 1,024 characters and marks the cut", async () => {
    // Prepare: 200 unknown fields make a message of several KB.
    const unknownFields = Object.fromEntries(Array.from({ length: 200 }, (_, n) => [`unknownField${n}`, n]));

    // Act
    const { response } = await put([auditEvent(lakeEventData(unknownFields), 'noisy')]);

    // Assess
    const failure = response.failed[0];
    expect(failure?.errorCode).toBe('InvalidData');
    expect(failure?.errorMessage).toHaveLength(1024);
    expect(failure?.errorMessage.startsWith('eventData has unknown field(s): unknownField0, ')).toBe(true);
    expect(failure?.errorMessage.endsWith(TRUNCATION_MARKER)).toBe(true);
  });

  it('returns the same eventID when an event is put again with the same UID', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const first = await put([auditEvent(lakeEventData(), 'try-1')], store);

    // Act
    const retry = await put([auditEvent(lakeEventData(), 'try-2')], store);

    // Assess
    expect(retry.response.successful).toEqual([
      { id: 'try-2', eventID: first.response.successful[0]?.eventID },
    ]);
    expect(store.records.size).toBe(1);
  });

  it('counts events no selector keeps as successful', () => {
    // Act
    const response = putAuditEventsResponse(
      [
        { id: 'kept', eventData: '{}' },
        { id: 'dropped', eventData: '{}' },
      ],
      new Map(),
      [0, 1],
      { successful: [{ index: 0, eventID: 'E0' }], failed: [], filtered: [{ index: 1, eventID: 'E1' }] },
    );

    // Assess
    expect(response).toEqual({
      successful: [
        { id: 'kept', eventID: 'E0' },
        { id: 'dropped', eventID: 'E1' },
      ],
      failed: [],
    });
  });

  it("answers a held UID's Throttling in CloudTrail Data's failure shape, without retryAfterSeconds", () => {
    // Act
    const response = putAuditEventsResponse([{ id: 'held', eventData: '{}' }], new Map(), [0], {
      successful: [],
      failed: [
        { index: 0, id: 'held', errorCode: 'Throttling', errorMessage: 'held', retryAfterSeconds: 30 },
      ],
      filtered: [],
    });

    // Assess
    expect(response).toEqual({
      successful: [],
      failed: [{ id: 'held', errorCode: 'Throttling', errorMessage: 'held' }],
    });
  });
});

describe('boundedErrorMessage', () => {
  it('keeps a message of up to 1,024 characters and cuts a longer one to 1,024 ending in the marker', () => {
    // Prepare
    const atLimit = 'x'.repeat(1024);

    // Act
    const kept = boundedErrorMessage(atLimit);
    const cut = boundedErrorMessage(`${atLimit}y`);

    // Assess
    expect(kept).toBe(atLimit);
    expect(cut).toHaveLength(1024);
    expect(cut).toBe(`${'x'.repeat(1024 - TRUNCATION_MARKER.length)}${TRUNCATION_MARKER}`);
  });

  it('counts code points, so an astral character is neither split nor counted twice', () => {
    // Prepare: 1,024 emoji are 2,048 UTF-16 units but 1,024 characters.
    const emoji = '😀'.repeat(1024);

    // Act
    const kept = boundedErrorMessage(emoji);
    const cut = Array.from(boundedErrorMessage(`${emoji}😀`));

    // Assess
    expect(kept).toBe(emoji);
    expect(cut).toHaveLength(1024);
    expect(cut.slice(0, 1024 - TRUNCATION_MARKER.length).every((character) => character === '😀')).toBe(true);
  });
});
