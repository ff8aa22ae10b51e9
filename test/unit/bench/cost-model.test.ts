import { describe, expect, it } from 'vitest';
import {
  BYTES_PER_GB,
  dominantStage,
  FIREHOSE_BILLING_STEP_BYTES,
  firehoseBilledBytes,
  firehoseBilledBytesPerEvent,
  firehoseStage,
  lambdaBilledMs,
  lambdaStage,
  logsStage,
  PRICES,
  type StageCost,
  s3ArchiveStage,
  summarize,
  usdPerMillionForBytes,
  usdPerMillionForCount,
} from '../../../bench/cost-model.js';

/** Bytes per event that make exactly one billed GB per million events. */
const ONE_GB_PER_MILLION = BYTES_PER_GB / 1_000_000;

const stageOf = (stage: string, usd: number): StageCost => ({ stage, usdPerMillionEvents: usd, lines: [] });

describe('the price table', () => {
  it('gives every price a positive amount, a unit and a source', () => {
    for (const [name, price] of Object.entries(PRICES)) {
      expect(price.usd, name).toBeGreaterThan(0);
      expect(price.per, name).not.toBe('');
      expect(price.source.length, name).toBeGreaterThan(10);
    }
  });

  it('holds the us-east-1 prices DESIGN.md §10 lists, as checked against the price pages', () => {
    expect(PRICES.firehoseIngestionGb.usd).toBe(0.029);
    expect(PRICES.logsIngestionGb.usd).toBe(0.5);
    expect(PRICES.lambdaArmGbSecond.usd).toBe(0.0000133334);
    expect(PRICES.dynamodbWru.usd).toBe(0.625);
    expect(PRICES.s3StandardGbMonth.usd).toBe(0.023);
  });

  it('holds the corrections issue 17 lists: Standard-IA requests, Lake on CloudTrail events and seven years', () => {
    expect(PRICES.dynamodbIaWru.usd).toBe(0.78);
    expect(PRICES.dynamodbIaRru.usd).toBe(0.155);
    expect(PRICES.cloudTrailLakeCloudTrailEventsGb.usd).toBe(0.75);
    expect(PRICES.cloudTrailLakeSevenYearGb.usd).toBe(2.5);
  });
});

describe('firehoseBilledBytes', () => {
  it('rounds every record up to the next 5 KB step when it is not a multiple of 5,120 bytes', () => {
    expect(FIREHOSE_BILLING_STEP_BYTES).toBe(5120);
    expect(firehoseBilledBytes(1)).toBe(5120);
    expect(firehoseBilledBytes(1264)).toBe(5120);
    expect(firehoseBilledBytes(5120)).toBe(5120);
    expect(firehoseBilledBytes(5121)).toBe(10_240);
    // The pricing page's examples: 3 KB is billed as 5 KB, 12 KB as 15 KB, 42 KB as 45 KB.
    expect(firehoseBilledBytes(3 * 1024)).toBe(5 * 1024);
    expect(firehoseBilledBytes(12 * 1024)).toBe(15 * 1024);
    expect(firehoseBilledBytes(42 * 1024)).toBe(45 * 1024);
  });

  it('refuses an empty record when asked to bill one', () => {
    expect(() => firehoseBilledBytes(0)).toThrow(/at least one byte/);
  });

  it('bills a packed record of 100 events far below one record per event when events are about 1 KB', () => {
    // Prepare: 100 lines of 1,265 bytes, packed into one record or sent one per record.
    const packed = [100 * 1265];
    const unpacked = Array.from({ length: 100 }, () => 1265);

    // Act
    const packedPerEvent = firehoseBilledBytesPerEvent(packed, 100);
    const unpackedPerEvent = firehoseBilledBytesPerEvent(unpacked, 100);

    // Assess: 126,500 B round up to 25 steps = 128,000 B for 100 events; 5,120 B each otherwise.
    expect(packedPerEvent).toBe(1280);
    expect(unpackedPerEvent).toBe(5120);
  });
});

describe('lambdaBilledMs', () => {
  it('rounds duration up to the next millisecond and bills at least one', () => {
    expect(lambdaBilledMs(0.2)).toBe(1);
    expect(lambdaBilledMs(1)).toBe(1);
    expect(lambdaBilledMs(1.0001)).toBe(2);
    expect(lambdaBilledMs(40.6)).toBe(41);
  });
});

describe('per-million arithmetic', () => {
  it('charges one GB per million events at the GB price when each event is 1/1,000,000 of a GB', () => {
    expect(usdPerMillionForBytes(ONE_GB_PER_MILLION, PRICES.logsIngestionGb)).toBeCloseTo(0.5, 12);
    expect(usdPerMillionForBytes(2 * ONE_GB_PER_MILLION, PRICES.firehoseIngestionGb)).toBeCloseTo(0.058, 12);
  });

  it('charges a count per event against the price of its unit batch', () => {
    // One KMS request per event: 1,000,000 / 10,000 x $0.03.
    expect(usdPerMillionForCount(1, PRICES.kmsRequest, 10_000)).toBeCloseTo(3, 12);
    // One S3 PUT per 6,000 events: 166.67 PUTs x $0.005 / 1,000.
    expect(usdPerMillionForCount(1 / 6000, PRICES.s3PutRequest, 1000)).toBeCloseTo(0.000833, 6);
  });
});

describe('stages', () => {
  it('prices a stream consumer from invocations, billed GB-s and its own log bytes', () => {
    // Act: 100 events per invocation, 256 MB, 40.2 ms (billed 41 ms), 1 KiB of logs per invocation.
    const cost = lambdaStage('streamConsumers', [
      {
        name: 'archive fn',
        memoryMb: 256,
        eventsPerInvocation: 100,
        durationMs: 40.2,
        logBytesPerInvocation: 1024,
      },
    ]);

    // Assess: 10,000 requests, 10,000 x 0.25 GB x 0.041 s = 102.5 GB-s, INIT on 1% of them at 250 ms =
    // 100 x 0.25 GB x 0.25 s = 6.25 GB-s, 10,000 KiB of logs.
    const [requests, duration, init, logs] = cost.lines;
    expect(requests?.quantity).toBe(10_000);
    expect(requests?.usd).toBeCloseTo(0.002, 12);
    expect(duration?.quantity).toBeCloseTo(102.5, 9);
    expect(duration?.usd).toBeCloseTo(102.5 * 0.0000133334, 12);
    expect(init?.quantity).toBeCloseTo(6.25, 9);
    expect(logs?.usd).toBeCloseTo(((10_000 * 1024) / BYTES_PER_GB) * 0.5, 12);
    expect(cost.usdPerMillionEvents).toBeCloseTo(
      (requests?.usd ?? 0) + (duration?.usd ?? 0) + (init?.usd ?? 0) + (logs?.usd ?? 0),
      12,
    );
  });

  it('refuses a consumer with no events per invocation', () => {
    expect(() =>
      lambdaStage('x', [
        { name: 'fn', memoryMb: 256, eventsPerInvocation: 0, durationMs: 1, logBytesPerInvocation: 0 },
      ]),
    ).toThrow(/positive/);
  });

  it('prices Firehose on billed bytes, not on the bytes sent', () => {
    expect(firehoseStage(1280).usdPerMillionEvents).toBeCloseTo(((1280 * 1e6) / BYTES_PER_GB) * 0.029, 12);
  });

  it('prices the archive as storage for the retention plus one PUT and KMS request per object', () => {
    // Act: 1 GB per million events kept 12 months, 6,000 events per object.
    const cost = s3ArchiveStage({
      storedBytesPerEvent: ONE_GB_PER_MILLION,
      eventsPerObject: 6000,
      retentionMonths: 12,
      kmsRequestsPerObject: 1,
    });

    // Assess
    const [storage, puts, kms] = cost.lines;
    expect(storage?.quantity).toBeCloseTo(12, 12);
    expect(storage?.usd).toBeCloseTo(12 * 0.023, 12);
    expect(puts?.quantity).toBeCloseTo(1e6 / 6000, 9);
    expect(puts?.usd).toBeCloseTo((1e6 / 6000 / 1000) * 0.005, 12);
    expect(kms?.usd).toBeCloseTo((1e6 / 6000 / 10_000) * 0.03, 12);
  });

  it('prices the log group as ingestion plus the compressed archive for the retention', () => {
    // Act: 1 GB ingested per million events, archived at 15% for 12 months.
    const cost = logsStage({
      ingestedBytesPerEvent: ONE_GB_PER_MILLION,
      retentionMonths: 12,
      archiveCompression: 0.15,
    });

    // Assess: $0.50 + 0.15 x 12 x $0.03.
    expect(cost.lines[0]?.usd).toBeCloseTo(0.5, 12);
    expect(cost.lines[1]?.usd).toBeCloseTo(0.054, 12);
    expect(cost.usdPerMillionEvents).toBeCloseTo(0.554, 12);
  });
});

describe('summarize', () => {
  it('adds the stages into a total and keeps each by name', () => {
    // Act
    const summary = summarize([stageOf('firehose', 0.03), stageOf('cloudwatchLogs', 0.65)]);

    // Assess
    expect(summary.byStage).toEqual({ firehose: 0.03, cloudwatchLogs: 0.65 });
    expect(summary.total).toBeCloseTo(0.68, 12);
  });

  it('refuses a stage counted twice when a stage list repeats a name', () => {
    expect(() => summarize([stageOf('firehose', 1), stageOf('firehose', 1)])).toThrow(/twice/);
  });

  it('names the costliest stage and its share of the total', () => {
    // Act
    const top = dominantStage([stageOf('firehose', 0.1), stageOf('cloudwatchLogs', 0.3)]);

    // Assess
    expect(top?.stage).toBe('cloudwatchLogs');
    expect(top?.share).toBeCloseTo(0.75, 12);
    expect(dominantStage([])).toBeUndefined();
  });
});
