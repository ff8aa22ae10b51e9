import { createHash } from 'node:crypto';
import type { DeliveredObject } from './ledger-layout.js';

/**
 * CloudTrail's digest file, as `aws cloudtrail validate-logs` reads it (awscli/customizations/cloudtrail/
 * validation.py): its key, its JSON and the string its signature covers. docs/integrity.md.
 */

/** What the digest's `digestSignatureAlgorithm` and the object's `signature-algorithm` metadata say. */
export const DIGEST_SIGNATURE_ALGORITHM = 'SHA256withRSA';
export const HASH_ALGORITHM = 'SHA-256';

/** One archive object the digest lists. */
export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  readonly hashValue: string;
  readonly hashAlgorithm: typeof HASH_ALGORITHM;
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
}

/** The digest's JSON: CloudTrail's fields, the previous digest's null at a chain's start, logFiles always present. */
export interface DigestFile {
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm: typeof DIGEST_SIGNATURE_ALGORITHM;
  readonly previousDigestS3Bucket: string | null;
  readonly previousDigestS3Object: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm: typeof HASH_ALGORITHM | null;
  readonly previousDigestSignature: string | null;
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
  readonly logFiles: readonly DigestLogFile[];
}

/** The digest before this one in the chain; undefined at the chain's start. */
export interface PreviousDigest {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** Hex SHA-256 of its uncompressed JSON. */
  readonly hashValue: string;
  /** Its hex signature. */
  readonly signature: string;
}

/** A trail as its ARN names it: `arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`. */
export interface TrailIdentity {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
}

const TRAIL_ARN_PATTERN = /^arn:[a-z-]+:cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

/** The account, home region and name in a trail ARN, as the CLI splits them; throws for anything else. */
export function parseTrailArn(trailArn: string): TrailIdentity {
  const match = TRAIL_ARN_PATTERN.exec(trailArn);
  if (match === null) throw new Error(`not a trail ARN: ${trailArn}`);
  const [, region = '', accountId = '', name = ''] = match;
  return { accountId, region, name };
}

/** CloudTrail's times: UTC, whole seconds, `2026-12-02T03:00:00Z`. */
export function cloudTrailTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * The digest's key: `[prefix/]AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_
 * <region>_<trail>_<region>_<YYYYMMDDTHHMMSSZ>.json.gz`, dated by its end time. The CLI lists digests by this key,
 * reads the time from its last 24 characters and refuses a digest whose JSON names another location.
 */
export function digestKey(trail: TrailIdentity, prefix: string, digestEndTime: string): string {
  const { accountId, region, name } = trail;
  const ymd = `${digestEndTime.slice(0, 4)}/${digestEndTime.slice(5, 7)}/${digestEndTime.slice(8, 10)}`;
  const stamp = digestEndTime.replace(/[-:]/g, '');
  const key =
    `AWSLogs/${accountId}/CloudTrail-Digest/${region}/${ymd}/` +
    `${accountId}_CloudTrail-Digest_${region}_${name}_${region}_${stamp}.json.gz`;
  return prefix === '' ? key : `${prefix.replace(/\/+$/, '')}/${key}`;
}

/** Lowercase hex SHA-256, as every hash of the digest is written. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function newestOf(times: readonly (string | null | undefined)[]): string | null {
  return times.reduce<string | null>(
    (newest, time) =>
      time == null ? newest : newest === null || Date.parse(time) > Date.parse(newest) ? time : newest,
    null,
  );
}

function oldestOf(times: readonly (string | null | undefined)[]): string | null {
  return times.reduce<string | null>(
    (oldest, time) =>
      time == null ? oldest : oldest === null || Date.parse(time) < Date.parse(oldest) ? time : oldest,
    null,
  );
}

export interface DigestContents {
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly publicKeyFingerprint: string;
  readonly previous: PreviousDigest | undefined;
  /** The objects it lists: digested ones, each with its hash. */
  readonly objects: readonly DeliveredObject[];
}

/** The digest's JSON; objects in key order, so a resumed run writes the same bytes. */
export function buildDigestFile(contents: DigestContents): DigestFile {
  const logFiles = [...contents.objects]
    .sort((a, b) => compareText(`${a.s3Bucket}/${a.s3Object}`, `${b.s3Bucket}/${b.s3Object}`))
    .map((object): DigestLogFile => {
      if (object.hashValue === undefined) throw new Error(`${object.s3Object} has no hash to digest`);
      return {
        s3Bucket: object.s3Bucket,
        s3Object: object.s3Object,
        hashValue: object.hashValue,
        hashAlgorithm: HASH_ALGORITHM,
        newestEventTime: object.newestEventTime ?? null,
        oldestEventTime: object.oldestEventTime ?? null,
      };
    });
  const { previous } = contents;
  return {
    digestStartTime: contents.digestStartTime,
    digestEndTime: contents.digestEndTime,
    digestS3Bucket: contents.digestS3Bucket,
    digestS3Object: contents.digestS3Object,
    digestPublicKeyFingerprint: contents.publicKeyFingerprint,
    digestSignatureAlgorithm: DIGEST_SIGNATURE_ALGORITHM,
    previousDigestS3Bucket: previous?.s3Bucket ?? null,
    previousDigestS3Object: previous?.s3Object ?? null,
    previousDigestHashValue: previous?.hashValue ?? null,
    previousDigestHashAlgorithm: previous === undefined ? null : HASH_ALGORITHM,
    previousDigestSignature: previous?.signature ?? null,
    newestEventTime: newestOf(logFiles.map((file) => file.newestEventTime)),
    oldestEventTime: oldestOf(logFiles.map((file) => file.oldestEventTime)),
    logFiles,
  };
}

/**
 * What the signature covers, exactly as the CLI rebuilds it (Sha256RSADigestValidator._create_string_to_sign):
 * the end time, `bucket/key`, the hex SHA-256 of the uncompressed JSON and the previous signature, or `null`.
 */
export function digestStringToSign(digest: DigestFile, digestJson: string): string {
  return [
    digest.digestEndTime,
    `${digest.digestS3Bucket}/${digest.digestS3Object}`,
    sha256Hex(digestJson),
    digest.previousDigestSignature ?? 'null',
  ].join('\n');
}

/** Code-point order, the same everywhere (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
