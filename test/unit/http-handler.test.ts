import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrailConfig } from '../../lambda/adapters/config.js';
import { DEADLINE_MARGIN_MS, type HttpResult, httpHandler, json } from '../../lambda/adapters/http.js';
import { createIngestHandler } from '../../lambda/routes/ingest.js';
import { NATIVE_PROTOCOL } from '../../lambda/routes/protocols.js';
import { NOW_MS, sampleEvent } from '../fixtures/events.js';
import { HTTP_CONTEXT, httpEvent } from '../fixtures/http.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

const CONFIG: TrailConfig = { tableName: 'trail', region: 'us-east-1', retentionDays: 90, writeShards: 2 };

/** A Lambda context whose function times out `remainingMs` from now (by the fake clock). */
function contextWithRemaining(remainingMs: number): Context {
  const timeoutAt = Date.now() + remainingMs;
  return { ...HTTP_CONTEXT, getRemainingTimeInMillis: () => timeoutAt - Date.now() };
}

describe('httpHandler deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers 503 with Retry-After, before the function times out, when the route has not answered', async () => {
    // Prepare: a route that waits on a store that never answers.
    const handler = httpHandler(() => new Promise<HttpResult>(() => {}), { protocol: NATIVE_PROTOCOL });
    let answer: HttpResult | undefined;

    // Act
    const pending = handler(httpEvent({ routeKey: 'GET /events' }), contextWithRemaining(5_000)).then(
      (result) => {
        answer = result;
      },
    );
    await vi.advanceTimersByTimeAsync(5_000 - DEADLINE_MARGIN_MS - 1);
    const beforeDeadline = answer;
    await vi.advanceTimersByTimeAsync(1);
    await pending;

    // Assess
    expect(beforeDeadline).toBeUndefined();
    expect(answer?.statusCode).toBe(503);
    expect(answer?.headers?.['retry-after']).toBe('1');
    expect(JSON.parse(answer?.body ?? '')).toEqual({
      code: 'ServiceUnavailable',
      message: 'the event store is busy; retry after a moment',
    });
  });

  it('returns the route answer and leaves no timer behind when the route answers in time', async () => {
    // Prepare
    const handler = httpHandler(async () => json(200, { ok: true }), { protocol: NATIVE_PROTOCOL });

    // Act
    const answer = await handler(httpEvent({ routeKey: 'GET /events' }), contextWithRemaining(5_000));

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sets no deadline when the context cannot tell the remaining time', async () => {
    // Prepare
    const handler = httpHandler(async () => json(200, { ok: true }), { protocol: NATIVE_PROTOCOL });

    // Act
    const answer = await handler(httpEvent({ routeKey: 'GET /events' }), HTTP_CONTEXT);

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('ingest routes and the deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW_MS });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a put finish and answer per event, never 503 while its writes go on', async () => {
    // Prepare: the store takes longer than the function has left, less the margin.
    const store = new MemoryEventStore();
    const write = store.writeEvents.bind(store);
    store.writeEvents = async (events) => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      return write(events);
    };
    const handler = createIngestHandler({ config: CONFIG, writer: store, now: () => Date.now() });
    const body = JSON.stringify(sampleEvent());

    // Act
    const answered = handler(httpEvent({ routeKey: 'POST /events', body }), contextWithRemaining(2_000));
    await vi.advanceTimersByTimeAsync(3_000);
    const answer = await answered;

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body ?? '').successful).toHaveLength(1);
    expect(store.records.size).toBe(1);
  });
});
