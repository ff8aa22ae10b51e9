import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { type TrailRecord, trailRecordSchema } from '../../lambda/core/event-model.js';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { type ArchiveSink, archiveBatch } from '../../lambda/core/pipeline.js';
import type { StoredEvent } from '../../lambda/core/ports.js';
import { ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { streamRecord } from '../fixtures/stream.js';
import { variedEvents } from '../fixtures/traffic.js';

const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: 4 };
const recordValidator = Compile(trailRecordSchema);

/** The archive contract: what consumers of the S3 archive (Athena, SIEMs, scripts) may rely on. */
describe('archive record format', () => {
  it('is NDJSON of records that match schema/trail-record.schema.json, byte for byte as stored', async () => {
    // Prepare: varied events through the real ingest path, captured as stored.
    const stored: StoredEvent[] = [];
    const store = new MemoryEventStore();
    store.writeEvents = async (events) => {
      stored.push(...events);
      return events.map(() => ({ ok: true }));
    };
    const inputs = [
      ...variedEvents(50, NOW_MS),
      sampleEvent({ id: 'x', eventCategory: 'Data', clientType: 'cli' }),
    ];
    expect((await putEvents(inputs, store, OPTIONS)).failed).toEqual([]);
    const archived: string[] = [];
    const sink: ArchiveSink = {
      putRecords: async (records) => {
        archived.push(...records);
        return records.map(() => true);
      },
    };
    // Act
    await archiveBatch(
      stored.map((event, i) => streamRecord(i, event.recordJson)),
      sink,
      NOW_MS,
    );
    // Assess
    const text = archived.join('');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toEqual(stored.map((event) => event.recordJson));
    for (const line of lines) {
      const record = JSON.parse(line) as TrailRecord;
      expect([...recordValidator.Errors(record)]).toEqual([]);
      expect(record.eventID).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    }
  });
});
