import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import { FirehoseArchiveSink } from '../../lambda/adapters/firehose-archive-sink.js';
import { replayDeadLetters } from '../../lambda/adapters/stream-replay.js';
import { pageKeyOf } from '../../lambda/core/keys.js';
import { archiveBatch } from '../../lambda/core/pipeline.js';
import { storedPageRecords } from '../../lambda/core/record-codec.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { variedEvents } from '../fixtures/traffic.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { eventually, type PipelineReader, pipelineReader } from '../support/pipeline-reader.js';
import { signedFetch } from '../support/signed-fetch.js';

// The functions log JSON to stdout; only their errors are of interest here.
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

const TOTAL = 2_000;
const POISON = 'PoisonOrder';
/** Firehose calls 2 to 9 fail; the SDK's and the sink's retries must carry the records through. */
const failsFirehose = (target: string, call: number) =>
  target.endsWith('.PutRecordBatch') && call >= 2 && call <= 9;

/**
 * The whole pipeline on moto, as issue 4 asks: 2,000 varied events through the API reach the archive and the
 * log group exactly once as a reader sees them (one line per eventID), byte for byte as stored, while Firehose
 * fails for a run of calls, one record is poison for the archive, and the archive is held back entirely for a
 * while — log forwarding must not wait for any of it. The poison record is then replayed from the DLQ.
 */
describe('pipeline on moto: 2,000 events, faults, a poison record and a replay', () => {
  let proxy: FaultProxy;
  let firehoseProxy: FaultProxy | undefined;
  let local: LocalHandle;
  let reader: PipelineReader;
  let poisonActive = true;
  let openArchive: () => void = () => {};
  const archiveOpen = new Promise<void>((resolve) => {
    openArchive = resolve;
  });

  beforeAll(async () => {
    proxy = await startFaultProxy(inject('motoEndpoint'), () => false);
    local = await startLocal({
      awsEndpoint: proxy.url,
      // The archive function's Firehose is local mode's (moto's writes uncompressed objects): faults in front of it.
      wrapFirehoseEndpoint: async (url) => {
        firehoseProxy = await startFaultProxy(url, failsFirehose);
        return firehoseProxy.url;
      },
      archiveBufferSeconds: 1,
      wrapStreamHandler: (consumer, handler) =>
        consumer === 'archive'
          ? async (event, context) => {
              await archiveOpen;
              const poisoned = event.Records.some((record) =>
                storedPageRecords(record.dynamodb?.NewImage?.record)?.some((json) =>
                  json.includes(`"eventName":"${POISON}"`),
                ),
              );
              if (poisonActive && poisoned)
                throw new Error('injected: this record breaks the archive consumer');
              return handler(event, context);
            }
          : handler,
      streamMapping: {
        retryAttempts: 2,
        retryBaseDelayMs: 10,
        retryMaxDelayMs: 50,
        maxBatchingWindowSeconds: 0.2,
      },
    });
    reader = pipelineReader(local);
  });

  afterAll(async () => {
    reader?.destroy();
    await local?.stop();
    await firehoseProxy?.close();
    await proxy?.close();
  });

  it('delivers every accepted event exactly once to the archive and the logs, and replays the poison one', async () => {
    // Prepare: 2,000 varied events (one of them poison for the archive), put in batches of 100, 4 at a time.
    const nowMs = Date.now();
    const events = variedEvents(TOTAL, nowMs).map((event, i) =>
      i === 777 ? { ...event, eventName: POISON } : event,
    );
    const put = async (batch: unknown[]) => {
      const response = await signedFetch(new URL('/events', local.apiUrl), {
        method: 'POST',
        body: JSON.stringify({ events: batch }),
        credentials: local.credentials,
        region: local.region,
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { successful: Array<{ eventID: string }>; failed: unknown[] };
      expect(body.failed).toEqual([]);
      return body.successful.map((success) => success.eventID);
    };
    const eventIDs: string[] = [];
    for (let start = 0; start < TOTAL; start += 400) {
      const batches = [0, 100, 200, 300].map((offset) => events.slice(start + offset, start + offset + 100));
      for (const ids of await Promise.all(batches.map(put))) eventIDs.push(...ids);
    }
    expect(new Set(eventIDs).size).toBe(TOTAL);
    // The stream carries pages: one record per page, and the poison event takes its page's events with it.
    const pageOf = (eventID: string) => JSON.stringify(pageKeyOf(eventID));
    const pages = new Set(eventIDs.map(pageOf)).size;
    const poisonId = eventIDs[777] as string;
    const poisonPage = eventIDs.filter((eventID) => pageOf(eventID) === pageOf(poisonId));
    const store = new DynamoDbEventStore(
      new DynamoDBClient({ region: local.region, endpoint: proxy.url, credentials: local.credentials }),
      local.tableName,
    );
    const stored = await store.readRecords(eventIDs);
    expect(stored.size).toBe(TOTAL);
    const linesById = (lines: readonly string[]) => {
      const byId = new Map<string, Set<string>>();
      for (const line of lines) {
        const id = (JSON.parse(line) as { eventID: string }).eventID;
        byId.set(id, (byId.get(id) ?? new Set()).add(line));
      }
      return byId;
    };

    // Act 1: the archive is held back; log forwarding must finish on its own.
    const logged = await eventually(
      async () => {
        const byId = linesById(await reader.logMessages(local.pipeline.logGroupName));
        return byId.size >= TOTAL ? byId : undefined;
      },
      'all events in the log group while the archive is held back',
      120_000,
      1_000,
    );
    const archivedWhileHeld = await reader.archiveLines(local.pipeline.bucketName);
    openArchive();

    // Act 2: the archive catches up through the Firehose faults; the poison record goes to the DLQ.
    await eventually(
      async () => {
        const { recordsDelivered, recordsSentToDlq } = local.streamStats().archive;
        return recordsSentToDlq >= 1 && recordsDelivered + recordsSentToDlq >= pages ? true : undefined;
      },
      'the archive consumer through the whole stream, the poison record in its DLQ',
      120_000,
      1_000,
    );
    // Firehose buffers what the consumer put (a second here): what it holds is written before the archive is read.
    await local.firehose.flush();
    const archivedBeforeReplay = linesById(
      (await reader.archiveLines(local.pipeline.bucketName)).map(({ line }) => line),
    );

    // Act 3: the cause is fixed; the operator replays the dead letters.
    poisonActive = false;
    const clientConfig = { region: local.region, endpoint: proxy.url, credentials: local.credentials };
    const sink = new FirehoseArchiveSink(
      new FirehoseClient({ ...clientConfig, endpoint: local.firehose.url }),
      local.pipeline.deliveryStreamName,
    );
    const replay = await replayDeadLetters({
      sqs: new SQSClient(clientConfig),
      streams: new DynamoDBStreamsClient(clientConfig),
      queueUrl: local.pipeline.archiveDlqUrl,
      deliver: (records) => archiveBatch(records, sink, Date.now()),
    });
    const archived = await eventually(
      async () => {
        const byId = linesById(
          (await reader.archiveLines(local.pipeline.bucketName)).map(({ line }) => line),
        );
        return byId.size >= TOTAL ? byId : undefined;
      },
      'every event in the archive after the replay',
      60_000,
      1_000,
    );

    // Assess: logs were complete before the archive moved at all.
    expect(archivedWhileHeld).toEqual([]);
    expect(firehoseProxy?.injected()).toBe(8);
    // Before the replay, everything but the poison page was archived.
    for (const eventID of poisonPage) expect(archivedBeforeReplay.has(eventID)).toBe(false);
    expect(archivedBeforeReplay.size).toBe(TOTAL - poisonPage.length);
    expect(local.streamStats().archive.recordsSentToDlq).toBe(1);
    expect(replay).toMatchObject({ replayed: 1, kept: [] });
    expect(replay.records).toBeGreaterThanOrEqual(1);
    // Exactly once per eventID, byte for byte as stored, in both sinks.
    for (const delivered of [logged, archived]) {
      expect([...delivered.keys()].sort()).toEqual([...eventIDs].sort());
      for (const [id, lines] of delivered) expect([...lines]).toEqual([stored.get(id)]);
    }
    expect(await reader.receiveMessages(local.pipeline.logForwardDlqUrl)).toEqual([]);
  });
});
