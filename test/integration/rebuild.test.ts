import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import { createEventsTable } from '../../lambda/adapters/table-admin.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { storedInsight } from '../../lambda/core/insights/records.js';
import { LOOKUP_KEYS, type LookupQuery, lookupEvents } from '../../lambda/core/lookup.js';
import { TABLE_LAYOUT } from '../../lambda/core/table-layout.js';
import { type SuggestionAttribute, suggestValues } from '../../lambda/core/value-suggestions.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';
import { lookupValues, variedEvents } from '../fixtures/traffic.js';
import { insightOf } from '../unit/insights/insight-kit.js';

const SHARDS = 4;
const TABLE = 'rebuild-events';
const BUCKET = 'rebuild-archive';
const NOW_MS = Date.now();
const OPTIONS: IngestOptions = { ...ENRICHMENT, receivedAtMs: NOW_MS, writeShards: SHARDS };
/** The events span the two hours before now; the window has a minute to spare for the insight. */
const WINDOW = { startMs: NOW_MS - 2 * 3_600_000, endMs: NOW_MS + 60_000 };
const LINES_PER_OBJECT = 70;

const dynamodb = new DynamoDBClient({});
const s3 = new S3Client({ forcePathStyle: true });
const store = new DynamoDbEventStore(dynamodb, TABLE, {
  backoff: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20 },
});

/**
 * Every record of a lookup, page after page, as a reader collects them. Where a page ends may differ between two
 * tables holding the same events (a page also ends when its reads run out, and a rebuild lists events in its own
 * batches), so the records are compared in order, and each page is checked to be within maxResults.
 */
async function pagesOf(query: Omit<LookupQuery, 'afterEventID' | 'startMs' | 'endMs'>): Promise<string[]> {
  const pages: string[][] = [];
  let afterEventID: string | undefined;
  for (let page = 1; page <= 100; page++) {
    const found = await lookupEvents(
      { ...query, ...WINDOW, ...(afterEventID ? { afterEventID } : {}) },
      store,
      {
        writeShards: SHARDS,
      },
    );
    expect(found.records.length).toBeLessThanOrEqual(query.maxResults);
    pages.push(found.records);
    if (found.lastEventID === undefined) return pages.flat();
    afterEventID = found.lastEventID;
  }
  throw new Error('pagination did not end');
}

const SUGGESTED: readonly SuggestionAttribute[] = ['EventSource', 'Username'];

/** What a reader sees: every page of every lookup key, no key, insights, and the value suggestions. */
async function everyLookup(values: Record<string, string>): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {
    'no key': await pagesOf({ attributes: {}, maxResults: 50 }),
    'EventCategory=insight': await pagesOf({ attributes: {}, maxResults: 50, eventCategory: 'insight' }),
  };
  for (const key of LOOKUP_KEYS) {
    answers[key] = await pagesOf({ attributes: { [key]: values[key] }, maxResults: 7 });
  }
  for (const attribute of SUGGESTED) {
    answers[`suggest ${attribute}`] = await suggestValues({ attribute, prefix: '', maxResults: 100 }, store, {
      writeShards: SHARDS,
      notBeforeMs: WINDOW.startMs,
      nowMs: WINDOW.endMs,
    });
  }
  return answers;
}

/** Every item's key, a Scan page at a time (the test's own view of the table; lookups never Scan). */
async function itemKeys(): Promise<Record<string, AttributeValue>[]> {
  const keys: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < 1000; page++) {
    const scanned = await dynamodb.send(
      new ScanCommand({
        TableName: TABLE,
        ProjectionExpression: '#pk, #sk',
        ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey, '#sk': TABLE_LAYOUT.sortKey },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    keys.push(...(scanned.Items ?? []));
    start = scanned.LastEvaluatedKey;
    if (start === undefined) return keys;
  }
  throw new Error('the scan did not end');
}

async function deleteEveryItem(): Promise<void> {
  const keys = await itemKeys();
  for (let i = 0; i < keys.length; i += 25) {
    const requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    const { UnprocessedItems } = await dynamodb.send(
      new BatchWriteItemCommand({ RequestItems: { [TABLE]: requests } }),
    );
    expect(UnprocessedItems?.[TABLE] ?? []).toEqual([]);
  }
}

/**
 * `npm run rebuild` against moto, as an operator runs it: the emulator only where the arguments name it (the
 * integration setup's AWS_ENDPOINT_URL is not passed on), and without the environment's credentials when asked.
 */
async function runRebuild(args: readonly string[], { ownCredentials = true } = {}): Promise<string> {
  const {
    AWS_ENDPOINT_URL: _endpoint,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AWS_REGION: _region,
    ...env
  } = process.env;
  const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/rebuild-table.ts', ...args], {
    timeout: 120_000,
    env: { ...env, ...(ownCredentials ? { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } : {}) },
  });
  return stdout;
}

const hourPrefix = (eventTime: string): string =>
  `events/${eventTime.slice(0, 4)}/${eventTime.slice(5, 7)}/${eventTime.slice(8, 10)}/${eventTime.slice(11, 13)}/`;

describe('rebuilding the events table from the archive (moto)', () => {
  let before: Record<string, unknown>;
  let values: Record<string, string>;
  let records: Array<{ eventID: string; eventTime: string; json: string }>;

  beforeAll(async () => {
    // Prepare: 300 varied events and one with a producer id through the real ingest path, and an insight as the
    // insights function stores it.
    await createEventsTable(dynamodb, TABLE);
    const inputs = [...variedEvents(300, NOW_MS), sampleEvent({ id: 'order-o-1', eventTime: undefined })];
    const results = await Promise.all(
      [0, 100, 200, 300].map((start) => putEvents(inputs.slice(start, start + 100), store, OPTIONS)),
    );
    expect(results.flatMap((result) => result.failed)).toEqual([]);
    const minute = Math.floor(NOW_MS / 60_000) - 5;
    const insight = insightOf('Start', minute, minute, NOW_MS);
    expect(await store.writeEvents([storedInsight(insight, 90)])).toEqual([{ ok: true }]);
    const eventIDs = [
      ...results.flatMap((result) => result.successful.map(({ eventID }) => eventID)),
      insight.eventID,
    ];
    const stored = await store.readRecords(eventIDs);
    expect(stored.size).toBe(302);
    records = [...stored.values()].map((json) => ({
      ...(JSON.parse(json) as { eventID: string; eventTime: string }),
      json,
    }));
    values = lookupValues(records.map(({ json }) => JSON.parse(json) as Record<string, unknown>));

    // The archive: gzip NDJSON objects under each record's hour, as Firehose delivers them (byte-equal lines).
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const byHour = new Map<string, typeof records>();
    for (const record of records) {
      const prefix = hourPrefix(record.eventTime);
      byHour.set(prefix, [...(byHour.get(prefix) ?? []), record]);
    }
    for (const [prefix, hourRecords] of byHour) {
      for (let i = 0; i < hourRecords.length; i += LINES_PER_OBJECT) {
        const body = gzipSync(
          hourRecords
            .slice(i, i + LINES_PER_OBJECT)
            .map(({ json }) => `${json}\n`)
            .join(''),
        );
        await s3.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}opentrail-archive-1-${i}.gz`, Body: body }),
        );
      }
    }
    before = await everyLookup(values);
  });

  afterAll(() => {
    dynamodb.destroy();
    s3.destroy();
  });

  it('answers every lookup as before once the table is emptied and rebuilt, and again after a second rebuild', async () => {
    // Prepare: the lookups found what was put (so "as before" means something), then the table is emptied.
    expect((before['no key'] as string[][]).flat()).toHaveLength(301);
    expect((before['EventCategory=insight'] as string[][]).flat()).toHaveLength(1);
    for (const key of LOOKUP_KEYS) expect((before[key] as string[][]).flat().length, key).toBeGreaterThan(0);
    await deleteEveryItem();
    expect(await itemKeys()).toHaveLength(0);
    expect((await everyLookup(values))['no key']).toEqual([]);

    // Act
    const first = await runRebuild([
      '--bucket',
      BUCKET,
      '--table',
      TABLE,
      '--region',
      'us-east-1',
      '--endpoint-url',
      inject('motoEndpoint'),
    ]);
    const afterFirst = await everyLookup(values);
    const itemsAfterFirst = (await itemKeys()).length;
    const oldest = records.map(({ eventTime }) => eventTime).sort()[0] as string;
    // The second run as in local mode: the bucket, the emulator and its credentials from .opentrail/local.json.
    const config = join(await mkdtemp(join(tmpdir(), 'rebuild-')), 'local.json');
    await writeFile(
      config,
      JSON.stringify({
        apiUrl: 'http://127.0.0.1:3000',
        region: 'us-east-1',
        awsEndpoint: inject('motoEndpoint'),
        s3Endpoint: inject('motoEndpoint'),
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        bucketName: BUCKET,
      }),
    );
    const second = await runRebuild(
      [
        '--table',
        TABLE,
        '--config',
        config,
        '--from',
        oldest.slice(0, 13),
        '--to',
        new Date(WINDOW.endMs).toISOString().slice(0, 13),
      ],
      { ownCredentials: false },
    );
    const afterSecond = await everyLookup(values);

    // Assess: the same records in the same order for every lookup, both times; the second rebuild wrote nothing new.
    expect(first).toContain('events restored 302, skipped past retention 0, repeated 0, failed 0');
    expect(first).toContain('lines that are not OpenTrail records 0');
    expect(afterFirst).toEqual(before);
    expect(second).toContain(`rebuilt ${TABLE} from s3://${BUCKET}/ (hours ${oldest.slice(0, 13)} to`);
    expect(second).toContain('events restored 302, skipped past retention 0, repeated 0, failed 0');
    expect(afterSecond).toEqual(before);
    expect((await itemKeys()).length).toBe(itemsAfterFirst);
  });

  it('exits 1 and names an object it cannot read, after restoring the others; a bad line alone is only reported', async () => {
    // Prepare: one object with a record and a line that is none, one that is not gzip.
    const bucket = 'rebuild-broken';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const [record] = records;
    const prefix = hourPrefix(record?.eventTime as string);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}a.gz`,
        Body: gzipSync(`${record?.json}\n{"not":"a record"}\n`),
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}b.gz`, Body: 'plain text' }));
    const args = ['--table', TABLE, '--region', 'us-east-1', '--endpoint-url', inject('motoEndpoint')];

    // Act
    const broken = await runRebuild(['--bucket', bucket, ...args]).then(
      () => undefined,
      (error: { code?: number; stdout?: string }) => error,
    );
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}b.gz` }));
    const badLineOnly = await runRebuild(['--bucket', bucket, ...args]);

    // Assess
    expect(broken?.code).toBe(1);
    expect(broken?.stdout).toContain('objects read 1 of 2, failed 1');
    expect(broken?.stdout).toContain(`${prefix}b.gz: object not read to its end`);
    expect(broken?.stdout).toContain(`${prefix}a.gz:2: not an OpenTrail record`);
    expect(badLineOnly).toContain('events restored 1, skipped past retention 0, repeated 0, failed 0');
    expect(badLineOnly).toContain('lines that are not OpenTrail records 1');
  });
});
