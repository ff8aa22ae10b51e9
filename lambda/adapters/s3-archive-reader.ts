import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ArchiveObjectSummary, summariseArchiveObject } from '../core/integrity/archive-object.js';
import type { ArchiveReader } from '../core/integrity/digester.js';

/** Reads the version of an archive object a notification named, streamed through the gzip member check and hash. */
export class S3ArchiveReader implements ArchiveReader {
  constructor(private readonly client: S3Client) {}

  async summarise(bucket: string, key: string, versionId: string | undefined): Promise<ArchiveObjectSummary> {
    const { Body } = await this.client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(versionId === undefined ? {} : { VersionId: versionId }),
      }),
    );
    if (Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
    // In Node the SDK's body is an IncomingMessage: an async iterable of Buffers.
    return summariseArchiveObject(Body as AsyncIterable<Uint8Array>);
  }
}
