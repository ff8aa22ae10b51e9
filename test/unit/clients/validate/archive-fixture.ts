import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type {
  FetchedObject,
  ListedObject,
  ObjectStore,
  PublicKey,
  TrailControlPlane,
  TrailStatus,
} from '../../../../clients/typescript/src/validate/ports.js';
import type { ValidateRequest } from '../../../../clients/typescript/src/validate/validator.js';

/**
 * A trail's archive and digest chain as CloudTrail writes them, built here from the CLI's description of the format
 * (awscli/customizations/cloudtrail/validation.py) rather than from the validator's own helpers, so that a wrong
 * key name or string to sign in the validator fails these tests. In-memory S3 and control plane.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const TRAIL_NAME = 'opentrail';
export const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL_NAME}`;
export const DIGEST_BUCKET = 'opentrail-digests';
export const ARCHIVE_BUCKET = 'opentrail-archive';
export const INTERVAL_SECONDS = 3600;

interface StoredObject {
  bytes: Uint8Array;
  metadata: Record<string, string>;
  lastModified: Date;
}

/** S3 as the validator sees it: keys in ascending order, bodies in small chunks (so the hashing must stream). */
export class MemoryStore implements ObjectStore {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly reads: string[] = [];

  put(bucket: string, key: string, object: StoredObject): void {
    const objects = this.buckets.get(bucket) ?? new Map<string, StoredObject>();
    objects.set(key, object);
    this.buckets.set(bucket, objects);
  }

  object(bucket: string, key: string): StoredObject {
    const object = this.buckets.get(bucket)?.get(key);
    if (object === undefined) throw new Error(`no s3://${bucket}/${key} in the fixture`);
    return object;
  }

  delete(bucket: string, key: string): void {
    this.buckets.get(bucket)?.delete(key);
  }

  async *list(bucket: string, prefix: string, startAfter = ''): AsyncIterable<ListedObject> {
    const keys = [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
    for (const key of keys) {
      if (!key.startsWith(prefix) || key <= startAfter) continue;
      yield { key, lastModified: this.object(bucket, key).lastModified };
    }
  }

  async get(bucket: string, key: string): Promise<FetchedObject | undefined> {
    const object = this.buckets.get(bucket)?.get(key);
    if (object === undefined) return undefined;
    this.reads.push(`s3://${bucket}/${key}`);
    const { bytes } = object;
    async function* chunks() {
      for (let offset = 0; offset < bytes.length; offset += 64) yield bytes.subarray(offset, offset + 64);
    }
    return { body: chunks(), metadata: object.metadata };
  }
}

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: PublicKey;
}

export function signingKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'pkcs1', format: 'der' });
  return {
    privateKey,
    publicKey: {
      fingerprint: createHash('md5').update(der).digest('hex'),
      value: new Uint8Array(der),
    },
  };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const isoSeconds = (time: Date) => time.toISOString().replace(/\.\d{3}Z$/, 'Z');
const keyTime = (time: Date) => isoSeconds(time).replace(/[-:]/g, '');

/** CloudTrail's digest key: AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_... */
export const digestKeyAt = (time: Date) =>
  `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${REGION}/${time.toISOString().slice(0, 10).replace(/-/g, '/')}/` +
  `${ACCOUNT}_CloudTrail-Digest_${REGION}_${TRAIL_NAME}_${REGION}_${keyTime(time)}.json.gz`;

export const archiveKeyAt = (time: Date, name: string) =>
  `events/${time.toISOString().slice(0, 13).replace(/[-T]/g, '/')}/opentrail-events-${name}.gz`;

export interface DigestWritten {
  readonly key: string;
  readonly endTime: Date;
  readonly logFiles: readonly string[];
}

export interface FixtureOptions {
  /** The end of the first digest's period; each further digest ends an interval later. */
  readonly firstEnd: Date;
  readonly digests: number;
  readonly objectsPerDigest: number;
  /** @default INTERVAL_SECONDS */
  readonly intervalSeconds?: number;
}

/** Signs and puts one digest as CloudTrail's digester does; returns what a next digest chains to. */
export function putDigest(
  store: MemoryStore,
  key: SigningKey,
  fields: {
    readonly key: string;
    readonly start: Date;
    readonly end: Date;
    readonly previous?: { key: string; hash: string; signature: string };
    readonly logFiles: ReadonlyArray<{ key: string; hash: string }>;
    readonly fingerprint?: string;
    readonly putAt?: Date;
  },
): { hash: string; signature: string } {
  const digest = {
    awsAccountId: ACCOUNT,
    digestStartTime: isoSeconds(fields.start),
    digestEndTime: isoSeconds(fields.end),
    digestS3Bucket: DIGEST_BUCKET,
    digestS3Object: fields.key,
    digestPublicKeyFingerprint: fields.fingerprint ?? key.publicKey.fingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: null,
    oldestEventTime: null,
    previousDigestS3Bucket: fields.previous === undefined ? null : DIGEST_BUCKET,
    previousDigestS3Object: fields.previous?.key ?? null,
    previousDigestHashValue: fields.previous?.hash ?? null,
    previousDigestHashAlgorithm: fields.previous === undefined ? null : 'SHA-256',
    previousDigestSignature: fields.previous?.signature ?? null,
    logFiles: fields.logFiles.map((logFile) => ({
      s3Bucket: ARCHIVE_BUCKET,
      s3Object: logFile.key,
      hashValue: logFile.hash,
      hashAlgorithm: 'SHA-256',
      newestEventTime: digestTimeText(fields.end),
      oldestEventTime: digestTimeText(fields.start),
    })),
  };
  const json = Buffer.from(JSON.stringify(digest));
  const hash = sha256(json);
  const toSign = `${digest.digestEndTime}\n${DIGEST_BUCKET}/${fields.key}\n${hash}\n${digest.previousDigestSignature ?? 'null'}`;
  const signature = sign('sha256', Buffer.from(toSign), key.privateKey).toString('hex');
  store.put(DIGEST_BUCKET, fields.key, {
    bytes: gzipSync(json),
    metadata: { signature, 'signature-algorithm': 'SHA256withRSA' },
    lastModified: fields.putAt ?? fields.end,
  });
  return { hash, signature };
}

const digestTimeText = (time: Date) => isoSeconds(time);

export const eventsLine = (name: string) =>
  `${JSON.stringify({ eventID: name, eventName: 'DeleteOrder', eventSource: 'orders.example.com' })}\n`;

let sharedKey: SigningKey | undefined;

/** An archive of `digests` periods, each with its objects and its digest, chained and signed (one key per run). */
export function buildArchive(options: FixtureOptions) {
  const store = new MemoryStore();
  sharedKey ??= signingKey();
  const key = sharedKey;
  const written: DigestWritten[] = [];
  let previous: { key: string; hash: string; signature: string } | undefined;
  const intervalMs = (options.intervalSeconds ?? INTERVAL_SECONDS) * 1000;
  for (let index = 0; index < options.digests; index += 1) {
    const end = new Date(options.firstEnd.getTime() + index * intervalMs);
    const start = new Date(end.getTime() - intervalMs);
    const logFiles = Array.from({ length: options.objectsPerDigest }, (_, n) => {
      const writtenAt = new Date(start.getTime() + (n + 1) * 60_000);
      const objectKey = archiveKeyAt(writtenAt, `${index}-${n}`);
      const content = Buffer.from(eventsLine(`event-${index}-${n}`).repeat(40));
      store.put(ARCHIVE_BUCKET, objectKey, {
        bytes: gzipSync(content),
        metadata: {},
        lastModified: writtenAt,
      });
      return { key: objectKey, hash: sha256(content) };
    });
    const digestKey = digestKeyAt(end);
    const signed = putDigest(store, key, { key: digestKey, start, end, previous, logFiles });
    previous = { key: digestKey, ...signed };
    written.push({ key: digestKey, endTime: end, logFiles: logFiles.map((logFile) => logFile.key) });
  }
  const newest = written.at(-1);
  const status: TrailStatus = {
    ...(newest === undefined ? {} : { latestDigestDeliveryTime: newest.endTime }),
    startLoggingTime: new Date(options.firstEnd.getTime() - intervalMs),
  };
  const publicKeys: PublicKey[] = [key.publicKey];
  const controlPlane: TrailControlPlane = {
    describeTrail: async (arn) =>
      arn === TRAIL_ARN
        ? { trailArn: TRAIL_ARN, s3BucketName: DIGEST_BUCKET, isOrganizationTrail: false }
        : undefined,
    trailStatus: async () => status,
    publicKeys: async () => publicKeys,
  };
  return { store, key, written, status, publicKeys, controlPlane };
}

export const request = (now: Date, startTime: Date): ValidateRequest => ({
  trailArn: TRAIL_ARN,
  archive: { bucket: ARCHIVE_BUCKET, prefix: 'events/' },
  startTime,
  endTime: now,
  now,
  digestIntervalSeconds: INTERVAL_SECONDS,
  graceSeconds: 300,
  concurrency: 4,
});
