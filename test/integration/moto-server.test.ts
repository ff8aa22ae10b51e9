import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureVirtualEnv,
  findFreePort,
  PROJECT_ROOT,
  type ServerProcess,
  startServerProcess,
} from '../../local/emulator.js';

/**
 * local/moto_server.py patches moto's Table.query (a Query reads only its key's items) and its GetRecords
 * serialization. The same table, written the same way, is queried on the patched server (the integration
 * project's) and on moto's own unpatched moto_server: every answer must be the same, page by page. It also makes
 * S3 object writes and reads take turns, so that a read never sees a new object without its metadata, gives every
 * stream record its own sequence number, and takes out per-request work (the dispatcher's lookup, the handler's
 * method list, the request-id pass over response bodies, a thread per request): each service local mode uses must
 * still be reached and answer as on moto's own server.
 */

const TABLE = 'fidelity';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
let unpatched: ServerProcess;
let patchedDb: DynamoDBClient;
let unpatchedDb: DynamoDBClient;
let patchedStreams: DynamoDBStreamsClient;
let unpatchedStreams: DynamoDBStreamsClient;

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

/** Items over three partitions, with index keys shared by several items (ties the index must order). */
function fixtureItems(): Record<string, AttributeValue>[] {
  const items: Record<string, AttributeValue>[] = [];
  for (const pk of ['a', 'b', 'c']) {
    for (let i = 0; i < 12; i += 1) {
      items.push({
        pk: s(pk),
        sk: s(`${i % 2 === 0 ? 'evt' : 'idx'}#${String(i).padStart(3, '0')}`),
        gpk: s(`g${i % 3}`),
        gsk: n(i % 4),
        amount: n(i * 7),
        tags: { SS: [`t${i % 2}`, 'all'] },
        blob: { B: new Uint8Array([i, 255 - i]) },
        nested: { M: { list: { L: [n(i), s(pk)] }, flag: { BOOL: i % 2 === 0 } } },
      });
    }
  }
  return items;
}

async function createTable(client: DynamoDBClient): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gpk', AttributeType: 'S' },
        { AttributeName: 'gsk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byGroup',
          KeySchema: [
            { AttributeName: 'gpk', KeyType: 'HASH' },
            { AttributeName: 'gsk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['amount'] },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
}

/** The same writes on both servers: puts, an update, a delete. */
async function writeFixture(client: DynamoDBClient): Promise<void> {
  for (const item of fixtureItems()) await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
  await client.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: s('b'), sk: s('evt#004') },
      UpdateExpression: 'SET amount = :amount ADD tags :tag',
      ExpressionAttributeValues: { ':amount': n(1000), ':tag': { SS: ['updated'] } },
    }),
  );
  await client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: s('c'), sk: s('idx#005') } }));
}

/** Every page of a Query, with what a caller reads from each (items, counts, the next page's key). */
async function allPages(client: DynamoDBClient, input: QueryCommandInput): Promise<unknown[]> {
  const pages: unknown[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < 50; page += 1) {
    const response = await client.send(
      new QueryCommand({ ...input, ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }) }),
    );
    pages.push({
      Items: response.Items,
      Count: response.Count,
      ScannedCount: response.ScannedCount,
      LastEvaluatedKey: response.LastEvaluatedKey,
    });
    startKey = response.LastEvaluatedKey;
    if (startKey === undefined) break;
  }
  return pages;
}

const QUERIES: Record<string, Omit<QueryCommandInput, 'TableName'>> = {
  'one partition': {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': s('a') },
  },
  'a missing partition': {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': s('zzz') },
  },
  'begins_with, backwards, pages of 2': {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': s('b'), ':prefix': s('evt#') },
    ScanIndexForward: false,
    Limit: 2,
  },
  'between, pages of 3': {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
    ExpressionAttributeValues: { ':pk': s('c'), ':low': s('evt#002'), ':high': s('idx#009') },
    Limit: 3,
  },
  'a comparison with a filter and a projection': {
    KeyConditionExpression: 'pk = :pk AND sk > :after',
    FilterExpression: 'amount >= :min AND contains(tags, :tag)',
    ProjectionExpression: 'sk, amount, nested.list',
    ExpressionAttributeValues: { ':pk': s('a'), ':after': s('evt#003'), ':min': n(14), ':tag': s('t0') },
    Limit: 4,
  },
  'the index with ties, pages of 2': {
    IndexName: 'byGroup',
    KeyConditionExpression: 'gpk = :g',
    ExpressionAttributeValues: { ':g': s('g1') },
    Limit: 2,
  },
  'the index backwards with a range condition': {
    IndexName: 'byGroup',
    KeyConditionExpression: 'gpk = :g AND gsk BETWEEN :low AND :high',
    ExpressionAttributeValues: { ':g': s('g0'), ':low': n(1), ':high': n(3) },
    ScanIndexForward: false,
    Limit: 3,
  },
  'the index with a filter': {
    IndexName: 'byGroup',
    KeyConditionExpression: 'gpk = :g AND gsk < :high',
    FilterExpression: 'amount > :min',
    ExpressionAttributeValues: { ':g': s('g2'), ':high': n(3), ':min': n(20) },
    Limit: 2,
  },
  'a count': {
    KeyConditionExpression: 'pk = :pk',
    Select: 'COUNT',
    ExpressionAttributeValues: { ':pk': s('b') },
  },
};

/**
 * What both servers must agree on in a stream record: ids, sequence numbers and times are each server's, and so
 * is SizeBytes (moto measures the record with its sequence number and time).
 */
async function streamRecords(db: DynamoDBClient, streams: DynamoDBStreamsClient): Promise<unknown[]> {
  const { Table } = await db.send(new DescribeTableCommand({ TableName: TABLE }));
  const { StreamDescription } = await streams.send(
    new DescribeStreamCommand({ StreamArn: Table?.LatestStreamArn ?? '' }),
  );
  const records: unknown[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: Table?.LatestStreamArn ?? '',
          ShardId: shard.ShardId ?? '',
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    for (let page = 0; iterator !== undefined && page < 20; page += 1) {
      const response = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 7 }));
      if ((response.Records ?? []).length === 0) break;
      for (const record of response.Records ?? []) {
        const { dynamodb, eventID: _id, ...rest } = record;
        expect(dynamodb?.ApproximateCreationDateTime).toBeInstanceOf(Date);
        expect(dynamodb?.SequenceNumber).toMatch(/^\d+$/);
        const {
          ApproximateCreationDateTime: _time,
          SequenceNumber: _sequence,
          SizeBytes: _size,
          ...stable
        } = dynamodb ?? {};
        expect(_size).toBeGreaterThan(0);
        records.push({ ...rest, dynamodb: stable });
      }
      iterator = response.NextShardIterator;
    }
  }
  return records;
}

beforeAll(async () => {
  const motoServer = await ensureVirtualEnv(PROJECT_ROOT, () => {});
  const port = await findFreePort();
  unpatched = await startServerProcess({
    name: 'moto_server (unpatched)',
    command: join(PROJECT_ROOT, '.venv', 'bin', 'moto_server'),
    args: ['-H', '127.0.0.1', '-p', String(port)],
    url: `http://127.0.0.1:${port}`,
    readyPath: '/moto-api/',
    readyTimeoutMs: 30_000,
    log: () => {},
  });
  expect(motoServer).toBe(join(PROJECT_ROOT, '.venv', 'bin', 'moto_server'));
  const patchedUrl = process.env.AWS_ENDPOINT_URL ?? '';
  expect(patchedUrl).not.toBe(unpatched.url);
  const region = 'us-east-1';
  patchedDb = new DynamoDBClient({ endpoint: patchedUrl, region, credentials: CREDENTIALS });
  unpatchedDb = new DynamoDBClient({ endpoint: unpatched.url, region, credentials: CREDENTIALS });
  patchedStreams = new DynamoDBStreamsClient({ endpoint: patchedUrl, region, credentials: CREDENTIALS });
  unpatchedStreams = new DynamoDBStreamsClient({ endpoint: unpatched.url, region, credentials: CREDENTIALS });
  for (const client of [patchedDb, unpatchedDb]) {
    await createTable(client);
    await writeFixture(client);
  }
});

afterAll(async () => {
  await unpatched?.stop();
});

describe("local/moto_server.py answers as moto's own server", () => {
  it.each(Object.entries(QUERIES))('Query: %s', async (_name, query) => {
    // Act
    const patched = await allPages(patchedDb, { TableName: TABLE, ...query });
    const own = await allPages(unpatchedDb, { TableName: TABLE, ...query });

    // Assess
    expect(patched).toEqual(own);
    expect(own.length).toBeGreaterThan(0);
  });

  it('GetRecords: the same records, images and types, in pages of 7', async () => {
    // Act
    const patched = await streamRecords(patchedDb, patchedStreams);
    const own = await streamRecords(unpatchedDb, unpatchedStreams);

    // Assess: 36 puts, an update and a delete.
    expect(own).toHaveLength(38);
    expect(patched).toEqual(own);
  });
});

/** What a caller reads from a few calls to each service local mode uses besides DynamoDB; request ids left out. */
async function otherServices(endpoint: string, name: string) {
  const settings = { endpoint, region: 'us-east-1', credentials: CREDENTIALS };
  const s3 = new S3Client({ ...settings, forcePathStyle: true });
  const sqs = new SQSClient(settings);
  const logs = new CloudWatchLogsClient(settings);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    // Unsigned, as moto's dispatcher sees a request with no credential scope: S3's XML error with its request id.
    const missing = await fetch(`${endpoint}/${name}/missing`);
    const body = await missing.text();
    const requestId = missing.headers.get('x-amzn-requestid');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout', 'DelaySeconds'] }),
    );
    await logs.send(new CreateLogGroupCommand({ logGroupName: `/${name}` }));
    const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/${name}` }));
    const dynamodbError = await new DynamoDBClient(settings)
      .send(new DescribeTableCommand({ TableName: `${name}-missing` }))
      .then(
        () => undefined,
        (error: Error) => ({ name: error.name, message: error.message }),
      );
    return {
      s3: {
        status: missing.status,
        body: body.replace(
          `<RequestId>${requestId}</RequestId>`,
          '<RequestId>(the answer header)</RequestId>',
        ),
      },
      sqs: { queue: QueueUrl?.split('/').at(-1), Attributes },
      logs: logGroups?.map(({ logGroupName, storedBytes }) => ({ logGroupName, storedBytes })),
      dynamodbError,
    };
  } finally {
    for (const client of [s3, sqs, logs]) client.destroy();
  }
}

describe("local/moto_server.py's dispatch", () => {
  it('reaches S3, SQS, CloudWatch Logs and DynamoDB as moto routes them, with the same answers', async () => {
    // Act
    const patched = await otherServices(process.env.AWS_ENDPOINT_URL ?? '', 'dispatch-fidelity');
    const own = await otherServices(unpatched.url, 'dispatch-fidelity');

    // Assess: the S3 error's request id is the answer's own, as moto fills it in.
    expect(patched).toEqual(own);
    expect(own.s3.body).toContain(
      '<Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>',
    );
    expect(own.s3.body).toContain('<RequestId>(the answer header)</RequestId>');
    expect(own.dynamodbError?.name).toBe('ResourceNotFoundException');
  });
});

describe("local/moto_server.py's streams", () => {
  it('a write while another is taking its stream sequence number gets a number of its own', async () => {
    // Act: test/support/moto_stream_race.py writes a second item between the first taking its number and appending.
    const { stdout } = await promisify(execFile)(
      join(PROJECT_ROOT, '.venv', 'bin', 'python'),
      [join(PROJECT_ROOT, 'test', 'support', 'moto_stream_race.py'), join(PROJECT_ROOT, 'local')],
      { timeout: 60_000 },
    );

    // Assess: unpatched, both records carry the same number, and a consumer reads the second one twice.
    const sequenceNumbers = (JSON.parse(stdout) as string[]).map(BigInt);
    expect(sequenceNumbers).toHaveLength(2);
    expect(sequenceNumbers[1]).toBeGreaterThan(sequenceNumbers[0] as bigint);
  });
});

describe("local/moto_server.py's S3", () => {
  it('a GetObject while PutObject is writing the key sees the object with its metadata (a signed digest)', async () => {
    // Act: test/support/moto_put_read.py reads the key between moto putting it and setting its metadata.
    const { stdout } = await promisify(execFile)(
      join(PROJECT_ROOT, '.venv', 'bin', 'python'),
      [join(PROJECT_ROOT, 'test', 'support', 'moto_put_read.py'), join(PROJECT_ROOT, 'local')],
      { timeout: 60_000 },
    );

    // Assess: unpatched, moto answers the new body with no metadata: validate-logs' "signature verification failed".
    expect(JSON.parse(stdout)).toEqual({ signature: '0a1b', 'signature-algorithm': 'SHA256withRSA' });
  });
});
