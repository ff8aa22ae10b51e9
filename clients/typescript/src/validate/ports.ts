/**
 * What the validator reads, as narrow ports: S3 (the digest bucket and the archive) and CloudTrail's control
 * plane on OpenTrail's API. The adapters (s3-store.ts, control-plane.ts) move bytes; tests pass in-memory ones.
 */

export interface ListedObject {
  readonly key: string;
  readonly lastModified: Date;
}

export interface FetchedObject {
  /** The object's bytes, a chunk at a time; stopping early releases the connection. */
  readonly body: AsyncIterable<Uint8Array>;
  /** x-amz-meta-* without the prefix, names in lower case. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ObjectStore {
  /** Keys under `prefix` in S3's order (ascending UTF-8), from after `startAfter`. */
  list(bucket: string, prefix: string, startAfter?: string): AsyncIterable<ListedObject>;
  /** The object, or undefined when there is no such key. */
  get(bucket: string, key: string): Promise<FetchedObject | undefined>;
}

/** DescribeTrails' entry for the trail: where its digests are. */
export interface TrailDescription {
  readonly trailArn: string;
  readonly s3BucketName: string;
  readonly s3KeyPrefix?: string;
  readonly isOrganizationTrail: boolean;
}

/** GetTrailStatus, what the newest-end check reads: when logging (the first digest's period) began, the last digest. */
export interface TrailStatus {
  readonly startLoggingTime?: Date;
  readonly latestDigestDeliveryTime?: Date;
  readonly latestDigestDeliveryError?: string;
}

/** ListPublicKeys' entry: a signing key valid at some point of the range asked for. */
export interface PublicKey {
  readonly fingerprint: string;
  /** DER of the PKCS#1 RSAPublicKey. */
  readonly value: Uint8Array;
}

export interface TrailControlPlane {
  /** The trail whose TrailARN is exactly `trailArn`, or undefined. */
  describeTrail(trailArn: string): Promise<TrailDescription | undefined>;
  trailStatus(trailArn: string): Promise<TrailStatus>;
  publicKeys(startTime: Date, endTime: Date): Promise<readonly PublicKey[]>;
}
