import * as dynamodbApi from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../../lambda/adapters/dynamodb-insight-store.js';
import { DynamoDbIntegrityReader } from '../../lambda/adapters/dynamodb-integrity-reader.js';
import { DynamoDbLedger } from '../../lambda/adapters/dynamodb-ledger.js';
import { KmsDigestSigner } from '../../lambda/adapters/kms-digest-signer.js';
import { S3ArchiveReader } from '../../lambda/adapters/s3-archive-reader.js';
import { S3DigestWriter } from '../../lambda/adapters/s3-digest-writer.js';
import { SqsDeliveryQueue } from '../../lambda/adapters/sqs-delivery-queue.js';
import { createEventsTable } from '../../lambda/adapters/table-admin.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { runDigester } from '../../lambda/core/integrity/digester.js';
import { LOOKUP_KEYS, lookupEvents } from '../../lambda/core/lookup.js';
import { createIntegrityResources } from '../../local/integrity-resources.js';
import { type MiniStack, startMiniStack } from '../../local/ministack.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';
import { lookupValues, variedEvents } from '../fixtures/traffic.js';
import { archiveObject, notification, WRITER } from '../unit/integrity/integrity-kit.js';

/**
 * Local mode runs DynamoDB and its stream on MiniStack and the rest on moto (docs/load.md). Here the real
 * adapters (events, producer-id claims, lookups, insight counters, the integrity ledger and its reader) run on
 * moto, the integration project's emulator, through a client that sends every call again, with the same input,
 * to a MiniStack: every answer must be the same. Then both tables' streams are read as local/stream-poller.ts
 * and lambda/adapters/stream-replay.ts read them, and must hold the same records in the same order.
 */

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const REGION = 'us-east-1';
const NOW_MS = Date.now();
const SHARDS = 4;
const OPTIONS: IngestOptions = { ...ENRICHMENT, receivedAtMs: NOW_MS, writeShards: SHARDS };
const WINDOW = { startMs: NOW_MS - 2 * 3_600_000, endMs: NOW_MS };

type Answer = { readonly output: unknown } | { readonly error: unknown };
interface Compared {
  readonly command: string;
  readonly input: unknown;
  readonly moto: Answer;
  readonly ministack: Answer;
}

/** The client's commands by name, to send a call again from its name and input. */
type AnyCommand = Parameters<dynamodbApi.DynamoDBClient['send']>[0];
const COMMANDS = dynamodbApi as unknown as Record<string, (new (input: object) => AnyCommand) | undefined>;

/** Table metadata each emulator makes up (ARNs, dates, sizes); the rest of a table description must agree. */
function tableShape(table: dynamodbApi.TableDescription | undefined) {
  return {
    KeySchema: table?.KeySchema,
    AttributeDefinitions: [...(table?.AttributeDefinitions ?? [])].sort((a, b) =>
      String(a.AttributeName).localeCompare(String(b.AttributeName)),
    ),
    StreamSpecification: table?.StreamSpecification,
    hasStream: table?.LatestStreamArn !== undefined,
    TableStatus: table?.TableStatus,
  };
}

const sortedByJson = (items: readonly unknown[]) =>
  [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** What a caller may read from an answer: BatchGetItem's responses are unordered in DynamoDB too. */
function comparable(command: string, output: Record<string, unknown>): unknown {
  // moto always answers capacity and item collection figures, asked for or not; OpenTrail never asks for them.
  const {
    $metadata: _metadata,
    ConsumedCapacity: _capacity,
    ItemCollectionMetrics: _metrics,
    ...rest
  } = output;
  if (command === 'CreateTableCommand')
    return tableShape(output.TableDescription as dynamodbApi.TableDescription);
  if (command === 'DescribeTableCommand') return tableShape(output.Table as dynamodbApi.TableDescription);
  if (command === 'BatchGetItemCommand') {
    const responses = (output.Responses ?? {}) as Record<string, unknown[]>;
    return {
      ...rest,
      Responses: Object.fromEntries(
        Object.entries(responses).map(([table, items]) => [table, sortedByJson(items)]),
      ),
    };
  }
  return rest;
}

/** An error as a caller tells it apart: its name, a condition failure's old item, a cancelled transaction's reasons. */
function comparableError(error: unknown): unknown {
  const { name, Item, CancellationReasons } = error as {
    name: string;
    Item?: unknown;
    CancellationReasons?: Array<{ Code?: string; Item?: unknown }>;
  };
  return { name, Item, reasons: CancellationReasons?.map(({ Code, Item: old }) => ({ Code, Item: old })) };
}

const answerOf = async (send: () => Promise<unknown>, command: string): Promise<Answer> => {
  try {
    return { output: comparable(command, (await send()) as Record<string, unknown>) };
  } catch (error) {
    return { error: comparableError(error) };
  }
};

/**
 * A DynamoDB client on moto that sends each call to MiniStack too, after moto has answered, and keeps both
 * answers. Calls take turns (the adapters send several at once): both servers see the same writes in the same
 * order, so conditional writes that race on moto race the same way on MiniStack.
 */
function teeClient(motoUrl: string, ministack: dynamodbApi.DynamoDBClient, compared: Compared[]) {
  const client = new dynamodbApi.DynamoDBClient({
    endpoint: motoUrl,
    region: REGION,
    credentials: CREDENTIALS,
  });
  let turn: Promise<unknown> = Promise.resolve();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const Replayed = COMMANDS[command];
      if (Replayed === undefined) throw new Error(`no command ${command} in @aws-sdk/client-dynamodb`);
      const input = structuredClone(args.input) as object;
      const mine = turn.then(async () => {
        let result: Awaited<ReturnType<typeof next>> | undefined;
        let failure: unknown;
        try {
          result = await next(args);
        } catch (error) {
          failure = error;
        }
        const moto: Answer =
          failure === undefined
            ? { output: comparable(command, result?.output as unknown as Record<string, unknown>) }
            : { error: comparableError(failure) };
        const answer = await answerOf(() => ministack.send(new Replayed(input)), command);
        compared.push({ command, input, moto, ministack: answer });
        if (failure !== undefined) throw failure;
        return result as Awaited<ReturnType<typeof next>>;
      });
      turn = mine.catch(() => undefined);
      return mine;
    },
    { step: 'initialize', name: 'sendToMiniStackToo' },
  );
  return client;
}

/** A stream record as a consumer reads it; ids, times and sizes are each server's own. */
const recordShape = ({ eventName, eventSource, dynamodb }: StreamRecord) => ({
  eventName,
  eventSource,
  Keys: dynamodb?.Keys,
  NewImage: dynamodb?.NewImage,
  StreamViewType: dynamodb?.StreamViewType,
});

async function streamOf(db: dynamodbApi.DynamoDBClient, streams: DynamoDBStreamsClient, table: string) {
  const { Table } = await db.send(new dynamodbApi.DescribeTableCommand({ TableName: table }));
  const streamArn = Table?.LatestStreamArn ?? '';
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shardIds = (StreamDescription?.Shards ?? []).map((shard) => shard.ShardId ?? '');
  const iterator = async (
    shardId: string,
    position: Omit<GetShardIteratorCommandInput, 'StreamArn' | 'ShardId'>,
  ) =>
    (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ...position })))
      .ShardIterator;
  /** Reads from the iterator to the end, pages of `limit`; the last answer's next iterator comes too. */
  const readFrom = async (start: string | undefined, limit: number) => {
    const records: StreamRecord[] = [];
    let next = start;
    for (let page = 0; next !== undefined && page < 100; page += 1) {
      const output = await streams.send(new GetRecordsCommand({ ShardIterator: next, Limit: limit }));
      records.push(...(output.Records ?? []));
      const empty = (output.Records ?? []).length === 0;
      next = output.NextShardIterator;
      if (empty) break;
    }
    return { records, next };
  };
  return { streamArn, shardIds, iterator, readFrom };
}

let ministack: MiniStack;
let motoDb: dynamodbApi.DynamoDBClient;
let ministackDb: dynamodbApi.DynamoDBClient;
let motoStreams: DynamoDBStreamsClient;
let ministackStreams: DynamoDBStreamsClient;
const compared: Compared[] = [];
let tee: dynamodbApi.DynamoDBClient;

beforeAll(async () => {
  const motoUrl = process.env.AWS_ENDPOINT_URL ?? '';
  ministack = await startMiniStack();
  const settings = { region: REGION, credentials: CREDENTIALS };
  motoDb = new dynamodbApi.DynamoDBClient({ ...settings, endpoint: motoUrl });
  ministackDb = new dynamodbApi.DynamoDBClient({ ...settings, endpoint: ministack.url });
  motoStreams = new DynamoDBStreamsClient({ ...settings, endpoint: motoUrl });
  ministackStreams = new DynamoDBStreamsClient({ ...settings, endpoint: ministack.url });
  tee = teeClient(motoUrl, ministackDb, compared);
}, 120_000);

afterAll(async () => {
  for (const client of [tee, motoDb, ministackDb, motoStreams, ministackStreams]) client?.destroy();
  await ministack?.stop();
});

/**
 * A Query that stops at its Limit with nothing left: DynamoDB still answers a LastEvaluatedKey (the last item's
 * key; "if LastEvaluatedKey is not empty, it does not necessarily mean that there is more data", Query.Pagination
 * in the DynamoDB guide), and so does MiniStack; moto leaves it out. The next Query answers no items.
 */
function isKeyAtTheLimit({ command, input, moto, ministack }: Compared): boolean {
  if (command !== 'QueryCommand' || !('output' in moto) || !('output' in ministack)) return false;
  const { LastEvaluatedKey, ...rest } = ministack.output as { LastEvaluatedKey?: unknown; Count?: number };
  const motoOutput = moto.output as { LastEvaluatedKey?: unknown };
  return (
    motoOutput.LastEvaluatedKey === undefined &&
    LastEvaluatedKey !== undefined &&
    rest.Count === (input as { Limit?: number }).Limit &&
    JSON.stringify(rest) === JSON.stringify(motoOutput)
  );
}

/** The answers that differ, each with its call (empty when MiniStack answered every call as moto did). */
const differences = (from: number) =>
  compared
    .slice(from)
    .filter((call) => JSON.stringify(call.moto) !== JSON.stringify(call.ministack) && !isKeyAtTheLimit(call));

/** Since call `from`: each of `commands` was made, moto refused at least one call, and MiniStack answered alike. */
function expectAnsweredAlike(from: number, commands: readonly string[]): void {
  const calls = compared.slice(from);
  for (const command of commands) expect(calls.map((call) => call.command)).toContain(command);
  expect(calls.some((call) => 'error' in call.moto)).toBe(true);
  expect(differences(from)).toEqual([]);
}

describe('MiniStack answers the DynamoDB calls OpenTrail makes as moto does', () => {
  // Generous: every call goes to both servers in turn, and the lookups run on each server alone too.
  it('the events table: creation and TTL, puts, producer-id claims, lookups of every key, reads by id', {
    timeout: 180_000,
  }, async () => {
    // Prepare
    const from = compared.length;
    await createEventsTable(tee, 'events');
    const store = new DynamoDbEventStore(tee, 'events', {
      backoff: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20 },
    });

    // Act: 300 varied events in 100-event puts, an id put again (same content) and a conflicting one.
    const results = [];
    const inputs = variedEvents(300, NOW_MS);
    for (const start of [0, 100, 200])
      results.push(await putEvents(inputs.slice(start, start + 100), store, OPTIONS));
    const event = sampleEvent({ id: 'claimed', eventTime: new Date(NOW_MS - 1000).toISOString() });
    const first = await putEvents([event], store, OPTIONS);
    const again = await putEvents([event], store, { ...OPTIONS, receivedAtMs: NOW_MS + 5 });
    const conflict = await putEvents([{ ...event, eventName: 'Other' }], store, OPTIONS);
    const eventIDs = results.flatMap((result) => result.successful.map((success) => success.eventID));
    const records = [...(await store.readRecords(eventIDs)).values()].map(
      (json) => JSON.parse(json) as Record<string, unknown>,
    );
    const values = lookupValues(records);
    let pages = 0;
    for (const attributes of [{}, ...LOOKUP_KEYS.map((key) => ({ [key]: values[key] }))]) {
      let afterEventID: string | undefined;
      for (let page = 0; page < 40; page += 1, pages += 1) {
        const answer = await lookupEvents(
          { attributes, ...WINDOW, maxResults: 7, ...(afterEventID === undefined ? {} : { afterEventID }) },
          store,
          { writeShards: SHARDS },
        );
        afterEventID = answer.lastEventID;
        if (afterEventID === undefined) break;
      }
    }
    // The same lookups answered by each server alone: the pages a reader gets, with MiniStack's extra keys.
    const pagesOn = async (db: dynamodbApi.DynamoDBClient) => {
      const alone = new DynamoDbEventStore(db, 'events');
      const answers: unknown[] = [];
      for (const attributes of [{}, ...LOOKUP_KEYS.map((key) => ({ [key]: values[key] }))]) {
        let afterEventID: string | undefined;
        for (let page = 0; page < 40; page += 1) {
          const answer = await lookupEvents(
            { attributes, ...WINDOW, maxResults: 7, ...(afterEventID === undefined ? {} : { afterEventID }) },
            alone,
            { writeShards: SHARDS },
          );
          answers.push({ records: answer.records, lastEventID: answer.lastEventID });
          afterEventID = answer.lastEventID;
          if (afterEventID === undefined) break;
        }
      }
      return answers;
    };
    const motoPages = await pagesOn(motoDb);
    const ministackPages = await pagesOn(ministackDb);
    await store.readRecord(eventIDs[0] ?? '');
    await store.readRecord('01M8608Z1G3MQY1VPMW8NJ54GE');

    // Assess: the adapters saw moto's answers; MiniStack's were the same, call by call.
    expect(records).toHaveLength(300);
    expect(again.successful[0]?.eventID).toBe(first.successful[0]?.eventID);
    expect(conflict.failed[0]?.errorCode).toBe('IdempotencyConflict');
    expect(pages).toBeGreaterThan(20);
    expect(ministackPages).toEqual(motoPages);
    expect(compared.slice(from).some(isKeyAtTheLimit)).toBe(true);
    expectAnsweredAlike(from, [
      'CreateTableCommand',
      'UpdateTimeToLiveCommand',
      'BatchWriteItemCommand',
      'PutItemCommand',
      'QueryCommand',
      'BatchGetItemCommand',
      'GetItemCommand',
    ]);
  });

  it('insight counters: version-conditioned merges that race, hour rollups, state, the key catalog', async () => {
    // Prepare
    const from = compared.length;
    await createEventsTable(tee, 'counters');
    const events = new DynamoDbEventStore(tee, 'counters');
    const counters = new DynamoDbInsightStore(tee, 'counters', events, undefined, {
      maxAttempts: 40,
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    const key = {
      insightType: 'ApiCallRateInsight',
      eventSource: 'orders.example.com',
      eventName: 'Put',
    } as const;
    const minute = 29_500_000;

    // Act
    await counters.registerKeys([{ keyId: 'key-a', key }], 1_900_000_000);
    const updates = Array.from({ length: 12 }, (_, i) => ({
      updateId: `id-${i}`,
      keyId: 'key-a',
      key,
      minute: minute + (i % 3),
      count: 2,
      contributors: { [`u|caller-${i}`]: 2 },
    }));
    const written = await counters.addCounts(updates, 1_900_000_000);
    await counters.addCounts(updates.slice(-3), 1_900_000_000);
    const minutes = await counters.readMinutes('key-a', minute, minute + 2);
    await counters.writeHours('key-a', new Map([[minute - (minute % 60), 24]]), 1_900_000_000);
    await counters.readHours('key-a', minute - 60, minute + 60);
    const state = { lastMinute: minute + 2, firstDataMinute: minute, outbox: ['{"insight":"record"}'] };
    const created = await counters.writeState('key-a', state, undefined);
    const stale = await counters.writeState('key-a', state, 7);
    await counters.readState('key-a');
    const keys = await counters.listKeys();
    await counters.firstMinute('key-a');

    // Assess
    expect(written.every(Boolean)).toBe(true);
    expect([...minutes.values()].reduce((sum, { count }) => sum + count, 0)).toBe(24);
    expect([created, stale]).toEqual([true, false]);
    expect(keys.map(({ keyId }) => keyId)).toEqual(['key-a']);
    expect(differences(from)).toEqual([]);
  });

  it('the integrity ledger: transactions, conditional updates and deletes, batch reads, the chain head', async () => {
    // Prepare: S3, SQS and KMS stay on moto, as in local mode.
    const from = compared.length;
    const aws = { region: REGION, credentials: CREDENTIALS, endpoint: process.env.AWS_ENDPOINT_URL ?? '' };
    const s3 = new S3Client({ ...aws, forcePathStyle: true });
    const sqs = new SQSClient(aws);
    const kms = new KMSClient(aws);
    const archive = 'fidelity-archive';
    await s3.send(new CreateBucketCommand({ Bucket: archive }));
    const resources = await createIntegrityResources(
      { dynamodb: tee, sqs, s3, kms },
      {
        ledgerTableName: 'fidelity-ledger',
        deliveryQueueName: 'fidelity-deliveries',
        digestBucketName: 'fidelity-digests',
        signingKeyAlias: 'alias/fidelity',
      },
      archive,
    );
    const ports = {
      ledger: new DynamoDbLedger(tee, resources.ledgerTableName),
      deliveries: new SqsDeliveryQueue(sqs, resources.deliveryQueueUrl),
      archive: new S3ArchiveReader(s3),
      signer: new KmsDigestSigner(kms, resources.signingKeyArn),
      digests: new S3DigestWriter(s3),
    };
    const config = {
      trail: { accountId: '123456789012', region: REGION, name: 'opentrail' },
      writer: { bucket: archive, principalPrefix: WRITER },
      digestBucket: resources.digestBucketName,
      digestKeyPrefix: '',
      intervalSeconds: 3600,
    };
    const deliver = async (objectKey: string, eventTimes: readonly string[]) => {
      const { VersionId } = await s3.send(
        new PutObjectCommand({ Bucket: archive, Key: objectKey, Body: archiveObject(eventTimes) }),
      );
      const body = notification(objectKey, {
        bucket: archive,
        ...(VersionId ? { versionId: VersionId } : {}),
      });
      // Twice: the second is recorded already (a cancelled transaction).
      for (let copy = 0; copy < 2; copy += 1) {
        await sqs.send(new SendMessageCommand({ QueueUrl: resources.deliveryQueueUrl, MessageBody: body }));
      }
    };
    let nowMs = Date.parse('2026-12-02T01:00:00Z');
    let head: Awaited<ReturnType<DynamoDbIntegrityReader['readChainHead']>>;
    const run = () => runDigester(ports, config, { now: () => nowMs, deadlineMs: nowMs + 15 * 60_000 });

    try {
      // Act: objects, a digest, a late object, the next digest; then the reader's view.
      await deliver('events/2026/12/02/00/a.gz', ['2026-12-02T00:10:00Z', '2026-12-02T00:20:00Z']);
      await deliver('events/2026/12/02/00/b.gz', ['2026-12-02T00:30:00Z']);
      await run();
      nowMs += 3_600_000;
      await deliver('events/2026/12/02/01/c.gz', ['2026-12-02T01:15:00Z']);
      await run();
      const reader = new DynamoDbIntegrityReader(tee, resources.ledgerTableName);
      head = await reader.readChainHead();
      await reader.readOldestDigest();
      await reader.readSigningKeys(1);
    } finally {
      for (const client of [s3, sqs, kms]) client.destroy();
    }

    // Assess: two digests chained.
    expect(head?.lastDigestS3Object).toMatch(/20261202T020000Z/);
    expectAnsweredAlike(from, [
      'TransactWriteItemsCommand',
      'UpdateItemCommand',
      'DeleteItemCommand',
      'BatchGetItemCommand',
    ]);
  });
});

describe("MiniStack's stream holds what moto's holds, read as local mode's pollers read it", () => {
  it('the same records in the same order from TRIM_HORIZON, with rising sequence numbers and creation times', async () => {
    // Act: the events table both servers were given the same writes for (the first test).
    const own = await streamOf(motoDb, motoStreams, 'events');
    const other = await streamOf(ministackDb, ministackStreams, 'events');
    const read = async (stream: Awaited<ReturnType<typeof streamOf>>) => {
      const records: StreamRecord[] = [];
      for (const shardId of stream.shardIds) {
        records.push(
          ...(
            await stream.readFrom(await stream.iterator(shardId, { ShardIteratorType: 'TRIM_HORIZON' }), 100)
          ).records,
        );
      }
      return records;
    };
    const motoRecords = await read(own);
    const ministackRecords = await read(other);

    // Assess
    // moto also writes a MODIFY record for a put that changes nothing (the re-put's posting lists); DynamoDB
    // writes none ("If you perform a PutItem or UpdateItem operation that does not change any data in an item,
    // DynamoDB Streams does not write a stream record", Streams.html), nor does MiniStack. The consumers take
    // INSERTs only (lambda/manifest/functions.ts's stream filter).
    const unchanged = motoRecords.filter((record) => record.eventName === 'MODIFY');
    expect(ministackRecords.map(recordShape)).toEqual(
      motoRecords.filter((record) => record.eventName !== 'MODIFY').map(recordShape),
    );
    expect(unchanged.map((record) => record.dynamodb?.NewImage?.pk?.S?.split('#')[0]).sort()).toEqual([
      'A',
      'K',
      'N',
      'RN',
      'RT',
      'U',
    ]);
    expect(ministackRecords.length).toBeGreaterThan(1_000);
    const sequence = ministackRecords.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect(sequence.every((number, i) => i === 0 || number > (sequence[i - 1] as bigint))).toBe(true);
    for (const record of ministackRecords) {
      const created = record.dynamodb?.ApproximateCreationDateTime;
      expect(created).toBeInstanceOf(Date);
      expect(Math.abs((created as Date).getTime() - Date.now())).toBeLessThan(10 * 60_000);
    }
  });

  it('AT_ and AFTER_SEQUENCE_NUMBER resume where a reader stopped, LATEST sees only new writes, an open shard keeps an iterator', async () => {
    // Prepare
    const stream = await streamOf(ministackDb, ministackStreams, 'events');
    const shardId = stream.shardIds[0] ?? '';
    const { records: all } = await stream.readFrom(
      await stream.iterator(shardId, { ShardIteratorType: 'TRIM_HORIZON' }),
      1_000,
    );
    const middle = all[Math.floor(all.length / 2)]?.dynamodb?.SequenceNumber ?? '';
    const latest = await stream.iterator(shardId, { ShardIteratorType: 'LATEST' });

    // Act
    const after = await stream.readFrom(
      await stream.iterator(shardId, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: middle }),
      1_000,
    );
    const at = await stream.readFrom(
      await stream.iterator(shardId, { ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: middle }),
      1_000,
    );
    const beforeWrite = await stream.readFrom(latest, 1_000);
    await ministackDb.send(
      new dynamodbApi.PutItemCommand({
        TableName: 'events',
        Item: { pk: { S: 'late' }, sk: { S: 'write' } },
      }),
    );
    const afterWrite = await stream.readFrom(beforeWrite.next, 1_000);

    // Assess
    const ids = (records: readonly StreamRecord[]) =>
      records.map((record) => record.dynamodb?.SequenceNumber);
    const index = ids(all).indexOf(middle);
    expect(index).toBeGreaterThan(0);
    expect(ids(after.records)).toEqual(ids(all).slice(index + 1));
    expect(ids(at.records)).toEqual(ids(all).slice(index));
    expect(beforeWrite.records).toEqual([]);
    expect(beforeWrite.next).toBeDefined();
    expect(afterWrite.records.map(recordShape)).toEqual([
      {
        eventName: 'INSERT',
        eventSource: 'aws:dynamodb',
        Keys: { pk: { S: 'late' }, sk: { S: 'write' } },
        NewImage: { pk: { S: 'late' }, sk: { S: 'write' } },
        StreamViewType: 'NEW_IMAGE',
      },
    ]);
  });
});
