import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoEmulator, startEmulator } from '../../local/emulator.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { sampleEvent } from '../fixtures/events.js';
import { signedFetch } from '../support/signed-fetch.js';

/**
 * Local mode passes each function its configuration as values: two independently configured trails run in one
 * process, against one emulator, each with its own table, pipeline and settings, and every log line names the
 * function that wrote it.
 */
describe('two local trails in one process', () => {
  let emulator: MotoEmulator;
  let first: LocalHandle;
  let second: LocalHandle;
  const firstLog: string[] = [];

  beforeAll(async () => {
    emulator = await startEmulator();
    first = await startLocal({
      awsEndpoint: emulator.url,
      tableName: 'first-trail',
      retentionDays: 30,
      log: (line) => firstLog.push(line),
    });
    second = await startLocal({
      awsEndpoint: emulator.url,
      tableName: 'second-trail',
      // The second trail keeps data events, which the first (CloudTrail's default trail) filters.
      selectors: { data: true },
      pipelineNames: {
        bucketName: 'second-archive',
        deliveryStreamName: 'second-events',
        logGroupName: '/second/events',
        archiveDlqName: 'second-archive-dlq',
        logForwardDlqName: 'second-log-forward-dlq',
      },
      integrity: {
        trailName: 'second',
        names: {
          ledgerTableName: 'second-ledger',
          deliveryQueueName: 'second-deliveries',
          digestBucketName: 'second-digests',
          signingKeyAlias: 'alias/second-digests',
        },
      },
    });
  });

  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await emulator?.stop();
  });

  const put = (local: LocalHandle, event: object) =>
    signedFetch(`${local.apiUrl}/events`, {
      method: 'POST',
      body: JSON.stringify(event),
      headers: { 'content-type': 'application/json' },
      credentials: local.producerCredentials,
      region: local.region,
    }).then((response) => response.json() as Promise<Record<string, Array<{ eventID: string }>>>);
  const get = (local: LocalHandle, eventId: string) =>
    signedFetch(`${local.apiUrl}/events/${eventId}`, {
      credentials: local.readerCredentials,
      region: local.region,
    });

  it('keeps each trail to its own table and its own settings', async () => {
    // Act
    const intoFirst = await put(first, sampleEvent({ eventName: 'FirstOnly' }));
    const intoSecond = await put(second, sampleEvent({ eventName: 'SecondOnly' }));
    const dataIntoFirst = await put(first, sampleEvent({ eventCategory: 'Data' }));
    const dataIntoSecond = await put(second, sampleEvent({ eventCategory: 'Data' }));

    // Assess
    const firstId = intoFirst.successful?.[0]?.eventID ?? '';
    const secondId = intoSecond.successful?.[0]?.eventID ?? '';
    expect((await get(first, firstId)).status).toBe(200);
    expect((await get(second, firstId)).status).toBe(404);
    expect((await get(second, secondId)).status).toBe(200);
    expect((await get(first, secondId)).status).toBe(404);
    expect(dataIntoFirst.filtered).toHaveLength(1);
    expect(dataIntoSecond.successful).toHaveLength(1);
  });

  it("labels every function's log lines with that function's own context", async () => {
    // Prepare: a put runs the ingest function; its stream batch runs the three consumers.
    await put(first, sampleEvent({ eventName: 'Labelled' }));
    const deadline = Date.now() + 30_000;
    const jsonLines = () =>
      firstLog.flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
    const consumersSeen = () =>
      new Set(
        jsonLines().flatMap((line) => (line.message === 'stream batch handled' ? [line.consumer] : [])),
      );
    while (consumersSeen().size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));

    // Act
    const labels = jsonLines().flatMap((line) =>
      typeof line.message === 'string' && typeof line.function_name === 'string'
        ? [`${line.message} | ${line.consumer ?? ''} | ${line.function_name} | ${line.function_memory_size}`]
        : [],
    );

    // Assess
    // The manifest's 512 MB for each of them, as Lambda's context would report it.
    expect(labels).toContain('events put |  | opentrail-ingest | 512');
    expect(labels).toContain('stream batch handled | archive | opentrail-archive | 512');
    expect(labels).toContain('stream batch handled | log-forward | opentrail-log-forward | 512');
    expect(labels).toContain('stream batch handled | insights-counter | opentrail-insights-counter | 512');
    const mislabelled = labels.filter((label) => {
      const [message, consumer, functionName] = label.split(' | ');
      if (message === 'events put') return functionName !== 'opentrail-ingest';
      if (message === 'stream batch handled') return functionName !== `opentrail-${consumer}`;
      return false;
    });
    expect(mislabelled).toEqual([]);
  });
});
