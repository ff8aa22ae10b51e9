/**
 * The integrity ledger's layout (docs/integrity.md): one DynamoDB table, keys `pk` and `sk`, holding what the
 * digester has recorded and signed. The digester writes it; the lookup function reads it for CloudTrail's
 * control-plane reads (GetTrailStatus, ListPublicKeys); the validator reads it through those reads, never directly.
 * The construct, local mode and both adapters take the key layout from here.
 */
export const LEDGER_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
} as const;

/** Partition key values and sort key forms of every item kind. */
export const LEDGER_KEYS = {
  /** One item per archive object the trail delivered: sk `<bucket>/<key>`. */
  object: (bucket: string, key: string) => ({ pk: 'object', sk: `${bucket}/${key}` }),
  /** Recorded objects no digest lists yet, oldest first: sk `<recordedAt ISO>#<bucket>/<key>`. */
  pending: (recordedAt: string, bucket: string, key: string) => ({
    pk: 'pending',
    sk: `${recordedAt}#${bucket}/${key}`,
  }),
  /** The chain's head: the newest digest written, and the one being written if a run stopped half-way. */
  head: { pk: 'chain', sk: 'head' },
  /** One item per digest written, by end time: sk `<digestEndTime ISO>`. */
  digest: (digestEndTime: string) => ({ pk: 'digest', sk: digestEndTime }),
  /** Every signing key there has been, by validity start: sk `<validityStart ISO>#<fingerprint>`. */
  signingKey: (validityStart: string, fingerprint: string) => ({
    pk: 'key',
    sk: `${validityStart}#${fingerprint}`,
  }),
} as const;

export const LEDGER_PARTITIONS = {
  object: 'object',
  pending: 'pending',
  digest: 'digest',
  signingKey: 'key',
} as const;

/** What the ledger knows of one delivered archive object (the digest's `logFiles` entry, plus bookkeeping). */
export interface DeliveredObject {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** The S3 version the notification named: the one hashed. */
  readonly versionId?: string;
  /** Lowercase hex SHA-256 of the object's inflated (single) gzip member; absent when refused. */
  readonly hashValue?: string;
  readonly hashAlgorithm: 'SHA-256';
  /** ISO times of the newest and oldest event the object holds. */
  readonly newestEventTime?: string;
  readonly oldestEventTime?: string;
  /** When the digester recorded (hashed) it. */
  readonly recordedAt: string;
  readonly status: 'pending' | 'digested' | 'refused';
  /** The digest that lists it, once digested. */
  readonly digestS3Object?: string;
  /** Why it was refused (for example more than one gzip member). */
  readonly refusal?: string;
}

/** The newest digest of the chain, and a digest being written (so a stopped run finishes it, exactly once). */
export interface ChainHead {
  readonly lastDigestS3Bucket?: string;
  readonly lastDigestS3Object?: string;
  readonly lastDigestEndTime?: string;
  /** Hex signature of the newest digest: the next digest's previousDigestSignature. */
  readonly lastDigestSignature?: string;
  /** Hex SHA-256 of the newest digest's uncompressed JSON: the next digest's previousDigestHashValue. */
  readonly lastDigestHashValue?: string;
  /** When the newest digest was put to S3 (GetTrailStatus LatestDigestDeliveryTime). */
  readonly lastDigestDeliveredAt?: string;
  /** When the newest archive object was recorded (GetTrailStatus LatestDeliveryTime). */
  readonly latestDeliveryTime?: string;
  /** The digest a run started and has not finished: its key, end time and the objects it lists (sk values of `object`). */
  readonly inProgress?: {
    readonly digestS3Object: string;
    readonly digestStartTime: string;
    readonly digestEndTime: string;
    readonly objects: readonly string[];
  };
}

/** One digest written. */
export interface DigestRecord {
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly signature: string;
  readonly hashValue: string;
  readonly publicKeyFingerprint: string;
  readonly objectCount: number;
  readonly deliveredAt: string;
}

/** One signing key, current or retired: what ListPublicKeys answers. */
export interface SigningKeyRecord {
  /** The KMS key (ARN) that signs with it. */
  readonly keyId: string;
  /** Hex fingerprint: MD5 of the PKCS#1 DER public key, as CloudTrail's ListPublicKeys gives it. */
  readonly fingerprint: string;
  /** Base64 of the PKCS#1 DER RSA public key. */
  readonly publicKeyPkcs1: string;
  readonly validityStart: string;
  /** Absent while the key is current. */
  readonly validityEnd?: string;
}
