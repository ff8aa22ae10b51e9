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

export interface PipelineReader {
  /** Every NDJSON line of every archive object under the prefix (gunzipped when the object is gzip). */
  archiveLines(bucketName: string, prefix?: string): Promise<ArchiveLine[]>;
  /** Every message in the log group, oldest first. */
  logMessages(logGroupName: string): Promise<string[]>;
  /** Receives (and leaves in flight) the messages waiting in a queue. */
  receiveMessages(queueUrl: string): Promise<string[]>;
  destroy(): void;
}

export const pipelineReader = (access: EmulatorAccess): PipelineReader => {
  const config = { region: access.region, endpoint: access.awsEndpoint, credentials: access.credentials };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const logs = new CloudWatchLogsClient(config);
  const sqs = new SQSClient(config);
  return {
    archiveLines: async (bucketName, prefix = 'events/') => {
      const lines: ArchiveLine[] = [];
      let token: string | undefined;
      for (let page = 0; page < 100; page++) {
        const listed = await s3.send(
          new ListObjectsV2Command({ Bucket: bucketName, Prefix: prefix, ContinuationToken: token }),
        );
        for (const { Key } of listed.Contents ?? []) {
          if (Key === undefined) continue;
          const object = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key }));
          const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
          // moto stores what Firehose was given; AWS would have gzipped it.
          const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
          for (const line of text.split('\n')) if (line !== '') lines.push({ key: Key, line });
        }
        token = listed.NextContinuationToken;
        if (token === undefined) break;
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
