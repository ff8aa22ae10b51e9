import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/** Reads what the pipeline delivered in the emulator: archive lines in S3, log lines, dead-letter messages. */

export interface EmulatorAccess {
  readonly region: string;
  readonly awsEndpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface ArchiveLine {
  readonly key: string;
  readonly line: string;
}

export interface ArchiveObject {
  readonly key: string;
  readonly bytes: Buffer;
}

/**
 * How the emulator's Firehose writes archive objects. `gzip` is what AWS writes and local mode plays. MiniStack's
 * Firehose cannot compress and writes plain NDJSON (docs/deploy.md, "Archive format"): only its test reads that.
 */
export type ArchiveObjectFormat = 'gzip' | 'uncompressedByMiniStack';

export interface PipelineReaderOptions {
  /** @default 'gzip' */
  readonly archiveObjectFormat?: ArchiveObjectFormat;
}

const isGzip = (bytes: Buffer): boolean => bytes[0] === 0x1f && bytes[1] === 0x8b;

/** An archive object's NDJSON text, refused unless it is in the format the emulator is known to write. */
function archiveText(key: string, bytes: Buffer, format: ArchiveObjectFormat): string {
  if (format === 'gzip') {
    if (!isGzip(bytes)) throw new Error(`archive object ${key} is not gzip`);
    return gunzipSync(bytes).toString('utf8');
  }
  // Strict both ways: once MiniStack compresses, this fails and the exception can go.
  if (isGzip(bytes)) throw new Error(`archive object ${key} is gzip: MiniStack compresses now`);
  return bytes.toString('utf8');
}

export interface PipelineReader {
  /** Every object under the prefix, as stored. */
  archiveObjects(bucketName: string, prefix?: string): Promise<ArchiveObject[]>;
  /** Every NDJSON line of every archive object under the prefix; each must be in the reader's archiveObjectFormat. */
  archiveLines(bucketName: string, prefix?: string): Promise<ArchiveLine[]>;
  /** Every message in the log group, oldest first. */
  logMessages(logGroupName: string): Promise<string[]>;
  /** Receives (and leaves in flight) the messages waiting in a queue. */
  receiveMessages(queueUrl: string): Promise<string[]>;
  destroy(): void;
}

export const pipelineReader = (
  access: EmulatorAccess,
  { archiveObjectFormat = 'gzip' }: PipelineReaderOptions = {},
): PipelineReader => {
  const config = { region: access.region, endpoint: access.awsEndpoint, credentials: access.credentials };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const logs = new CloudWatchLogsClient(config);
  const sqs = new SQSClient(config);
  const archiveObjects = async (bucketName: string, prefix = 'events/'): Promise<ArchiveObject[]> => {
    const objects: ArchiveObject[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: bucketName, Prefix: prefix, ContinuationToken: token }),
      );
      for (const { Key } of listed.Contents ?? []) {
        if (Key === undefined) continue;
        const object = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key }));
        objects.push({ key: Key, bytes: Buffer.from((await object.Body?.transformToByteArray()) ?? []) });
      }
      token = listed.NextContinuationToken;
      if (token === undefined) break;
    }
    return objects;
  };
  return {
    archiveObjects,
    archiveLines: async (bucketName, prefix) => {
      const lines: ArchiveLine[] = [];
      for (const { key, bytes } of await archiveObjects(bucketName, prefix)) {
        for (const line of archiveText(key, bytes, archiveObjectFormat).split('\n')) {
          if (line !== '') lines.push({ key, line });
        }
      }
      return lines;
    },
    logMessages: async (logGroupName) => {
      const messages: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < 100; page++) {
        const found = await logs.send(new FilterLogEventsCommand({ logGroupName, nextToken: token }));
        for (const event of found.events ?? []) if (event.message !== undefined) messages.push(event.message);
        token = found.nextToken;
        if (token === undefined) break;
      }
      return messages;
    },
    receiveMessages: async (queueUrl) => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      return (Messages ?? []).map((message) => message.Body ?? '');
    },
    destroy: () => {
      s3.destroy();
      logs.destroy();
      sqs.destroy();
    },
  };
};

/** Polls `probe` until it answers something other than undefined, or fails after the deadline. */
export const eventually = async <T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
};
