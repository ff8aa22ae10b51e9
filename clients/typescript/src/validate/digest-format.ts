import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * CloudTrail's digest file format, as `aws cloudtrail validate-logs` reads it (awscli/customizations/cloudtrail/
 * validation.py): where digests live, what their JSON holds, and what their signature covers.
 */

const nullableText = Type.Union([Type.String(), Type.Null()]);

const logFileSchema = Type.Object({
  s3Bucket: Type.String(),
  s3Object: Type.String(),
  /** Lowercase hex SHA-256 of the object's inflated gzip member. */
  hashValue: Type.String(),
  hashAlgorithm: Type.String(),
  newestEventTime: Type.Optional(nullableText),
  oldestEventTime: Type.Optional(nullableText),
});

/** The fields the CLI requires (`required_digest_keys`) are required here too; `logFiles` is always written. */
const digestFileSchema = Type.Object({
  awsAccountId: Type.Optional(Type.String()),
  digestStartTime: Type.String(),
  digestEndTime: Type.String(),
  /** The digest's own location: a digest read from anywhere else has been moved. */
  digestS3Bucket: Type.String(),
  digestS3Object: Type.String(),
  digestPublicKeyFingerprint: Type.String(),
  digestSignatureAlgorithm: Type.Optional(Type.String()),
  newestEventTime: Type.Optional(nullableText),
  oldestEventTime: Type.Optional(nullableText),
  /** All null at a chain's start. */
  previousDigestS3Bucket: Type.Optional(nullableText),
  previousDigestS3Object: Type.Optional(nullableText),
  previousDigestHashValue: Type.Optional(nullableText),
  previousDigestHashAlgorithm: Type.Optional(nullableText),
  previousDigestSignature: nullableText,
  logFiles: Type.Array(logFileSchema),
});

export type DigestLogFile = Static<typeof logFileSchema>;
export type DigestFile = Static<typeof digestFileSchema>;

const digestFileValidator = Compile(digestFileSchema);

/** The parsed JSON as a digest, or undefined when it lacks a field the validation needs. */
export const asDigestFile = (value: unknown): DigestFile | undefined =>
  digestFileValidator.Check(value) ? value : undefined;

/** The object metadata (x-amz-meta-*) holding the hex signature and its algorithm. */
export const SIGNATURE_METADATA = { signature: 'signature', algorithm: 'signature-algorithm' } as const;
export const SIGNATURE_ALGORITHM = 'SHA256withRSA';

/** What the signature covers: `digestEndTime \n bucket/key \n hex(sha256(inflated JSON)) \n previousSignature|null`. */
export const stringToSign = (digest: DigestFile, inflatedSha256Hex: string): string =>
  [
    digest.digestEndTime,
    `${digest.digestS3Bucket}/${digest.digestS3Object}`,
    inflatedSha256Hex,
    // 'null' at a chain's start, as CloudTrail's (Java) signer writes it.
    digest.previousDigestSignature ?? 'null',
  ].join('\n');

/** A trail's identity as its ARN spells it: arn:<partition>:cloudtrail:<region>:<account>:trail/<name>. */
export interface TrailIdentity {
  readonly arn: string;
  readonly region: string;
  readonly accountId: string;
  readonly name: string;
}

const TRAIL_ARN = /^arn:[^:]+:cloudtrail:([^:]+):(\d{12}):trail\/(.+)$/;

/** The trail's parts, or undefined when the ARN is not a trail's (the CLI's assert_cloudtrail_arn_is_valid). */
export function parseTrailArn(arn: string): TrailIdentity | undefined {
  const match = TRAIL_ARN.exec(arn);
  if (match === null) return undefined;
  const [, region = '', accountId = '', name = ''] = match;
  return { arn, region, accountId, name };
}

/** `YYYYMMDDTHHMMSSZ`, the time in a digest's key. */
export const digestKeyTime = (time: Date): string =>
  time
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

const withPrefix = (keyPrefix: string | undefined, key: string) =>
  keyPrefix === undefined || keyPrefix === '' ? key : `${keyPrefix}/${key}`;

/** Every digest of the trail's region sits under `[prefix/]AWSLogs/<account>/CloudTrail-Digest/<region>`. */
export const digestPrefix = (trail: TrailIdentity, keyPrefix?: string): string =>
  withPrefix(keyPrefix, `AWSLogs/${trail.accountId}/CloudTrail-Digest/${trail.region}`);

/** The key of the trail's digest delivered at `time`. */
export function digestKey(trail: TrailIdentity, keyPrefix: string | undefined, time: Date): string {
  const day = time.toISOString().slice(0, 10).replace(/-/g, '/');
  const { accountId, region, name } = trail;
  return `${digestPrefix(trail, keyPrefix)}/${day}/${accountId}_CloudTrail-Digest_${region}_${name}_${region}_${digestKeyTime(time)}.json.gz`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** Keys of this trail's digests (other trails share the prefix); backfill digests are not OpenTrail's. */
export function digestKeyPattern(trail: TrailIdentity, keyPrefix?: string): RegExp {
  const { accountId, region, name } = trail;
  return new RegExp(
    `^${escapeRegExp(digestPrefix(trail, keyPrefix))}/\\d+/\\d+/\\d+/${escapeRegExp(`${accountId}_CloudTrail-Digest_${region}_${name}_${region}_`)}\\d{8}T\\d{6}Z\\.json\\.gz$`,
  );
}

/** The `YYYYMMDDTHHMMSSZ` of a digest key: digests sort by it. */
export const keyTimeOf = (key: string): string => key.slice(-24, -8);

/** The Date a `YYYYMMDDTHHMMSSZ` names. */
export const parseKeyTime = (text: string): Date =>
  new Date(
    `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}Z`,
  );
