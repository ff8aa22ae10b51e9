import type { ProducerEvent } from '../../lambda/core/event-model.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import type { StoredEvent } from '../../lambda/core/ports.js';
import { ACCOUNT_ID } from '../../test/fixtures/events.js';
import { MemoryEventStore } from '../../test/fixtures/memory-store.js';

/** The ingest options the benchmarks store events with: what a deployed trail would use. */
export const PRODUCER_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/producer`;

export const benchIngestOptions = (nowMs: number): IngestOptions => ({
  receivedAtMs: nowMs,
  defaultRegion: 'us-east-1',
  defaultAccountId: ACCOUNT_ID,
  retentionDays: 90,
  writeShards: 16,
  producerArn: PRODUCER_ARN,
});

/** The most events one put request may carry (DESIGN.md §3). */
const REQUEST_EVENTS = 100;

/**
 * Runs events through the real `putEvents` with a writer that keeps what it is given, 100 per request as the
 * route would, and answers the stored events: their record JSON is byte for byte what the table stores, and so
 * what the stream, the archive and the log group carry. Any refused event stops the benchmark.
 */
export async function storeEvents(events: readonly ProducerEvent[], nowMs: number): Promise<StoredEvent[]> {
  const store = new MemoryEventStore();
  for (let start = 0; start < events.length; start += REQUEST_EVENTS) {
    const result = await putEvents(
      events.slice(start, start + REQUEST_EVENTS),
      store,
      benchIngestOptions(nowMs),
    );
    if (result.failed.length > 0) {
      throw new Error(`benchmark events were refused: ${JSON.stringify(result.failed.slice(0, 3))}`);
    }
  }
  if (store.storedEvents.length !== events.length) {
    throw new Error(`${events.length} events put, ${store.storedEvents.length} stored`);
  }
  return store.storedEvents;
}

/** Events storeEvents stored, as the requests it put them in: what one write of the adapter covers. */
export const storedRequests = (stored: readonly StoredEvent[]): StoredEvent[][] =>
  Array.from({ length: Math.ceil(stored.length / REQUEST_EVENTS) }, (_, i) =>
    stored.slice(i * REQUEST_EVENTS, (i + 1) * REQUEST_EVENTS),
  );
