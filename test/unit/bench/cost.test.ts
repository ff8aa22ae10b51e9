import { describe, expect, it } from 'vitest';
import { insightsStage } from '../../../bench/cost.js';
import {
  BYTES_PER_GB,
  cloudTrailStages,
  DAYS_PER_MONTH,
  dynamodbStorageStage,
  dynamodbWriteStage,
  httpApiStage,
  insightsAnalysesPerEvent,
  s3ArchiveStage,
} from '../../../bench/cost-model.js';

/** Bytes per event that make exactly one billed GB per million events. */
const ONE_GB_PER_MILLION = BYTES_PER_GB / 1_000_000;

describe('httpApiStage', () => {
  it('meters one request per 100-event batch and prices its access log line', () => {
    // Act: 10,000 requests of 100 KB, each logging 1/100 of a GB per million events' worth of line.
    const cost = httpApiStage({
      eventsPerRequest: 100,
      requestBytes: 100 * 1024,
      accessLogBytesPerRequest: ONE_GB_PER_MILLION * 100,
    });

    // Assess: 10,000 x $1/M = $0.01; 1 GB of log lines x $0.50 = $0.50.
    expect(cost.lines[0]?.quantity).toBe(10_000);
    expect(cost.lines[0]?.usd).toBeCloseTo(0.01, 12);
    expect(cost.lines[1]?.quantity).toBeCloseTo(1, 12);
    expect(cost.usdPerMillionEvents).toBeCloseTo(0.51, 12);
  });

  it('meters a request over 512 KB as two, and single-event requests one per event', () => {
    // Act
    const large = httpApiStage({
      eventsPerRequest: 100,
      requestBytes: 600 * 1024,
      accessLogBytesPerRequest: 0,
    });
    const single = httpApiStage({ eventsPerRequest: 1, requestBytes: 1024, accessLogBytesPerRequest: 0 });

    // Assess
    expect(large.lines[0]?.quantity).toBe(20_000);
    expect(large.usdPerMillionEvents).toBeCloseTo(0.02, 12);
    expect(single.usdPerMillionEvents).toBeCloseTo(1, 12);
  });
});

describe('dynamodbWriteStage', () => {
  it('prices 6 WRU per event at $0.625 per million WRU, and at $0.78 in the Standard-IA class', () => {
    // Act / Assess: 6 M WRU x $0.625 = $3.75; x $0.78 = $4.68.
    expect(dynamodbWriteStage(6).usdPerMillionEvents).toBeCloseTo(3.75, 12);
    expect(dynamodbWriteStage(6, 'standardIa').usdPerMillionEvents).toBeCloseTo(4.68, 12);
  });
});

describe('dynamodbStorageStage', () => {
  it('keeps the bytes for the retention in months and backs up the table (not the indexes) with PITR', () => {
    // Act: 1 GB of table items and 0.5 GB of index entries per million events, kept 3 months.
    const input = {
      tableBytesPerEvent: ONE_GB_PER_MILLION,
      indexBytesPerEvent: ONE_GB_PER_MILLION / 2,
      retentionDays: 3 * DAYS_PER_MONTH,
      pointInTimeRecovery: true,
    };
    const standard = dynamodbStorageStage(input);
    const infrequent = dynamodbStorageStage({ ...input, tableClass: 'standardIa' });
    const withoutPitr = dynamodbStorageStage({ ...input, pointInTimeRecovery: false });

    // Assess: 3 GB-month x $0.25 + 1.5 x $0.25 + PITR 3 x $0.20 = 0.75 + 0.375 + 0.60.
    expect(standard.lines.map((line) => line.quantity)).toEqual(
      [3, 1.5, 3].map((value) => expect.closeTo(value, 9)),
    );
    expect(standard.usdPerMillionEvents).toBeCloseTo(1.725, 12);
    expect(infrequent.usdPerMillionEvents).toBeCloseTo(0.3 + 0.15 + 0.6, 12);
    expect(withoutPitr.usdPerMillionEvents).toBeCloseTo(1.125, 12);
  });
});

describe('s3ArchiveStage with a lifecycle', () => {
  it('bills the Standard months, then Standard-IA for the rest, with one transition per object', () => {
    // Act: 1 GB per million events, 6,000 events per object, 3 of 12 months in Standard, no KMS.
    const cost = s3ArchiveStage({
      storedBytesPerEvent: ONE_GB_PER_MILLION,
      eventsPerObject: 6000,
      retentionMonths: 12,
      kmsRequestsPerObject: 0,
      standardMonths: 3,
    });

    // Assess
    const objects = 1e6 / 6000;
    const [standard, puts, kms, infrequent, transitions] = cost.lines;
    expect(standard?.usd).toBeCloseTo(3 * 0.023, 12);
    expect(puts?.usd).toBeCloseTo((objects / 1000) * 0.005, 12);
    expect(kms?.usd).toBe(0);
    expect(infrequent?.quantity).toBeCloseTo(9, 12);
    expect(infrequent?.usd).toBeCloseTo(9 * 0.0125, 12);
    expect(transitions?.usd).toBeCloseTo((objects / 1000) * 0.01, 12);
  });
});

describe('cloudTrailStages', () => {
  it('prices a million write events as a paid trail copy, data events, the three Lake options and Insights', () => {
    // Act: events of 1 GB per million, none read-only.
    const stages = cloudTrailStages(ONE_GB_PER_MILLION, 0);

    // Assess: 10 x $2.00; 10 x $0.10; 1 GB x $0.50, $0.75, $2.50; both types: 2 x 10 x $0.35.
    expect(Object.fromEntries(stages.map((entry) => [entry.stage, entry.usdPerMillionEvents]))).toEqual({
      trailManagementEvents: expect.closeTo(20, 12),
      trailDataEvents: expect.closeTo(1, 12),
      lakeIngestion: expect.closeTo(0.5, 12),
      lakeCloudTrailEvents: expect.closeTo(0.75, 12),
      lakeSevenYear: expect.closeTo(2.5, 12),
      insights: expect.closeTo(7, 12),
    });
  });

  it('analyses a read-only event once (error rate only) and a write event twice', () => {
    // Act / Assess: all read-only: 10 x $0.35; half and half: 1.5 analyses per event.
    const insights = (share: number) =>
      cloudTrailStages(ONE_GB_PER_MILLION, share).find((entry) => entry.stage === 'insights');
    expect(insights(1)?.usdPerMillionEvents).toBeCloseTo(3.5, 12);
    expect(insightsAnalysesPerEvent(0.5)).toBe(1.5);
    expect(() => insightsAnalysesPerEvent(1.5)).toThrow(/share/);
  });
});

describe('insightsStage', () => {
  it('prices the counter writes per event and spreads the once-a-minute run over the events of that minute', () => {
    // Prepare: 0.1 counter WRU per event, 8 updates per 500-record batch (one wave of 10 ms, no CPU), 10 keys.
    const insights = {
      counterWruPerEvent: 0.1,
      counterRruPerEvent: 0.02,
      updatesPerBatch: 8,
      keys: 10,
      countCpuUsPerBatch: 0,
    };

    // Act: at 100 events/s a minute holds 6,000 events, so a million events see 1e6 / 6,000 runs.
    const cost = insightsStage(insights, 100);
    const line = (what: string) => cost.lines.find((entry) => entry.what === what);

    // Assess
    const runs = 1e6 / 6000;
    expect(line('counter PutItem WRU')?.usd).toBeCloseTo(100_000 * 0.625e-6, 12);
    expect(line('counter GetItem RRU')?.usd).toBeCloseTo(20_000 * 0.125e-6, 12);
    expect(line('run: state and rollup WRU')?.quantity).toBeCloseTo(runs * 10 * (1 + 1 / 60), 9);
    expect(line('run: counter and state RRU')?.usd).toBeCloseTo(runs * 10 * 1.5 * 0.125e-6, 12);
    expect(
      insightsStage(insights, 100, 'standardIa').lines.find((entry) => entry.what === 'counter PutItem WRU')
        ?.usd,
    ).toBeCloseTo(100_000 * 0.78e-6, 12);
    // 2,000 invocations of 10 ms at 512 MB = 10 GB-s.
    expect(line('insights-counter fn duration')?.quantity).toBeCloseTo(10, 9);
    expect(line('insights-counter fn requests')?.quantity).toBeCloseTo(2000, 9);
    // 100 ms + 5 ms x 10 keys = 150 ms per run at 512 MB.
    expect(line('insights run fn (once a minute) duration')?.quantity).toBeCloseTo(runs * 0.5 * 0.15, 9);
  });
});
