import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

afterEach(() => {
  vi.restoreAllMocks();
});

describe('publishIngestMetrics', () => {
  it('writes one EMF document for the filtered count and one per rejection code', () => {
    // Prepare
    const lines: string[] = [];
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
    // Act
    publishIngestMetrics(result, (line) => lines.push(line), NOW_MS);
    // Assess
    expect(lines.every((line) => line.endsWith('}\n'))).toBe(true);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        _aws: {
          Timestamp: NOW_MS,
          CloudWatchMetrics: [
            {
              Namespace: 'OpenTrail',
              Dimensions: [['Service']],
              Metrics: [{ Name: 'EventsFiltered', Unit: 'Count' }],
            },
          ],
        },
        Service: 'opentrail',
        EventsFiltered: 2,
      },
      expect.objectContaining({ ErrorCode: 'InvalidRegion', EventsRejected: 2 }),
      expect.objectContaining({ ErrorCode: 'InvalidData', EventsRejected: 1 }),
    ]);
    expect(JSON.parse(lines[1] ?? '')._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service', 'ErrorCode'],
    ]);
  });

  it('writes nothing when every event was stored', () => {
    const lines: string[] = [];
    publishIngestMetrics({ successful: [{ index: 0, eventID: 'A' }], failed: [], filtered: [] }, (line) =>
      lines.push(line),
    );
    expect(lines).toEqual([]);
  });
});

describe('POST /events with a trail policy', () => {
  it('answers filtered events in the response and counts them on stdout', async () => {
    // Prepare
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const store = new MemoryEventStore();
    const handler = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS });
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
    const emf = write.mock.calls
      .map(([line]) => String(line))
      .filter((line) => line.includes('EventsFiltered'));
    expect(emf.map((line) => JSON.parse(line).EventsFiltered)).toEqual([1]);
  });

  it('applies the policy it is given: data events kept, payloads masked by configured keys only', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
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
