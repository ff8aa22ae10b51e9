import { isDeepStrictEqual } from 'node:util';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  catalogItem,
  claimItem,
  DynamoDbEventStore,
  writeItems,
} from '../lambda/adapters/dynamodb-event-store.js';
import type { HttpEvent } from '../lambda/adapters/http.js';
import { type ProducerEvent, validateProducerEvent } from '../lambda/core/event-model.js';
import { owningPrincipal } from '../lambda/core/iam-principal.js';
import { parsePutEventsBody, putEvents } from '../lambda/core/ingest.js';
import { idempotencyKey, POSTING_FAMILIES, producerIdScope } from '../lambda/core/keys.js';
import type { EventWriter, StoredEvent, WriteResult } from '../lambda/core/ports.js';
import { createIngestHandler } from '../lambda/routes/ingest.js';
import { startLocal } from '../local/runner.js';
import { ACCOUNT_ID, jsonBytes, largeEvent, typicalBatch, typicalEvent } from '../test/fixtures/events.js';
import { type Item, MemoryEventStore } from '../test/fixtures/memory-store.js';
import { variedEvents } from '../test/fixtures/traffic.js';
import { signedFetch } from '../test/support/signed-fetch.js';
import { itemBytes, tableWriteCosts, totalWru, type WriteCost, writeUnits } from './support/capacity.js';
import { cpuMicrosPerCall, median, progress, round, withMutedStdout } from './support/measure.js';
import { type Outcome, type Row, statusOf, type Target, targetRow } from './support/report.js';
import { benchIngestOptions as ingestOptions, PRODUCER_ARN } from './support/stored-events.js';

/**
 * `npm run bench -- ingest`: what one event costs to store (WRU, from DynamoDB's size rules applied to the exact
 * items the adapter writes), what the ingest route costs in CPU next to plain JSON handling, and how much
 * batching gains end to end through local mode.
 */

export const INGEST_TARGETS = {
  wruPerTypicalEvent: { max: 1.5 },
  handlerCpuRatio: { max: 3 },
} as const satisfies Record<string, Target>;

export const TABLE_NAME = 'bench';
const BATCH_SIZE = 100;

export function labelItem(item: Item): string {
  const pk = item.pk?.S ?? '';
  if (pk.startsWith('E#')) return 'event item';
  if (pk.startsWith('C#')) return `catalog item ${pk}`;
  if (pk.startsWith('ID#')) return 'producer-id claim item';
  const family = Object.entries(POSTING_FAMILIES).find(([, prefix]) => pk.startsWith(`${prefix}#`));
  if (family) return `${family[0]} posting list`;
  return `item ${pk}`;
}

const describeCosts = (costs: readonly WriteCost[]): string =>
  costs.map((cost) => `${cost.what} ${cost.bytes} B = ${cost.wru}`).join('; ');

/** Costs with the same label summed: how many items of each kind a write makes, their bytes and WRU. */
function costsByKind(costs: readonly WriteCost[]): WriteCost[] {
  const byKind = new Map<string, { what: string; bytes: number; wru: number; items: number }>();
  for (const cost of costs) {
    const kind = byKind.get(cost.what) ?? { what: cost.what, bytes: 0, wru: 0, items: 0 };
    kind.bytes += cost.bytes;
    kind.wru += cost.wru;
    kind.items += 1;
    byKind.set(cost.what, kind);
  }
  return [...byKind.values()].map(({ what, bytes, wru, items }) => ({
    what: `${items} x ${what}`,
    bytes,
    wru,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// 1. WRU per event

interface WriteFootprint {
  readonly events: number;
  readonly requests: number;
  readonly wruPerEvent: number;
  readonly items: readonly WriteCost[];
}

/**
 * Puts `requests` through the real putEvents into the test kit's table and prices the items the adapter writes for
 * each request (writeItems: event items and the request's posting lists), per event stored.
 */
async function footprintOf(
  requests: readonly (readonly ProducerEvent[])[],
  nowMs: number,
): Promise<WriteFootprint & { readonly store: MemoryEventStore; readonly stored: StoredEvent[][] }> {
  const store = new MemoryEventStore();
  const stored: StoredEvent[][] = [];
  for (const request of requests) {
    const before = store.storedEvents.length;
    const result = await putEvents(request, store, ingestOptions(nowMs));
    if (result.failed.length > 0) {
      throw new Error(`the benchmark events were refused: ${JSON.stringify(result.failed.slice(0, 3))}`);
    }
    stored.push(store.storedEvents.slice(before));
  }
  const costs = stored.flatMap((events) =>
    tableWriteCosts(
      writeItems(events).map(({ item }) => item),
      labelItem,
    ),
  );
  const events = stored.reduce((sum, events) => sum + events.length, 0);
  return {
    store,
    stored,
    events,
    requests: requests.length,
    wruPerEvent: round(totalWru(costs) / events, 3),
    items: costsByKind(costs),
  };
}

/**
 * The items computed here must be the items DynamoDbEventStore really sends, or the WRU figures describe
 * another table. The adapter runs against a mocked client and its BatchWriteItem/PutItem inputs are compared.
 */
async function checkAgainstAdapter(
  store: MemoryEventStore,
  stored: readonly StoredEvent[],
  producerId: string,
): Promise<void> {
  const dynamodb = mockClient(DynamoDBClient);
  try {
    dynamodb.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
    dynamodb.on(PutItemCommand).resolves({});
    const adapter = new DynamoDbEventStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE_NAME);
    const catalog = store.catalogWrites;
    const expiresAt = catalog[0]?.expiresAt ?? 0;
    await adapter.writeCatalog(
      catalog.map(({ entry }) => entry),
      expiresAt,
    );
    await adapter.writeEvents(stored);
    // Any content hash will do: the check compares the items' shape.
    const contentHash = 'content-hash';
    const first = stored[0] as StoredEvent;
    const claim = {
      scope: producerId,
      eventID: first.eventID,
      expiresAt: first.expiresAt,
      contentHash,
      claimedAtMs: Date.now(),
    };
    await adapter.claimProducerId(claim);
    const sent = dynamodb
      .commandCalls(BatchWriteItemCommand)
      .flatMap((call) => (call.args[0].input as BatchWriteItemCommandInput).RequestItems?.[TABLE_NAME] ?? [])
      .map((request) => request.PutRequest?.Item);
    const expected = [
      ...catalog.map(({ entry }) => catalogItem(entry, expiresAt)),
      ...writeItems(stored).map(({ item }) => item),
    ];
    const claimSent = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    if (!isDeepStrictEqual(sent, expected)) {
      throw new Error(`the adapter writes other items than the benchmark models:\n${JSON.stringify(sent)}`);
    }
    if (!isDeepStrictEqual(claimSent, claimItem(claim))) {
      throw new Error(`the adapter's producer-id claim differs from the model: ${JSON.stringify(claimSent)}`);
    }
  } finally {
    dynamodb.restore();
  }
}

/**
 * Every event with keys of its own (eventName, user, access key, resource name and type): no two events of a
 * request share a posting list, the most a producer can make the table write per event.
 */
function adversarialBatch(count: number, nowMs: number): ProducerEvent[] {
  return typicalBatch(count, nowMs).map((event, i) => ({
    ...event,
    eventName: `${event.eventName}${i}`,
    userIdentity: {
      ...event.userIdentity,
      userName: `user-${i}`,
      principalId: `AIDA${String(i).padStart(17, '0')}`,
      accessKeyId: `AKIA${String(i).padStart(16, '0')}`,
    },
    resources: (event.resources ?? []).map((resource) => ({ ...resource, type: `${resource.type}${i}` })),
  }));
}

/** Varied traffic as producers send it: events in time order, 100 consecutive ones per request. */
function variedRequests(count: number, nowMs: number): ProducerEvent[][] {
  const events = variedEvents(count, nowMs, 10 * 60_000).sort((a, b) =>
    (a.eventTime as string) < (b.eventTime as string) ? -1 : 1,
  );
  return Array.from({ length: Math.ceil(count / BATCH_SIZE) }, (_, i) =>
    events.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE),
  );
}

async function measureWru(nowMs: number) {
  const eventTime = new Date(nowMs - 60_000).toISOString();
  const typical = typicalEvent(eventTime);
  const batched = await footprintOf([typicalBatch(BATCH_SIZE, nowMs)], nowMs);
  const single = await footprintOf([[typical]], nowMs);
  const large = await footprintOf([[largeEvent(eventTime)]], nowMs);
  const varied = await footprintOf(variedRequests(10 * BATCH_SIZE, nowMs), nowMs);
  const adversarial = await footprintOf([adversarialBatch(BATCH_SIZE, nowMs)], nowMs);

  const producerId = 'order-7f3c9a12-status-1';
  const withId = await footprintOf([[{ ...typical, id: producerId }]], nowMs);
  // Scoped as ingest scopes it: to the principal that put it (the bench's producer role).
  const scope = producerIdScope(typical.eventSource, producerId, '', owningPrincipal(PRODUCER_ARN));
  const claim = withId.store.getItem(idempotencyKey(scope));
  if (!claim) throw new Error('an event with an id made no producer-id claim');
  const claimBytes = itemBytes(claim);

  const catalogCosts = tableWriteCosts(
    batched.store.catalogWrites.map(({ entry, expiresAt }) => catalogItem(entry, expiresAt)),
    labelItem,
  );
  await checkAgainstAdapter(batched.store, batched.stored[0] ?? [], producerId);
  const typicalStored = single.stored[0]?.[0] as StoredEvent;
  return {
    batched,
    single,
    large,
    varied,
    adversarial,
    producerJsonBytes: jsonBytes(typical),
    recordJsonBytes: Buffer.byteLength(typicalStored.recordJson),
    producerIdClaim: { bytes: claimBytes, wru: writeUnits(claimBytes) },
    catalogCosts,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Handler CPU next to JSON.parse + JSON.stringify

/**
 * A writer that builds the items the table would get (the record encoding included: it is CPU the ingest function
 * spends) and stores nothing: the route's own cost is what is measured, not DynamoDB's round trip.
 */
export class NullWriter implements EventWriter {
  async writeCatalog(entries: readonly unknown[]): Promise<WriteResult[]> {
    return entries.map(() => ({ ok: true }));
  }
  async writeEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    writeItems(events);
    return events.map(() => ({ ok: true }));
  }
  restoreEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    return this.writeEvents(events);
  }

  async claimProducerId(): Promise<{ claimed: true }> {
    return { claimed: true };
  }
  async reassignProducerId(): Promise<boolean> {
    return true;
  }
  async releaseProducerIds(): Promise<void> {}
  async readRecord(): Promise<undefined> {
    return undefined;
  }
}

/** The event API Gateway (HTTP API, payload 2.0, IAM auth) hands the function for POST /events. */
export function apiGatewayEvent(body: string, nowMs: number): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'POST /events',
    rawPath: '/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'bench00001',
      authorizer: {
        iam: {
          accessKey: 'AKIAIOSFODNN7EXAMPLE',
          accountId: ACCOUNT_ID,
          callerId: 'AROAEXAMPLEID:producer',
          cognitoIdentity: null,
          principalOrgId: 'o-example',
          userArn: PRODUCER_ARN,
          userId: 'AROAEXAMPLEID:producer',
        },
      },
      domainName: 'bench00001.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'bench00001',
      http: {
        method: 'POST',
        path: '/events',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'bench',
      },
      requestId: 'bench-request',
      routeKey: 'POST /events',
      stage: '$default',
      time: new Date(nowMs).toUTCString(),
      timeEpoch: nowMs,
    },
    body,
    isBase64Encoded: false,
  };
}

export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'opentrail-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:opentrail-ingest`,
  memoryLimitInMB: '512',
  awsRequestId: 'bench-invocation',
  logGroupName: '/aws/lambda/opentrail-ingest',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 15_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

const CPU_ROUNDS = 5;

async function measureHandlerCpu(nowMs: number) {
  const body = JSON.stringify({ events: typicalBatch(BATCH_SIZE, nowMs) });
  const handler = createIngestHandler({
    config: { tableName: TABLE_NAME, region: 'us-east-1', retentionDays: 90, writeShards: 16 },
    writer: new NullWriter(),
  });
  const request = apiGatewayEvent(body, nowMs);
  const { value: first } = await withMutedStdout(() => handler(request, lambdaContext));
  const stored = (JSON.parse(first.body ?? '{}') as { successful?: unknown[] }).successful?.length;
  if (first.statusCode !== 200 || stored !== BATCH_SIZE) {
    throw new Error(
      `the ingest route did not accept the batch: ${first.statusCode} ${first.body?.slice(0, 300)}`,
    );
  }

  const options = ingestOptions(nowMs);
  const writer = new NullWriter();
  const parsed = parsePutEventsBody(body);
  const parts = {
    baseline: () => JSON.stringify(JSON.parse(body)),
    parse: () => parsePutEventsBody(body),
    validate: () => parsed.map(validateProducerEvent),
    putEvents: () => putEvents(parsePutEventsBody(body), writer, { ...options, receivedAtMs: Date.now() }),
    handler: () => handler(request, lambdaContext),
  };
  const samples: Record<keyof typeof parts, number[]> = {
    baseline: [],
    parse: [],
    validate: [],
    putEvents: [],
    handler: [],
  };
  await withMutedStdout(async () => {
    // Rounds alternate, so drift (frequency scaling, GC, other load on the machine) hits every part alike.
    for (let pass = 0; pass < CPU_ROUNDS; pass++) {
      samples.baseline.push((await cpuMicrosPerCall(parts.baseline, 400, 100)).cpuUs);
      samples.parse.push((await cpuMicrosPerCall(parts.parse, 400, 100)).cpuUs);
      samples.validate.push((await cpuMicrosPerCall(parts.validate, 100, 25)).cpuUs);
      samples.putEvents.push((await cpuMicrosPerCall(parts.putEvents, 100, 25)).cpuUs);
      samples.handler.push((await cpuMicrosPerCall(parts.handler, 100, 25)).cpuUs);
    }
  });
  const perRequest = {
    baseline: median(samples.baseline),
    parse: median(samples.parse),
    validate: median(samples.validate),
    putEvents: median(samples.putEvents),
    handler: median(samples.handler),
  };
  return { bodyBytes: Buffer.byteLength(body), perRequest, ratio: perRequest.handler / perRequest.baseline };
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Batched vs single requests through local mode

const CLIENTS = 4;
const EVENTS_PER_BLOCK = 500;

interface LocalApi {
  readonly apiUrl: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

async function post(api: LocalApi, events: readonly ProducerEvent[]): Promise<void> {
  const body = JSON.stringify(events.length === 1 ? events[0] : { events });
  const response = await signedFetch(`${api.apiUrl}/events`, {
    method: 'POST',
    body,
    credentials: api.credentials,
    region: api.region,
    timeoutMs: 60_000,
  });
  const text = await response.text();
  const stored =
    response.status === 200 ? (JSON.parse(text) as { successful?: unknown[] }).successful?.length : 0;
  if (stored !== events.length)
    throw new Error(`POST /events answered ${response.status}: ${text.slice(0, 300)}`);
}

/** Sends the requests with CLIENTS concurrent clients; returns the seconds it took. */
async function sendAll(api: LocalApi, requests: readonly ProducerEvent[][]): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let mine = next++; mine < requests.length; mine = next++) await post(api, requests[mine] ?? []);
    }),
  );
  return (performance.now() - start) / 1000;
}

const chunk = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function measureBatching() {
  const logTail: string[] = [];
  const local = await startLocal({
    log: (line) => {
      logTail.push(line);
      if (logTail.length > 20) logTail.shift();
    },
  });
  try {
    // The events name the local trail's account as recipient (provenance: lambda/core/provenance.ts).
    const events = (count: number) =>
      typicalBatch(count, Date.now()).map((event) => ({ ...event, recipientAccountId: local.accountId }));
    const { value } = await withMutedStdout(async () => {
      await sendAll(local, [events(BATCH_SIZE), ...chunk(events(20), 1)]);
      // A-B-B-A blocks, so a table that grows (or a machine that warms up) does not favour either mode.
      const seconds = { single: 0, batched: 0 };
      for (const mode of ['single', 'batched', 'batched', 'single'] as const) {
        const size = mode === 'single' ? 1 : BATCH_SIZE;
        seconds[mode] += await sendAll(local, chunk(events(EVENTS_PER_BLOCK), size));
        progress(`  ${mode}: ${EVENTS_PER_BLOCK} events sent`);
      }
      return seconds;
    });
    const total = 2 * EVENTS_PER_BLOCK;
    const single = total / value.single;
    const batched = total / value.batched;
    return {
      eventsEachWay: total,
      clients: CLIENTS,
      singleEventsPerSecond: single,
      batchedEventsPerSecond: batched,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlocal mode log:\n${logTail.join('\n')}`);
  } finally {
    await local.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------

export async function runIngest(): Promise<Outcome> {
  const nowMs = Date.now();
  progress('ingest: WRU per event');
  const wru = await measureWru(nowMs);
  progress('ingest: handler CPU (100-event batch)');
  const cpu = await measureHandlerCpu(nowMs);
  progress(`ingest: batched vs single through local mode (${2 * EVENTS_PER_BLOCK} events each way)`);
  const batching = await measureBatching();

  const perEvent = (us: number) => round(us / BATCH_SIZE, 1);
  const handlerCpuRatio = round(cpu.ratio, 2);
  const batchedVsSingleRatio = round(batching.batchedEventsPerSecond / batching.singleEventsPerSecond, 2);
  const catalogWru = totalWru(wru.catalogCosts);
  const result = {
    wruPerTypicalEvent: wru.batched.wruPerEvent,
    wruPerVariedEvent: wru.varied.wruPerEvent,
    wruPerSingleEvent: wru.single.wruPerEvent,
    wruPerAdversarialEvent: wru.adversarial.wruPerEvent,
    wruPer10kbEvent: wru.large.wruPerEvent,
    handlerCpuRatio,
    batchedVsSingleRatio,
    targets: {
      wruPerTypicalEvent: {
        ...INGEST_TARGETS.wruPerTypicalEvent,
        status: statusOf(wru.batched.wruPerEvent, INGEST_TARGETS.wruPerTypicalEvent),
      },
      handlerCpuRatio: {
        ...INGEST_TARGETS.handlerCpuRatio,
        status: statusOf(handlerCpuRatio, INGEST_TARGETS.handlerCpuRatio),
      },
    },
    detail: {
      typicalEvent: {
        producerJsonBytes: wru.producerJsonBytes,
        recordJsonBytes: wru.recordJsonBytes,
        batchedWrites: wru.batched.items,
        singleWrites: wru.single.items,
      },
      variedWrites: { events: wru.varied.events, requests: wru.varied.requests, writes: wru.varied.items },
      adversarialWrites: wru.adversarial.items,
      largeEventWrites: wru.large.items,
      producerIdClaimWru: wru.producerIdClaim.wru,
      catalogWruPerRefresh: catalogWru,
      catalogWrites: wru.catalogCosts,
      cpu: {
        requestBodyBytes: cpu.bodyBytes,
        eventsPerRequest: BATCH_SIZE,
        cpuMicrosPerEvent: {
          jsonParseAndStringify: perEvent(cpu.perRequest.baseline),
          parseBody: perEvent(cpu.perRequest.parse),
          validateProducerEvent: perEvent(cpu.perRequest.validate),
          putEventsCore: perEvent(cpu.perRequest.putEvents),
          handler: perEvent(cpu.perRequest.handler),
        },
      },
      batching: {
        eventsEachWay: batching.eventsEachWay,
        clients: batching.clients,
        singleEventsPerSecond: round(batching.singleEventsPerSecond, 1),
        batchedEventsPerSecond: round(batching.batchedEventsPerSecond, 1),
      },
    },
  };

  const rows: Row[] = [
    targetRow(
      'WRU per typical event, 100-event requests',
      wru.batched.wruPerEvent,
      String(wru.batched.wruPerEvent),
      INGEST_TARGETS.wruPerTypicalEvent,
    ),
    { metric: 'WRU per varied event, 100-event requests', value: String(wru.varied.wruPerEvent) },
    { metric: 'WRU per typical event, single-event requests', value: String(wru.single.wruPerEvent) },
    { metric: 'WRU per adversarial event (all keys distinct)', value: String(wru.adversarial.wruPerEvent) },
    { metric: 'WRU per 10 KB event, single-event request', value: String(wru.large.wruPerEvent) },
    { metric: '+ WRU when the event carries a producer id', value: String(wru.producerIdClaim.wru) },
    { metric: 'catalog WRU per container refresh (amortised)', value: String(catalogWru) },
    targetRow(
      'handler CPU / JSON parse+stringify',
      handlerCpuRatio,
      handlerCpuRatio.toFixed(2),
      INGEST_TARGETS.handlerCpuRatio,
    ),
    {
      metric: 'CPU µs per event: handler / JSON baseline',
      value: `${perEvent(cpu.perRequest.handler)} / ${perEvent(cpu.perRequest.baseline)}`,
    },
    { metric: 'batched / single events per second', value: batchedVsSingleRatio.toFixed(2) },
    {
      metric: 'events/s through local mode: batched / single',
      value: `${round(batching.batchedEventsPerSecond, 0)} / ${round(batching.singleEventsPerSecond, 0)}`,
    },
  ];
  const notes = [
    `ingest: typical event ${wru.producerJsonBytes} B as sent, ${wru.recordJsonBytes} B as stored; a 100-event request (one event a second) writes: ${describeCosts(wru.batched.items)}; a single-event request: ${describeCosts(wru.single.items)}.`,
    `ingest: varied traffic, ${wru.varied.events} events over 10 minutes in time order, ${wru.varied.requests} requests: ${describeCosts(wru.varied.items)}. Adversarial (every event its own eventName, user, access key, resource name and type): ${describeCosts(wru.adversarial.items)}. 10 KB event: ${describeCosts(wru.large.items)}.`,
    `ingest: WRU per event excludes catalog writes (${describeCosts(wru.catalogCosts)}): the adapter writes each distinct catalog entry at most once per container per hour, so their cost per event tends to zero; it also excludes the producer-id claim (${wru.producerIdClaim.bytes} B = ${wru.producerIdClaim.wru} WRU), paid only by events sent with an id. The table has no index: every write is a table item.`,
    `ingest: CPU µs per event: JSON parse+stringify ${perEvent(cpu.perRequest.baseline)}, parsePutEventsBody ${perEvent(cpu.perRequest.parse)}, putEvents core ${perEvent(cpu.perRequest.putEvents)} (validateProducerEvent alone ${perEvent(cpu.perRequest.validate)}), whole route ${perEvent(cpu.perRequest.handler)} (median of ${CPU_ROUNDS} rounds, ${cpu.bodyBytes} B body, writer building the items the adapter would send (record encoding included) and answering at once, log line built but not printed).`,
    `ingest: batching measured with ${CLIENTS} clients, ${batching.eventsEachWay} events each way, SigV4-signed requests to local mode (clients, HTTP front and handlers share one Node process; moto runs in its own).`,
  ];
  return { name: 'ingest', result, rows, notes };
}
