import Type from 'typebox';
import { Compile } from 'typebox/compile';
import {
  cloudTrailTime,
  DIGEST_SIGNATURE_ALGORITHM,
  type DigestFile,
  digestKey,
  HASH_ALGORITHM,
  type TrailIdentity,
} from '../generated/integrity/digest-file.js';

/**
 * Reading CloudTrail's digests back: the format itself (key, JSON, string to sign) is the digester's
 * (lambda/core/integrity/digest-file.ts, copied to ../generated); this adds what only a reader needs, as
 * `aws cloudtrail validate-logs` does it (validation.py's DigestProvider): finding the trail's keys in a listing,
 * their times, and checking that JSON read from S3 is a digest at all.
 */

const nullableText = Type.Union([Type.String(), Type.Null()]);

/** A digest as OpenTrail writes it (buildDigestFile); the compiler holds this to the DigestFile type. */
const digestFileSchema = Type.Object({
  digestStartTime: Type.String(),
  digestEndTime: Type.String(),
  digestS3Bucket: Type.String(),
  digestS3Object: Type.String(),
  digestPublicKeyFingerprint: Type.String(),
  digestSignatureAlgorithm: Type.Literal(DIGEST_SIGNATURE_ALGORITHM),
  previousDigestS3Bucket: nullableText,
  previousDigestS3Object: nullableText,
  previousDigestHashValue: nullableText,
  previousDigestHashAlgorithm: Type.Union([Type.Literal(HASH_ALGORITHM), Type.Null()]),
  previousDigestSignature: nullableText,
  newestEventTime: nullableText,
  oldestEventTime: nullableText,
  logFiles: Type.Array(
    Type.Object({
      s3Bucket: Type.String(),
      s3Object: Type.String(),
      hashValue: Type.String(),
      hashAlgorithm: Type.Literal(HASH_ALGORITHM),
      newestEventTime: nullableText,
      oldestEventTime: nullableText,
    }),
  ),
});

const digestFileValidator = Compile(digestFileSchema);

/** The parsed JSON as a digest, or undefined when it is not one. */
export const asDigestFile = (value: unknown): DigestFile | undefined =>
  digestFileValidator.Check(value) ? value : undefined;

/** The object metadata (x-amz-meta-*) that holds the hex signature and its algorithm (DigestProvider.fetch_digest). */
export const SIGNATURE_METADATA = { signature: 'signature', algorithm: 'signature-algorithm' } as const;

/** A digest key of a known time, taken apart: the digester's digestKey is the one spelling of the key. */
const SAMPLE = { time: '2000-01-01T00:00:00Z', folder: '/2000/01/01/', stamp: '20000101T000000Z' } as const;

function keyParts(trail: TrailIdentity, keyPrefix: string) {
  const sample = digestKey(trail, keyPrefix, SAMPLE.time);
  const folder = sample.lastIndexOf(SAMPLE.folder);
  const [fileStart = '', fileEnd = ''] = sample.slice(folder + SAMPLE.folder.length).split(SAMPLE.stamp);
  return { prefix: sample.slice(0, folder), fileStart, fileEnd };
}

/** Every digest of the trail's region sits under `[prefix/]AWSLogs/<account>/CloudTrail-Digest/<region>`. */
export const digestPrefix = (trail: TrailIdentity, keyPrefix: string): string =>
  keyParts(trail, keyPrefix).prefix;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** Keys of this trail's digests (other trails share the prefix); backfill digests are not OpenTrail's. */
export function digestKeyPattern(trail: TrailIdentity, keyPrefix: string): RegExp {
  const { prefix, fileStart, fileEnd } = keyParts(trail, keyPrefix);
  return new RegExp(
    `^${escapeRegExp(prefix)}/\\d{4}/\\d{2}/\\d{2}/${escapeRegExp(fileStart)}\\d{8}T\\d{6}Z${escapeRegExp(fileEnd)}$`,
  );
}

/** The `YYYYMMDDTHHMMSSZ` of a digest key (extract_digest_key_date): the trail's digests sort by it. */
export const keyTimeOf = (key: string): string => key.slice(-24, -8);

/** The key of a digest ending at `time`, and so the listing position of that time. */
export const digestKeyAt = (trail: TrailIdentity, keyPrefix: string, time: Date): string =>
  digestKey(trail, keyPrefix, cloudTrailTime(time.getTime()));

/** The Date a `YYYYMMDDTHHMMSSZ` names. */
export const parseKeyTime = (text: string): Date =>
  new Date(
    `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}Z`,
  );
