import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Clock } from './stream-mapping/clock.js';

/**
 * Local mode's Firehose data plane for one delivery stream with an S3 destination (moto's writes one uncompressed
 * object per PutRecordBatch at once). As Firehose does: records are buffered until the buffering interval has
 * passed since the oldest one arrived or the buffered bytes reach the buffering size, whichever comes first; the
 * buffer becomes one gzip object (one gzip member) named `<evaluated prefix><stream>-<version>-<YYYY-MM-DD-HH-MM-SS>-<uuid>.gz`
 * after the oldest record's arrival time (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html,
 * https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html); and, as S3 would, each object written sends
 * an ObjectCreated notification to the destination bucket's queue. Deliveries run one at a time, in order.
 */

/** What the delivery stream's description says about its S3 destination (DescribeDeliveryStream). */
export interface FirehoseS3Destination {
  readonly deliveryStreamName: string;
  /** VersionId: 1 for a new stream, one more for each configuration change; part of every object's name. */
  readonly versionId: string;
  readonly bucketName: string;
  /** The prefix, with `!{timestamp:...}` expressions. */
  readonly prefix: string;
  readonly buffering: { readonly intervalSeconds: number; readonly sizeBytes: number };
}

/** Where objects go: S3's PutObject, answering the ETag (without quotes) and, in a versioned bucket, the version. */
export interface ObjectWriter {
  putObject(bucket: string, key: string, body: Uint8Array): Promise<{ eTag: string; versionId?: string }>;
}

/** Where the bucket's ObjectCreated notifications go (an SQS queue in the stack). */
export type NotificationSender = (body: string) => Promise<void>;

export interface FirehoseDeliveryOptions {
  readonly destination: FirehoseS3Destination;
  readonly objects: ObjectWriter;
  readonly notify: NotificationSender;
  /** The principal S3 names as the writer in notifications: the Firehose delivery role's session. */
  readonly writerPrincipal: string;
  readonly region: string;
  readonly clock: Clock;
  readonly log?: (line: string) => void;
}

export interface FirehoseDeliveryStats {
  readonly objectsDelivered: number;
  readonly recordsDelivered: number;
  /** ObjectCreated notifications the queue took. */
  readonly notificationsSent: number;
  /** Records accepted and not yet in an object. */
  readonly recordsBuffered: number;
}

export interface FirehoseDelivery {
  /** Buffers records as PutRecordBatch accepts them; throws ServiceUnavailableError when too much is undelivered. */
  accept(records: readonly Uint8Array[]): void;
  /** Delivers what is buffered now, and resolves when every delivery so far has finished. */
  flush(): Promise<void>;
  /** Delivers what is buffered and stops; later records are refused. */
  close(): Promise<void>;
  stats(): FirehoseDeliveryStats;
}

/** Firehose's answer when a stream takes more than it can deliver (the sink retries it). */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableException';
}

/** Undelivered bytes (buffered and failing delivery) past which puts are refused: memory stays bounded. */
const UNDELIVERED_LIMIT_FACTOR = 2;
/** A failed PutObject or notification is tried again after this long, as long as the stream runs. */
const RETRY_DELAY_MS = 1_000;
/** A notification S3 could not send is tried this often; after that the object is left for the validator to find. */
const NOTIFICATION_ATTEMPTS = 5;

interface PendingObject {
  readonly records: Uint8Array[];
  bytes: number;
  /** Arrival time of the oldest record, epoch ms. */
  readonly oldestArrivalMs: number;
}

export function createFirehoseDelivery(options: FirehoseDeliveryOptions): FirehoseDelivery {
  const { destination, clock } = options;
  const log = options.log ?? (() => {});
  const prefixAt = compilePrefix(destination.prefix);
  const intervalMs = destination.buffering.intervalSeconds * 1000;
  const undeliveredLimit = destination.buffering.sizeBytes * UNDELIVERED_LIMIT_FACTOR;
  let buffer: PendingObject | undefined;
  /** Bytes accepted and not yet written. */
  let undelivered = 0;
  let delivering: Promise<void> = Promise.resolve();
  let intervalTimer: AbortController | undefined;
  const stopping = new AbortController();
  let closed = false;
  let objectsDelivered = 0;
  let recordsDelivered = 0;
  let notificationsSent = 0;

  const seal = (): void => {
    intervalTimer?.abort();
    intervalTimer = undefined;
    const sealed = buffer;
    buffer = undefined;
    if (sealed === undefined) return;
    delivering = delivering.then(() => deliver(sealed));
  };

  const deliver = async (sealed: PendingObject): Promise<void> => {
    const arrival = new Date(sealed.oldestArrivalMs);
    const key = `${prefixAt(arrival)}${destination.deliveryStreamName}-${destination.versionId}-${nameTime(arrival)}-${randomUUID()}.gz`;
    // One gzip member: the validator (and `aws cloudtrail validate-logs`) hash only the first.
    const body = gzipSync(Buffer.concat(sealed.records));
    const written = await untilDone(
      () => options.objects.putObject(destination.bucketName, key, body),
      `PutObject ${key}`,
      Number.POSITIVE_INFINITY,
    );
    undelivered -= sealed.bytes;
    if (written === undefined) {
      log(`Local Firehose: ${sealed.records.length} records were not delivered: the stream stopped`);
      return;
    }
    objectsDelivered++;
    recordsDelivered += sealed.records.length;
    const notification = objectCreatedNotification({
      region: options.region,
      bucketName: destination.bucketName,
      key,
      size: body.byteLength,
      ...written,
      principalId: options.writerPrincipal,
      eventTime: new Date(clock.now()),
      sequence: objectsDelivered,
    });
    const sent = await untilDone(
      () => options.notify(JSON.stringify(notification)).then(() => true),
      `the notification of ${key}`,
      NOTIFICATION_ATTEMPTS,
    );
    if (sent) notificationsSent++;
  };

  /** Runs `attempt` until it succeeds, `attempts` run out or the stream stops with nothing more to wait for. */
  const untilDone = async <T>(
    attempt: () => Promise<T>,
    what: string,
    attempts: number,
  ): Promise<T | undefined> => {
    for (let tried = 1; ; tried++) {
      try {
        return await attempt();
      } catch (error) {
        log(`Local Firehose: ${what} failed (attempt ${tried}): ${String(error)}`);
        // Firehose retries S3 for up to 24 hours; local mode until it stops.
        if (tried >= attempts || stopping.signal.aborted) return undefined;
        await clock.sleep(RETRY_DELAY_MS, stopping.signal);
      }
    }
  };

  const startIntervalTimer = (): void => {
    const timer = new AbortController();
    intervalTimer = timer;
    void clock.sleep(intervalMs, timer.signal).then(() => {
      if (!timer.signal.aborted) seal();
    });
  };

  return {
    accept: (records) => {
      if (closed) throw new ServiceUnavailableError('The delivery stream is shutting down.');
      const bytes = records.reduce((sum, record) => sum + record.byteLength, 0);
      if (undelivered + bytes > undeliveredLimit) {
        throw new ServiceUnavailableError(
          'Slow down: the delivery stream has more undelivered data than it buffers.',
        );
      }
      if (buffer === undefined) {
        buffer = { records: [], bytes: 0, oldestArrivalMs: clock.now() };
        startIntervalTimer();
      }
      buffer.records.push(...records);
      buffer.bytes += bytes;
      undelivered += bytes;
      if (buffer.bytes >= destination.buffering.sizeBytes) seal();
    },
    flush: async () => {
      seal();
      await delivering;
    },
    close: async () => {
      closed = true;
      seal();
      // A delivery still failing gets one more try, then gives up rather than hold the shutdown.
      stopping.abort();
      await delivering;
    },
    stats: () => ({
      objectsDelivered,
      recordsDelivered,
      notificationsSent,
      recordsBuffered: buffer?.records.length ?? 0,
    }),
  };
}

const pad = (value: number): string => String(value).padStart(2, '0');

/** The time in an object's name: `YYYY-MM-DD-HH-MM-SS`, UTC. */
const nameTime = (at: Date): string =>
  [
    at.getUTCFullYear(),
    pad(at.getUTCMonth() + 1),
    pad(at.getUTCDate()),
    pad(at.getUTCHours()),
    pad(at.getUTCMinutes()),
    pad(at.getUTCSeconds()),
  ].join('-');

/** The Java DateTimeFormatter patterns an OpenTrail prefix uses, in UTC. */
const TIMESTAMP_PATTERNS: Readonly<Record<string, (at: Date) => string>> = {
  yyyy: (at) => String(at.getUTCFullYear()),
  MM: (at) => pad(at.getUTCMonth() + 1),
  dd: (at) => pad(at.getUTCDate()),
  HH: (at) => pad(at.getUTCHours()),
};

/**
 * A prefix's evaluation at an arrival time. `!{timestamp:<pattern>}` takes the oldest record's arrival time; a
 * prefix without a timestamp expression gets Firehose's default `YYYY/MM/dd/HH/` appended. Any other expression
 * is refused here, at start, rather than written literally into keys.
 */
export function compilePrefix(prefix: string): (at: Date) => string {
  const parts = prefix.split(/(!\{[^}]*\})/).filter((part) => part !== '');
  const evaluators = parts.map((part) => {
    const expression = /^!\{timestamp:([^}]*)\}$/.exec(part);
    if (expression === null) {
      if (part.startsWith('!{'))
        throw new Error(`Local Firehose cannot evaluate ${part} in prefix ${prefix}`);
      return () => part;
    }
    const pattern = TIMESTAMP_PATTERNS[expression[1] ?? ''];
    if (pattern === undefined) throw new Error(`Local Firehose cannot evaluate ${part} in prefix ${prefix}`);
    return pattern;
  });
  const hasTimestamp = parts.some((part) => part.startsWith('!{timestamp:'));
  return (at) => {
    const evaluated = evaluators.map((evaluate) => evaluate(at)).join('');
    if (hasTimestamp) return evaluated;
    const hour = ['yyyy', 'MM', 'dd', 'HH'].map((pattern) => TIMESTAMP_PATTERNS[pattern]?.(at)).join('/');
    return `${evaluated}${hour}/`;
  };
}

export interface ObjectCreated {
  readonly region: string;
  readonly bucketName: string;
  /** The key as written; the notification carries it URL-encoded. */
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  readonly versionId?: string;
  readonly principalId: string;
  readonly eventTime: Date;
  /** Orders notifications of the same bucket, as S3's `sequencer` does. */
  readonly sequence: number;
}

/**
 * The message S3 sends for an object created by PutObject (event message structure version 2.1,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html): the key URL-encoded
 * as a form value with `/` kept (a space is `+`), the ETag without quotes, the version in a versioned bucket.
 */
export function objectCreatedNotification(created: ObjectCreated) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: created.region,
        eventTime: created.eventTime.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: created.principalId },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'ArchiveObjectCreated',
          bucket: { name: created.bucketName, arn: `arn:aws:s3:::${created.bucketName}` },
          object: {
            key: encodeNotificationKey(created.key),
            size: created.size,
            eTag: created.eTag.replaceAll('"', ''),
            ...(created.versionId === undefined ? {} : { versionId: created.versionId }),
            sequencer: created.sequence.toString(16).toUpperCase().padStart(18, '0'),
          },
        },
      },
    ],
  };
}

/** A key as S3 notifications spell it: form URL encoding (space as `+`), `/` left as it is. */
export const encodeNotificationKey = (key: string): string =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replaceAll('%20', '+'))
    .join('/');
