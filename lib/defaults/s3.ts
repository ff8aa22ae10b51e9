import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  BucketEncryption,
  type BucketProps,
  type LifecycleRule,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';

/** When archive objects move to cheaper storage classes; the archive keeps them for ever unless told otherwise. */
export const ARCHIVE_LIFECYCLE_DEFAULTS = {
  infrequentAccessAfterDays: 90,
  glacierInstantRetrievalAfterDays: 365,
} as const;

/** How long S3 server access logs of the archive are kept. */
export const ACCESS_LOGS_EXPIRATION_DAYS = 365;

/** Versions replaced or deleted by an expiration rule stay this long before S3 removes them. */
const NONCURRENT_VERSION_EXPIRATION_DAYS = 30;

/** Multipart uploads Firehose abandoned are cleaned up after this long. */
const ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 7;

/** Settings every bucket holding audit data gets: private, TLS 1.2+ only, encrypted, bucket-owner objects, kept. */
function privateBucketProps(): BucketProps {
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

/**
 * Secure defaults for the archive bucket: private, TLS only, versioned, retained on stack deletion, encrypted with
 * S3-managed keys (or SSE-KMS with a bucket key when a customer key is given).
 */
export function defaultArchiveBucketProps(encryptionKey?: IKey): BucketProps {
  return {
    ...privateBucketProps(),
    versioned: true,
    ...(encryptionKey
      ? { encryption: BucketEncryption.KMS, encryptionKey, bucketKeyEnabled: true }
      : { encryption: BucketEncryption.S3_MANAGED }),
  };
}

/** The archive's lifecycle: when objects change storage class and, if ever, expire. */
export interface ArchiveLifecycle {
  readonly infrequentAccessAfterDays: number;
  readonly glacierInstantRetrievalAfterDays: number;
  /** Days after which objects expire; undefined keeps them for ever. */
  readonly expirationDays?: number;
}

/**
 * One rule: Standard-IA, then Glacier Instant Retrieval, optionally expiry (noncurrent versions then go 30 days
 * later), and abandoned multipart uploads aborted after 7 days.
 */
export function archiveLifecycleRules(lifecycle: ArchiveLifecycle): LifecycleRule[] {
  const expiry: Partial<LifecycleRule> =
    lifecycle.expirationDays === undefined
      ? {}
      : {
          expiration: Duration.days(lifecycle.expirationDays),
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_EXPIRATION_DAYS),
        };
  return [
    {
      id: 'ArchiveStorageClasses',
      abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS),
      transitions: [
        {
          storageClass: StorageClass.INFREQUENT_ACCESS,
          transitionAfter: Duration.days(lifecycle.infrequentAccessAfterDays),
        },
        {
          storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
          transitionAfter: Duration.days(lifecycle.glacierInstantRetrievalAfterDays),
        },
      ],
      ...expiry,
    },
  ];
}

/**
 * Defaults for the bucket receiving the archive's S3 server access logs. S3 delivers access logs only to buckets
 * encrypted with S3-managed keys, so this one never takes the customer key.
 */
export function defaultAccessLogsBucketProps(): BucketProps {
  return {
    ...privateBucketProps(),
    encryption: BucketEncryption.S3_MANAGED,
    lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(ACCESS_LOGS_EXPIRATION_DAYS) }],
  };
}
