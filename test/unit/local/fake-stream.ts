import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
} from '@aws-sdk/client-dynamodb-streams';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * An in-memory DynamoDB stream with one shard, answering the SDK's DescribeStream, GetShardIterator and
 * GetRecords like moto does: sequence numbers are consecutive and beyond 2^53, iterators never expire unless
 * a test says so, and the shard stays open.
 */

export const STREAM_ARN =
  'arn:aws:dynamodb:eu-west-1:111122223333:table/opentrail-events/stream/2026-11-24T00:00:00.000';
export const SHARD_ID = 'shardId-00000001763942400000-0a1b2c3d';
const FIRST_SEQUENCE_NUMBER = 1_100_000_000_017_454_423_009n;
/** Stream records are stamped from this time on, one second apart. */
export const FIRST_ARRIVAL_SECONDS = 1_763_942_400;

export interface ItemChange {
  readonly eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly newImage?: Record<string, AttributeValue>;
  readonly keys?: Record<string, AttributeValue>;
  readonly userIdentity?: { readonly PrincipalId: string; readonly Type: string };
  /** Epoch seconds. @default one second after the record before */
  readonly createdAtSeconds?: number;
}

export class FakeStream {
  readonly records: _Record[] = [];
  /** Each GetShardIterator request, in order. */
  readonly iteratorRequests: GetShardIteratorCommandInput[] = [];
  private readonly iterators = new Map<string, number>();
  private nextIterator = 0;
  private failNextGetRecords = 0;

  /** Routes every DynamoDBStreamsClient to this stream until restore() is called on the answer. */
  install() {
    const streams = mockClient(DynamoDBStreamsClient);
    streams.on(DescribeStreamCommand).callsFake(() => ({
      StreamDescription: {
        StreamArn: STREAM_ARN,
        StreamStatus: 'ENABLED',
        StreamViewType: 'NEW_IMAGE',
        Shards: [
          {
            ShardId: SHARD_ID,
            SequenceNumberRange: { StartingSequenceNumber: String(FIRST_SEQUENCE_NUMBER) },
          },
        ],
      },
    }));
    streams.on(GetShardIteratorCommand).callsFake((input: GetShardIteratorCommandInput) => {
      this.iteratorRequests.push(input);
      if (input.ShardId !== SHARD_ID) throw new Error(`unknown shard ${input.ShardId}`);
      const after =
        input.SequenceNumber === undefined
          ? -1
          : Number(BigInt(input.SequenceNumber) - FIRST_SEQUENCE_NUMBER);
      const position =
        input.ShardIteratorType === 'TRIM_HORIZON'
          ? 0
          : input.ShardIteratorType === 'LATEST'
            ? this.records.length
            : input.ShardIteratorType === 'AT_SEQUENCE_NUMBER'
              ? after
              : after + 1;
      return { ShardIterator: this.iterator(position) };
    });
    streams.on(GetRecordsCommand).callsFake((input: { ShardIterator?: string; Limit?: number }) => {
      if (this.failNextGetRecords > 0) {
        this.failNextGetRecords -= 1;
        throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
      }
      const position = this.iterators.get(input.ShardIterator ?? '');
      if (position === undefined) throw new Error(`unknown iterator ${input.ShardIterator}`);
      const page = this.records.slice(position, position + (input.Limit ?? 1000));
      return { Records: page, NextShardIterator: this.iterator(position + page.length) };
    });
    return streams;
  }

  /** The next GetRecords calls fail as if their iterator had expired. */
  expireIterators(times = 1): void {
    this.failNextGetRecords = times;
  }

  /** Appends a stream record; by default the INSERT of an event item. */
  put(n: number, change: ItemChange = {}): _Record {
    const index = this.records.length;
    const keys = change.keys ?? { pk: { S: 'E#2026-11-24#03' }, sk: { S: `id-${n}` } };
    const created =
      change.createdAtSeconds ?? (this.records.at(-1) ? this.lastCreated() + 1 : FIRST_ARRIVAL_SECONDS);
    const record: _Record = {
      eventID: `fake-${index}`,
      eventName: change.eventName ?? 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: new Date(created * 1000 + 250),
        Keys: keys,
        ...(change.eventName === 'REMOVE'
          ? {}
          : {
              NewImage: change.newImage ?? { ...keys, record: { B: eventBytes(n) }, writtenBy: { S: 'put' } },
            }),
        SequenceNumber: String(FIRST_SEQUENCE_NUMBER + BigInt(index)),
        SizeBytes: 120,
        StreamViewType: 'NEW_IMAGE',
      },
      ...(change.userIdentity === undefined ? {} : { userIdentity: change.userIdentity }),
    };
    this.records.push(record);
    return record;
  }

  /** Sequence number of the record put as number `n` (the order of put calls). */
  sequenceNumber(index: number): string {
    return String(FIRST_SEQUENCE_NUMBER + BigInt(index));
  }

  private lastCreated(): number {
    const last = this.records.at(-1)?.dynamodb?.ApproximateCreationDateTime;
    return last === undefined ? FIRST_ARRIVAL_SECONDS : Math.floor(last.getTime() / 1000);
  }

  private iterator(position: number): string {
    const token = `iterator-${this.nextIterator++}`;
    this.iterators.set(token, position);
    return token;
  }
}

export const eventJson = (n: number): string =>
  JSON.stringify({ eventID: `id-${n}`, eventName: 'CreateOrder' });

/** A stored record is Binary (docs/storage.md); the poller never decodes it, so plain UTF-8 bytes stand in. */
export const eventBytes = (n: number): Uint8Array => new TextEncoder().encode(eventJson(n));
