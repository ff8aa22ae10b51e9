import { createHash } from 'node:crypto';
import { Gunzip } from 'fflate';

/** How reading a gzip object went: CloudTrail reads its first member only, so an object with more is refused. */
export type GzipRead<T> =
  | { readonly kind: 'read'; readonly value: T }
  | { readonly kind: 'members'; readonly members: number }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Streams a gzip object through `onData`, a chunk at a time. fflate's Gunzip reports each member after the first
 * (node:zlib silently joins them), where the AWS CLI would read the first and ignore the rest. A truncated or empty
 * object inflates to less than it held, which the hash comparison catches; the body's own read errors propagate.
 */
async function inflate(
  body: AsyncIterable<Uint8Array>,
  onData: (chunk: Uint8Array) => string | undefined,
): Promise<GzipRead<undefined>> {
  let members = 1;
  let refusal: string | undefined;
  const gunzip = new Gunzip();
  gunzip.onmember = () => {
    members += 1;
  };
  gunzip.ondata = (chunk) => {
    if (members === 1 && refusal === undefined) refusal = onData(chunk);
  };
  const push = (chunk: Uint8Array, final: boolean): string | undefined => {
    try {
      gunzip.push(chunk, final);
      return refusal;
    } catch (error) {
      return `not gzip (${(error as Error).message})`;
    }
  };
  for await (const chunk of body) {
    const problem = push(chunk, false);
    // Leaving the loop ends the body's stream: nothing more is read.
    if (problem !== undefined) return { kind: 'invalid', reason: problem };
    if (members > 1) return { kind: 'members', members };
  }
  const problem = push(new Uint8Array(0), true);
  if (problem !== undefined) return { kind: 'invalid', reason: problem };
  return members > 1 ? { kind: 'members', members } : { kind: 'read', value: undefined };
}

/** Lowercase hex SHA-256 of the inflated first member: a digest's `hashValue`. Memory stays one chunk. */
export async function hashGzipMember(body: AsyncIterable<Uint8Array>): Promise<GzipRead<string>> {
  const hash = createHash('sha256');
  const read = await inflate(body, (chunk) => {
    hash.update(chunk);
    return undefined;
  });
  return read.kind === 'read' ? { kind: 'read', value: hash.digest('hex') } : read;
}

/** The inflated first member, refused past `maxBytes` so that a hostile object cannot exhaust memory. */
export async function inflateGzipMember(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<GzipRead<Buffer>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const read = await inflate(body, (chunk) => {
    size += chunk.length;
    chunks.push(chunk);
    return size > maxBytes ? `inflates to more than ${maxBytes} bytes` : undefined;
  });
  return read.kind === 'read' ? { kind: 'read', value: Buffer.concat(chunks) } : read;
}
