import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFunctionMetrics } from '../../lambda/adapters/function-metrics.js';
import type { HttpEvent } from '../../lambda/adapters/http.js';
import { publishIngestMetrics } from '../../lambda/adapters/ingest-metrics.js';
import type { PutEventsResult } from '../../lambda/core/ingest.js';
import { compileRedaction } from '../../lambda/core/redaction.js';
import { compileSelectors } from '../../lambda/core/selectors.js';
import { createIngestHandler } from '../../lambda/routes/ingest.js';
import { NOW_MS, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

const CONFIG = { tableName: 'trail', region: 'eu-west-1', retentionDays: 90, writeShards: 2 };

function post(body: string): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'POST /events',
    rawPath: '/events',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    body,
    requestContext: { accountId: '111122223333', requestId: 'req-1' },
  } as HttpEvent;
}

/**
 * The unit project disables Powertools Metrics (vitest.config.ts); these tests build an enabled instance, as Lambda
 * has, and read the documents it writes to stdout.
 */
function enabledMetrics(): { metrics: Metrics; documents: () => unknown[] } {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const metrics = createFunctionMetrics();
  vi.unstubAllEnvs();
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return { metrics, documents: () => write.mock.calls.map(([line]) => JSON.parse(String(line))) };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('publishIngestMetrics', () => {
  it('writes one EMF document for the filtered count and one per rejection code', () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW_MS);
    const { metrics, documents } = enabledMetrics();
    const result: PutEventsResult = {
      successful: [],
      filtered: [
        { index: 0, eventID: 'A' },
        { index: 1, eventID: 'B' },
      ],
      failed: [
        { index: 2, errorCode: 'InvalidRegion', errorMessage: '' },
        { index: 3, errorCode: 'InvalidData', errorMessage: '' },
        { index: 4, errorCode: 'InvalidRegion', errorMessage: '' },
      ],
    };
    const document = (name: string, dimensions: Record<string, string>, value: number) => ({
      _aws: {
        Timestamp: NOW_MS,
        CloudWatchMetrics: [
          {
            Namespace: 'OpenTrail',
            Dimensions: [Object.keys(dimensions)],
            Metrics: [{ Name: name, Unit: 'Count' }],
          },
        ],
      },
      ...dimensions,
      [name]: value,
    });

    // Act
    publishIngestMetrics(result, metrics);

    // Assess
    expect(documents()).toEqual([
      document('EventsFiltered', { Service: 'opentrail' }, 2),
      document('EventsRejected', { Service: 'opentrail', ErrorCode: 'InvalidRegion' }, 2),
      document('EventsRejected', { Service: 'opentrail', ErrorCode: 'InvalidData' }, 1),
    ]);
  });

  it('writes nothing when every event was stored', () => {
    // Prepare
    const { metrics, documents } = enabledMetrics();

    // Act
    publishIngestMetrics({ successful: [{ index: 0, eventID: 'A' }], failed: [], filtered: [] }, metrics);

    // Assess
    expect(documents()).toEqual([]);
  });

  it('writes nothing when metrics are disabled, as in the unit tests', () => {
    // Prepare
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    // Act
    publishIngestMetrics(
      { successful: [], failed: [], filtered: [{ index: 0, eventID: 'A' }] },
      createFunctionMetrics(),
    );

    // Assess
    expect(write).not.toHaveBeenCalled();
  });
});

describe('createFunctionMetrics with an output', () => {
  it('hands each document to the output and writes nothing to stdout', () => {
    // Prepare
    const lines: string[] = [];
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const metrics = createFunctionMetrics({ output: (line) => lines.push(line) });
    vi.unstubAllEnvs();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    // Act
    publishIngestMetrics(
      {
        successful: [],
        filtered: [{ index: 0, eventID: 'A' }],
        failed: [{ errorCode: 'FieldTooLong' }],
      },
      metrics,
    );

    // Assess
    expect(write).not.toHaveBeenCalled();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ Service: 'opentrail', EventsFiltered: 1 }),
      expect.objectContaining({ Service: 'opentrail', ErrorCode: 'FieldTooLong', EventsRejected: 1 }),
    ]);
  });

  it('hands nothing to the output while metrics are disabled', () => {
    // Prepare
    const lines: string[] = [];
    const metrics = createFunctionMetrics({ output: (line) => lines.push(line) });
    // Act
    publishIngestMetrics({ successful: [], failed: [], filtered: [{ index: 0, eventID: 'A' }] }, metrics);
    // Assess
    expect(lines).toEqual([]);
  });
});

describe('POST /events with a trail policy', () => {
  it('answers filtered events in the response and counts them in the metrics', async () => {
    // Prepare
    const metrics = createFunctionMetrics();
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const store = new MemoryEventStore();
    const handler = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS, metrics });
    // Act
    const response = await handler(
      post(JSON.stringify({ events: [sampleEvent({ eventCategory: 'Data' }), sampleEvent()] })),
      {} as Context,
    );
    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body ?? '{}');
    expect(body.filtered).toEqual([{ index: 0, eventID: expect.any(String) }]);
    expect(body.successful).toEqual([{ index: 1, eventID: expect.any(String) }]);
    expect(store.records.size).toBe(1);
    expect(addMetric.mock.calls).toEqual([['EventsFiltered', 'Count', 1]]);
  });

  it('applies the policy it is given: data events kept, payloads masked by configured keys only', async () => {
    const store = new MemoryEventStore();
    const policy = {
      selectors: compileSelectors({ data: true }),
      redact: compileRedaction({ defaults: false, keys: ['ssn'] }),
    };
    const handler = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS, policy });
    const event = sampleEvent({ eventCategory: 'Data', requestParameters: { ssn: '1', token: 't' } });
    const response = await handler(post(JSON.stringify(event)), {} as Context);
    const body = JSON.parse(response.body ?? '{}');
    const stored = JSON.parse(store.records.get(body.successful[0].eventID) ?? '{}');
    expect(stored.requestParameters).toEqual({ ssn: '***REDACTED***', token: 't' });
  });
});
