import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { crc32, createInflateRaw } from 'node:zlib';

/**
 * What a digest says of one archive object: the SHA-256 of its inflated gzip member, and the newest and oldest
 * `eventTime` of its JSON lines, read as the bytes stream past, never holding the object.
 *
 * An object must be exactly one gzip member. The CLI hashes only the first member (zlib.decompressobj stops there)
 * and newer CLIs reject bytes after it, while Node's own Gunzip silently runs on into later members (node_zlib.cc
 * resets the stream when input remains), so the member is inflated raw here: the RFC 1952 header is read, the
 * deflate stream inflated, and the 8-byte trailer (CRC-32, size) must end the object exactly.
 */

export interface ArchiveObjectSummary {
  /** Lowercase hex SHA-256 of the inflated member. */
  readonly hashValue: string;
  readonly newestEventTime?: string;
  readonly oldestEventTime?: string;
  /** Inflated bytes, for the run's bounds. */
  readonly inflatedBytes: number;
}

/** Why an object cannot be digested; the digester records it as refused and alarms. */
export class ArchiveObjectRefusedError extends Error {
  override readonly name = 'ArchiveObjectRefusedError';
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const DEFLATE = 8;
const FLAGS = { headerCrc: 0x02, extra: 0x04, name: 0x08, comment: 0x10 } as const;
const FIXED_HEADER_BYTES = 10;
const TRAILER_BYTES = 8;
/** A header's optional name and comment end at a zero byte; a header longer than this is not Firehose's. */
const MAX_HEADER_BYTES = 64 * 1024;
/** The longest line whose eventTime is read (a stored record is at most 256 KB); longer lines are hashed only. */
const MAX_LINE_BYTES = 512 * 1024;

/** The header's length once `bytes` holds all of it; undefined while more bytes are needed. Throws for non-gzip. */
function gzipHeaderLength(bytes: Buffer): number | undefined {
  if (bytes.length < FIXED_HEADER_BYTES) return undefined;
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1] || bytes[2] !== DEFLATE) {
    throw new ArchiveObjectRefusedError('not a gzip member (bad magic or method)');
  }
  const flags = bytes[3] ?? 0;
  let offset = FIXED_HEADER_BYTES;
  if (flags & FLAGS.extra) {
    if (bytes.length < offset + 2) return undefined;
    offset += 2 + bytes.readUInt16LE(offset);
  }
  for (const flag of [FLAGS.name, FLAGS.comment]) {
    if (!(flags & flag)) continue;
    const end = bytes.indexOf(0, offset);
    if (end < 0) return undefined;
    offset = end + 1;
  }
  if (flags & FLAGS.headerCrc) offset += 2;
  return bytes.length >= offset ? offset : undefined;
}

/** Newest and oldest eventTime of JSON lines, fed in pieces; lines that are not records are skipped. */
class EventTimeRange {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private skippingLongLine = false;
  newest?: { ms: number; text: string };
  oldest?: { ms: number; text: string };

  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(0x0a, start); end >= 0; end = chunk.indexOf(0x0a, start)) {
      this.keep(chunk.subarray(start, end));
      this.endLine();
      start = end + 1;
    }
    this.keep(chunk.subarray(start));
  }

  end(): void {
    this.endLine();
  }

  private keep(piece: Buffer): void {
    if (this.skippingLongLine || piece.length === 0) return;
    this.partialBytes += piece.length;
    if (this.partialBytes > MAX_LINE_BYTES) {
      this.skippingLongLine = true;
      this.partial = [];
      return;
    }
    this.partial.push(piece);
  }

  private endLine(): void {
    const line = this.skippingLongLine ? '' : Buffer.concat(this.partial).toString('utf8');
    this.partial = [];
    this.partialBytes = 0;
    this.skippingLongLine = false;
    if (line.trim() === '') return;
    const text = eventTimeOf(line);
    const ms = text === undefined ? Number.NaN : Date.parse(text);
    if (text === undefined || Number.isNaN(ms)) return;
    if (this.newest === undefined || ms > this.newest.ms) this.newest = { ms, text };
    if (this.oldest === undefined || ms < this.oldest.ms) this.oldest = { ms, text };
  }
}

function eventTimeOf(line: string): string | undefined {
  try {
    const record: unknown = JSON.parse(line);
    if (record === null || typeof record !== 'object') return undefined;
    const { eventTime } = record as { eventTime?: unknown };
    return typeof eventTime === 'string' ? eventTime : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hashes one archive object as it streams: exactly one gzip member, nothing after it. Throws
 * ArchiveObjectRefusedError for anything else (a second member, trailing bytes, a bad CRC, a truncated member).
 */
export async function summariseArchiveObject(
  chunks: AsyncIterable<Uint8Array>,
): Promise<ArchiveObjectSummary> {
  const hash = createHash('sha256');
  const times = new EventTimeRange();
  const inflater = createInflateRaw();
  let inflatedBytes = 0;
  let crc = 0;
  inflater.on('data', (chunk: Buffer) => {
    inflatedBytes += chunk.length;
    crc = crc32(chunk, crc);
    hash.update(chunk);
    times.push(chunk);
  });
  // The deflate stream's end: Node ends a raw inflater as soon as it has, whatever input follows.
  let inflaterError: Error | undefined;
  const ended = new Promise<void>((resolve) => {
    inflater.once('end', () => resolve());
    inflater.once('error', (error: Error) => {
      inflaterError = error;
      resolve();
    });
  });

  let header: Buffer | undefined = Buffer.alloc(0);
  let headerLength = 0;
  let totalBytes = 0;
  /** The object's last bytes: the trailer, when the member ends the object. */
  let tail = Buffer.alloc(0);
  let streamEnded = false;
  void ended.then(() => {
    streamEnded = true;
  });

  for await (const piece of chunks) {
    const chunk = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    totalBytes += chunk.length;
    tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - TRAILER_BYTES))]).subarray(
      -TRAILER_BYTES,
    );
    let body = chunk;
    if (header !== undefined) {
      header = Buffer.concat([header, chunk]);
      const length = gzipHeaderLength(header);
      if (length === undefined) {
        if (header.length > MAX_HEADER_BYTES) throw new ArchiveObjectRefusedError('gzip header too long');
        continue;
      }
      headerLength = length;
      body = header.subarray(length);
      header = undefined;
    }
    if (streamEnded || body.length === 0) continue;
    if (!inflater.write(body)) await Promise.race([once(inflater, 'drain'), ended]);
  }
  if (header !== undefined) throw new ArchiveObjectRefusedError('truncated gzip header');
  inflater.end();
  await ended;
  if (inflaterError !== undefined) {
    throw new ArchiveObjectRefusedError(`invalid deflate data: ${inflaterError.message}`);
  }
  times.end();

  const memberBytes = headerLength + inflater.bytesWritten + TRAILER_BYTES;
  if (totalBytes > memberBytes) {
    throw new ArchiveObjectRefusedError(
      `${totalBytes - memberBytes} bytes follow the first gzip member (a second member or trailing data)`,
    );
  }
  if (totalBytes < memberBytes) throw new ArchiveObjectRefusedError('truncated gzip member');
  if (tail.readUInt32LE(0) !== crc >>> 0 || tail.readUInt32LE(4) !== inflatedBytes % 2 ** 32) {
    throw new ArchiveObjectRefusedError('gzip trailer does not match the inflated data (CRC-32 or size)');
  }
  return {
    hashValue: hash.digest('hex'),
    inflatedBytes,
    ...(times.newest === undefined ? {} : { newestEventTime: times.newest.text }),
    ...(times.oldest === undefined ? {} : { oldestEventTime: times.oldest.text }),
  };
}
