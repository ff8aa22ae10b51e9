import type { DynamoDBRecord } from 'aws-lambda';

/**
 * How a mapping cuts batches from a shard: up to BatchSize records within the invocation payload limit, sent
 * when a limit is reached, when the batching window that opened with the first waiting record is over, or when
 * the shard has ended.
 */

/** A record waiting in a shard's buffer, with the bytes it adds to the invocation payload. */
export interface BufferedRecord {
  readonly record: DynamoDBRecord;
  readonly bytes: number;
}

export interface BatchLimits {
  /** BatchSize. */
  readonly batchSize: number;
  /** The invocation payload limit a batch stays under; a single larger record still goes, alone. */
  readonly maxBatchBytes: number;
  /** MaximumBatchingWindowInSeconds, in ms. */
  readonly maxBatchingWindowMs: number;
}

/** The batch the buffer's front makes now; `full` when batchSize or maxBatchBytes cut it. */
export const cutBatch = (
  buffer: readonly BufferedRecord[],
  limits: Pick<BatchLimits, 'batchSize' | 'maxBatchBytes'>,
): { readonly records: DynamoDBRecord[]; readonly full: boolean } => {
  const records: DynamoDBRecord[] = [];
  let bytes = 0;
  for (const entry of buffer) {
    if (
      records.length === limits.batchSize ||
      (records.length > 0 && bytes + entry.bytes > limits.maxBatchBytes)
    ) {
      return { records, full: true };
    }
    records.push(entry.record);
    bytes += entry.bytes;
  }
  return { records, full: false };
};

/** What a shard's reader does next while a batch gathers. */
export type BatchingStep =
  | { readonly kind: 'invoke'; readonly records: DynamoDBRecord[] }
  /** The shard is closed, read to its end and nothing waits. */
  | { readonly kind: 'ended' }
  /** Read more; `windowEndsAt` is the open window's end (epoch ms), undefined while nothing waits. */
  | { readonly kind: 'read'; readonly windowEndsAt: number | undefined };

export interface BatchingState {
  readonly buffer: readonly BufferedRecord[];
  /** The shard is closed and everything in it has been read. */
  readonly ended: boolean;
  /** The end of the window opened by an earlier step, if any. */
  readonly windowEndsAt: number | undefined;
}

export const batchingStep = (state: BatchingState, nowMs: number, limits: BatchLimits): BatchingStep => {
  const { records, full } = cutBatch(state.buffer, limits);
  const windowEndsAt =
    state.windowEndsAt ?? (records.length > 0 ? nowMs + limits.maxBatchingWindowMs : undefined);
  const windowOver = windowEndsAt !== undefined && nowMs >= windowEndsAt;
  if (full || (records.length > 0 && (windowOver || state.ended))) return { kind: 'invoke', records };
  if (state.ended) return { kind: 'ended' };
  return { kind: 'read', windowEndsAt };
};

/** The longest wait between reads of an idle shard (the poll interval when that is longer). */
export const IDLE_POLL_MAX_MS = 1_000;

/**
 * The wait after a read that found nothing. While a window is open: the poll interval, or less when the window
 * ends sooner. While nothing waits: the poll interval, doubled with each empty read in a row up to
 * IDLE_POLL_MAX_MS, so an idle table costs the emulator about one GetRecords a second per consumer instead of four,
 * and a record arriving after a quiet spell waits at most a second longer.
 */
export const pollWaitMs = (
  windowEndsAt: number | undefined,
  nowMs: number,
  pollIntervalMs: number,
  emptyReadsInARow = 1,
): number =>
  windowEndsAt === undefined
    ? Math.min(
        Math.max(pollIntervalMs, IDLE_POLL_MAX_MS),
        pollIntervalMs * 2 ** Math.max(0, emptyReadsInARow - 1),
      )
    : Math.min(pollIntervalMs, windowEndsAt - nowMs);
