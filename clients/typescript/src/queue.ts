import { OpenTrailError, QueueFullError } from './errors.js';

/** One queued event: its JSON text as it will travel, and the promise callbacks of the put() that queued it. */
export interface QueuedEvent<Result> {
  readonly id: string;
  readonly json: string;
  readonly bytes: number;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: Error) => void;
}

export interface BatchLimits {
  /** Events per request. @default 100 (the API's limit) */
  readonly maxEvents?: number;
  /** UTF-8 bytes of the request body `{"events":[...]}`. @default 1 MiB (the API's limit) */
  readonly maxBytes?: number;
  /** How long a partial batch waits for more events before it is sent. @default 50 */
  readonly lingerMs?: number;
}

export interface QueueLimits {
  /** Events held (queued or in flight) at most; a put() beyond is refused with QueueFullError. @default 10 000 */
  readonly maxEvents?: number;
  /** Bytes of events held at most; a put() beyond is refused with QueueFullError. @default 32 MiB */
  readonly maxBytes?: number;
}

/** `{"events":[` and `]}`: what a batch's body adds to its events and the commas between them. */
export const BATCH_OVERHEAD_BYTES = Buffer.byteLength('{"events":[]}');

export const batchBody = (events: readonly Pick<QueuedEvent<unknown>, 'json'>[]): string =>
  `{"events":[${events.map(({ json }) => json).join(',')}]}`;

/**
 * Batches queued events by count, size and linger and hands each batch to `send`, at most `maxConcurrency` at
 * once. It holds at most the configured events and bytes, counting those in flight: memory stays bounded while
 * the trail is down, and a put() that would pass the cap is refused at once instead of waiting.
 */
export class BatchQueue<Result> {
  private readonly queued: QueuedEvent<Result>[] = [];
  private heldEvents = 0;
  private heldBytes = 0;
  private inFlight = 0;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** The linger passed (or a flush asked): partial batches go as soon as a slot is free. */
  private due = false;
  private idleWaiters: (() => void)[] = [];
  readonly batch: Required<BatchLimits>;
  readonly cap: Required<QueueLimits>;

  constructor(
    private readonly send: (events: QueuedEvent<Result>[]) => Promise<void>,
    batch: BatchLimits = {},
    cap: QueueLimits = {},
    private readonly maxConcurrency = 4,
  ) {
    this.batch = {
      maxEvents: batch.maxEvents ?? 100,
      maxBytes: batch.maxBytes ?? 1024 * 1024,
      lingerMs: batch.lingerMs ?? 50,
    };
    this.cap = { maxEvents: cap.maxEvents ?? 10_000, maxBytes: cap.maxBytes ?? 32 * 1024 * 1024 };
  }

  /** Events queued or in flight, and their bytes. */
  held(): { readonly events: number; readonly bytes: number } {
    return { events: this.heldEvents, bytes: this.heldBytes };
  }

  /** Queues one event; throws QueueFullError when the cap would be passed, RequestTooLarge when no batch fits it. */
  enqueue(event: QueuedEvent<Result>): void {
    if (BATCH_OVERHEAD_BYTES + event.bytes > this.batch.maxBytes) {
      throw new OpenTrailError(
        'RequestTooLarge',
        `the event is ${event.bytes} bytes as JSON; a request of ${this.batch.maxBytes} bytes cannot carry it`,
      );
    }
    if (this.heldEvents + 1 > this.cap.maxEvents || this.heldBytes + event.bytes > this.cap.maxBytes) {
      throw new QueueFullError(
        `the client holds ${this.heldEvents} events (${this.heldBytes} bytes) not yet answered; ` +
          `at most ${this.cap.maxEvents} events and ${this.cap.maxBytes} bytes`,
      );
    }
    this.heldEvents++;
    this.heldBytes += event.bytes;
    this.queued.push(event);
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = undefined;
      this.due = true;
      this.pump();
    }, this.batch.lingerMs);
    this.pump();
  }

  /** Sends everything queued now and resolves once every event held has been answered. */
  flush(): Promise<void> {
    this.due = true;
    this.pump();
    if (this.heldEvents === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private fullBatchQueued(): boolean {
    if (this.queued.length >= this.batch.maxEvents) return true;
    let bytes = BATCH_OVERHEAD_BYTES - 1;
    for (const event of this.queued) {
      bytes += event.bytes + 1;
      if (bytes > this.batch.maxBytes) return true;
    }
    return false;
  }

  /** The longest run of queued events that fits one request. */
  private takeBatch(): QueuedEvent<Result>[] {
    let bytes = BATCH_OVERHEAD_BYTES - 1;
    let count = 0;
    for (const event of this.queued) {
      if (count === this.batch.maxEvents || bytes + event.bytes + 1 > this.batch.maxBytes) break;
      bytes += event.bytes + 1;
      count++;
    }
    return this.queued.splice(0, count);
  }

  private pump(): void {
    while (this.inFlight < this.maxConcurrency && this.queued.length > 0) {
      if (!this.due && !this.fullBatchQueued()) break;
      const events = this.takeBatch();
      this.inFlight++;
      // send() answers every event itself; a bug there must still settle them rather than leave puts hanging.
      this.send(events)
        .catch((error: unknown) => {
          for (const event of events) event.reject(error instanceof Error ? error : new Error(String(error)));
        })
        .finally(() => this.settled(events));
    }
    if (this.queued.length === 0) {
      this.due = false;
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
  }

  private settled(events: readonly QueuedEvent<Result>[]): void {
    this.inFlight--;
    this.heldEvents -= events.length;
    for (const event of events) this.heldBytes -= event.bytes;
    this.pump();
    if (this.heldEvents === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
