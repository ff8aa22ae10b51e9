import { describe, expect, it } from 'vitest';
import { type HttpResult, httpHandler, json } from '../../lambda/adapters/http.js';
import { createFunctionLogger } from '../../lambda/adapters/logger.js';
import { inferClientType } from '../../lambda/core/client-type.js';
import { RequestError } from '../../lambda/core/errors.js';
import { eventIdTimeMs, isEventId, pageEventId, shardChar, shardCharOf } from '../../lambda/core/event-id.js';
import { eventTimeMs, type ProducerEvent } from '../../lambda/core/event-model.js';
import { type PageSource, pagesOf } from '../../lambda/core/keys.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { checkProvenance } from '../../lambda/core/provenance.js';
import { decodePage, encodePage } from '../../lambda/core/record-codec.js';
import { parsePutRequestJson } from '../../lambda/core/request-body.js';
import { NATIVE_PROTOCOL } from '../../lambda/routes/protocols.js';
import { HTTP_CONTEXT, httpEvent } from '../fixtures/http.js';

/**
 * What the ingest route's per-event shortcuts must keep: the answers of the code they replaced (Date.parse, the
 * eventID pattern, the user-agent patterns, a child logger per request).
 */

const timeOf = (eventTime: string): number => eventTimeMs({ eventTime } as ProducerEvent, 0);

describe('eventTimeMs', () => {
  it('reads every fraction length as Date.parse does, cut to milliseconds', () => {
    // Prepare
    const times = ['2026-12-02T07:13:54Z', '2024-02-29T23:59:59Z', '1970-01-01T00:00:00Z'].flatMap((time) =>
      ['', '.1', '.12', '.123', '.1234', '.9999', '.000000001', '.999999999'].map((fraction) =>
        time.replace('Z', `${fraction}Z`),
      ),
    );

    // Act
    const read = times.map(timeOf);

    // Assess
    expect(read).toEqual(times.map((time) => Date.parse(time)));
  });

  it('reads NaN for a time that is no calendar instant or not in the schema form', () => {
    for (const time of [
      '2026-11-31T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-12-02T24:00:00Z',
      '2026-12-02T23:60:00Z',
      '2026-12-02T23:59:60Z',
      '0099-12-02T00:00:00Z',
      '2026-12-02 07:13:54Z',
      '2026-12-02T07:13:54',
      '2026-12-02T07:13:54.Z',
      '2026-12-02T07:13:54,1Z',
      '2026-12-02T07:13Z',
      '2026-1a-02T07:13:54Z',
    ]) {
      expect(timeOf(time), time).toBeNaN();
    }
  });

  it('reads one date right after reading another, whatever the order', () => {
    expect(timeOf('2026-12-01T00:00:00Z')).toBe(Date.UTC(2026, 11, 1));
    expect(timeOf('2026-11-31T00:00:00Z')).toBeNaN();
    expect(timeOf('2026-12-01T00:00:01Z')).toBe(Date.UTC(2026, 11, 1, 0, 0, 1));
  });
});

describe('parsePutRequestJson size check', () => {
  const jsonOfBytes = (bytes: number, char: string): string => {
    const charBytes = Buffer.byteLength(char);
    return JSON.stringify(
      'x'.repeat((bytes - 2) % charBytes) + char.repeat(Math.floor((bytes - 2) / charBytes)),
    );
  };

  it('counts UTF-8 bytes, not characters, once a body could be over the limit', () => {
    for (const char of ['\u00e9', '\u20ac', '\u{1F600}']) {
      const over = jsonOfBytes(LIMITS.requestBytes + 1, char);
      expect(Buffer.byteLength(over)).toBe(LIMITS.requestBytes + 1);
      expect(() => parsePutRequestJson(over, 'empty')).toThrow(RequestError);
      expect(() => parsePutRequestJson(over, 'empty')).toThrow(`${LIMITS.requestBytes + 1} bytes`);
      const at = jsonOfBytes(LIMITS.requestBytes, char);
      expect(typeof parsePutRequestJson(at, 'empty')).toBe('string');
    }
  });
});

describe('checkProvenance name check', () => {
  const event = (eventSource: string, userName = 'alice'): ProducerEvent =>
    ({ eventSource, eventName: 'Get', userIdentity: { type: 'IAMUser', userName } }) as ProducerEvent;

  it("refuses OpenTrail's names in any case, and only those", () => {
    for (const name of ['insights.opentrail', 'INSIGHTS.OPENTRAIL', 'OpenTrail.Insights']) {
      expect(checkProvenance(event(name), '123456789012')?.errorCode, name).toBe('InvalidEventSource');
      expect(checkProvenance(event('orders.example.com', name), '123456789012')?.errorCode, name).toBe(
        'InvalidData',
      );
    }
    for (const name of ['insights.opentrail2', 'insights.opentrai', '\u0130nsights.opentrail']) {
      expect(checkProvenance(event(name, name), '123456789012'), name).toBeUndefined();
    }
  });
});

describe('pagesOf', () => {
  const event = (eventID: string, pk: string, sk: string, expiresAt: number): PageSource => ({
    eventID,
    recordJson: '{}',
    keys: { key: { pk, sk }, postings: [], catalog: [] },
    expiresAt,
  });

  it('keeps pages apart by partition and sort key, each newest first, with its latest expiry', () => {
    // Prepare: two partitions share a sort key; the input is not in eventID order.
    const events = [
      event('B', 'E#1', 'S', 5),
      event('A', 'E#2', 'S', 1),
      event('C', 'E#1', 'S', 3),
      event('D', 'E#1', 'T', 2),
    ];
    const asGiven = events.map(({ eventID }) => eventID);

    // Act
    const pages = pagesOf(events);

    // Assess
    expect(
      pages.map((page) => [page.key, page.events.map(({ eventID }) => eventID), page.expiresAt]),
    ).toEqual([
      [{ pk: 'E#1', sk: 'S' }, ['C', 'B'], 5],
      [{ pk: 'E#2', sk: 'S' }, ['A'], 1],
      [{ pk: 'E#1', sk: 'T' }, ['D'], 2],
    ]);
    expect(events.map(({ eventID }) => eventID)).toEqual(asGiven);
  });
});

describe('encodePage', () => {
  it('keeps every record apart, empty ones and multi-byte ones too, page after page', () => {
    const pages = [
      ['', '{}', ''],
      ['{"a":"\u00e9\u20ac\u{1F600}"}', '', '{"b":1}'],
      ['x'.repeat(300_000), '{}'],
      ['{}'],
    ];
    for (const page of pages) expect(decodePage(encodePage(page))).toEqual(page);
  });
});

describe('eventID characters', () => {
  it('refuses ids with characters outside the alphabet, whatever their code', () => {
    const id = pageEventId(1_796_195_634_100, 'orders', 7, 'ABCDEFGHJK', 3);
    expect(isEventId(id)).toBe(true);
    for (const bad of ['a', 'I', 'L', 'O', 'U', 'é', '\u{1F600}', ' ']) {
      const text = `${id.slice(0, 12)}${bad}${id.slice(13)}`.slice(0, 26);
      expect(isEventId(text), bad).toBe(false);
      expect(eventIdTimeMs(text), bad).toBeUndefined();
    }
  });

  it('gives the time and the shard character the id was minted with', () => {
    const id = pageEventId(1_796_195_634_100, 'orders', 17, 'ABCDEFGHJK', 0);
    expect(eventIdTimeMs(id)).toBe(1_796_195_634_100);
    expect(shardCharOf(id)).toBe(shardChar(17));
  });
});

describe('inferClientType for repeated agents', () => {
  it('answers an agent the same the first time and every time after', () => {
    // Prepare: padded and long agents are classified as trimmed, and too long ones are not kept.
    const agents: Array<[string, string]> = [
      ['  console.amazonaws.com ', 'console'],
      ['aws-cli/2.15.0 Python/3.11 botocore/1.34', 'cli'],
      [`aws-sdk-js/3.600.0 ${'x'.repeat(400)}`, 'sdk'],
      ['lambda.amazonaws.com', 'service'],
      ['', 'other'],
    ];

    // Act
    const rounds = [1, 2, 3].map(() =>
      agents.map(([userAgent]) => inferClientType({ userAgent, userIdentity: { type: 'IAMUser' } })),
    );

    // Assess
    for (const round of rounds) expect(round).toEqual(agents.map(([, type]) => type));
    expect(
      inferClientType({
        userAgent: 'aws-cli/2',
        eventType: 'ConsoleAction',
        userIdentity: { type: 'IAMUser' },
      }),
    ).toBe('console');
  });
});

describe('request loggers', () => {
  it('label each line with its own request, and keep no key a route appended for the next request', async () => {
    // Prepare
    const lines: Array<Record<string, unknown>> = [];
    const logger = createFunctionLogger({ sink: (line) => lines.push(JSON.parse(line)), logLevel: 'INFO' });
    const handler = httpHandler(
      async (event, request) => {
        if (event.rawPath === '/tagged') request.logger.appendKeys({ operation: 'Tagged' });
        request.logger.info('answered');
        return json(200, {});
      },
      { protocol: NATIVE_PROTOCOL, logger },
    );
    const request = (requestId: string, rawPath: string) =>
      httpEvent({ routeKey: 'GET /events', rawPath, requestContext: { requestId } as never });

    // Act
    await handler(request('r-1', '/tagged'), HTTP_CONTEXT);
    await handler(request('r-2', '/plain'), { ...HTTP_CONTEXT, awsRequestId: 'inv-2' });
    await Promise.all([
      handler(request('r-3', '/tagged'), HTTP_CONTEXT),
      handler(request('r-4', '/plain'), HTTP_CONTEXT),
    ]);

    // Assess
    expect(
      lines.map(({ requestId, operation, function_request_id }) => [
        requestId,
        operation,
        function_request_id,
      ]),
    ).toEqual([
      ['r-1', 'Tagged', 'req-1'],
      ['r-2', undefined, 'inv-2'],
      ['r-3', 'Tagged', 'req-1'],
      ['r-4', undefined, 'req-1'],
    ]);
  });

  it('keep a request logger with work that outlives its answer, so later requests log under their own id', async () => {
    // Prepare: the first request's work goes on past its deadline, then logs.
    const lines: Array<Record<string, unknown>> = [];
    const logger = createFunctionLogger({ sink: (line) => lines.push(JSON.parse(line)), logLevel: 'INFO' });
    let finishLate: () => void = () => {};
    const late = new Promise<void>((resolve) => {
      finishLate = resolve;
    });
    const handler = httpHandler(
      async (event, request): Promise<HttpResult> => {
        if (event.requestContext.requestId === 'slow') {
          await late;
          request.logger.info('late work');
        } else request.logger.info('answered');
        return json(200, {});
      },
      { protocol: NATIVE_PROTOCOL, logger },
    );
    const request = (requestId: string) =>
      httpEvent({ routeKey: 'GET /events', requestContext: { requestId } as never });
    const outOfTime = { ...HTTP_CONTEXT, getRemainingTimeInMillis: () => 0 };

    // Act
    const slow = await handler(request('slow'), outOfTime);
    await handler(request('next'), HTTP_CONTEXT);
    finishLate();
    await late;
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(slow.statusCode).toBe(503);
    expect(
      lines
        .filter(({ message }) => message !== 'event store unavailable')
        .map(({ message, requestId }) => `${requestId} ${message}`),
    ).toEqual(['next answered', 'slow late work']);
  });
});
