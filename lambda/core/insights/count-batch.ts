import { type DeliveryOutcome, outgoingEvents, type StreamRecordLike } from '../pipeline.js';
import { type CounterWriter, countRecords } from './counters.js';

/**
 * The counter consumer: one counter update per (key, minute) per batch. Counters are kept for the baseline
 * window plus two days. Any failed write fails the whole batch, so the mapping retries the same records,
 * whose updates the store recognises by their update id and does not add twice.
 */
export async function countBatch(
  records: readonly StreamRecordLike[],
  writer: CounterWriter,
  nowMs: number,
  baselineMinutes: number,
): Promise<DeliveryOutcome> {
  const events = outgoingEvents(records, nowMs);
  const updates = countRecords(events.map(({ json, sequenceNumber }) => ({ json, sequenceNumber })));
  if (updates.length === 0) return { delivered: events.length };
  const expiresAt = Math.floor(nowMs / 1000) + (baselineMinutes + 2 * 1440) * 60;
  const keys = [...new Map(updates.map((update) => [update.keyId, update])).values()];
  if (!(await writer.registerKeys(keys, expiresAt)))
    throw new Error('could not register insight counter keys');
  const written = await writer.addCounts(updates, expiresAt);
  const failed = written.filter((ok) => !ok).length;
  if (failed > 0) throw new Error(`${failed} of ${updates.length} insight counter updates failed`);
  return { delivered: events.length };
}
