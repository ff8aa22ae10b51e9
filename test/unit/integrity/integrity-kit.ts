import { createPublicKey, generateKeyPairSync, type KeyObject, sign as rsaSign } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { summariseArchiveObject } from '../../../lambda/core/integrity/archive-object.js';
import type {
  ArchiveReader,
  DeliveryMessage,
  DeliveryQueue,
  DigestInProgress,
  DigestSigner,
  DigestWriter,
  LedgerStore,
  PendingEntry,
} from '../../../lambda/core/integrity/digester.js';
import {
  type ChainHead,
  type DeliveredObject,
  type DigestRecord,
  LEDGER_KEYS,
  type SigningKeyRecord,
} from '../../../lambda/core/integrity/ledger-layout.js';

/** The integrity ports in memory: the ledger with DynamoDB's conditional semantics, a queue, S3 and a signer. */

export class MemoryLedger implements LedgerStore {
  readonly objectItems = new Map<string, DeliveredObject>();
  readonly pendingItems = new Map<string, string>();
  readonly digestItems = new Map<string, DigestRecord>();
  readonly keyItems = new Map<string, SigningKeyRecord>();
  headItem: ChainHead = {};

  async recordObject(object: DeliveredObject): Promise<boolean> {
    const { sk } = LEDGER_KEYS.object(object.s3Bucket, object.s3Object);
    if (this.objectItems.has(sk)) return false;
    this.objectItems.set(sk, object);
    if (object.status === 'pending') {
      this.pendingItems.set(LEDGER_KEYS.pending(object.recordedAt, object.s3Bucket, object.s3Object).sk, sk);
    }
    return true;
  }

  async head(): Promise<ChainHead> {
    return structuredClone(this.headItem);
  }

  async noteLatestDelivery(time: string): Promise<void> {
    const latest = this.headItem.latestDeliveryTime;
    if (latest === undefined || latest < time) this.headItem = { ...this.headItem, latestDeliveryTime: time };
  }

  async pending(limit: number): Promise<PendingEntry[]> {
    return [...this.pendingItems]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(0, limit)
      .map(([pendingSk, objectSk]) => ({ pendingSk, objectSk }));
  }

  async objects(objectSks: readonly string[]): Promise<DeliveredObject[]> {
    return objectSks.flatMap((sk) => {
      const object = this.objectItems.get(sk);
      return object === undefined ? [] : [structuredClone(object)];
    });
  }

  async beginDigest(inProgress: DigestInProgress, lastDigestS3Object: string | undefined): Promise<boolean> {
    if (this.headItem.inProgress !== undefined || this.headItem.lastDigestS3Object !== lastDigestS3Object) {
      return false;
    }
    this.headItem = { ...this.headItem, inProgress: structuredClone(inProgress) };
    return true;
  }

  async markDigested(object: DeliveredObject, digestS3Object: string): Promise<void> {
    const { sk } = LEDGER_KEYS.object(object.s3Bucket, object.s3Object);
    const stored = this.objectItems.get(sk);
    if (stored === undefined || (stored.status !== 'pending' && stored.digestS3Object !== digestS3Object)) {
      throw new Error(`ConditionalCheckFailed: ${sk} is ${stored?.status}`);
    }
    this.objectItems.set(sk, { ...stored, status: 'digested', digestS3Object });
    this.pendingItems.delete(LEDGER_KEYS.pending(object.recordedAt, object.s3Bucket, object.s3Object).sk);
  }

  async deletePending(pendingSk: string): Promise<void> {
    this.pendingItems.delete(pendingSk);
  }

  async finishDigest(record: DigestRecord): Promise<void> {
    if (this.headItem.inProgress?.digestS3Object !== record.digestS3Object) {
      throw new Error('ConditionalCheckFailed: no such digest in progress');
    }
    this.digestItems.set(record.digestEndTime, record);
    const { inProgress: _done, ...head } = this.headItem;
    this.headItem = {
      ...head,
      lastDigestS3Bucket: record.digestS3Bucket,
      lastDigestS3Object: record.digestS3Object,
      lastDigestEndTime: record.digestEndTime,
      lastDigestSignature: record.signature,
      lastDigestHashValue: record.hashValue,
      lastDigestDeliveredAt: record.deliveredAt,
    };
  }

  async signingKeys(): Promise<SigningKeyRecord[]> {
    return [...this.keyItems.values()];
  }

  async registerSigningKey(next: SigningKeyRecord, retired: SigningKeyRecord | undefined): Promise<void> {
    this.keyItems.set(LEDGER_KEYS.signingKey(next.validityStart, next.fingerprint).sk, next);
    if (retired !== undefined) {
      this.keyItems.set(LEDGER_KEYS.signingKey(retired.validityStart, retired.fingerprint).sk, retired);
    }
  }
}

/** An S3 bucket's objects, by `<bucket>/<key>`. */
export class MemoryObjects implements ArchiveReader {
  readonly bodies = new Map<string, Buffer>();
  /** Objects whose next read fails as a throttled GetObject would. */
  readonly failNextRead = new Set<string>();

  put(bucket: string, key: string, body: Buffer): void {
    this.bodies.set(`${bucket}/${key}`, body);
  }

  async summarise(bucket: string, key: string) {
    const path = `${bucket}/${key}`;
    if (this.failNextRead.delete(path)) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown' });
    const body = this.bodies.get(path);
    if (body === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return summariseArchiveObject(
      (async function* () {
        yield body;
      })(),
    );
  }
}

/**
 * SQS semantics that matter here: a received message is hidden (the visibility timeout is the digester's timeout)
 * and comes back, if not deleted, once `endVisibility` says the timeout passed.
 */
export class MemoryQueue implements DeliveryQueue {
  private next = 0;
  readonly messages = new Map<string, string>();
  private readonly hidden = new Set<string>();

  send(body: string): void {
    this.next += 1;
    this.messages.set(`receipt-${this.next}`, body);
  }

  endVisibility(): void {
    this.hidden.clear();
  }

  async receive(max: number): Promise<DeliveryMessage[]> {
    const received = [...this.messages].filter(([handle]) => !this.hidden.has(handle)).slice(0, max);
    for (const [handle] of received) this.hidden.add(handle);
    return received.map(([receiptHandle, body]) => ({ receiptHandle, body }));
  }

  async acknowledge(receiptHandles: readonly string[]): Promise<void> {
    for (const handle of receiptHandles) this.messages.delete(handle);
  }
}

/** Digests as the digest bucket would hold them: JSON and signature metadata. */
export class MemoryDigests implements DigestWriter {
  readonly puts: Array<{ bucket: string; key: string; json: string; signature: string }> = [];
  /** Throws on the next put, once: a run that stops after claiming its digest. */
  failNextPut = false;

  async put(bucket: string, key: string, json: string, signature: string): Promise<void> {
    if (this.failNextPut) {
      this.failNextPut = false;
      throw new Error('the run stopped');
    }
    this.puts.push({ bucket, key, json, signature });
  }
}

/** Signs as KMS does (RSASSA_PKCS1_V1_5_SHA_256 over the raw message) with a key made here. */
export class RsaSigner implements DigestSigner {
  readonly publicKeyObject: KeyObject;
  private readonly privateKey: KeyObject;

  constructor(readonly keyId: string) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKeyObject = pair.publicKey;
  }

  async publicKey(): Promise<Uint8Array> {
    return this.publicKeyObject.export({ format: 'der', type: 'spki' });
  }

  async sign(message: Buffer): Promise<string> {
    return rsaSign('sha256', message, this.privateKey).toString('hex');
  }
}

/** The PKCS#1 key as the CLI would load it, for node:crypto's verify. */
export const pkcs1PublicKey = (base64: string): KeyObject =>
  createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'pkcs1' });

export const ARCHIVE_BUCKET = 'archive-bucket';
export const WRITER = 'AWS:AROAFIREHOSEROLE:';

/** An archive object as Firehose writes it: gzip, one member, one JSON record per line. */
export function archiveObject(eventTimes: readonly string[]): Buffer {
  return gzipSync(
    eventTimes.map((eventTime, index) => `${JSON.stringify({ eventTime, eventID: `e${index}` })}\n`).join(''),
  );
}

/** The S3 ObjectCreated notification of one object. */
export function notification(
  key: string,
  options: { principalId?: string; bucket?: string; versionId?: string } = {},
): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: options.principalId ?? `${WRITER}FirehoseSession` },
        s3: {
          bucket: { name: options.bucket ?? ARCHIVE_BUCKET },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), versionId: options.versionId ?? 'v1' },
        },
      },
    ],
  });
}
