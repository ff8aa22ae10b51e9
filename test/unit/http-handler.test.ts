import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEADLINE_MARGIN_MS, type HttpResult, httpHandler, json } from '../../lambda/adapters/http.js';
import { HTTP_CONTEXT, httpEvent } from '../fixtures/http.js';

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
    const handler = httpHandler(() => new Promise<HttpResult>(() => {}));
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
    const handler = httpHandler(async () => json(200, { ok: true }));

    // Act
    const answer = await handler(httpEvent({ routeKey: 'GET /events' }), contextWithRemaining(5_000));

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sets no deadline when the context cannot tell the remaining time', async () => {
    // Prepare
    const handler = httpHandler(async () => json(200, { ok: true }));

    // Act
    const answer = await handler(httpEvent({ routeKey: 'GET /events' }), HTTP_CONTEXT);

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });
});
