import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import { createEventsTable } from '../../lambda/adapters/table-admin.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { idempotencyKey, producerIdScope } from '../../lambda/core/keys.js';
import { sampleEvent } from '../fixtures/events.js';

/** The producer-id claim against real DynamoDB semantics (moto): scoped per principal, holding a content hash. */

const NOW_MS = Date.now();
const ALICE = 'arn:aws:iam::123456789012:user/alice-producer';
const MALLORY = 'arn:aws:iam::123456789012:user/mallory-producer';
const OPTIONS: IngestOptions = {
  receivedAtMs: NOW_MS,
  defaultRegion: 'us-east-1',
  defaultAccountId: '123456789012',
  retentionDays: 90,
  writeShards: 2,
};
const client = new DynamoDBClient({});
let store: DynamoDbEventStore;

beforeAll(async () => {
  await createEventsTable(client, 'claims');
  store = new DynamoDbEventStore(client, 'claims', {
    backoff: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20 },
  });
});

const event = (overrides: Record<string, unknown>) =>
  sampleEvent({ eventTime: new Date(NOW_MS - 1000).toISOString(), ...overrides });

describe('producer-id claims in DynamoDB', () => {
  it('answers the same content with the held eventID and other content with IdempotencyConflict', async () => {
    // Prepare
    const options = { ...OPTIONS, producerArn: ALICE };
    const first = await putEvents([event({ id: 'claim-1' })], store, options);

    // Act
    const same = await putEvents([event({ id: 'claim-1' })], store, { ...options, receivedAtMs: NOW_MS + 5 });
    const other = await putEvents([event({ id: 'claim-1', eventName: 'DeleteOrder' })], store, options);

    // Assess
    const eventID = first.successful[0]?.eventID;
    expect(same.successful).toEqual([{ index: 0, id: 'claim-1', eventID }]);
    expect(other.failed).toEqual([expect.objectContaining({ errorCode: 'IdempotencyConflict' })]);
    const key = idempotencyKey(producerIdScope('orders.example.com', 'claim-1', '', ALICE));
    const claim = await client.send(
      new GetItemCommand({ TableName: 'claims', Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
    );
    expect(claim.Item).toMatchObject({ eventID: { S: eventID }, contentHash: { S: expect.any(String) } });
  });

  it("keeps another principal's event with the same id as an event of its own", async () => {
    // Prepare
    await putEvents([event({ id: 'claim-2', eventName: 'GetOrder' })], store, {
      ...OPTIONS,
      producerArn: MALLORY,
    });

    // Act
    const alices = await putEvents([event({ id: 'claim-2', eventName: 'DeleteOrder' })], store, {
      ...OPTIONS,
      producerArn: ALICE,
    });

    // Assess
    expect(alices.failed).toEqual([]);
    const stored = await store.readRecord(alices.successful[0]?.eventID ?? '');
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ eventName: 'DeleteOrder' });
  });

  it('releases only the claims whose events are not stored and still name them', async () => {
    // Prepare: a stored event, an event never stored, and a claim another attempt moved on.
    const options = { ...OPTIONS, producerArn: ALICE };
    const stored = await putEvents([event({ id: 'release-stored' })], store, options);
    const storedID = stored.successful[0]?.eventID ?? '';
    const unstoredID = `${storedID.slice(0, -11)}ZZZZZZZZZZ0`;
    const scope = (id: string) => producerIdScope('orders.example.com', id, '', ALICE);
    const claim = (id: string, eventID: string) => ({
      scope: scope(id),
      eventID,
      expiresAt: Math.floor(NOW_MS / 1000) + 3600,
      contentHash: 'hash',
      claimedAtMs: NOW_MS,
    });
    await store.claimProducerId(claim('release-unstored', unstoredID));
    await store.claimProducerId(claim('release-moved', unstoredID));
    await store.reassignProducerId(claim('release-moved', storedID), unstoredID);

    // Act
    await store.releaseProducerIds([
      { scope: scope('release-stored'), eventID: storedID },
      { scope: scope('release-unstored'), eventID: unstoredID },
      { scope: scope('release-moved'), eventID: unstoredID },
    ]);

    // Assess
    const holder = async (id: string) => {
      const key = idempotencyKey(scope(id));
      const item = await client.send(
        new GetItemCommand({ TableName: 'claims', Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
      );
      return item.Item?.eventID?.S;
    };
    expect(await holder('release-stored')).toBe(storedID);
    expect(await holder('release-unstored')).toBeUndefined();
    expect(await holder('release-moved')).toBe(storedID);
  });
});
