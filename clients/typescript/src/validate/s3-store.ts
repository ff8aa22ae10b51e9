import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { FetchedObject, ListedObject, ObjectStore } from './ports.js';

const isAsyncIterable = (value: unknown): value is AsyncIterable<Uint8Array> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** The validator's S3 reads through the SDK: ListObjectsV2 pages, GetObject bodies as Node streams. */
export function s3ObjectStore(client: S3Client): ObjectStore {
  return {
    async *list(bucket, prefix, startAfter): AsyncIterable<ListedObject> {
      const pages = paginateListObjectsV2(
        { client },
        { Bucket: bucket, Prefix: prefix, ...(startAfter === undefined ? {} : { StartAfter: startAfter }) },
      );
      for await (const page of pages) {
        for (const { Key, LastModified } of page.Contents ?? []) {
          if (Key !== undefined && LastModified !== undefined) yield { key: Key, lastModified: LastModified };
        }
      }
    },

    async get(bucket, key): Promise<FetchedObject | undefined> {
      try {
        const { Body, Metadata } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!isAsyncIterable(Body)) throw new Error(`GetObject s3://${bucket}/${key} returned no stream`);
        return { body: Body, metadata: Metadata ?? {} };
      } catch (error) {
        // A deleted object of a versioned bucket (a delete marker) is NoSuchKey too.
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
  };
}
