import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MotoEmulator, startEmulator } from '../../local/emulator.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { type ScriptedFaultProxy, startScriptedFaultProxy } from '../support/fault-proxy.js';
import { eventually, type PipelineReader, pipelineReader } from '../support/pipeline-reader.js';
import { signedFetch } from '../support/signed-fetch.js';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const BATCH_WRITE = 'DynamoDB_20120810.BatchWriteItem';
/** Longer than the HTTP front's handler timeout (API Gateway's 30 s), so a call held this long is lost to it. */
const STALL_MS = 35_000;

/**
 * Local mode with its AWS calls going through a fault proxy in front of moto: the emulator stops in the middle
 * of a batch, DynamoDB throttles, a call stalls. Whatever the API answers, it never reports an event as stored
 * that is not: every eventID it returns is found by lookup and reaches the archive, every other event is
 * reported as Throttling (or the request as 503 with Retry-After), and a producer retrying with the same ids
 * ends with each event stored once.
 */
describe('faults in local mode', () => {
  let emulator: MotoEmulator;
  let proxy: ScriptedFaultProxy;
  let local: LocalHandle;
  let reader: PipelineReader;

  beforeAll(async () => {
    emulator = await startEmulator();
    proxy = await startScriptedFaultProxy(emulator.url, () => undefined);
    // Local mode's Firehose writes after a second instead of the stack's minute.
    local = await startLocal({ awsEndpoint: proxy.url, archiveBufferSeconds: 1 });
    // The archive is read straight from the emulator, past the proxy.
    reader = pipelineReader({
      region: local.region,
      awsEndpoint: emulator.url,
      credentials: local.credentials,
    });
  });

  afterEach(() => proxy?.setPlan(() => undefined));

  afterAll(async () => {
    reader?.destroy();
    await local?.stop();
    await proxy?.close();
    await emulator?.stop();
  });

  interface Outcome {
    readonly status: number;
    readonly retryAfter: string | null;
    readonly code?: string;
    readonly successful: ReadonlyArray<{ readonly id: string; readonly eventID: string }>;
    readonly failed: ReadonlyArray<{
      readonly id: string;
      readonly errorCode: string;
      readonly errorMessage?: string;
    }>;
  }

  const widgetEvents = (
    scenario: string,
    count: number,
    eventName: (i: number) => string = () => 'PutWidget',
  ) =>
    Array.from({ length: count }, (_, i) => ({
      id: `${scenario}-${i}`,
      eventSource: `${scenario}.faults.example.com`,
      eventName: eventName(i),
      userIdentity: { type: 'IAMUser', userName: `${scenario}-producer` },
      resources: [{ ARN: `arn:aws:widgets:us-east-1:123456789012:widget/${scenario}-${i}`, type: 'Widget' }],
    }));

  const put = async (events: ReadonlyArray<{ id: string }>): Promise<Outcome> => {
    const response = await signedFetch(new URL('/events', local.apiUrl), {
      method: 'POST',
      body: JSON.stringify({ events }),
      credentials: local.credentials,
      region: local.region,
      timeoutMs: 60_000,
    });
    const body = (await response.json()) as Partial<Outcome> & { code?: string };
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      ...(body.code === undefined ? {} : { code: body.code }),
      successful: body.successful ?? [],
      failed: body.failed ?? [],
    };
  };

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await signedFetch(new URL(path, local.apiUrl), {
      credentials: local.credentials,
      region: local.region,
    });
    return { status: response.status, body: await response.json() };
  };

  /**
   * What the API said about each event is true: answers are 200 with every event either successful or failed
   * with Throttling, or 503 with Retry-After; every successful eventID is the producer's event, read back by
   * eventID, and reaches the archive.
   */
  const expectTruthfulAnswers = async (sent: ReadonlyArray<{ id: string }>, outcomes: readonly Outcome[]) => {
    for (const outcome of outcomes) {
      if (outcome.status === 503) {
        expect(outcome).toMatchObject({ code: 'ServiceUnavailable', successful: [], failed: [] });
        expect(Number(outcome.retryAfter)).toBeGreaterThan(0);
        continue;
      }
      expect(outcome.status).toBe(200);
      const reported = [...outcome.successful.map(({ id }) => id), ...outcome.failed.map(({ id }) => id)];
      expect(new Set(reported).size).toBe(reported.length);
      for (const failure of outcome.failed) expect(failure.errorCode).toBe('Throttling');
    }
    const stored = outcomes.flatMap((outcome) => outcome.successful);
    for (const { id, eventID } of stored) {
      const read = await get(`/events/${eventID}`);
      expect(read.status, `event ${id} (${eventID}) reported stored`).toBe(200);
      expect(read.body).toMatchObject({
        eventID,
        resources: [expect.objectContaining({ ARN: expect.stringMatching(new RegExp(`/${id}$`)) })],
      });
    }
    const wanted = new Set(stored.map(({ eventID }) => eventID));
    expect(sent.length).toBeGreaterThanOrEqual(wanted.size);
    await eventually(
      async () => {
        const archived = new Set(
          (await reader.archiveLines(local.pipeline.bucketName)).map(
            ({ line }) => (JSON.parse(line) as { eventID: string }).eventID,
          ),
        );
        return [...wanted].every((eventID) => archived.has(eventID)) ? true : undefined;
      },
      'every event reported stored in the archive',
      90_000,
      1_000,
    );
  };

  /** Every event of a scenario, once each, through a lookup by its eventSource. */
  const storedEventIDs = async (scenario: string): Promise<string[]> => {
    const found = await get(`/events?EventSource=${scenario}.faults.example.com&maxResults=1000`);
    expect(found.status).toBe(200);
    return (found.body as { events: Array<{ eventID: string }> }).events.map(({ eventID }) => eventID);
  };

  it('reports only what it stored when the emulator stops in the middle of a batch, and a retry completes the batch', async () => {
    // Prepare: the chunk that carries the request's pages is stored but its answer is lost, and from then on every
    // call to the emulator finds it gone.
    const events = widgetEvents('outage', 100);
    let down = false;
    proxy.setPlan(({ target, body }) => {
      if (down) return { kind: 'reset' };
      if (target !== BATCH_WRITE || !body.includes('"record"')) return undefined;
      down = true;
      return { kind: 'reset-after-forward' };
    });

    // Act
    const during = await put(events);
    const lookupDuring = await signedFetch(
      new URL('/events?EventSource=outage.faults.example.com', local.apiUrl),
      {
        credentials: local.credentials,
        region: local.region,
      },
    );
    proxy.setPlan(() => undefined);
    const retried = await put(
      events.filter(({ id }) => !during.successful.some((success) => success.id === id)),
    );

    // Assess: what was cut off is reported failed (an event whose item or any posting list naming it went
    // unwritten, which with the request's shared lists can be every event), only what is readable as stored, a
    // read answered 503, and the retry completes the batch.
    expect(down).toBe(true);
    expect(during.status).toBe(200);
    expect(during.failed.length).toBeGreaterThan(0);
    expect(during.successful.length + during.failed.length).toBe(100);
    expect(lookupDuring.status).toBe(503);
    expect(Number(lookupDuring.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await lookupDuring.json()).toMatchObject({ code: 'ServiceUnavailable' });
    expect(retried).toMatchObject({ status: 200, failed: [] });
    await expectTruthfulAnswers(events, [during, retried]);
    const eventIDs = await storedEventIDs('outage');
    expect(eventIDs).toHaveLength(100);
    expect(new Set(eventIDs)).toEqual(
      new Set([...during.successful, ...retried.successful].map(({ eventID }) => eventID)),
    );
  });

  it('reports the events DynamoDB keeps throttling as Throttling and stores all the others', async () => {
    // Prepare: every fourth BatchWriteItem is refused with ProvisionedThroughputExceededException; every item is
    // left unprocessed the first time it is sent, and the ThrottledWrite events' EventName list every time.
    const events = widgetEvents('throttle', 100, (i) => (i % 10 === 3 ? 'ThrottledWrite' : 'PutWidget'));
    const seen = new Set<string>();
    proxy.setPlan(({ target, callNumber }) => {
      if (target !== BATCH_WRITE) return undefined;
      if (callNumber % 4 === 1) {
        return { kind: 'error', status: 400, errorType: 'ProvisionedThroughputExceededException' };
      }
      return {
        kind: 'unprocessed',
        withhold: (item) => {
          const key = `${item.pk?.S}|${item.sk?.S}`;
          const first = !seen.has(key);
          seen.add(key);
          // The ThrottledWrite events' own EventName list: those events, and only those, never get through.
          const pk = String(item.pk?.S ?? '');
          return first || (pk.startsWith('N#') && pk.endsWith('#ThrottledWrite'));
        },
      };
    });

    // Act
    const outcome = await put(events);
    proxy.setPlan(() => undefined);
    const retried = await put(events.filter(({ id }) => outcome.failed.some((failure) => failure.id === id)));

    // Assess: the store retries within its time budget, so a throttled event that needed longer is reported
    // as Throttling too; the ones that never got through always are.
    const neverThrough = events.filter(({ eventName }) => eventName === 'ThrottledWrite').map(({ id }) => id);
    const failedIds = outcome.failed.map(({ id }) => id);
    expect(proxy.injected()).toBeGreaterThan(0);
    expect(outcome.status).toBe(200);
    expect(failedIds).toEqual(expect.arrayContaining(neverThrough));
    expect(outcome.successful.length).toBeGreaterThan(0);
    expect(outcome.successful.length + outcome.failed.length).toBe(100);
    expect(retried).toMatchObject({ status: 200, failed: [] });
    await expectTruthfulAnswers(events, [outcome, retried]);
    expect(await storedEventIDs('throttle')).toHaveLength(100);
  });

  it('retries a stalled DynamoDB call once its timeout passes, and stores every event', async () => {
    // Prepare: the first chunk of event items is held past the gateway's timeout (and applied after all).
    const events = widgetEvents('stall', 100);
    let held = 0;
    proxy.setPlan(({ target, body }) => {
      if (target !== BATCH_WRITE || !body.includes('"record"') || held > 0) return undefined;
      held++;
      return { kind: 'delay', ms: STALL_MS };
    });

    // Act
    const outcome = await put(events);

    // Assess
    expect(held).toBe(1);
    expect(outcome).toMatchObject({ status: 200, failed: [] });
    expect(outcome.successful).toHaveLength(100);
    await expectTruthfulAnswers(events, [outcome]);
  });

  it('answers in time with every event as Throttling when every write stalls, and a retry stores each once', async () => {
    // Prepare: every chunk of event items is held past the gateway's timeout (and applied late).
    const events = widgetEvents('stalled', 100);
    proxy.setPlan(({ target, body }) =>
      target === BATCH_WRITE && body.includes('"record"') ? { kind: 'delay', ms: STALL_MS } : undefined,
    );

    // Act: a retry while the stalled writes may still land, then one after they have.
    const during = await put(events);
    proxy.setPlan(() => undefined);
    const early = await put(events);
    await eventually(
      async () => ((await storedEventIDs('stalled')).length >= 100 ? true : undefined),
      'the stalled writes to land',
      STALL_MS + 30_000,
      1_000,
    );
    const retried = await put(events);

    // Assess: the function answered itself (the gateway's 503 would carry no Retry-After and no list); the early
    // retry stored nothing of its own, and the late one answers with the events the stalled writes stored.
    expect(during).toMatchObject({ status: 200, successful: [] });
    expect(during.failed).toHaveLength(100);
    expect(early).toMatchObject({ status: 200, successful: [] });
    expect(early.failed.map(({ errorMessage }) => errorMessage)).toEqual(
      events.map(() => expect.stringMatching(/held by an earlier attempt/)),
    );
    expect(retried).toMatchObject({ status: 200, failed: [] });
    await expectTruthfulAnswers(events, [during, early, retried]);
    const eventIDs = await storedEventIDs('stalled');
    expect(new Set(eventIDs)).toEqual(new Set(retried.successful.map(({ eventID }) => eventID)));
    expect(eventIDs).toHaveLength(100);
  });
});
