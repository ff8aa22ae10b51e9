import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { BatchQueue } from '../clients/typescript/src/queue.js';
import { DynamoDbEventStore } from '../lambda/adapters/dynamodb-event-store.js';
import type { ProducerEvent } from '../lambda/core/event-model.js';
import { clientSettingsFor } from '../lambda/functions/runtime.js';
import { type DynamoDbEmulator, dynamodbEmulatorOf, type LocalHandle, startLocal } from '../local/runner.js';
import { variedEvents } from '../test/fixtures/traffic.js';
import { pipelineReader } from '../test/support/pipeline-reader.js';
import { signedFetch, signRequest } from '../test/support/signed-fetch.js';
import { median, progress, round, withMutedStdout } from './support/measure.js';
import { cpuSecondsBetween, sampleCpu } from './support/process-cpu.js';
import { type Outcome, type Row, type Status, statusOf, type Target, targetRow } from './support/report.js';

/**
 * `npm run bench -- load [--duration S]`: sustained concurrent producers (POST /events, batches of events with
 * unique producer ids) and readers (GET /events lookups) against local mode on a loopback port for a fixed
 * duration, then a bounded wait for the pipeline to drain and a reconciliation: every accepted event must be
 * stored (read back from the table), archived (a line in the S3 archive) and forwarded (a message in the log
 * group). Local mode runs the real handlers in this process against its emulators (DynamoDB on MiniStack, the
 * rest on moto; OPENTRAIL_DYNAMODB=moto puts DynamoDB on moto too), so the figures measure this machine and the
 * emulators, not AWS: they are for spotting regressions and losses, not for capacity planning.
 */

/**
 * What @opentrail/client sends under sustained load by default: its batcher's full batches (it sends a partial
 * one only when its linger passes), at most its default requests in flight at once (OpenTrailClientOptions
 * `maxConcurrency`, @default 4).
 */
const CLIENT_DEFAULTS = { eventsPerRequest: new BatchQueue(async () => {}).batch.maxEvents, concurrency: 4 };

export const LOAD_DEFAULTS = {
  durationSeconds: 30,
  /** One client's requests in flight, each on its own connection. */
  producerConnections: CLIENT_DEFAULTS.concurrency,
  readerConnections: 1,
  eventsPerRequest: CLIENT_DEFAULTS.eventsPerRequest,
  /** Pre-signed producer events per second of the run: three times the target, far above what local mode takes here. */
  presignedEventsPerSecond: 1_500,
  /** How long the pipeline may take to catch up after the load stops. */
  drainTimeoutMs: 180_000,
  /** A request still unanswered after this long counts as a timeout (an error). */
  requestTimeoutSeconds: 30,
} as const;

export const LOAD_TARGETS = {
  /** Errors (connection errors, timeouts, non-2xx answers) over the whole run. */
  errors: { max: 0 },
  /** Issue 17: puts and lookups each answer within a second at the 99th percentile. */
  putP99Ms: { max: 1_000 },
  lookupP99Ms: { max: 1_000 },
} as const satisfies Record<string, Target>;

/** Issue 17: accepted events per second that local mode must sustain; a floor, not a ceiling. */
export const ACCEPTED_PER_SECOND_TARGET = { min: 500 } as const;

/** Signed GET /events/{eventId} lookups in flight at once while checking that every accepted event is found. */
const FIND_CONCURRENCY = 8;

interface PresignedRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

async function presign(
  local: LocalHandle,
  path: string,
  method: 'GET' | 'POST',
  body?: string,
): Promise<PresignedRequest> {
  const signed = await signRequest(new URL(path, local.apiUrl), {
    method,
    credentials: local.credentials,
    region: local.region,
    ...(body === undefined ? {} : { body }),
  });
  return { method, path, headers: signed.headers, ...(body === undefined ? {} : { body }) };
}

/**
 * Producer batches: varied events, each with a producer id unique to this run, so accepted events are countable.
 * Their requestIDs are kept: an event whose answer never came back (in flight when the run stopped) is still
 * recognised in the table, the archive and the logs.
 */
async function producerPool(
  local: LocalHandle,
  requests: number,
  runId: string,
): Promise<{ pool: PresignedRequest[]; producerIds: Map<string, string> }> {
  const perRequest = LOAD_DEFAULTS.eventsPerRequest;
  const events = variedEvents(requests * perRequest, Date.now(), 5 * 60 * 1000);
  const pool: PresignedRequest[] = [];
  /** requestID -> producer id of every event in the pool. */
  const producerIds = new Map<string, string>();
  for (let i = 0; i < requests; i++) {
    const batch: ProducerEvent[] = events
      .slice(i * perRequest, (i + 1) * perRequest)
      .map((event, j) => ({ ...event, id: `load-${runId}-${i * perRequest + j}` }));
    for (const event of batch) {
      if (event.requestID !== undefined && event.id !== undefined) producerIds.set(event.requestID, event.id);
    }
    pool.push(await presign(local, '/events', 'POST', JSON.stringify({ events: batch })));
  }
  return { pool, producerIds };
}

/** Reader lookups: no key (fans out over every source), and one by each of three indexed keys. */
const READER_PATHS = [
  '/events?maxResults=50',
  '/events?EventName=GetOrder&maxResults=50',
  '/events?Username=user0&maxResults=50',
  '/events?EventSource=orders.api.example.com&maxResults=50',
] as const;

interface Tally {
  /** eventIDs answered as successful, by producer id. */
  readonly accepted: Map<string, string>;
  readonly failedEvents: Map<string, number>;
  /** Producer ids answered as failed. */
  readonly refused: Set<string>;
  readonly latenciesMs: number[];
  poolExhausted: boolean;
}

function recordPutResponse(tally: Tally, status: number, body: string): void {
  if (status !== 200) return;
  const parsed = JSON.parse(body) as {
    successful?: Array<{ id?: string; eventID: string }>;
    failed?: Array<{ id?: string; errorCode: string }>;
  };
  for (const success of parsed.successful ?? []) {
    if (success.id !== undefined) tally.accepted.set(success.id, success.eventID);
  }
  for (const failure of parsed.failed ?? []) {
    if (failure.id !== undefined) tally.refused.add(failure.id);
    tally.failedEvents.set(failure.errorCode, (tally.failedEvents.get(failure.errorCode) ?? 0) + 1);
  }
}

function runCannon(
  options: autocannon.Options,
  latenciesMs: number[],
): { instance: autocannon.Instance; done: Promise<autocannon.Result> } {
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
  if (!instance) throw new Error('autocannon did not start');
  instance.on('response', (_client, _status, _bytes, responseTime) => latenciesMs.push(responseTime));
  return { instance, done };
}

/** Producers and readers at once, for the duration. */
async function drive(local: LocalHandle, durationSeconds: number, tally: Tally) {
  const a = LOAD_DEFAULTS;
  const runId = randomBytes(4).toString('hex');
  const poolSize = Math.ceil((durationSeconds * a.presignedEventsPerSecond) / a.eventsPerRequest);
  progress(`load: pre-signing ${poolSize} producer requests of ${a.eventsPerRequest} events`);
  const { pool, producerIds } = await producerPool(local, poolSize, runId);
  const readers = await Promise.all(READER_PATHS.map((path) => presign(local, path, 'GET')));
  const url = local.apiUrl;
  let next = 0;
  const putLatencies: number[] = [];
  const cpuBefore = await sampleCpu();
  const producers = runCannon(
    {
      url,
      connections: a.producerConnections,
      duration: durationSeconds,
      timeout: a.requestTimeoutSeconds,
      requests: [
        {
          setupRequest: (request: autocannon.Request) => {
            const presigned = pool[next++];
            if (!presigned) {
              // Never reached at the sizes above; if it is, the run stops early rather than repeat ids.
              tally.poolExhausted = true;
              producers.instance.stop();
            }
            return { ...request, ...(presigned ?? pool[pool.length - 1]) };
          },
          onResponse: (status: number, body: string) => recordPutResponse(tally, status, body),
        },
      ],
    },
    putLatencies,
  );
  const readerLatencies: number[] = [];
  const lookups = runCannon(
    {
      url,
      connections: a.readerConnections,
      duration: durationSeconds,
      timeout: a.requestTimeoutSeconds,
      requests: readers.map((reader) => ({ ...reader })),
    },
    readerLatencies,
  );
  progress(
    `load: ${a.producerConnections} producer and ${a.readerConnections} reader connections for ${durationSeconds} s`,
  );
  const [producerResult, readerResult] = await Promise.all([producers.done, lookups.done]);
  tally.latenciesMs.push(...putLatencies, ...readerLatencies);
  return { producerResult, readerResult, putLatencies, readerLatencies, producerIds, cpuBefore };
}

const errorsOf = (result: autocannon.Result): number => result.errors + result.non2xx;

/** autocannon counts timeouts among `errors`; non-2xx answers apart, by status code. */
const errorKinds = (result: autocannon.Result) => ({
  connectionErrors: result.errors - result.timeouts,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  statusCodes: Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, Number(stats.count)]),
  ),
});

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * What a delivered line is: an accepted event, one answered as failed (stored all the same), one put in a request
 * whose answer never came (in flight when the run stopped), or an insight event.
 */
type LineKind = 'accepted' | 'refused' | 'unanswered' | 'insight' | 'unknown';

/** Who sent what: the pool's producer ids by requestID, and the producer ids answered as failed. */
interface Senders {
  readonly producerIds: ReadonlyMap<string, string>;
  readonly refused: ReadonlySet<string>;
}

interface Delivery {
  /** Distinct eventIDs by kind. */
  readonly found: Record<LineKind, number>;
  /** Lines beyond the first for the same eventID. */
  readonly duplicates: number;
}

function kindOf(
  accepted: ReadonlySet<string>,
  senders: Senders,
  eventID: string,
  record: { requestID?: string; eventCategory?: string },
): LineKind {
  if (accepted.has(eventID)) return 'accepted';
  const producerId = record.requestID === undefined ? undefined : senders.producerIds.get(record.requestID);
  if (producerId !== undefined) return senders.refused.has(producerId) ? 'refused' : 'unanswered';
  return record.eventCategory === 'Insight' ? 'insight' : 'unknown';
}

/** Classifies the records in NDJSON lines or log messages by eventID. */
function delivery(accepted: ReadonlySet<string>, senders: Senders, lines: readonly string[]): Delivery {
  const kinds = new Map<string, LineKind>();
  let duplicates = 0;
  for (const line of lines) {
    const record = JSON.parse(line) as { eventID?: string; requestID?: string; eventCategory?: string };
    if (record.eventID === undefined) continue;
    if (kinds.has(record.eventID)) {
      duplicates += 1;
      continue;
    }
    kinds.set(record.eventID, kindOf(accepted, senders, record.eventID, record));
  }
  const found: Record<LineKind, number> = { accepted: 0, refused: 0, unanswered: 0, insight: 0, unknown: 0 };
  for (const kind of kinds.values()) found[kind] += 1;
  return { found, duplicates };
}

/**
 * Waits (bounded) until both consumers have handled every record they read, the same number each, and nothing
 * moved for two polls (longer than an idle poller waits between reads). A stream record carries one event or a
 * request's page of events, so the records handled bound the accepted events only from below (a request holds at
 * most eventsPerRequest); the stream also carries events whose answers were lost or refused, so "accepted" is not
 * the end of it either. Then the archive and the log group are read once.
 */
async function drain(local: LocalHandle, accepted: number): Promise<number> {
  const started = Date.now();
  const snapshots: string[] = [];
  for (;;) {
    const { archive, logForward } = local.streamStats();
    const handled = (stats: typeof archive) => stats.recordsDelivered + stats.recordsSentToDlq;
    const caughtUp = [archive, logForward].every(
      (stats) =>
        handled(stats) * LOAD_DEFAULTS.eventsPerRequest >= accepted &&
        handled(stats) === stats.recordsRead - stats.recordsFilteredOut,
    );
    const snapshot = JSON.stringify([archive, logForward]);
    snapshots.push(snapshot);
    if (snapshots.length > 3) snapshots.shift();
    const unmoved = snapshots.length === 3 && snapshots.every((earlier) => earlier === snapshot);
    if (caughtUp && handled(archive) === handled(logForward) && unmoved) {
      return (Date.now() - started) / 1000;
    }
    if (Date.now() - started > LOAD_DEFAULTS.drainTimeoutMs) {
      progress(`load: pipeline not drained after ${LOAD_DEFAULTS.drainTimeoutMs / 1000} s: ${snapshot}`);
      return (Date.now() - started) / 1000;
    }
    await sleep(2000);
  }
}

/** How many of the events GET /events/{eventId} answers with a 200, asked through local mode's API as a reader. */
async function foundByLookup(local: LocalHandle, eventIDs: readonly string[]): Promise<number> {
  let found = 0;
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < eventIDs.length; index = next++) {
      const url = new URL(`/events/${encodeURIComponent(eventIDs[index] as string)}`, local.apiUrl);
      const response = await signedFetch(url, {
        method: 'GET',
        credentials: local.readerCredentials,
        region: local.region,
        timeoutMs: LOAD_DEFAULTS.requestTimeoutSeconds * 1000,
      });
      await response.body?.cancel();
      if (response.status === 200) found += 1;
    }
  };
  await Promise.all(Array.from({ length: FIND_CONCURRENCY }, worker));
  return found;
}

async function reconcile(local: LocalHandle, eventIDs: readonly string[], senders: Senders) {
  const accepted = new Set(eventIDs);
  const dynamodb = new DynamoDBClient(clientSettingsFor(local.aws, 'dynamodb'));
  const reader = pipelineReader(local);
  try {
    const stored = await new DynamoDbEventStore(dynamodb, local.tableName).readRecords(eventIDs);
    // What local mode's Firehose still buffers (up to the stack's minute) is written now, as at a stream's end.
    await local.firehose.flush();
    const archived = delivery(
      accepted,
      senders,
      (await reader.archiveLines(local.pipeline.bucketName)).map(({ line }) => line),
    );
    const forwarded = delivery(accepted, senders, await reader.logMessages(local.pipeline.logGroupName));
    return { stored: stored.size, lookedUp: await foundByLookup(local, eventIDs), archived, forwarded };
  } finally {
    dynamodb.destroy();
    reader.destroy();
  }
}

export async function runLoad(
  options: { durationSeconds?: number; dynamodb?: DynamoDbEmulator } = {},
): Promise<Outcome> {
  const durationSeconds = options.durationSeconds ?? LOAD_DEFAULTS.durationSeconds;
  // The switch `npm start` reads: the same emulators as local mode runs on.
  const dynamodb = options.dynamodb ?? dynamodbEmulatorOf(process.env.OPENTRAIL_DYNAMODB) ?? 'ministack';
  const logTail: string[] = [];
  const local = await startLocal({
    dynamodb,
    log: (line) => {
      logTail.push(line);
      if (logTail.length > 20) logTail.shift();
    },
  });
  const loadBefore = loadavg()[0] ?? 0;
  const tally: Tally = {
    accepted: new Map(),
    failedEvents: new Map(),
    refused: new Set(),
    latenciesMs: [],
    poolExhausted: false,
  };
  try {
    // The handlers log one JSON line per request and batch to stdout, as in Lambda: keep it off the table.
    const { value } = await withMutedStdout(async () => {
      const run = await drive(local, durationSeconds, tally);
      const cpuSeconds = cpuSecondsBetween(run.cpuBefore, await sampleCpu());
      const acceptedIds = [...new Set(tally.accepted.values())];
      progress(`load: ${acceptedIds.length} events accepted; waiting for the pipeline to drain`);
      const drainSeconds = await drain(local, acceptedIds.length);
      progress('load: reconciling the table, the archive and the log group');
      const found = await reconcile(local, acceptedIds, {
        producerIds: run.producerIds,
        refused: tally.refused,
      });
      return { run, acceptedIds, drainSeconds, found, cpuSeconds };
    });
    const machineLoad = { before: round(loadBefore, 1), after: round(loadavg()[0] ?? 0, 1) };
    return outcome({ durationSeconds, dynamodb, tally, ...value, stats: local.streamStats(), machineLoad });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlocal mode log:\n${logTail.join('\n')}`);
  } finally {
    await local.stop();
  }
}

interface LoadRun {
  readonly durationSeconds: number;
  readonly dynamodb: DynamoDbEmulator;
  /** CPU seconds of this process and of each emulator while the load ran (Linux; the emulators left out elsewhere). */
  readonly cpuSeconds: Record<string, number>;
  readonly run: Awaited<ReturnType<typeof drive>>;
  readonly tally: Tally;
  readonly acceptedIds: readonly string[];
  readonly drainSeconds: number;
  readonly found: Awaited<ReturnType<typeof reconcile>>;
  readonly stats: ReturnType<LocalHandle['streamStats']>;
  /** The machine's 1-minute load average before and after the run (it has other work on it). */
  readonly machineLoad: { readonly before: number; readonly after: number };
}

function outcome({
  durationSeconds,
  dynamodb,
  cpuSeconds,
  run,
  tally,
  acceptedIds,
  drainSeconds,
  found,
  stats,
  machineLoad,
}: LoadRun): Outcome {
  const { producerResult, readerResult } = run;
  const requests = producerResult.requests.total + readerResult.requests.total;
  const errors = errorsOf(producerResult) + errorsOf(readerResult);
  const seconds = Math.max(producerResult.duration, readerResult.duration);
  const accepted = acceptedIds.length;
  const archived = found.archived.found;
  const forwarded = found.forwarded.found;
  const reconciled =
    found.stored === accepted &&
    found.lookedUp === accepted &&
    archived.accepted === accepted &&
    forwarded.accepted === accepted &&
    archived.unanswered === forwarded.unanswered &&
    archived.refused === forwarded.refused &&
    archived.unknown + forwarded.unknown === 0;
  const reconciliation: Status = reconciled ? 'PASS' : 'MISS';
  const p50Ms = round(percentile(tally.latenciesMs, 50), 1);
  const p99Ms = round(percentile(tally.latenciesMs, 99), 1);
  const acceptedPerSecond = round(accepted / seconds, 1);
  const acceptedStatus: Status = acceptedPerSecond >= ACCEPTED_PER_SECOND_TARGET.min ? 'PASS' : 'MISS';
  const putP99Ms = round(percentile(run.putLatencies, 99), 1);
  const lookupP99Ms = round(percentile(run.readerLatencies, 99), 1);
  const result = {
    requests,
    errors,
    p50Ms,
    p99Ms,
    accepted,
    acceptedPerSecond,
    putP99Ms,
    lookupP99Ms,
    stored: found.stored,
    lookedUp: found.lookedUp,
    archived: archived.accepted,
    forwarded: forwarded.accepted,
    targets: {
      errors: { ...LOAD_TARGETS.errors, status: statusOf(errors, LOAD_TARGETS.errors) },
      acceptedPerSecond: { ...ACCEPTED_PER_SECOND_TARGET, status: acceptedStatus },
      putP99Ms: { ...LOAD_TARGETS.putP99Ms, status: statusOf(putP99Ms, LOAD_TARGETS.putP99Ms) },
      lookupP99Ms: { ...LOAD_TARGETS.lookupP99Ms, status: statusOf(lookupP99Ms, LOAD_TARGETS.lookupP99Ms) },
      reconciliation: { status: reconciliation },
    },
    detail: {
      durationSeconds,
      dynamodb,
      cpuSecondsDuringLoad: Object.fromEntries(
        Object.entries(cpuSeconds).map(([name, seconds]) => [name, round(seconds, 1)]),
      ),
      requestsPerSecond: round(requests / seconds, 1),
      producers: {
        connections: LOAD_DEFAULTS.producerConnections,
        eventsPerRequest: LOAD_DEFAULTS.eventsPerRequest,
        requests: producerResult.requests.total,
        errors: errorsOf(producerResult),
        errorKinds: errorKinds(producerResult),
        p50Ms: producerResult.latency.p50,
        p99Ms: producerResult.latency.p99,
        failedEventsByCode: Object.fromEntries(tally.failedEvents),
        poolExhausted: tally.poolExhausted,
      },
      readers: {
        connections: LOAD_DEFAULTS.readerConnections,
        paths: READER_PATHS,
        requests: readerResult.requests.total,
        errors: errorsOf(readerResult),
        errorKinds: errorKinds(readerResult),
        p50Ms: readerResult.latency.p50,
        p99Ms: readerResult.latency.p99,
        medianMs: round(median(run.readerLatencies.length > 0 ? run.readerLatencies : [0]), 1),
      },
      drainSeconds: round(drainSeconds, 1),
      machineLoadAverage: machineLoad,
      duplicates: { archive: found.archived.duplicates, logs: found.forwarded.duplicates },
      delivered: { archive: archived, logs: forwarded },
      streamStats: stats,
    },
  };
  const rows: Row[] = [
    { metric: 'requests/s (producers + readers)', value: String(round(requests / seconds, 1)) },
    {
      metric: 'requests: producers / readers',
      value: `${producerResult.requests.total} / ${readerResult.requests.total}`,
    },
    {
      metric: 'errors (connection, timeout, non-2xx)',
      value: String(errors),
      target: `<= ${LOAD_TARGETS.errors.max}`,
      status: statusOf(errors, LOAD_TARGETS.errors),
    },
    { metric: 'latency p50 / p99 ms (all requests)', value: `${p50Ms} / ${p99Ms}` },
    targetRow('put latency p99 ms (putP99Ms)', putP99Ms, String(putP99Ms), LOAD_TARGETS.putP99Ms),
    targetRow(
      'lookup latency p99 ms (lookupP99Ms)',
      lookupP99Ms,
      String(lookupP99Ms),
      LOAD_TARGETS.lookupP99Ms,
    ),
    {
      metric: 'accepted events/s (acceptedPerSecond)',
      value: String(acceptedPerSecond),
      target: `>= ${ACCEPTED_PER_SECOND_TARGET.min}`,
      status: acceptedStatus,
    },
    {
      metric: 'events refused in 200 answers, by code',
      value: JSON.stringify(Object.fromEntries(tally.failedEvents)),
    },
    {
      metric: 'accepted = stored = looked up = archived = forwarded',
      value: `${accepted} = ${found.stored} = ${found.lookedUp} = ${archived.accepted} = ${forwarded.accepted}`,
      target: 'all equal',
      status: reconciliation,
    },
  ];
  const notes = [
    `load: ${durationSeconds} s against local mode on 127.0.0.1 (handlers in this process, DynamoDB on ${dynamodb} and the rest on moto in child processes, all on this machine's shared CPUs; CPU seconds while the load ran: ${JSON.stringify(result.detail.cpuSecondsDuringLoad)}): ${LOAD_DEFAULTS.producerConnections} autocannon connections POST /events with ${LOAD_DEFAULTS.eventsPerRequest} varied events per request, each with a producer id unique to the run, from a pool of SigV4-signed requests; ${LOAD_DEFAULTS.readerConnections} connection(s) cycle through ${READER_PATHS.length} signed lookups (${READER_PATHS.join(', ')}). Latency percentiles over every response of both.`,
    `load: accepted = distinct eventIDs answered as successful (${accepted}); stored = those read back from the table with BatchGetItem (${found.stored}); looked up = those GET /events/{eventId} answers through the API afterwards (${found.lookedUp}); archived = those found in the archive bucket's NDJSON lines (${archived.accepted}, ${found.archived.duplicates} duplicate lines); forwarded = those found in the log group (${forwarded.accepted}, ${found.forwarded.duplicates} duplicates). Also delivered: events answered as failed (Throttling) but stored all the same: ${archived.refused} archived, ${forwarded.refused} forwarded; events of requests still in flight when autocannon stopped (answer dropped): ${archived.unanswered} / ${forwarded.unanswered}; insight events: ${archived.insight} / ${forwarded.insight}; unrecognised: ${archived.unknown} / ${forwarded.unknown}. The pipeline drained ${round(drainSeconds, 1)} s after the load stopped.`,
    `load: errors by kind: producers ${JSON.stringify(errorKinds(producerResult))}, readers ${JSON.stringify(errorKinds(readerResult))}; this machine's 1-minute load average was ${machineLoad.before} before and ${machineLoad.after} after the run (2 CPUs, shared with other work): latency and throughput here say more about the machine than about OpenTrail.`,
    reconciled
      ? 'load: reconciled: nothing accepted was lost.'
      : `load: MISS: the counts do not reconcile (stream pollers: ${JSON.stringify(stats)}).`,
    ...(tally.failedEvents.size > 0
      ? [
          `load: events refused inside 200 answers: ${JSON.stringify(Object.fromEntries(tally.failedEvents))}.`,
        ]
      : []),
    ...(tally.poolExhausted ? ['load: the pre-signed producer pool ran out: the run stopped early.'] : []),
  ];
  return { name: 'load', result, rows, notes };
}
