import { describe, expect, it } from 'vitest';
import type { ProducerEvent } from '../../lambda/core/event-model.js';
import {
  CLAIM_SETTLE_MS,
  DEFAULT_INGEST_POLICY,
  type IngestOptions,
  type IngestPolicy,
  parsePutEventsBody,
  producerContentHash,
  putEvents,
} from '../../lambda/core/ingest.js';
import { producerIdScope } from '../../lambda/core/keys.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { type LookupAttributes, lookupEvents } from '../../lambda/core/lookup.js';
import { StoreUnavailableError } from '../../lambda/core/ports.js';
import { compileRedaction, REDACTION_MASK, type RedactionRules } from '../../lambda/core/redaction.js';
import { compileSelectors, type TrailSelectors } from '../../lambda/core/selectors.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { expectRefusal } from '../fixtures/request-error.js';

/** The claim a sample event's producer id makes (ids are unique per eventSource). */
const claimOf = (id: string) => producerIdScope('orders.example.com', id);

const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: 4 };

/** The eventIDs a lookup over the last week finds in the store. */
async function lookedUp(attributes: LookupAttributes, store: MemoryEventStore): Promise<string[]> {
  const window = { startMs: ENRICHMENT.receivedAtMs - 7 * 86_400_000, endMs: ENRICHMENT.receivedAtMs };
  const page = await lookupEvents({ attributes, ...window, maxResults: 50 }, store, {
    writeShards: OPTIONS.writeShards,
  });
  return page.records.map((record) => (JSON.parse(record) as { eventID: string }).eventID);
}

/** The refusal parsePutEventsBody throws for `body`, as the native API answers it. */
const refusal = (body: string | undefined) => expectRefusal(() => parsePutEventsBody(body));

describe('parsePutEventsBody', () => {
  it('accepts one event or a batch', () => {
    expect(parsePutEventsBody(JSON.stringify(sampleEvent()))).toHaveLength(1);
    expect(parsePutEventsBody(JSON.stringify({ events: [sampleEvent(), sampleEvent()] }))).toHaveLength(2);
  });

  it.each([
    [undefined, 'InvalidRequest'],
    ['', 'InvalidRequest'],
    ['{not json', 'InvalidJson'],
    ['[]', 'InvalidRequest'],
    ['"text"', 'InvalidRequest'],
    ['{"events": {}}', 'InvalidRequest'],
    ['{"events": []}', 'InvalidRequest'],
    ['{"events": [{}], "extra": 1}', 'InvalidRequest'],
  ])('answers 400 %s for body %j', (body, code) => {
    expect(refusal(body)).toMatchObject({ statusCode: 400, code });
  });

  it('accepts 100 events and refuses 101 with TooManyEvents', () => {
    const batch = (count: number) => JSON.stringify({ events: Array.from({ length: count }, () => ({})) });
    expect(parsePutEventsBody(batch(LIMITS.eventsPerRequest))).toHaveLength(100);
    expect(refusal(batch(LIMITS.eventsPerRequest + 1))).toMatchObject({ code: 'TooManyEvents' });
  });

  it('refuses a body over 1 MB with RequestTooLarge', () => {
    const body = JSON.stringify({ events: [{ pad: 'x'.repeat(LIMITS.requestBytes) }] });
    expect(refusal(body)).toMatchObject({ statusCode: 400, code: 'RequestTooLarge' });
  });
});

describe('putEvents', () => {
  it('stores valid events and reports invalid ones by index, each on its own', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const inputs = [
      sampleEvent(),
      sampleEvent({ eventName: undefined }),
      sampleEvent({ userAgent: 'x'.repeat(1025) }),
    ];
    // Act
    const result = await putEvents(inputs, store, OPTIONS);
    // Assess
    expect(result.successful.map((s) => s.index)).toEqual([0]);
    expect(result.failed).toEqual([
      expect.objectContaining({ index: 1, errorCode: 'FieldNotFound' }),
      expect.objectContaining({ index: 2, errorCode: 'FieldTooLong' }),
    ]);
    const stored = JSON.parse(store.records.get(result.successful[0]?.eventID ?? '') ?? '{}');
    expect(stored).toMatchObject({ eventName: 'CreateOrder', eventID: result.successful[0]?.eventID });
  });

  it('answers EventTooLarge when the stored record would pass 256 KB', async () => {
    const big = { a: 'x'.repeat(100_000) };
    const input = sampleEvent({
      requestParameters: big,
      responseElements: big,
      additionalEventData: { a: 'y'.repeat(28_000) },
      addendum: { a: 'z'.repeat(40_000) },
    });
    const result = await putEvents([input], new MemoryEventStore(), OPTIONS);
    expect(result.failed).toEqual([expect.objectContaining({ errorCode: 'EventTooLarge' })]);
  });

  it('stores an id once and answers every repeat with the same eventID', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const event = sampleEvent({ id: 'order-42' });
    // Act
    const first = await putEvents([event], store, OPTIONS);
    const again = await putEvents([event, event], store, OPTIONS);
    // Assess
    const eventID = first.successful[0]?.eventID;
    expect(again.successful).toEqual([
      { index: 0, id: 'order-42', eventID },
      { index: 1, id: 'order-42', eventID },
    ]);
    expect(store.records.size).toBe(1);
  });

  it("heals a producer id whose first attempt failed after the claim: the claim moves to the retry's eventID", async () => {
    // Prepare: the first write of the claimed event fails, as a throttled BatchWriteItem would.
    const store = new MemoryEventStore();
    const event = sampleEvent({ id: 'retry-me' });
    const originalWrite = store.writeEvents.bind(store);
    store.writeEvents = async (events) => {
      for (const stored of events) store.failNextWrite.add(stored.eventID);
      store.writeEvents = originalWrite;
      return originalWrite(events);
    };
    // Act
    const failed = await putEvents([event], store, OPTIONS);
    const retried = await putEvents([event], store, OPTIONS);
    // Assess
    expect(failed.failed).toEqual([expect.objectContaining({ errorCode: 'Throttling', id: 'retry-me' })]);
    const claimed = store.claimHolder(claimOf('retry-me'));
    expect(retried.successful).toEqual([{ index: 0, id: 'retry-me', eventID: claimed }]);
    expect([...store.records.keys()]).toEqual([claimed]);
  });

  it('lists the event again when the first attempt stored its page but not its posting lists', async () => {
    // Prepare: the first write stores only the page, as a BatchWriteItem that lost its lists' chunk would.
    const store = new MemoryEventStore();
    const event = sampleEvent({
      id: 'half-stored',
      resources: [{ ARN: 'arn:aws:s3:::half-stored-bucket', type: 'AWS::S3::Bucket' }],
    });
    const originalWrite = store.writeEvents.bind(store);
    store.writeEvents = async (events) => {
      store.writeEvents = originalWrite;
      const results = await originalWrite(
        events.map((stored) => ({ ...stored, keys: { ...stored.keys, postings: [] } })),
      );
      return results.map(() => ({ ok: false, errorCode: 'Throttling' }));
    };
    // Act
    const failed = await putEvents([event], store, OPTIONS);
    const unlistedBeforeRetry = await lookedUp({ ResourceName: 'arn:aws:s3:::half-stored-bucket' }, store);
    const retried = await putEvents([event], store, OPTIONS);
    // Assess
    const eventID = store.claimHolder(claimOf('half-stored'));
    expect(failed.failed).toEqual([expect.objectContaining({ errorCode: 'Throttling' })]);
    expect(unlistedBeforeRetry).toEqual([]);
    expect(retried.successful).toEqual([{ index: 0, id: 'half-stored', eventID }]);
    expect(await lookedUp({ ResourceName: 'arn:aws:s3:::half-stored-bucket' }, store)).toEqual([eventID]);
    expect(await lookedUp({ ResourceType: 'AWS::S3::Bucket' }, store)).toEqual([eventID]);
    expect(store.records.size).toBe(1);
  });

  it('keeps the same producer id from two sources, or from two channels, as two events', async () => {
    // Prepare: two applications and two PutAuditEvents channels that all count their ids from 1.
    const store = new MemoryEventStore();
    const orders = sampleEvent({ id: '1', eventName: 'CreateOrder' });
    const billing = sampleEvent({ id: '1', eventSource: 'billing.example.com', eventName: 'ChargeCard' });
    const channel = (name: string) => ({
      ...OPTIONS,
      channelArn: `arn:aws:cloudtrail:eu-west-1:111122223333:channel/${name}`,
    });

    // Act
    const sameBatch = await putEvents([orders, billing], store, OPTIONS);
    const fromChannelA = await putEvents([orders], store, channel('a'));
    const fromChannelB = await putEvents([orders], store, channel('b'));
    const retriedOnChannelA = await putEvents([orders], store, channel('a'));

    // Assess
    const eventIDs = [
      ...sameBatch.successful.map((success) => success.eventID),
      fromChannelA.successful[0]?.eventID,
      fromChannelB.successful[0]?.eventID,
    ];
    expect(new Set(eventIDs).size).toBe(4);
    expect(store.records.size).toBe(4);
    expect(retriedOnChannelA.successful[0]?.eventID).toBe(fromChannelA.successful[0]?.eventID);
    const names = [...store.records.values()].map((record) => JSON.parse(record).eventName).sort();
    expect(names).toEqual(['ChargeCard', 'CreateOrder', 'CreateOrder', 'CreateOrder']);
  });

  const UNSTORED_EVENT_ID = '01ABCDEFGHJKMNPQRSTVWXYZ00';
  const heldClaim = (id: string, heldForMs: number) => ({
    scope: claimOf(id),
    eventID: UNSTORED_EVENT_ID,
    expiresAt: 0,
    contentHash: producerContentHash(sampleEvent({ id }) as ProducerEvent),
    claimedAtMs: OPTIONS.receivedAtMs - heldForMs,
  });

  it('moves a settled claim whose event was never stored to a new eventID', async () => {
    const store = new MemoryEventStore();
    await store.claimProducerId(heldClaim('moved', CLAIM_SETTLE_MS));
    const result = await putEvents([sampleEvent({ id: 'moved' })], store, OPTIONS);
    const eventID = result.successful[0]?.eventID;
    expect(eventID).not.toBe(UNSTORED_EVENT_ID);
    expect(store.claimHolder(claimOf('moved'))).toBe(eventID);
  });

  it('answers Throttling while the attempt holding the id may still store its event, and stores nothing', async () => {
    // Prepare: an earlier attempt claimed the id 10 s ago and has not stored its event yet (still writing).
    const store = new MemoryEventStore();
    await store.claimProducerId(heldClaim('running', 10_000));

    // Act
    const result = await putEvents([sampleEvent({ id: 'running' })], store, OPTIONS);

    // Assess
    expect(result.successful).toEqual([]);
    expect(result.failed).toEqual([
      {
        index: 0,
        id: 'running',
        errorCode: 'Throttling',
        errorMessage: `id running is held by an earlier attempt that has not stored its event yet and may still; retry: if that attempt failed, the id is free within ${(CLAIM_SETTLE_MS - 10_000) / 1000} s`,
        retryAfterSeconds: (CLAIM_SETTLE_MS - 10_000) / 1000,
      },
    ]);
    expect(store.claimHolder(claimOf('running'))).toBe(UNSTORED_EVENT_ID);
    expect(store.records.size).toBe(0);
  });

  it('releases the claims of events it failed to store, so an immediate retry stores them once', async () => {
    // Prepare: the first attempt's write fails without storing anything.
    const store = new MemoryEventStore();
    const writeEvents = store.writeEvents.bind(store);
    store.writeEvents = async (events) => events.map(() => ({ ok: false, errorCode: 'Throttling' }));
    const events = [sampleEvent({ id: 'r-1' }), sampleEvent({ id: 'r-2', eventName: 'DeleteOrder' })];
    const failed = await putEvents(events, store, OPTIONS);
    store.writeEvents = writeEvents;

    // Act
    const retried = await putEvents(events, store, { ...OPTIONS, receivedAtMs: OPTIONS.receivedAtMs + 200 });

    // Assess
    expect(failed.failed.map((failure) => failure.errorCode)).toEqual(['Throttling', 'Throttling']);
    expect(retried.successful.map((success) => success.id)).toEqual(['r-1', 'r-2']);
    expect(store.records.size).toBe(2);
    expect(store.claimHolder(claimOf('r-1'))).toBe(retried.successful[0]?.eventID);
  });

  it('keeps the claims of events whose write may still land, and answers their retry Throttling until then', async () => {
    // Prepare: the write timed out; DynamoDB may still apply it.
    const store = new MemoryEventStore();
    const writeEvents = store.writeEvents.bind(store);
    store.writeEvents = async (events) =>
      events.map(() => ({ ok: false, errorCode: 'Throttling', mayLand: true }) as const);
    const event = sampleEvent({ id: 'late' });
    await putEvents([event], store, OPTIONS);
    store.writeEvents = writeEvents;
    const held = store.claimHolder(claimOf('late'));

    // Act
    const retried = await putEvents([event], store, { ...OPTIONS, receivedAtMs: OPTIONS.receivedAtMs + 200 });

    // Assess
    expect(held).toEqual(expect.any(String));
    expect(retried.failed).toEqual([expect.objectContaining({ errorCode: 'Throttling' })]);
    expect(retried.failed[0]?.errorMessage).toMatch(/held by an earlier attempt/);
    expect(store.claimHolder(claimOf('late'))).toBe(held);
    expect(store.records.size).toBe(0);
  });

  it('keeps the claim of a failed event whose page was stored, so the retry lists that event instead of a copy', async () => {
    // Prepare: the page is stored but the attempt reports failure (its posting lists failed).
    const store = new MemoryEventStore();
    const writeEvents = store.writeEvents.bind(store);
    store.writeEvents = async (events) => {
      await writeEvents(events);
      return events.map(() => ({ ok: false, errorCode: 'Throttling' }));
    };
    const event = sampleEvent({ id: 'half' });
    const failed = await putEvents([event], store, OPTIONS);
    store.writeEvents = writeEvents;
    const held = store.claimHolder(claimOf('half'));

    // Act
    const retried = await putEvents([event], store, { ...OPTIONS, receivedAtMs: OPTIONS.receivedAtMs + 200 });

    // Assess
    expect(failed.failed).toEqual([expect.objectContaining({ errorCode: 'Throttling' })]);
    expect(held).toEqual(expect.any(String));
    expect(retried.successful).toEqual([{ index: 0, id: 'half', eventID: held }]);
    expect(store.records.size).toBe(1);
  });

  it('fails only the events whose catalog entry could not be written, so none is stored unlisted', async () => {
    // Prepare: the catalog entry of one source cannot be written.
    const store = new MemoryEventStore();
    const writeCatalog = store.writeCatalog.bind(store);
    store.writeCatalog = async (entries, expiresAt) => {
      const results = await writeCatalog(
        entries.filter((entry) => entry.attributes.eventSource !== 'lost.example.com'),
        expiresAt,
      );
      let next = 0;
      return entries.map((entry) =>
        entry.attributes.eventSource === 'lost.example.com'
          ? { ok: false, errorCode: 'Throttling' }
          : (results[next++] ?? { ok: false, errorCode: 'Throttling' }),
      );
    };
    // Act
    const result = await putEvents(
      [sampleEvent(), sampleEvent({ eventSource: 'lost.example.com' })],
      store,
      OPTIONS,
    );
    // Assess
    expect(result.successful.map((success) => success.index)).toEqual([0]);
    expect(result.failed).toEqual([expect.objectContaining({ index: 1, errorCode: 'Throttling' })]);
    expect(store.records.size).toBe(1);
  });

  it('reports Throttling, never success, when the store stays unavailable', async () => {
    const store = new MemoryEventStore();
    store.claimProducerId = async () => {
      throw new StoreUnavailableError('throttled');
    };
    store.writeEvents = async (events) => events.map(() => ({ ok: false, errorCode: 'Throttling' }));
    const result = await putEvents([sampleEvent({ id: 'a' }), sampleEvent()], store, OPTIONS);
    expect(result.successful).toEqual([]);
    expect(result.failed.map((f) => f.errorCode)).toEqual(['Throttling', 'Throttling']);
    expect(store.records.size).toBe(0);
  });
});

describe('putEvents with selectors and redaction', () => {
  const policy = (selectors: TrailSelectors = {}, redaction?: RedactionRules): IngestPolicy => ({
    selectors: compileSelectors(selectors),
    redact: compileRedaction(redaction),
  });

  it('gives an event no selector keeps an eventID, lists it as filtered and never stores it', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const inputs = [
      sampleEvent({ eventCategory: 'Data', id: 'data-1' }),
      sampleEvent(),
      sampleEvent({ eventName: undefined }),
    ];
    // Act
    const result = await putEvents(inputs, store, { ...OPTIONS, policy: DEFAULT_INGEST_POLICY });
    // Assess
    expect(result.filtered).toEqual([
      { index: 0, id: 'data-1', eventID: expect.stringMatching(/^[0-9A-Z]{26}$/) },
    ]);
    expect(result.successful.map((success) => success.index)).toEqual([1]);
    expect(result.failed.map((failure) => failure.index)).toEqual([2]);
    expect(store.records.size).toBe(1);
    expect(store.records.has(result.filtered[0]?.eventID ?? '')).toBe(false);
    // A filtered event claims nothing, under whatever scope ingest derives.
    expect(store.claimCount()).toBe(0);
  });

  it('keeps only writes when the trail records no reads', async () => {
    const store = new MemoryEventStore();
    const inputs = [sampleEvent({ eventName: 'GetOrder' }), sampleEvent({ eventName: 'CreateOrder' })];
    const result = await putEvents(inputs, store, {
      ...OPTIONS,
      policy: policy({ management: { read: false } }),
    });
    expect(result.filtered.map((filtered) => filtered.index)).toEqual([0]);
    expect(result.successful.map((success) => success.index)).toEqual([1]);
  });

  it('refuses events for regions the trail does not record with InvalidRegion, the default region included', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const options = { ...OPTIONS, policy: policy({ regions: ['eu-west-1'] }) };
    // Act
    const result = await putEvents(
      [sampleEvent({ awsRegion: 'eu-west-1' }), sampleEvent({ awsRegion: 'us-west-2' }), sampleEvent()],
      store,
      options,
    );
    // Assess
    expect(result.successful.map((success) => success.index)).toEqual([0]);
    expect(result.failed).toEqual([
      expect.objectContaining({
        index: 1,
        errorCode: 'InvalidRegion',
        errorMessage: expect.stringContaining('us-west-2'),
      }),
      expect.objectContaining({
        index: 2,
        errorCode: 'InvalidRegion',
        errorMessage: expect.stringContaining('eu-west-1'),
      }),
    ]);
    expect(store.records.size).toBe(1);
  });

  it('stores the redacted record and names what was masked', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const input = sampleEvent({ requestParameters: { userName: 'bob', password: 'hunter2' } });
    // Act
    const result = await putEvents([input], store, { ...OPTIONS, policy: DEFAULT_INGEST_POLICY });
    // Assess
    const stored = store.records.get(result.successful[0]?.eventID ?? '') ?? '';
    expect(stored).not.toContain('hunter2');
    expect(JSON.parse(stored)).toMatchObject({
      requestParameters: { userName: 'bob', password: REDACTION_MASK },
      ingestion: { redactedFields: ['requestParameters.password'] },
    });
    expect(input.requestParameters).toEqual({ userName: 'bob', password: 'hunter2' });
  });

  it('applies payload limits to what was sent, even when masking shrinks the payload', async () => {
    const input = sampleEvent({
      additionalEventData: { token: 'x'.repeat(LIMITS.additionalEventDataBytes) },
    });
    const result = await putEvents([input], new MemoryEventStore(), {
      ...OPTIONS,
      policy: DEFAULT_INGEST_POLICY,
    });
    expect(result.failed).toEqual([
      expect.objectContaining({
        errorCode: 'FieldTooLong',
        errorMessage: expect.stringContaining('additionalEventData'),
      }),
    ]);
  });

  it('fails with EventTooLarge, never a cut, when masking grows a record past 256 KB', async () => {
    // Prepare: 2,000 one-digit passwords each grow by the mask's length; the event as sent fits.
    const passwords = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`password${i}`, 1]));
    const input = sampleEvent({ requestParameters: passwords, addendum: { pad: 'x'.repeat(200_000) } });
    const sentBytes = Buffer.byteLength(JSON.stringify(input));
    // Act
    const withoutPolicy = await putEvents([input], new MemoryEventStore(), OPTIONS);
    const result = await putEvents([input], new MemoryEventStore(), {
      ...OPTIONS,
      policy: DEFAULT_INGEST_POLICY,
    });
    // Assess
    expect(sentBytes).toBeLessThan(LIMITS.eventBytes);
    expect(withoutPolicy.successful).toHaveLength(1);
    expect(result.failed).toEqual([expect.objectContaining({ errorCode: 'EventTooLarge' })]);
  });

  it('records every event as sent when no policy is given', async () => {
    const store = new MemoryEventStore();
    const input = sampleEvent({
      eventCategory: 'Data',
      awsRegion: 'sa-east-1',
      requestParameters: { token: 't' },
    });
    const result = await putEvents([input], store, OPTIONS);
    expect(result.filtered).toEqual([]);
    expect(JSON.parse(store.records.get(result.successful[0]?.eventID ?? '') ?? '{}')).toMatchObject({
      requestParameters: { token: 't' },
    });
  });
});
