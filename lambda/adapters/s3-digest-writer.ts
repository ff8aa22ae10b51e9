import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DIGEST_SIGNATURE_ALGORITHM } from '../core/integrity/digest-file.js';
import type { DigestWriter } from '../core/integrity/digester.js';

/**
 * Puts a digest as CloudTrail does: gzip JSON, the hex signature in `x-amz-meta-signature` and the algorithm in
 * `x-amz-meta-signature-algorithm`, where the CLI reads them (DigestProvider.fetch_digest).
 */
export class S3DigestWriter implements DigestWriter {
  constructor(private readonly client: S3Client) {}

  async put(bucket: string, key: string, digestJson: string, signature: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: gzipSync(digestJson),
        // No Content-Encoding: a client that decoded it would hand the CLI JSON where it expects gzip.
        ContentType: 'application/gzip',
        Metadata: { signature, 'signature-algorithm': DIGEST_SIGNATURE_ALGORITHM },
      }),
    );
  }
}
