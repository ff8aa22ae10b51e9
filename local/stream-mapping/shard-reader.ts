import type { DynamoDBRecord } from 'aws-lambda';
import type { BufferedRecord } from './batching.js';

/** A shard as one consumer's mapping tracks it. Checkpoints live in memory: they survive stop() and start(), not a new process. */
export interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** The last record this consumer is done with (delivered, filtered out or discarded). */
  checkpoint?: string;
  finished: boolean;
  reading?: Promise<void>;
}

/**
 * One shard's read position. GetRecords pages go into a buffer, filtered on arrival; batches are cut from its
 * front and removed once handled, so reading ahead never skips a record.
 */
export class ShardReader {
  iterator: string | undefined;
  readErrors = 0;
  /** The shard is closed and read to its end. */
  ended = false;
  /** Set after trimmed data: where a new iterator starts instead of the mapping's starting position. */
  startAt: 'TRIM_HORIZON' | undefined;
  private lastRead: string | undefined;
  private readonly entries: BufferedRecord[] = [];

  constructor(readonly state: ShardState) {}

  get buffer(): readonly BufferedRecord[] {
    return this.entries;
  }

  /** Takes a GetRecords page: the last sequence number read, the records the filter let through, the next iterator. */
  append(
    lastSequenceNumber: string | undefined,
    accepted: readonly DynamoDBRecord[],
    next: string | undefined,
  ): void {
    if (lastSequenceNumber !== undefined) this.lastRead = lastSequenceNumber;
    for (const record of accepted) {
      this.entries.push({ record, bytes: Buffer.byteLength(JSON.stringify(record)) });
    }
    // Nothing waits to be handled: whatever was read was filtered out, so the checkpoint moves past it.
    if (this.entries.length === 0 && lastSequenceNumber !== undefined)
      this.state.checkpoint = lastSequenceNumber;
    this.iterator = next;
    // No next iterator: the shard is closed and everything in it has been read.
    if (next === undefined) this.ended = true;
  }

  consume(count: number): void {
    this.entries.splice(0, count);
  }

  /** Where a new iterator resumes: after what was read, or after the checkpoint of an earlier run. */
  resumeAfter(): string | undefined {
    return this.lastRead ?? this.state.checkpoint;
  }

  restartAtTrimHorizon(): void {
    this.lastRead = undefined;
    this.state.checkpoint = undefined;
    this.startAt = 'TRIM_HORIZON';
    this.entries.length = 0;
  }
}
