import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  EventRejectedError,
  OpenTrailClient,
  type OpenTrailClientOptions,
  type ProducerEvent,
  QueueFullError,
  type TransportRequest,
  type TransportResponse,
} from '../../../clients/typescript/src/index.js';

/**
 * The client's batching, backpressure and retries against a fake transport and fake timers: what each request
 * carried, and what each put() promise became.
 */

type Answer = (
  events: readonly ProducerEvent[],
  request: TransportRequest,
) => TransportResponse | Error | undefined;

/** Stores whatever it is sent, as the API answers, unless a test's answer says otherwise. */
const fakeApi = (answer?: Answer) => {
  const requests: { events: ProducerEvent[]; bytes: number; authorization: string }[] = [];
  const transport = async (request: TransportRequest): Promise<TransportResponse> => {
    const body = request.body ?? '';
    const { events } = JSON.parse(body) as { events: ProducerEvent[] };
    requests.push({
      events,
      bytes: Buffer.byteLength(body),
      authorization: request.headers.authorization ?? '',
    });
    const custom = answer?.(events, request);
    if (custom instanceof Error) throw custom;
    return (
      custom ?? {
        status: 200,
        headers: {},
        body: JSON.stringify({
          successful: events.map((event, index) => ({ index, id: event.id, eventID: `E-${event.id}` })),
          failed: [],
          filtered: [],
        }),
      }
    );
  };
  return { requests, transport };
};

const event = (n: number, extra: Partial<ProducerEvent> = {}): ProducerEvent => ({
  eventSource: 'orders.example.com',
  eventName: 'CreateOrder',
  userIdentity: { type: 'IAMUser', userName: `user-${n}` },
  ...extra,
});

const clientWith = (
  transport: OpenTrailClientOptions['transport'],
  options: Partial<OpenTrailClientOptions> = {},
) =>
  new OpenTrailClient({
    endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    transport,
    retry: { random: () => 0.5 },
    ...options,
  });

const json = (status: number, body: unknown): TransportResponse => ({
  status,
  headers: {},
  body: JSON.stringify(body),
});

describe('OpenTrailClient', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends full batches of 100 at once and the rest after the linger', async () => {
    // Prepare
    const api = fakeApi();
    const client = clientWith(api.transport, { batch: { lingerMs: 200 } });

    // Act
    const puts = Array.from({ length: 250 }, (_, n) => client.put(event(n)));
    await vi.advanceTimersByTimeAsync(0);
    const beforeLinger = api.requests.map(({ events }) => events.length);
    await vi.advanceTimersByTimeAsync(200);
    const results = await Promise.all(puts);

    // Assess
    expect(beforeLinger).toEqual([100, 100]);
    expect(api.requests.map(({ events }) => events.length)).toEqual([100, 100, 50]);
    expect(new Set(results.map(({ id }) => id)).size).toBe(250);
    expect(results.every(({ eventID, id }) => eventID === `E-${id}`)).toBe(true);
    expect(api.requests[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\//,
    );
  });

  it('keeps each request body within the byte limit, counted as UTF-8 bytes of the JSON', async () => {
    // Prepare: events of about 30 KB, with multi-byte characters, under a 100 KB request limit.
    const api = fakeApi();
    const client = clientWith(api.transport, { batch: { maxBytes: 100_000, lingerMs: 10 } });
    const big = (n: number) => event(n, { requestParameters: { note: 'é'.repeat(15_000) } });

    // Act
    const puts = Array.from({ length: 10 }, (_, n) => client.put(big(n)));
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(puts);

    // Assess: three 30 KB events fit 100 KB, a fourth would not.
    expect(api.requests.map(({ events }) => events.length)).toEqual([3, 3, 3, 1]);
    expect(Math.max(...api.requests.map(({ bytes }) => bytes))).toBeLessThanOrEqual(100_000);
    expect(api.requests[0]?.bytes).toBeGreaterThan(90_000);
  });

  it('refuses a put at once with QueueFullError when the cap is reached, and takes puts again once answered', async () => {
    // Prepare: a trail that never answers until released.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const api = fakeApi();
    const client = clientWith(
      async (request) => {
        await gate;
        return api.transport(request);
      },
      { queue: { maxEvents: 5 }, batch: { lingerMs: 1 } },
    );

    // Act
    const held = Array.from({ length: 5 }, (_, n) => client.put(event(n)));
    const refused = client.put(event(5));
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ code: 'QueueFull' });
    release();
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(held);
    const later = client.put(event(6));
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    await expect(later).resolves.toMatchObject({ filtered: false });
    expect(client.stats()).toMatchObject({ held: 0, stored: 6, failed: 1 });
  });

  it('retries throttling, 5xx and network errors with the same ids, so each event is sent under one id', async () => {
    // Prepare: 429, 503, a network error, then success.
    const failures = [
      json(429, { message: 'Too Many Requests' }),
      json(503, { message: 'down' }),
      new TypeError('fetch failed'),
    ];
    const api = fakeApi(() => failures.shift());
    const client = clientWith(api.transport, { batch: { lingerMs: 1 } });

    // Act
    const puts = [client.put(event(1)), client.put(event(2, { id: 'my-own-id' }))];
    await vi.advanceTimersByTimeAsync(10_000);
    const results = await Promise.all(puts);

    // Assess
    expect(api.requests).toHaveLength(4);
    const idsPerAttempt = api.requests.map(({ events }) => events.map(({ id }) => id));
    expect(new Set(idsPerAttempt.map((ids) => ids.join()))).toEqual(new Set([idsPerAttempt[0]?.join()]));
    expect(results.map(({ id }) => id)).toEqual([idsPerAttempt[0]?.[0], 'my-own-id']);
    expect(client.stats()).toMatchObject({ requests: 4, retries: 3, stored: 2 });
  });

  it('gives up after the bounded attempts and rejects every put of the batch with the last error', async () => {
    // Prepare
    const api = fakeApi(() => json(500, { message: 'Internal Server Error' }));
    const client = clientWith(api.transport, {
      batch: { lingerMs: 1 },
      retry: { maxAttempts: 3, random: () => 0 },
    });

    // Act
    const put = client.put(event(1));
    put.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);

    // Assess
    await expect(put).rejects.toMatchObject({ code: 'Http500', status: 500 });
    expect(api.requests).toHaveLength(3);
  });

  it('rejects exactly the refused events with their errorCode and errorMessage, and resends only the throttled one', async () => {
    // Prepare: the trail refuses event 1, throttles event 2 once, filters event 3.
    let throttled = false;
    const api = fakeApi((events) => {
      const successful: unknown[] = [];
      const failed: unknown[] = [];
      const filtered: unknown[] = [];
      events.forEach((sent, index) => {
        const name = sent.userIdentity.userName;
        if (name === 'user-1')
          failed.push({ index, errorCode: 'FieldTooLong', errorMessage: 'userAgent is too long' });
        else if (name === 'user-2' && !throttled) {
          throttled = true;
          failed.push({ index, errorCode: 'Throttling', errorMessage: 'try again' });
        } else if (name === 'user-3') filtered.push({ index, eventID: `F-${sent.id}` });
        else successful.push({ index, id: sent.id, eventID: `E-${sent.id}` });
      });
      return json(200, { successful, failed, filtered });
    });
    const client = clientWith(api.transport, { batch: { lingerMs: 1 } });

    // Act
    const [ok, refused, retried, skipped] = [0, 1, 2, 3].map((n) => client.put(event(n)));
    refused?.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);

    // Assess
    await expect(ok).resolves.toMatchObject({ filtered: false });
    await expect(refused).rejects.toBeInstanceOf(EventRejectedError);
    await expect(refused).rejects.toMatchObject({
      errorCode: 'FieldTooLong',
      errorMessage: 'userAgent is too long',
    });
    await expect(retried).resolves.toMatchObject({ filtered: false });
    await expect(skipped).resolves.toMatchObject({ filtered: true });
    expect(api.requests.map(({ events }) => events.map(({ userIdentity }) => userIdentity.userName))).toEqual(
      [['user-0', 'user-1', 'user-2', 'user-3'], ['user-2']],
    );
    expect(api.requests[1]?.events[0]?.id).toBe(api.requests[0]?.events[2]?.id);
  });

  it('resends an event whose id an earlier attempt holds, a second apart and past maxAttempts, until it is stored', async () => {
    // Prepare: the id is held (retryAfterSeconds 30) for the first five answers, then the earlier attempt lands.
    let answers = 0;
    const api = fakeApi(() => {
      answers++;
      if (answers > 5) return undefined;
      const failed = [{ index: 0, errorCode: 'Throttling', errorMessage: 'held', retryAfterSeconds: 30 }];
      return json(200, { successful: [], failed, filtered: [] });
    });
    const client = clientWith(api.transport, {
      batch: { lingerMs: 1 },
      retry: { maxAttempts: 2, random: () => 0 },
    });

    // Act
    const put = client.put(event(1));
    await vi.advanceTimersByTimeAsync(900);
    const sentWithinASecond = api.requests.length;
    await vi.advanceTimersByTimeAsync(10_000);

    // Assess
    expect(sentWithinASecond).toBe(1);
    await expect(put).resolves.toMatchObject({ filtered: false });
    expect(api.requests).toHaveLength(6);
    expect(new Set(api.requests.map(({ events }) => events[0]?.id)).size).toBe(1);
  });

  it('gives a held id up after maxRetryAfterMs, and waits as long as a 503 Retry-After asks', async () => {
    // Prepare: a 503 asking for 3 s first, then an id held for an hour.
    let answers = 0;
    const api = fakeApi(() => {
      answers++;
      if (answers === 1) return { status: 503, headers: { 'retry-after': '3' }, body: '{"message":"busy"}' };
      const failed = [{ index: 0, errorCode: 'Throttling', errorMessage: 'held', retryAfterSeconds: 3600 }];
      return json(200, { successful: [], failed, filtered: [] });
    });
    const client = clientWith(api.transport, {
      batch: { lingerMs: 1 },
      retry: { maxAttempts: 2, random: () => 0, maxRetryAfterMs: 10_000 },
    });

    // Act
    const put = client.put(event(1));
    put.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(2_900);
    const sentWithin3s = api.requests.length;
    await vi.advanceTimersByTimeAsync(200);
    const sentAfter3s = api.requests.length;
    await vi.advanceTimersByTimeAsync(8_000);
    const sentWithinTheHold = api.requests.length;
    await vi.advanceTimersByTimeAsync(60_000);

    // Assess: one resend a second while held, none after the 10 s cap.
    expect([sentWithin3s, sentAfter3s]).toEqual([1, 2]);
    expect(sentWithinTheHold).toBe(10);
    expect(api.requests).toHaveLength(12);
    await expect(put).rejects.toMatchObject({ errorCode: 'Throttling' });
  });

  it('rejects every event of a batch the API refuses as a whole, without retrying', async () => {
    // Prepare
    const api = fakeApi(() => ({
      status: 403,
      headers: { 'x-amzn-errortype': 'AccessDeniedException' },
      body: '{"message":"Forbidden"}',
    }));
    const client = clientWith(api.transport, { batch: { lingerMs: 1 } });

    // Act
    const puts = [client.put(event(1)), client.put(event(2))];
    for (const put of puts) put.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    for (const put of puts)
      await expect(put).rejects.toMatchObject({ code: 'AccessDeniedException', status: 403 });
    expect(api.requests).toHaveLength(1);
  });

  it('flush() sends a partial batch at once and close() refuses later puts', async () => {
    // Prepare
    const api = fakeApi();
    const client = clientWith(api.transport, { batch: { lingerMs: 60_000 } });

    // Act
    const put = client.put(event(1));
    await client.flush();
    await client.close();

    // Assess
    await expect(put).resolves.toMatchObject({ filtered: false });
    expect(api.requests).toHaveLength(1);
    await expect(client.put(event(2))).rejects.toMatchObject({ code: 'ClientClosed' });
  });

  it('record() never throws and counts what it could not deliver', async () => {
    // Prepare
    const drops: Error[] = [];
    const client = clientWith(fakeApi().transport, {
      queue: { maxEvents: 1 },
      batch: { lingerMs: 1 },
      onDrop: (error) => drops.push(error),
    });

    // Act
    client.record(event(1));
    client.record(event(2));
    client.record(() => {
      throw new Error('the user resolver failed');
    });
    await vi.advanceTimersByTimeAsync(1);
    await client.flush();

    // Assess
    expect(client.stats()).toMatchObject({ stored: 1, dropped: 2 });
    expect(drops.map((error) => error.message).sort()).toEqual([
      expect.stringContaining('at most 1 events'),
      'the user resolver failed',
    ]);
  });

  it('refuses events the schema refuses when validate is on, and ids the API would refuse', async () => {
    // Prepare
    const api = fakeApi();
    const client = clientWith(api.transport, { validate: true });

    // Act
    const missingName = client.put({ ...event(1), eventName: '' });
    const badId = client.put(event(2, { id: 'has spaces' }));

    // Assess
    await expect(missingName).rejects.toMatchObject({ errorCode: 'InvalidData' });
    await expect(badId).rejects.toMatchObject({ errorCode: 'InvalidData' });
    expect(api.requests).toHaveLength(0);
  });

  it('pages through GET /events with the filters as its query names', async () => {
    // Prepare
    const urls: URL[] = [];
    const pages = [
      { events: [{ eventID: 'a' }, { eventID: 'b' }], nextToken: 'page-2' },
      { events: [{ eventID: 'c' }] },
    ];
    const client = clientWith(async (request) => {
      urls.push(request.url);
      return json(200, pages[urls.length - 1]);
    });

    // Act
    const ids: string[] = [];
    for await (const record of client.lookup({
      Username: 'alice',
      ReadOnly: false,
      startTime: new Date('2026-11-24T09:00:00Z'),
      endTime: '2026-11-24T10:00:00Z',
      maxResults: 2,
    })) {
      ids.push(record.eventID);
    }

    // Assess
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(urls.map((url) => url.pathname)).toEqual(['/prod/events', '/prod/events']);
    expect(Object.fromEntries(urls[1]?.searchParams ?? [])).toEqual({
      Username: 'alice',
      ReadOnly: 'false',
      startTime: '2026-11-24T09:00:00.000Z',
      endTime: '2026-11-24T10:00:00Z',
      maxResults: '2',
      nextToken: 'page-2',
    });
  });
});
