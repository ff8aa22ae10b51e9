import { describe, expect, it } from 'vitest';
import type { TrailConfig } from '../../lambda/adapters/config.js';
import { writeItems } from '../../lambda/adapters/dynamodb-event-store.js';
import { type Channel, channelArn, resolveChannel } from '../../lambda/core/cloudtrail/channels.js';
import { PAGE_SLOTS } from '../../lambda/core/event-id.js';
import { byteLength, type ProducerEvent } from '../../lambda/core/event-model.js';
import {
  CLAIM_SETTLE_MS,
  type IngestOptions,
  producerContentHash,
  putEvents,
} from '../../lambda/core/ingest.js';
import { pagesOf, producerIdScope } from '../../lambda/core/keys.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { createIngestHandler } from '../../lambda/routes/ingest.js';
import { PUT_AUDIT_EVENTS_PROTOCOL } from '../../lambda/routes/protocols.js';
import { ACCOUNT_ID, ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';
import { HTTP_CONTEXT, putRouteEvent } from '../fixtures/http.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { refusalOf } from '../fixtures/request-error.js';

const channelRefusal = (run: () => unknown) => refusalOf(run, PUT_AUDIT_EVENTS_PROTOCOL);

/** What a hostile producer must not be able to do on the write side (issue 13). */

const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: 4 };
const ALICE = `arn:aws:iam::${ACCOUNT_ID}:user/alice-producer`;
const MALLORY = `arn:aws:iam::${ACCOUNT_ID}:user/mallory-producer`;
const CHANNEL_ARN = channelArn('aws', 'us-east-1', ACCOUNT_ID, 'default');
const CONFIG: TrailConfig = {
  tableName: 'trail',
  region: 'us-east-1',
  accountId: ACCOUNT_ID,
  retentionDays: 90,
  writeShards: 2,
  channels: [{ name: 'default', arn: CHANNEL_ARN }],
};

const lakeEventData = (uid: string, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: '1.0',
    userIdentity: { type: 'CustomUser', principalId: 'u-1' },
    eventSource: 'orders.example.com',
    eventName: 'GetOrder',
    eventTime: '2026-11-20T10:00:00Z',
    UID: uid,
    recipientAccountId: ACCOUNT_ID,
    ...overrides,
  });

/** The ingest function over one in-memory table, called by API Gateway as `callerArn`. */
function ingestApi(store = new MemoryEventStore(), nowMs = NOW_MS) {
  const ingest = createIngestHandler({ config: CONFIG, writer: store, now: () => nowMs });
  const call = async (route: 'PutEvents' | 'PutAuditEvents', body: unknown, callerArn?: string) => {
    const response = await ingest(
      putRouteEvent(route, body, { channelArn: CHANNEL_ARN, callerArn }),
      HTTP_CONTEXT,
    );
    return JSON.parse(response.body ?? '') as {
      successful: Array<{ index?: number; id: string; eventID: string }>;
      failed: Array<{ index?: number; id: string; errorCode: string; errorMessage: string }>;
    };
  };
  return {
    store,
    putEvents: (events: unknown[], callerArn?: string) => call('PutEvents', { events }, callerArn),
    putAuditEvents: (auditEvents: unknown[], callerArn?: string) =>
      call('PutAuditEvents', { auditEvents }, callerArn),
  };
}

const eventNames = (store: MemoryEventStore) =>
  [...store.records.values()].map((record) => (JSON.parse(record) as { eventName: string }).eventName).sort();

describe('idempotency ids are scoped to the producing principal', () => {
  it("stores another principal's event under the same id as an event of its own (POST /events)", async () => {
    // Prepare
    const api = ingestApi();
    await api.putEvents([sampleEvent({ id: 'order-o-1-delete', eventName: 'GetOrder' })], MALLORY);

    // Act
    const result = await api.putEvents(
      [sampleEvent({ id: 'order-o-1-delete', eventName: 'DeleteOrder' })],
      ALICE,
    );

    // Assess
    expect(result.failed).toEqual([]);
    expect(eventNames(api.store)).toEqual(['DeleteOrder', 'GetOrder']);
    const alices = JSON.parse(api.store.records.get(result.successful[0]?.eventID ?? '') ?? '{}');
    expect(alices).toMatchObject({ eventName: 'DeleteOrder', ingestion: { producerArn: ALICE } });
  });

  it("stores another principal's audit event under the same UID as an event of its own (PutAuditEvents)", async () => {
    // Prepare
    const api = ingestApi();
    await api.putAuditEvents([{ id: 'a', eventData: lakeEventData('order-o-1-delete') }], MALLORY);

    // Act
    const result = await api.putAuditEvents(
      [{ id: 'a', eventData: lakeEventData('order-o-1-delete', { eventName: 'DeleteOrder' }) }],
      ALICE,
    );

    // Assess
    expect(result.failed).toEqual([]);
    expect(eventNames(api.store)).toEqual(['DeleteOrder', 'GetOrder']);
  });

  it('answers a re-put with other content IdempotencyConflict, in a later request and in the same batch', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const options = { ...OPTIONS, producerArn: ALICE };
    const first = await putEvents([sampleEvent({ id: 'o-1', eventName: 'GetOrder' })], store, options);

    // Act
    const later = await putEvents([sampleEvent({ id: 'o-1', eventName: 'DeleteOrder' })], store, options);
    const batch = await putEvents(
      [sampleEvent({ id: 'o-2' }), sampleEvent({ id: 'o-2', eventName: 'DeleteOrder' })],
      store,
      options,
    );

    // Assess
    expect(later.successful).toEqual([]);
    expect(later.failed).toEqual([
      {
        index: 0,
        id: 'o-1',
        errorCode: 'IdempotencyConflict',
        errorMessage: expect.stringContaining(first.successful[0]?.eventID ?? 'missing'),
      },
    ]);
    expect(batch.successful.map((success) => success.index)).toEqual([0]);
    expect(batch.failed).toEqual([expect.objectContaining({ index: 1, errorCode: 'IdempotencyConflict' })]);
    expect(eventNames(store)).toEqual(['CreateOrder', 'GetOrder']);
  });

  it('answers a re-put of the same content with the same eventID, whatever the order of its fields', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const options = { ...OPTIONS, producerArn: ALICE };
    const event = sampleEvent({ id: 'o-3' });
    const reordered = Object.fromEntries(Object.entries(event).reverse());
    const first = await putEvents([event], store, options);

    // Act
    const again = await putEvents([reordered, event], store, { ...options, receivedAtMs: NOW_MS + 1000 });

    // Assess
    const eventID = first.successful[0]?.eventID;
    expect(again.successful).toEqual([
      { index: 0, id: 'o-3', eventID },
      { index: 1, id: 'o-3', eventID },
    ]);
    expect(store.records.size).toBe(1);
  });

  it('answers a PutAuditEvents re-put with other content in failed[], never in successful[]', async () => {
    // Prepare
    const api = ingestApi();
    const first = await api.putAuditEvents([{ id: 'a', eventData: lakeEventData('uid-9') }], ALICE);

    // Act
    const same = await api.putAuditEvents([{ id: 'a', eventData: lakeEventData('uid-9') }], ALICE);
    const other = await api.putAuditEvents(
      [{ id: 'a', eventData: lakeEventData('uid-9', { eventName: 'DeleteOrder' }) }],
      ALICE,
    );

    // Assess
    expect(same.successful).toEqual(first.successful);
    expect(other.successful).toEqual([]);
    expect(other.failed).toEqual([
      { id: 'a', errorCode: 'InvalidData', errorMessage: expect.stringContaining('IdempotencyConflict') },
    ]);
    expect(eventNames(api.store)).toEqual(['GetOrder']);
  });

  it("lets a role's sessions share its ids, so a retry after a credential refresh is still idempotent", async () => {
    // Prepare
    const api = ingestApi();
    const session = (name: string) => `arn:aws:sts::${ACCOUNT_ID}:assumed-role/OrderWriter/${name}`;
    const event = sampleEvent({ id: 'o-4' });
    const first = await api.putEvents([event], session('botocore-session-1'));

    // Act
    const retried = await api.putEvents([event], session('botocore-session-2'));
    const otherRole = await api.putEvents(
      [sampleEvent({ id: 'o-4', eventName: 'DeleteOrder' })],
      `arn:aws:sts::${ACCOUNT_ID}:assumed-role/Other/botocore-session-1`,
    );

    // Assess
    expect(retried.successful).toEqual(first.successful);
    expect(otherRole.failed).toEqual([]);
    expect(eventNames(api.store)).toEqual(['CreateOrder', 'DeleteOrder']);
  });

  it('puts every caller without a principal (unsigned tests, local tools) in one scope of their own', async () => {
    // Prepare
    const store = new MemoryEventStore();
    await putEvents([sampleEvent({ id: 'o-5' })], store, OPTIONS);

    // Act
    const anonymous = await putEvents([sampleEvent({ id: 'o-5', eventName: 'DeleteOrder' })], store, OPTIONS);
    const signed = await putEvents([sampleEvent({ id: 'o-5', eventName: 'DeleteOrder' })], store, {
      ...OPTIONS,
      producerArn: ALICE,
    });

    // Assess
    expect(anonymous.failed).toEqual([expect.objectContaining({ errorCode: 'IdempotencyConflict' })]);
    expect(signed.failed).toEqual([]);
    expect(eventNames(store)).toEqual(['CreateOrder', 'DeleteOrder']);
  });
});

describe('a claim whose event was never stored', () => {
  // A held eventID that cannot describe the event (another source's hash), so a retry must move the claim.
  const UNUSABLE_EVENT_ID = '01ABCDEFGHJKMNPQRSTVWXYZ00';
  const claimFor = (event: Record<string, unknown>) =>
    producerIdScope('orders.example.com', String(event.id), '', ALICE);
  // A claim older than CLAIM_SETTLE_MS: its attempt is over.
  const settledClaim = (event: Record<string, unknown>) => ({
    scope: claimFor(event),
    eventID: UNUSABLE_EVENT_ID,
    expiresAt: 0,
    contentHash: producerContentHash(event as ProducerEvent),
    claimedAtMs: OPTIONS.receivedAtMs - CLAIM_SETTLE_MS,
  });

  it('moves to a new eventID for a retry with the same content', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const event = sampleEvent({ id: 'o-6' });
    await store.claimProducerId(settledClaim(event));

    // Act
    const result = await putEvents([event], store, { ...OPTIONS, producerArn: ALICE });

    // Assess
    const eventID = result.successful[0]?.eventID;
    expect(eventID).toEqual(expect.any(String));
    expect(eventID).not.toBe(UNUSABLE_EVENT_ID);
    expect(store.claimHolder(claimFor(event))).toBe(eventID);
  });

  it('is not healed by a put with other content: that is an IdempotencyConflict and the claim stays', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const event = sampleEvent({ id: 'o-7' });
    const other = sampleEvent({ id: 'o-7', eventName: 'DeleteOrder' });
    await store.claimProducerId(settledClaim(event));

    // Act
    const result = await putEvents([other], store, { ...OPTIONS, producerArn: ALICE });

    // Assess
    expect(result.failed).toEqual([expect.objectContaining({ errorCode: 'IdempotencyConflict' })]);
    expect(store.claimHolder(claimFor(event))).toBe(UNUSABLE_EVENT_ID);
    expect(store.records.size).toBe(0);
  });
});

describe('eventTime must be a calendar date and time', () => {
  // A clock after every date below, so only the calendar can refuse them (Date.parse rolls them over).
  const nowMs = Date.parse('2026-12-05T00:00:00Z');

  it.each([
    '2026-11-31T12:00:00Z',
    '2026-11-30T24:00:00Z',
    '2026-09-31T00:00:00.5Z',
    '2026-11-20T10:60:00Z',
    '2026-11-20T10:00:60Z',
  ])('refuses %s with InvalidData on both put routes', async (eventTime) => {
    // Prepare
    const api = ingestApi(new MemoryEventStore(), nowMs);

    // Act
    const native = await api.putEvents([sampleEvent({ eventTime })], ALICE);
    const lake = await api.putAuditEvents(
      [{ id: 'a', eventData: lakeEventData('t-1', { eventTime }) }],
      ALICE,
    );

    // Assess
    const refused = expect.objectContaining({
      errorCode: 'InvalidData',
      errorMessage: expect.stringContaining('eventTime'),
    });
    expect(native.failed).toEqual([refused]);
    expect(lake.failed).toEqual([refused]);
    expect(api.store.records.size).toBe(0);
  });

  it('accepts the last second of a day and of a month', async () => {
    const result = await putEvents(
      [
        sampleEvent({ eventTime: '2026-11-30T23:59:59Z' }),
        sampleEvent({ eventTime: '2026-10-31T23:59:59.999Z' }),
      ],
      new MemoryEventStore(),
      { ...OPTIONS, receivedAtMs: nowMs },
    );
    expect(result.failed).toEqual([]);
  });
});

describe('resources per event are capped so one request cannot amplify writes', () => {
  const resources = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ ARN: `arn:example:orders:::order/o-${i}`, type: `Type${i}` }));

  it('refuses an event with more resources than the cap with FieldTooLong, and stores nothing of it', async () => {
    // Prepare
    const store = new MemoryEventStore();

    // Act
    const result = await putEvents(
      [sampleEvent({ resources: resources(LIMITS.resourcesPerEvent + 1) })],
      store,
      OPTIONS,
    );

    // Assess
    expect(result.failed).toEqual([
      expect.objectContaining({
        errorCode: 'FieldTooLong',
        errorMessage: expect.stringContaining(`at most ${LIMITS.resourcesPerEvent}`),
      }),
    ]);
    expect(store.itemCount()).toBe(0);
  });

  it('keeps the worst request (100 events at the cap, no value shared) to a bounded number of item writes', async () => {
    // Prepare: every event its own eventName, user, access key and resources, so no posting list is shared.
    const store = new MemoryEventStore();
    const events = Array.from({ length: LIMITS.eventsPerRequest }, (_, event) =>
      sampleEvent({
        eventName: `Call${event}`,
        userIdentity: {
          type: 'IAMUser',
          principalId: `P${event}`,
          userName: `u${event}`,
          accessKeyId: `AKIA${event}`,
        },
        resources: resources(LIMITS.resourcesPerEvent).map(({ ARN, type }) => ({
          ARN: `${ARN}-${event}`,
          type: `${type}-${event}`,
        })),
      }),
    );

    // Act
    const result = await putEvents(events, store, OPTIONS);

    // Assess: per event its EventName, Username and AccessKeyId lists and two lists per resource; one readOnly
    // feed list for them all (the feed has two values); the pages that hold the events; plus the source catalog.
    expect(result.failed).toEqual([]);
    const itemWrites = writeItems(store.storedEvents).length;
    const pages = pagesOf(store.storedEvents).length;
    // One source and minute: a page closes only when full by slots or bytes.
    const recordBytes = store.storedEvents.reduce((sum, event) => sum + byteLength(event.recordJson), 0);
    expect(pages).toBeLessThanOrEqual(
      Math.max(
        Math.ceil(LIMITS.eventsPerRequest / PAGE_SLOTS),
        Math.ceil(recordBytes / LIMITS.pageOpenBytes),
      ) + 1,
    );
    expect(itemWrites).toBe(LIMITS.eventsPerRequest * (3 + 2 * LIMITS.resourcesPerEvent) + 1 + pages);
    expect(itemWrites).toBeLessThanOrEqual(2_500);
    expect(store.itemCount()).toBe(itemWrites + 1);
  });
});

describe('ChannelNotFound names only channels the caller may put to', () => {
  const open: Channel = { name: 'default', arn: channelArn('aws', 'us-east-1', ACCOUNT_ID, 'default') };
  const restricted: Channel = {
    name: 'payroll',
    arn: channelArn('aws', 'us-east-1', ACCOUNT_ID, 'payroll'),
    principals: [`arn:aws:iam::${ACCOUNT_ID}:role/PayrollWriter`],
  };
  const missing = channelArn('aws', 'us-east-1', ACCOUNT_ID, 'missing');

  it("lists open channels but not other principals' channels", () => {
    // Act
    const refusal = channelRefusal(() => resolveChannel(missing, [open, restricted], MALLORY));

    // Assess
    expect(refusal).toMatchObject({ code: 'ChannelNotFound' });
    expect(refusal?.message).toContain(open.arn);
    expect(refusal?.message).not.toContain('payroll');
  });

  it('lists a restricted channel to a principal it admits, and none when no channel admits the caller', () => {
    const writer = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/PayrollWriter/run-1`;
    expect(channelRefusal(() => resolveChannel(missing, [open, restricted], writer))?.message).toContain(
      'payroll',
    );
    const onlyRestricted = channelRefusal(() => resolveChannel(missing, [restricted], MALLORY));
    expect(onlyRestricted?.message).not.toContain('payroll');
    expect(onlyRestricted?.message).toContain('no channel');
  });
});
