import { describe, expect, it } from 'vitest';
import {
  type ArchiveSink,
  archiveBatch,
  forwardBatch,
  isArchivable,
  LOGS_LIMITS,
  type LogLine,
  type LogSink,
  logBatches,
  logLineOf,
  outgoingEvents,
  packRecords,
} from '../../lambda/core/pipeline.js';
import { eventJson, streamRecord } from '../fixtures/stream.js';

const NOW = 1_763_942_400_000;

class RecordingArchive implements ArchiveSink {
  readonly calls: string[][] = [];
  constructor(private readonly rejectWhen: (data: string) => boolean = () => false) {}
  async putRecords(records: readonly string[]): Promise<boolean[]> {
    this.calls.push([...records]);
    return records.map((data) => !this.rejectWhen(data));
  }
}

class RecordingLogs implements LogSink {
  readonly calls: LogLine[][] = [];
  constructor(private readonly failCall = -1) {}
  async putLogEvents(lines: readonly LogLine[]): Promise<boolean> {
    this.calls.push([...lines]);
    return this.calls.length - 1 !== this.failCall;
  }
}

describe('isArchivable', () => {
  it('lets through only inserts of pages a put wrote', () => {
    expect(isArchivable(streamRecord(1, eventJson(1)))).toBe(true);
    expect(isArchivable(streamRecord(2, eventJson(2), { eventName: 'MODIFY' }))).toBe(false);
    expect(
      isArchivable(
        streamRecord(3, eventJson(3), {
          eventName: 'REMOVE',
          userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
        }),
      ),
    ).toBe(false);
    const indexItem = streamRecord(4, eventJson(4));
    delete indexItem.dynamodb?.NewImage?.record;
    expect(isArchivable(indexItem)).toBe(false);
    // A page a rebuild restored holds events the archive and the log group have had already.
    const restored = streamRecord(5, eventJson(5));
    if (restored.dynamodb?.NewImage) restored.dynamodb.NewImage.writtenBy = { S: 'restore' };
    expect(isArchivable(restored)).toBe(false);
    const unmarked = streamRecord(6, eventJson(6));
    delete unmarked.dynamodb?.NewImage?.writtenBy;
    expect(isArchivable(unmarked)).toBe(false);
  });

  it('gives every record of a page, in page order, marking where each stream record starts', () => {
    // Act
    const events = outgoingEvents(
      [streamRecord(1, [eventJson(1), eventJson(2), eventJson(3)]), streamRecord(2, eventJson(4))],
      NOW,
    );

    // Assess
    expect(
      events.map(({ json, sequenceNumber, startsRecord }) => [json, sequenceNumber, startsRecord]),
    ).toEqual([
      [eventJson(1), '1001', true],
      [eventJson(2), '1001', false],
      [eventJson(3), '1001', false],
      [eventJson(4), '1002', true],
    ]);
  });
  it('takes the record byte for byte from the encoded (B) image', () => {
    // Prepare
    const unicode = JSON.stringify({ eventID: 'id-u', userName: 'Zoë 👩‍💻', note: 'e\u0301' });
    const records = [
      streamRecord(1, unicode),
      streamRecord(2, eventJson(2)),
      streamRecord(3, eventJson(3, 3000)),
    ];

    // Act
    const events = outgoingEvents(records, NOW);

    // Assess
    expect(records[0]?.dynamodb?.NewImage?.record?.B).toEqual(expect.any(String));
    expect(events.map((event) => event.json)).toEqual([unicode, eventJson(2), eventJson(3, 3000)]);
    expect(records.every(isArchivable)).toBe(true);
  });

  it('fails the batch at a record whose bytes do not decode, rather than skipping the event', async () => {
    // Prepare
    const corrupt = streamRecord(1, eventJson(1), {});
    if (corrupt.dynamodb?.NewImage)
      corrupt.dynamodb.NewImage.record = { B: Buffer.from([2, 1, 2, 3]).toString('base64') };
    const archive = new RecordingArchive();

    // Act and Assess
    await expect(archiveBatch([corrupt], archive, NOW)).rejects.toThrow(/corrupt/);
    expect(archive.calls).toHaveLength(0);
  });
});

describe('packRecords', () => {
  it('packs NDJSON lines into records no larger than the limit, in order, covering every event once', () => {
    // Prepare: 30 events of about 1 KB into records of at most 5 KB.
    const events = outgoingEvents(
      Array.from({ length: 30 }, (_, i) => streamRecord(i, eventJson(i, 1000))),
      NOW,
    );
    // Act
    const packed = packRecords(events, 5 * 1024);
    // Assess
    expect(packed.every((record) => Buffer.byteLength(record.data) <= 5 * 1024)).toBe(true);
    expect(packed.map((record) => record.data).join('')).toBe(
      events.map((event) => `${event.json}\n`).join(''),
    );
    expect(packed[0]?.firstEvent).toBe(0);
    expect(packed.at(-1)?.lastEvent).toBe(29);
    for (const [i, record] of packed.entries()) {
      if (i > 0) expect(record.firstEvent).toBe((packed[i - 1]?.lastEvent ?? 0) + 1);
    }
    expect(packed.length).toBe(Math.ceil(30 / 4));
  });

  it("keeps a page's events in one record, so a rejected record starts at a stream record", () => {
    // Prepare: pages of three 1 KB events; records of at most 5 KB would fit four events.
    const events = outgoingEvents(
      [1, 2, 3].map((page) =>
        streamRecord(
          page,
          [1, 2, 3].map((n) => eventJson(page * 10 + n, 1000)),
        ),
      ),
      NOW,
    );

    // Act
    const packed = packRecords(events, 5 * 1024);

    // Assess
    expect(packed.map((record) => [record.firstEvent, record.lastEvent])).toEqual([
      [0, 2],
      [3, 5],
      [6, 8],
    ]);
  });

  it('gives an event larger than the limit a record of its own rather than splitting it', () => {
    const events = outgoingEvents(
      [streamRecord(1, eventJson(1, 10)), streamRecord(2, eventJson(2, 9000))],
      NOW,
    );
    expect(packRecords(events, 5 * 1024).map((record) => [record.firstEvent, record.lastEvent])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});

describe('archiveBatch', () => {
  it('archives every inserted event as one NDJSON line, byte for byte, and skips other records', async () => {
    const sink = new RecordingArchive();
    const records = [
      streamRecord(1, eventJson(1)),
      streamRecord(2, eventJson(2), { eventName: 'REMOVE' }),
      streamRecord(3, '{"eventID":"é ünïcode 😀"}'),
    ];
    const outcome = await archiveBatch(records, sink, NOW);
    expect(outcome).toEqual({ delivered: 2 });
    expect(sink.calls.flat().join('')).toBe(`${eventJson(1)}\n{"eventID":"é ünïcode 😀"}\n`);
  });

  it('reports the first event of the first rejected record, so the batch is retried from there', async () => {
    // Prepare: events of ~600 KB, so each Firehose record holds one; the second is rejected.
    const records = [1, 2, 3].map((n) => streamRecord(n, eventJson(n, 600_000)));
    const sink = new RecordingArchive((data) => data.includes('"id-2"'));
    // Act
    const outcome = await archiveBatch(records, sink, NOW);
    // Assess
    expect(outcome).toEqual({ delivered: 1, firstFailedSequenceNumber: '1002' });
  });

  it('retries a rejected page from its own stream record, so no event of it is archived twice', async () => {
    // Prepare: two pages of two ~300 KB events; a Firehose record holds one page, the second is rejected.
    const records = [1, 2].map((page) =>
      streamRecord(
        page,
        [1, 2].map((n) => eventJson(page * 10 + n, 300_000)),
      ),
    );
    const sink = new RecordingArchive((data) => data.includes('"id-21"'));

    // Act
    const outcome = await archiveBatch(records, sink, NOW);

    // Assess
    expect(sink.calls[0]).toHaveLength(2);
    expect(outcome).toEqual({ delivered: 2, firstFailedSequenceNumber: '1002' });
  });

  it('does not call Firehose for a batch with no events', async () => {
    const sink = new RecordingArchive();
    expect(await archiveBatch([streamRecord(1, eventJson(1), { eventName: 'MODIFY' })], sink, NOW)).toEqual({
      delivered: 0,
    });
    expect(sink.calls).toEqual([]);
  });
});

describe('logBatches', () => {
  it('keeps every call within 10,000 events, 1 MB with 26 bytes per event, and 24 hours', () => {
    // Prepare: 12,000 small events, then 3 of 400 KB, then one a day later.
    const small = Array.from({ length: 12_000 }, (_, i) => ({
      json: eventJson(i),
      sequenceNumber: String(i),
      arrivedAtMs: NOW + i,
      startsRecord: true,
    }));
    const large = [1, 2, 3].map((i) => ({
      json: 'y'.repeat(400_000),
      sequenceNumber: `L${i}`,
      arrivedAtMs: NOW + 20_000,
      startsRecord: true,
    }));
    const late = {
      json: eventJson(99),
      sequenceNumber: 'late',
      arrivedAtMs: NOW + LOGS_LIMITS.spanMs + 30_000,
      startsRecord: true,
    };
    // Act
    const batches = logBatches([...small, ...large, late]);
    // Assess
    for (const batch of batches) {
      expect(batch.lines.length).toBeLessThanOrEqual(10_000);
      const bytes = batch.lines.reduce((sum, line) => sum + Buffer.byteLength(line.message) + 26, 0);
      expect(bytes).toBeLessThanOrEqual(1_048_576);
      expect((batch.lines.at(-1)?.timestamp ?? 0) - (batch.lines[0]?.timestamp ?? 0)).toBeLessThanOrEqual(
        LOGS_LIMITS.spanMs,
      );
    }
    expect(batches.flatMap((batch) => batch.lines).length).toBe(12_004);
    expect(batches.at(-1)?.lines.map((line) => line.message)).toEqual([late.json]);
  });

  it('never lets a timestamp go backwards within the lines, as PutLogEvents requires', () => {
    const events = [3, 1, 2].map((second) => ({
      json: 'x',
      sequenceNumber: String(second),
      arrivedAtMs: second * 1000,
      startsRecord: true,
    }));
    const timestamps = logBatches(events).flatMap((batch) => batch.lines.map((line) => line.timestamp));
    expect(timestamps).toEqual([3000, 3000, 3000]);
  });
});

describe('forwardBatch', () => {
  it('writes one line per event with the stored JSON as the message', async () => {
    const sink = new RecordingLogs();
    const outcome = await forwardBatch(
      [streamRecord(1, eventJson(1)), streamRecord(2, eventJson(2))],
      sink,
      NOW,
    );
    expect(outcome).toEqual({ delivered: 2 });
    expect(sink.calls[0]?.map((line) => line.message)).toEqual([eventJson(1), eventJson(2)]);
    expect(sink.calls[0]?.[0]?.timestamp).toBe((1_763_942_400 + 1) * 1000);
  });

  it('stops at the first failed call and reports its first event', async () => {
    // Prepare: three calls' worth of 400 KB events; the second call fails.
    const records = [1, 2, 3, 4, 5, 6].map((n) => streamRecord(n, eventJson(n, 400_000)));
    const sink = new RecordingLogs(1);
    // Act
    const outcome = await forwardBatch(records, sink, NOW);
    // Assess
    expect(sink.calls).toHaveLength(2);
    expect(outcome).toEqual({ delivered: 2, firstFailedSequenceNumber: '1003' });
  });

  it("keeps a page's lines in one call, so a failed call is retried from its page's stream record", async () => {
    // Prepare: two pages of two 300 KB events (a call holds at most 1 MB: one page); the second call fails.
    const records = [1, 2].map((page) =>
      streamRecord(
        page,
        [1, 2].map((n) => eventJson(page * 10 + n, 300_000)),
      ),
    );
    const sink = new RecordingLogs(1);

    // Act
    const outcome = await forwardBatch(records, sink, NOW);

    // Assess
    expect(sink.calls.map((call) => call.length)).toEqual([2, 2]);
    expect(outcome).toEqual({ delivered: 2, firstFailedSequenceNumber: '1002' });
  });
});

describe('logLineOf', () => {
  it('keeps the stored record byte for byte in full format', () => {
    const json = eventJson(1);
    expect(logLineOf(json, 'full')).toBe(json);
  });

  it('drops the payloads in summary format and names what it dropped', () => {
    // Prepare
    const json = JSON.stringify({
      eventID: 'a',
      errorCode: 'AccessDenied',
      requestParameters: { big: 'x'.repeat(500) },
      responseElements: null,
      additionalEventData: { y: 1 },
    });
    // Act
    const line = JSON.parse(logLineOf(json, 'summary'));
    // Assess
    expect(line).toEqual({
      eventID: 'a',
      errorCode: 'AccessDenied',
      responseElements: null,
      omittedFields: ['requestParameters', 'additionalEventData'],
    });
  });

  it('leaves a record without payloads unchanged in summary format', () => {
    const json = eventJson(2);
    expect(logLineOf(json, 'summary')).toBe(json);
  });

  it('is what forwardBatch writes when asked for summaries', async () => {
    const sink = new RecordingLogs();
    const json = JSON.stringify({ eventID: 'b', requestParameters: { a: 1 } });
    await forwardBatch([streamRecord(1, json)], sink, NOW, 'summary');
    expect(sink.calls[0]?.[0]?.message).toBe(logLineOf(json, 'summary'));
  });
});
