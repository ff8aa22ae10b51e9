import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { signedFetch } from '../support/signed-fetch.js';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

/**
 * What a hostile producer must not do to readers, in local mode (tracker issue 13): 300 events, each from a new
 * eventSource, made `GET /events?maxResults=1` fan out to 4,800 queries, answer 503 after 29 s and leave every
 * later lookup 503 for 40 minutes; 28 events of ~226 KB made one page 6.7 MB, past Lambda's 6 MB response limit.
 */

const LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;
const LOOKUP_TARGET = 'CloudTrail_20131101.LookupEvents';

describe('lookups stay bounded whatever producers put, in local mode', () => {
  let local: LocalHandle;
  const runId = `hostile${Date.now()}`;

  const call = (
    path: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ) =>
    signedFetch(new URL(path, local.apiUrl), {
      ...init,
      credentials: local.credentials,
      region: local.region,
      // The lookup function's own timeout (15 s) bounds a page; moto answers one call at a time.
      timeoutMs: 30_000,
    });
  const put = async (events: readonly Record<string, unknown>[]): Promise<string[]> => {
    const response = await call('/events', { method: 'POST', body: JSON.stringify({ events }) });
    expect(response.status).toBe(200);
    const { successful, failed } = (await response.json()) as {
      successful: Array<{ eventID: string }>;
      failed: unknown[];
    };
    expect(failed).toEqual([]);
    return successful.map(({ eventID }) => eventID);
  };
  const event = (fields: Record<string, unknown>) => ({
    eventName: 'CreateWidget',
    userIdentity: { type: 'IAMUser', userName: runId },
    ...fields,
  });

  beforeAll(async () => {
    local = await startLocal();
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('answers maxResults=1 and an EventId lookup after 300 events from 300 new event sources', async () => {
    // Prepare: three puts of 100 events, each event a new eventSource.
    const ids: string[] = [];
    for (let request = 0; request < 3; request++) {
      const events = Array.from({ length: 100 }, (_, index) =>
        event({ eventSource: `s${request * 100 + index}.${runId}.example.com` }),
      );
      ids.push(...(await put(events)));
    }
    const target = ids[150] as string;

    // Act
    const first = await call('/events?maxResults=1');
    const byEventId = await call(`/events?EventId=${target}`);
    const byPath = await call(`/events/${target}`);

    // Assess
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { events: unknown[]; nextToken?: string };
    expect(firstBody.events).toHaveLength(1);
    expect(firstBody.nextToken).toEqual(expect.any(String));
    expect(byEventId.status).toBe(200);
    expect(((await byEventId.json()) as { events: Array<{ eventID: string }> }).events).toEqual([
      expect.objectContaining({ eventID: target }),
    ]);
    expect(byPath.status).toBe(200);
    expect(await byPath.json()).toMatchObject({ eventID: target });
  });

  it('pages 28 records of ~226 KB in responses under 6 MB, on both lookup protocols', async () => {
    // Prepare: four events per put keep each request under its 1 MB.
    const source = `big.${runId}.example.com`;
    const big = (index: number) =>
      event({
        eventSource: source,
        eventTime: new Date(Date.now() - (index + 1) * 1000).toISOString(),
        requestParameters: { blob: '"x'.repeat(33_000) },
        responseElements: { blob: 'y'.repeat(99_000) },
        additionalEventData: { blob: 'z'.repeat(27_000) },
      });
    const stored: string[] = [];
    for (let start = 0; start < 28; start += 4) {
      stored.push(...(await put(Array.from({ length: 4 }, (_, offset) => big(start + offset)))));
    }

    // Act: page GET /events and LookupEvents by the source.
    const native: string[] = [];
    const nativeBytes: number[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 28; page++) {
      const query = new URLSearchParams({
        EventSource: source,
        maxResults: '50',
        ...(nextToken ? { nextToken } : {}),
      });
      const response = await call(`/events?${query}`);
      expect(response.status).toBe(200);
      const text = await response.text();
      nativeBytes.push(Buffer.byteLength(text));
      const body = JSON.parse(text) as { events: Array<{ eventID: string }>; nextToken?: string };
      native.push(...body.events.map(({ eventID }) => eventID));
      nextToken = body.nextToken;
      if (nextToken === undefined) break;
    }
    const cloudTrail: string[] = [];
    const cloudTrailBytes: number[] = [];
    let token: string | undefined;
    for (let page = 0; page < 28; page++) {
      const response = await call('/', {
        method: 'POST',
        headers: { 'x-amz-target': LOOKUP_TARGET, 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({
          LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: source }],
          MaxResults: 50,
          ...(token ? { NextToken: token } : {}),
        }),
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      cloudTrailBytes.push(Buffer.byteLength(text));
      const body = JSON.parse(text) as { Events: Array<{ EventId: string }>; NextToken?: string };
      cloudTrail.push(...body.Events.map(({ EventId }) => EventId));
      token = body.NextToken;
      if (token === undefined) break;
    }

    // Assess: more than one page each, every page under the limit, every record once, newest first.
    const newestFirst = [...stored].sort().reverse();
    expect(native).toEqual(newestFirst);
    expect(cloudTrail).toEqual(newestFirst);
    expect(nativeBytes.length).toBeGreaterThan(1);
    expect(cloudTrailBytes.length).toBeGreaterThan(1);
    for (const bytes of [...nativeBytes, ...cloudTrailBytes])
      expect(bytes).toBeLessThan(LAMBDA_RESPONSE_BYTES);
  });
});
