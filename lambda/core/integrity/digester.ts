import { mapWithConcurrency } from '../backoff.js';
import { LIMITS } from '../limits.js';
import { ArchiveObjectRefusedError, type ArchiveObjectSummary } from './archive-object.js';
import {
  type ArchiveWriter,
  type ObjectCreatedRecord,
  parseDeliveryNotification,
  writerVerdict,
} from './archive-writer.js';
import {
  buildDigestFile,
  cloudTrailTime,
  type DigestFile,
  digestKey,
  digestStringToSign,
  type PreviousDigest,
  sha256Hex,
  type TrailIdentity,
} from './digest-file.js';
import type { ChainHead, DeliveredObject, DigestRecord, SigningKeyRecord } from './ledger-layout.js';
import { type PublicSigningKey, publicSigningKey, registryChange } from './signing-key.js';

/**
 * The digester (docs/integrity.md): each run records the archive objects the trail delivered since the last one
 * (from the bucket's ObjectCreated notifications, each hashed once), then cuts the period's digest: every recorded
 * object not yet digested, chained to the previous digest and signed. The ledger makes it exactly once: an object is
 * recorded once (a conditional write), listed by the one digest that claims it (head.inProgress), and a run that
 * stops half-way is finished by the next one, which writes the same digest.
 */

/** The digester's bounds (LIMITS.digester), each of which a test may lower. */
export type DigesterLimits = { readonly [K in keyof typeof LIMITS.digester]: number };

// ---- Ports ----

export interface DeliveryMessage {
  readonly receiptHandle: string;
  readonly body: string;
}

/** The queue of the archive bucket's ObjectCreated notifications. */
export interface DeliveryQueue {
  /** Up to `max` messages (without waiting when none are there). */
  receive(max: number): Promise<DeliveryMessage[]>;
  /** Deletes handled messages; a message not acknowledged comes back after its visibility timeout. */
  acknowledge(receiptHandles: readonly string[]): Promise<void>;
}

export interface ArchiveReader {
  /** Streams the object (that version) through summariseArchiveObject. */
  summarise(bucket: string, key: string, versionId: string | undefined): Promise<ArchiveObjectSummary>;
}

export interface DigestSigner {
  /** The key as KMS names it (ARN). */
  readonly keyId: string;
  /** DER SubjectPublicKeyInfo (KMS GetPublicKey). */
  publicKey(): Promise<Uint8Array>;
  /** Hex SHA256withRSA (PKCS#1 v1.5) signature of the message itself (KMS Sign, MessageType RAW). */
  sign(message: Buffer): Promise<string>;
}

export interface DigestWriter {
  /** Puts the digest gzip-compressed with its signature in the object's metadata. */
  put(bucket: string, key: string, digestJson: string, signature: string): Promise<void>;
}

export interface PendingEntry {
  /** The `pending` item's sort key. */
  readonly pendingSk: string;
  /** The `object` item's sort key, `<bucket>/<key>`. */
  readonly objectSk: string;
}

export type DigestInProgress = NonNullable<ChainHead['inProgress']>;

/** The integrity ledger (lambda/core/integrity/ledger-layout.ts). */
export interface LedgerStore {
  /** Records an object once: its `object` item and, unless refused, its `pending` entry. False: recorded already. */
  recordObject(object: DeliveredObject): Promise<boolean>;
  /** The chain's head (empty before the first digest). */
  head(): Promise<ChainHead>;
  /** Raises the head's latestDeliveryTime to `time` (never lowers it). */
  noteLatestDelivery(time: string): Promise<void>;
  /** Pending entries, oldest first. */
  pending(limit: number): Promise<PendingEntry[]>;
  /** The `object` items, in any order; missing ones are left out. */
  objects(objectSks: readonly string[]): Promise<DeliveredObject[]>;
  /** Claims the next digest: false unless the head still ends at `lastDigestS3Object` and nothing is in progress. */
  beginDigest(inProgress: DigestInProgress, lastDigestS3Object: string | undefined): Promise<boolean>;
  /** Marks the object digested by `digestS3Object` and deletes its pending entry; idempotent. */
  markDigested(object: DeliveredObject, digestS3Object: string): Promise<void>;
  /** Deletes a pending entry whose object is no longer pending. */
  deletePending(pendingSk: string): Promise<void>;
  /** Records the digest and advances the head to it, clearing the digest in progress. */
  finishDigest(record: DigestRecord): Promise<void>;
  signingKeys(): Promise<SigningKeyRecord[]>;
  /** Adds `next` as the current key and ends `retired`'s validity, in one write. */
  registerSigningKey(next: SigningKeyRecord, retired: SigningKeyRecord | undefined): Promise<void>;
}

export interface DigesterPorts {
  readonly ledger: LedgerStore;
  readonly deliveries: DeliveryQueue;
  readonly archive: ArchiveReader;
  readonly signer: DigestSigner;
  readonly digests: DigestWriter;
}

export interface DigesterConfig {
  readonly trail: TrailIdentity;
  readonly writer: ArchiveWriter;
  readonly digestBucket: string;
  readonly digestKeyPrefix: string;
  readonly intervalSeconds: number;
  readonly limits?: Partial<DigesterLimits>;
}

export interface DigesterRunOptions {
  readonly now: () => number;
  /** When the run must have cut its digest (the invocation's deadline less a margin). */
  readonly deadlineMs: number;
}

export interface ForeignObject {
  readonly bucket: string;
  readonly key: string;
  readonly principalId: string;
}

export interface RefusedObject {
  readonly bucket: string;
  readonly key: string;
  readonly reason: string;
}

export interface DigesterRunSummary {
  /** Objects recorded (hashed) by this run. */
  readonly recorded: number;
  /** Notifications of objects recorded before (a redelivered message). */
  readonly duplicates: number;
  readonly foreign: readonly ForeignObject[];
  readonly refused: readonly RefusedObject[];
  /** Messages left in the queue for a later run (a read failed, or time ran out). */
  readonly retried: number;
  /** Messages that were no S3 notification, dropped. */
  readonly malformed: number;
  /** Whether a digest a stopped run started was finished. */
  readonly resumed: boolean;
  /** The digest this run wrote, if it was due. */
  readonly digest?: { readonly s3Object: string; readonly objectCount: number };
  /** The signing key's fingerprint, and whether this run registered it. */
  readonly signingKey: { readonly fingerprint: string; readonly registered: boolean };
}

/** Raised when the ledger's head moved under a run (another run cut a digest); the next run goes on from there. */
export class ChainConflictError extends Error {
  override readonly name = 'ChainConflictError';
}

export async function runDigester(
  ports: DigesterPorts,
  config: DigesterConfig,
  options: DigesterRunOptions,
): Promise<DigesterRunSummary> {
  const limits: DigesterLimits = { ...LIMITS.digester, ...config.limits };
  const signingKey = await currentSigningKey(ports, options.now);

  let head = await ports.ledger.head();
  let resumed = false;
  if (head.inProgress !== undefined) {
    await completeDigest(ports, config, head, head.inProgress, signingKey.key, options.now, limits);
    resumed = true;
    head = await ports.ledger.head();
  }

  const drained = await drainDeliveries(ports, config, options, limits);

  const lastEnd = head.lastDigestEndTime === undefined ? undefined : Date.parse(head.lastDigestEndTime);
  const nowMs = options.now();
  // A run closer than half an interval to the last digest is a second invocation of the same schedule
  // (EventBridge Scheduler delivers at least once): it records, and leaves the digest to the next run.
  const due = lastEnd === undefined || nowMs - lastEnd >= (config.intervalSeconds * 1000) / 2;
  const digest = due ? await cutDigest(ports, config, head, signingKey.key, options.now, limits) : undefined;
  return {
    ...drained,
    resumed,
    ...(digest === undefined ? {} : { digest }),
    signingKey: { fingerprint: signingKey.key.fingerprint, registered: signingKey.registered },
  };
}

/** The configured key, registered as current: a new key ends the old one's validity and starts its own. */
async function currentSigningKey(
  ports: DigesterPorts,
  now: () => number,
): Promise<{ key: PublicSigningKey; registered: boolean }> {
  const key = publicSigningKey(ports.signer.keyId, await ports.signer.publicKey());
  const change = registryChange(await ports.ledger.signingKeys(), key, cloudTrailTime(now()));
  if (change.kind === 'unchanged') return { key, registered: false };
  await ports.ledger.registerSigningKey(change.next, change.retired);
  return { key, registered: true };
}

type DrainSummary = Pick<
  DigesterRunSummary,
  'recorded' | 'duplicates' | 'foreign' | 'refused' | 'retried' | 'malformed'
>;

/** Records delivered objects from the queue until the queue is empty, the run's object budget is spent or time runs out. */
async function drainDeliveries(
  ports: DigesterPorts,
  config: DigesterConfig,
  options: DigesterRunOptions,
  limits: DigesterLimits,
): Promise<DrainSummary> {
  const summary = {
    recorded: 0,
    duplicates: 0,
    retried: 0,
    malformed: 0,
    foreign: [] as ForeignObject[],
    refused: [] as RefusedObject[],
  };
  let latestRecordedAt: string | undefined;
  let handled = 0;
  const timeLeft = () => options.deadlineMs - options.now() > limits.cutReserveMs;
  // Bounded by objectsPerRun: every round handles at least one message or stops.
  while (handled < limits.objectsPerRun && timeLeft()) {
    const messages = await ports.deliveries.receive(
      Math.min(limits.messagesPerReceive, limits.objectsPerRun - handled),
    );
    if (messages.length === 0) break;
    const acknowledged: string[] = [];
    for (const message of messages) {
      handled += 1;
      if (!timeLeft()) {
        summary.retried += 1;
        continue;
      }
      const outcome = await handleMessage(ports, config, message, options.now);
      if (outcome === 'retry') {
        summary.retried += 1;
        continue;
      }
      acknowledged.push(message.receiptHandle);
      summary.recorded += outcome.recorded;
      summary.duplicates += outcome.duplicates;
      summary.malformed += outcome.malformed ?? 0;
      summary.foreign.push(...outcome.foreign);
      summary.refused.push(...outcome.refused);
      if (outcome.latestRecordedAt !== undefined) latestRecordedAt = outcome.latestRecordedAt;
    }
    if (acknowledged.length > 0) await ports.deliveries.acknowledge(acknowledged);
  }
  if (latestRecordedAt !== undefined) await ports.ledger.noteLatestDelivery(latestRecordedAt);
  return summary;
}

interface MessageOutcome {
  readonly recorded: number;
  readonly duplicates: number;
  readonly malformed?: number;
  readonly foreign: readonly ForeignObject[];
  readonly refused: readonly RefusedObject[];
  readonly latestRecordedAt?: string;
}

/**
 * One notification: each delivered object hashed and recorded, each foreign one reported. 'retry' when an object
 * could not be read: the message stays in the queue (recording is idempotent, so the objects already recorded are
 * not recorded twice when it comes back), and the queue's redrive sends it to the dead-letter queue in the end.
 */
async function handleMessage(
  ports: DigesterPorts,
  config: DigesterConfig,
  message: DeliveryMessage,
  now: () => number,
): Promise<MessageOutcome | 'retry'> {
  let records: readonly ObjectCreatedRecord[];
  try {
    records = parseDeliveryNotification(message.body).records;
  } catch {
    // Not an S3 notification: nothing the trail delivered. Counted so it is seen, then dropped.
    return { recorded: 0, duplicates: 0, foreign: [], refused: [], malformed: 1 };
  }
  const outcome = {
    recorded: 0,
    duplicates: 0,
    foreign: [] as ForeignObject[],
    refused: [] as RefusedObject[],
  };
  let latestRecordedAt: string | undefined;
  for (const record of records) {
    if (writerVerdict(record, config.writer) === 'foreign') {
      outcome.foreign.push({ bucket: record.bucket, key: record.key, principalId: record.principalId });
      continue;
    }
    let object: DeliveredObject;
    const recordedAt = new Date(now()).toISOString();
    try {
      const summary = await ports.archive.summarise(record.bucket, record.key, record.versionId);
      object = {
        s3Bucket: record.bucket,
        s3Object: record.key,
        ...(record.versionId === undefined ? {} : { versionId: record.versionId }),
        hashValue: summary.hashValue,
        hashAlgorithm: 'SHA-256',
        ...(summary.newestEventTime === undefined ? {} : { newestEventTime: summary.newestEventTime }),
        ...(summary.oldestEventTime === undefined ? {} : { oldestEventTime: summary.oldestEventTime }),
        recordedAt,
        status: 'pending',
      };
    } catch (error) {
      if (!(error instanceof ArchiveObjectRefusedError)) return 'retry';
      object = {
        s3Bucket: record.bucket,
        s3Object: record.key,
        ...(record.versionId === undefined ? {} : { versionId: record.versionId }),
        hashAlgorithm: 'SHA-256',
        recordedAt,
        status: 'refused',
        refusal: error.message,
      };
      outcome.refused.push({ bucket: record.bucket, key: record.key, reason: error.message });
    }
    if (await ports.ledger.recordObject(object)) {
      if (object.status === 'pending') outcome.recorded += 1;
      latestRecordedAt = recordedAt;
    } else {
      outcome.duplicates += 1;
    }
  }
  return latestRecordedAt === undefined ? outcome : { ...outcome, latestRecordedAt };
}

/** The head's newest digest, as the next digest's previous; undefined at the chain's start. */
function previousDigestOf(head: ChainHead): PreviousDigest | undefined {
  const { lastDigestS3Bucket, lastDigestS3Object, lastDigestHashValue, lastDigestSignature } = head;
  if (
    lastDigestS3Bucket === undefined ||
    lastDigestS3Object === undefined ||
    lastDigestHashValue === undefined ||
    lastDigestSignature === undefined
  ) {
    return undefined;
  }
  return {
    s3Bucket: lastDigestS3Bucket,
    s3Object: lastDigestS3Object,
    hashValue: lastDigestHashValue,
    signature: lastDigestSignature,
  };
}

/** Claims the period's digest (the pending objects, up to the digest's bound) and writes it. */
async function cutDigest(
  ports: DigesterPorts,
  config: DigesterConfig,
  head: ChainHead,
  key: PublicSigningKey,
  now: () => number,
  limits: DigesterLimits,
): Promise<{ s3Object: string; objectCount: number }> {
  const pending = await ports.ledger.pending(limits.objectsPerDigest);
  const objects = await ports.ledger.objects(pending.map((entry) => entry.objectSk));
  const stillPending = new Set(
    objects
      .filter((object) => object.status === 'pending')
      .map(({ s3Bucket, s3Object }) => `${s3Bucket}/${s3Object}`),
  );
  // A pending entry left by a run that stopped after marking its object: the object is digested already.
  const stale = pending.filter((entry) => !stillPending.has(entry.objectSk));
  await mapWithConcurrency(stale, limits.writeConcurrency, (entry) =>
    ports.ledger.deletePending(entry.pendingSk),
  );

  const nowMs = now();
  const digestEndTime = cloudTrailTime(nowMs);
  const digestStartTime = head.lastDigestEndTime ?? cloudTrailTime(nowMs - config.intervalSeconds * 1000);
  const inProgress: DigestInProgress = {
    digestS3Object: digestKey(config.trail, config.digestKeyPrefix, digestEndTime),
    digestStartTime,
    digestEndTime,
    objects: pending.map((entry) => entry.objectSk).filter((objectSk) => stillPending.has(objectSk)),
  };
  if (!(await ports.ledger.beginDigest(inProgress, head.lastDigestS3Object))) {
    throw new ChainConflictError('the chain head moved: another run is cutting a digest');
  }
  return completeDigest(ports, config, head, inProgress, key, now, limits);
}

/** Marks the claimed objects digested, writes the signed digest, then advances the head: each step repeatable. */
async function completeDigest(
  ports: DigesterPorts,
  config: DigesterConfig,
  head: ChainHead,
  inProgress: DigestInProgress,
  key: PublicSigningKey,
  now: () => number,
  limits: DigesterLimits,
): Promise<{ s3Object: string; objectCount: number }> {
  const objects = await ports.ledger.objects(inProgress.objects);
  if (objects.length !== inProgress.objects.length) {
    throw new Error(`${inProgress.digestS3Object}: the ledger lost objects the digest claimed`);
  }
  await mapWithConcurrency(objects, limits.writeConcurrency, (object) =>
    ports.ledger.markDigested(object, inProgress.digestS3Object),
  );
  const digest: DigestFile = buildDigestFile({
    digestStartTime: inProgress.digestStartTime,
    digestEndTime: inProgress.digestEndTime,
    digestS3Bucket: config.digestBucket,
    digestS3Object: inProgress.digestS3Object,
    publicKeyFingerprint: key.fingerprint,
    previous: previousDigestOf(head),
    objects,
  });
  const digestJson = JSON.stringify(digest);
  const signature = await ports.signer.sign(Buffer.from(digestStringToSign(digest, digestJson), 'utf8'));
  await ports.digests.put(config.digestBucket, inProgress.digestS3Object, digestJson, signature);
  await ports.ledger.finishDigest({
    digestS3Bucket: config.digestBucket,
    digestS3Object: inProgress.digestS3Object,
    digestStartTime: inProgress.digestStartTime,
    digestEndTime: inProgress.digestEndTime,
    signature,
    hashValue: sha256Hex(digestJson),
    publicKeyFingerprint: key.fingerprint,
    objectCount: objects.length,
    deliveredAt: new Date(now()).toISOString(),
  });
  return { s3Object: inProgress.digestS3Object, objectCount: objects.length };
}
