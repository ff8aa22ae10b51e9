import { eventItems } from '../lambda/adapters/dynamodb-event-store.js';
import { byteLength, type ProducerEvent } from '../lambda/core/event-model.js';
import { countRecords } from '../lambda/core/insights/counters.js';
import { LIMITS } from '../lambda/core/limits.js';
import type { StoredEvent } from '../lambda/core/ports.js';
import { encodeRecord } from '../lambda/core/record-codec.js';
import { TABLE_LAYOUT } from '../lambda/core/table-layout.js';
import { FUNCTIONS, streamMappingOf } from '../lambda/manifest/functions.js';
import { createIngestHandler } from '../lambda/routes/ingest.js';
import { defaultEventLogGroupProps } from '../lib/defaults/logs.js';
import { ARCHIVE_LIFECYCLE_DEFAULTS } from '../lib/defaults/s3.js';
import { typicalBatch, typicalEvent } from '../test/fixtures/events.js';
import { type Item, keysOnlyIndexEntry } from '../test/fixtures/memory-store.js';
import { variedEvents } from '../test/fixtures/traffic.js';
import {
  cloudTrailStages,
  DAYS_PER_MONTH,
  DYNAMODB_ITEM_STORAGE_OVERHEAD_BYTES,
  dynamodbStorageStage,
  dynamodbWriteStage,
  httpApiStage,
  type LambdaConsumerInput,
  lambdaBilledMs,
  lambdaStage,
  MILLION,
  PRICES,
  type StageCost,
  stage,
  summarize,
  type TableClass,
} from './cost-model.js';
import { apiGatewayEvent, lambdaContext, NullWriter, TABLE_NAME } from './ingest.js';
import {
  type CostInputs,
  insightCounterLoad,
  invocationMs,
  measureBytes,
  measureHandlers,
  PIPELINE_ASSUMPTIONS,
  pipelineStages,
  type Scenario,
  streamBatches,
} from './pipeline.js';
import { INDEX_ENTRY_OVERHEAD_BYTES, itemBytes, writeUnits } from './support/capacity.js';
import { cpuMicrosPerCall, median, progress, round, withCapturedStdout } from './support/measure.js';
import { type Outcome, type Row, statusOf, type Target, targetRow } from './support/report.js';
import { storeEvents } from './support/stored-events.js';

/**
 * `npm run bench -- cost`: the all-in cost of a million 1 KB events (API, ingest function, DynamoDB writes and
 * storage for the retention, stream consumers, Firehose, S3 for a year, CloudWatch Logs, insights, KMS) next to
 * CloudTrail's prices for the same volume. Every quantity the repository can measure is measured here (WRU and
 * stored bytes from the adapter's items for events put through the real `putEvents`; the ingest route's CPU and
 * log bytes; the pipeline's bytes and handler CPU as bench -- pipeline measures them; the insight counters'
 * writes); what cannot be measured without AWS is an assumption, printed with the result. Prices: the one table
 * in bench/cost-model.ts.
 */

export const COST_TARGETS = {
  /** All stages, dollars per million 1 KB events (issue 7). */
  allInPerMillionUsd: { max: 3 },
} as const satisfies Record<string, Target>;

/** How long each stored event is kept, the archive's lifecycle, and the log group's retention: the stack's defaults. */
const RETENTION_DAYS = LIMITS.retentionDays.default;
const LOG_GROUP_RETENTION_DAYS = Number(defaultEventLogGroupProps().retention);
/** Months of the archive's first year in S3 Standard before the lifecycle rule moves it to Standard-IA. */
const ARCHIVE_STANDARD_MONTHS = ARCHIVE_LIFECYCLE_DEFAULTS.infrequentAccessAfterDays / DAYS_PER_MONTH;
const STREAM_BATCH_SIZE = streamMappingOf('archive').batchSize;

/** What the cost model takes as given rather than measured; every figure is printed in the notes. */
export const COST_ASSUMPTIONS = {
  /** Steady traffic: fills the buffers and spreads the fixed per-minute costs (insights run) over events. */
  eventsPerSecond: PIPELINE_ASSUMPTIONS.eventsPerSecond,
  /** Memory of each function as the manifest sizes them (lambda/manifest/functions.ts). */
  memoryMb: {
    ingest: FUNCTIONS.ingest.memoryMb,
    streamConsumers: FUNCTIONS.archive.memoryMb,
    insights: FUNCTIONS.insights.memoryMb,
  },
  /** One BatchWriteItem of 25 items from Lambda, waited for; the adapter runs up to 8 at once (not measured here). */
  batchWriteMs: 15,
  parallelBatchWrites: 8,
  /** One counter UpdateItem from the counter consumer; 8 at a time (assumed). */
  updateItemMs: 10,
  parallelUpdates: 8,
  /** The counter mapping gathers up to 1,000 records for up to 5 s (lib/constructs/insights.ts): at 100 events/s, 500. */
  counterEventsPerInvocation: 500,
  /**
   * The insights run, once a minute, per counter key: one Query of the minute counters (0.5 RRU), one strongly
   * consistent GetItem of the state (1 RRU), one PutItem of the state (1 WRU, state under 1 KB) and an hourly
   * rollup write (1/60 WRU a minute); 100 ms plus 5 ms per key at 512 MB.
   */
  insightsRun: { rruPerKey: 1.5, wruPerKey: 1 + 1 / 60, baseMs: 100, msPerKey: 5 },
  /** START, END and REPORT lines Lambda writes per invocation, about. */
  platformLogBytesPerInvocation: PIPELINE_ASSUMPTIONS.platformLogBytesPerInvocation,
  /**
   * The table uses the AWS managed key and the archive bucket SSE-S3 by default (lib/defaults): DynamoDB caches
   * table keys, so KMS requests per event round to zero; S3-managed keys make none.
   */
  kmsRequestsPerObject: 0,
} as const;

/**
 * The access log line the HTTP API writes per request (lib/constructs/trail-api.ts ACCESS_LOG_FIELDS), with
 * realistic values: its size is what the log group ingests.
 */
const ACCESS_LOG_LINE = JSON.stringify({
  requestId: 'Vx3n2gHJoAMEV4Q=',
  ip: '203.0.113.42',
  requestTime: '24/Nov/2026:08:12:57 +0000',
  httpMethod: 'POST',
  routeKey: 'POST /events',
  status: '200',
  protocol: 'HTTP/1.1',
  responseLength: '3412',
  integrationError: '-',
  principal: 'arn:aws:sts::123456789012:assumed-role/orders-producer/i-0a1b2c3d4e5f67890',
});

const CPU_ROUNDS = 5;
/** One Firehose object's worth of typical events at the assumed rate (as bench -- pipeline). */
const PIPELINE_EVENTS = PIPELINE_ASSUMPTIONS.eventsPerSecond * PIPELINE_ASSUMPTIONS.firehoseBufferSeconds;
const MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60;

// ---------------------------------------------------------------------------------------------------------------
// Measurements

/** What storing one event writes, as the adapter writes it. */
export interface EventFootprint {
  readonly wru: number;
  /** Table items (event, resource name, resource type) with their 100 B storage overhead. */
  readonly tableBytes: number;
  /** Index entries with their 100 B overhead. */
  readonly indexBytes: number;
  readonly tableItems: number;
  /** The event item alone. */
  readonly eventItemBytes: number;
}

/** WRU and billed bytes of a set of items, as capacity.ts sizes them. */
export function footprintOf(items: readonly Item[]): EventFootprint {
  let wru = 0;
  let tableBytes = 0;
  let indexBytes = 0;
  for (const item of items) {
    const bytes = itemBytes(item);
    wru += writeUnits(bytes);
    tableBytes += bytes + DYNAMODB_ITEM_STORAGE_OVERHEAD_BYTES;
    for (const index of TABLE_LAYOUT.indexes) {
      const entry = keysOnlyIndexEntry(item, index);
      if (entry === undefined) continue;
      const entryBytes = itemBytes(entry) + INDEX_ENTRY_OVERHEAD_BYTES;
      wru += writeUnits(entryBytes);
      indexBytes += entryBytes;
    }
  }
  const first = items[0];
  return {
    wru,
    tableBytes,
    indexBytes,
    tableItems: items.length,
    eventItemBytes: first ? itemBytes(first) : 0,
  };
}

const mean = (values: readonly number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length;

function averageFootprint(footprints: readonly EventFootprint[]): EventFootprint {
  return {
    wru: mean(footprints.map((f) => f.wru)),
    tableBytes: mean(footprints.map((f) => f.tableBytes)),
    indexBytes: mean(footprints.map((f) => f.indexBytes)),
    tableItems: mean(footprints.map((f) => f.tableItems)),
    eventItemBytes: mean(footprints.map((f) => f.eventItemBytes)),
  };
}

const isResourceTypeItem = (item: Item): boolean =>
  item[TABLE_LAYOUT.partitionKey]?.S?.startsWith('RT#') ?? false;

/** The event item without its byEventName index key: the event is then in one index fewer. */
function withoutEventNameIndex(items: readonly Item[]): Item[] {
  return items.map(({ namePk: _dropped, ...rest }) => rest);
}

interface Footprints {
  readonly typical: EventFootprint;
  readonly varied: EventFootprint;
  readonly withoutResourceType: EventFootprint;
  readonly withoutEventNameIndex: EventFootprint;
  /** The event item in the byUser index only: no resource items, no byEventName entry. */
  readonly minimal: EventFootprint;
  readonly recordJsonBytes: number;
  /** The record as the event item stores it (lambda/core/record-codec.ts). */
  readonly recordStoredBytes: number;
}

function measureFootprints(typical: readonly StoredEvent[], varied: readonly StoredEvent[]): Footprints {
  const itemsOf = typical.map(eventItems);
  const over = (transform: (items: readonly Item[]) => Item[]) =>
    averageFootprint(itemsOf.map((items) => footprintOf(transform(items))));
  return {
    typical: over((items) => [...items]),
    varied: averageFootprint(varied.map((event) => footprintOf(eventItems(event)))),
    withoutResourceType: over((items) => items.filter((item) => !isResourceTypeItem(item))),
    withoutEventNameIndex: over(withoutEventNameIndex),
    minimal: over((items) => withoutEventNameIndex(items).slice(0, 1)),
    recordJsonBytes: mean(typical.map((event) => byteLength(event.recordJson))),
    recordStoredBytes: mean(typical.map((event) => encodeRecord(event.recordJson).byteLength)),
  };
}

interface IngestRequest {
  readonly events: number;
  readonly bodyBytes: number;
  readonly cpuUs: number;
  readonly logBytes: number;
}

/**
 * The ingest route as deployed (createIngestHandler with its parsing, validation, enrichment, metrics and log
 * line), against a writer that answers at once: CPU and stdout bytes per request of `events` typical events.
 */
async function measureIngestRequest(events: readonly ProducerEvent[], nowMs: number): Promise<IngestRequest> {
  const body = JSON.stringify(events.length === 1 ? events[0] : { events });
  const handler = createIngestHandler({
    config: { tableName: TABLE_NAME, region: 'us-east-1', retentionDays: RETENTION_DAYS, writeShards: 16 },
    writer: new NullWriter(),
  });
  const request = apiGatewayEvent(body, nowMs);
  const { value: first } = await withCapturedStdout(() => handler(request, lambdaContext));
  if (first.statusCode !== 200) {
    throw new Error(`the ingest route refused the request: ${first.statusCode} ${first.body?.slice(0, 300)}`);
  }
  const iterations = events.length === 1 ? 400 : 60;
  const warmup = Math.ceil(iterations / 4);
  const { value: samples, bytes } = await withCapturedStdout(async () => {
    const taken: number[] = [];
    for (let round = 0; round < CPU_ROUNDS; round++) {
      taken.push((await cpuMicrosPerCall(() => handler(request, lambdaContext), iterations, warmup)).cpuUs);
    }
    return taken;
  });
  return {
    events: events.length,
    bodyBytes: byteLength(body),
    cpuUs: median(samples),
    logBytes: bytes / (CPU_ROUNDS * (iterations + warmup)),
  };
}

/** The ingest function per request: the measured CPU at its memory's vCPU share, plus its BatchWriteItem waves. */
function ingestFunction(request: IngestRequest, tableItemsPerEvent: number): LambdaConsumerInput {
  const a = COST_ASSUMPTIONS;
  const calls = Math.ceil((request.events * tableItemsPerEvent) / 25);
  const waves = Math.ceil(calls / a.parallelBatchWrites);
  return {
    name: 'ingest fn',
    memoryMb: a.memoryMb.ingest,
    eventsPerInvocation: request.events,
    durationMs: invocationMs(request.cpuUs, a.memoryMb.ingest, waves, a.batchWriteMs),
    logBytesPerInvocation: request.logBytes + a.platformLogBytesPerInvocation,
  };
}

interface InsightsInputs {
  readonly counterWruPerEvent: number;
  readonly updatesPerBatch: number;
  readonly keys: number;
  readonly countCpuUsPerBatch: number;
}

async function measureInsights(varied: readonly StoredEvent[]): Promise<InsightsInputs> {
  const batchSize = COST_ASSUMPTIONS.counterEventsPerInvocation;
  const load = insightCounterLoad(varied, batchSize);
  const batch = varied
    .slice(0, batchSize)
    .map((event, i) => ({ json: event.recordJson, sequenceNumber: String(i) }));
  const samples: number[] = [];
  for (let round = 0; round < CPU_ROUNDS; round++) {
    samples.push((await cpuMicrosPerCall(() => countRecords(batch), 40, 10)).cpuUs);
  }
  return {
    counterWruPerEvent: load.wruPerEvent,
    updatesPerBatch: load.updates / load.batches,
    keys: load.keys,
    countCpuUsPerBatch: median(samples),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The model

export interface AllInInputs {
  readonly ingestRequest: IngestRequest;
  readonly accessLogBytesPerRequest: number;
  readonly footprint: EventFootprint;
  readonly pointInTimeRecovery: boolean;
  readonly tableClass: TableClass;
  readonly pipeline: CostInputs;
  readonly pipelineScenario: Scenario;
  readonly insights: InsightsInputs;
}

/** The insights stage: the counter consumer and its writes per event, and the per-minute run spread over the month's events. */
export function insightsStage(insights: InsightsInputs, eventsPerSecond: number): StageCost {
  const a = COST_ASSUMPTIONS;
  const monthlyEvents = eventsPerSecond * 60 * MINUTES_PER_MONTH;
  const counterMs = invocationMs(
    insights.countCpuUsPerBatch,
    a.memoryMb.insights,
    Math.ceil(insights.updatesPerBatch / a.parallelUpdates),
    a.updateItemMs,
  );
  const runMs = a.insightsRun.baseMs + a.insightsRun.msPerKey * insights.keys;
  const functions = lambdaStage('insights', [
    {
      name: 'insights-counter fn',
      memoryMb: a.memoryMb.insights,
      eventsPerInvocation: a.counterEventsPerInvocation,
      durationMs: counterMs,
      logBytesPerInvocation: a.platformLogBytesPerInvocation,
    },
    {
      name: 'insights run fn (once a minute)',
      memoryMb: a.memoryMb.insights,
      eventsPerInvocation: monthlyEvents / MINUTES_PER_MONTH,
      durationMs: runMs,
      logBytesPerInvocation: 2 * a.platformLogBytesPerInvocation,
    },
  ]);
  const runsPerMillion = (MILLION / monthlyEvents) * MINUTES_PER_MONTH;
  const counterWru = insights.counterWruPerEvent * MILLION;
  const runWru = runsPerMillion * insights.keys * a.insightsRun.wruPerKey;
  const runRru = runsPerMillion * insights.keys * a.insightsRun.rruPerKey;
  return stage('insights', [
    ...functions.lines,
    {
      what: 'counter UpdateItem WRU',
      quantity: counterWru,
      unit: 'WRU',
      usd: (counterWru / MILLION) * PRICES.dynamodbWru.usd,
    },
    {
      what: 'run: state and rollup WRU',
      quantity: runWru,
      unit: 'WRU',
      usd: (runWru / MILLION) * PRICES.dynamodbWru.usd,
    },
    {
      what: 'run: counter and state RRU',
      quantity: runRru,
      unit: 'RRU',
      usd: (runRru / MILLION) * PRICES.dynamodbRru.usd,
    },
  ]);
}

/** Every stage of the trail for a million events. */
export function allInStages(inputs: AllInInputs): StageCost[] {
  const request = inputs.ingestRequest;
  return [
    httpApiStage({
      eventsPerRequest: request.events,
      requestBytes: request.bodyBytes,
      accessLogBytesPerRequest: inputs.accessLogBytesPerRequest,
    }),
    lambdaStage('ingestFunction', [ingestFunction(request, inputs.footprint.tableItems)]),
    dynamodbWriteStage(inputs.footprint.wru, inputs.tableClass),
    dynamodbStorageStage({
      tableBytesPerEvent: inputs.footprint.tableBytes,
      indexBytesPerEvent: inputs.footprint.indexBytes,
      retentionDays: RETENTION_DAYS,
      pointInTimeRecovery: inputs.pointInTimeRecovery,
      tableClass: inputs.tableClass,
    }),
    ...pipelineStages(inputs.pipeline, inputs.pipelineScenario),
    insightsStage(inputs.insights, COST_ASSUMPTIONS.eventsPerSecond),
    stage('kms', [
      { what: 'KMS requests (AWS managed table key, SSE-S3 archive)', quantity: 0, unit: 'requests', usd: 0 },
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------------------------

const usd = (value: number, digits = 3): string => `$${value.toFixed(digits)}`;

export async function runCost(): Promise<Outcome> {
  const nowMs = Date.now();
  const a = COST_ASSUMPTIONS;
  progress(`cost: storing ${PIPELINE_EVENTS} typical and ${PIPELINE_EVENTS} varied events through putEvents`);
  const typical = await storeEvents(typicalBatch(PIPELINE_EVENTS, nowMs), nowMs);
  const varied = await storeEvents(variedEvents(PIPELINE_EVENTS, nowMs, 60 * 1000), nowMs);
  const footprints = measureFootprints(typical, varied);

  progress('cost: the ingest route per request (100 events, and 1 event)');
  const batchedRequest = await measureIngestRequest(typicalBatch(LIMITS.eventsPerRequest, nowMs), nowMs);
  const singleRequest = await measureIngestRequest(
    [typicalEvent(new Date(nowMs - 60_000).toISOString())],
    nowMs,
  );

  progress('cost: the pipeline bytes and the deployed stream handlers');
  const batches = streamBatches(typical, nowMs);
  const bytes = measureBytes(typical, batches, nowMs);
  const handlers = await measureHandlers(batches);
  progress('cost: the insight counters');
  const insights = await measureInsights(varied);

  const pipeline: CostInputs = {
    bytes,
    archiveCpuUs: handlers.archive.cpuUs,
    logForwardCpuUs: handlers.logForward.cpuUs,
    archiveLogBytes: handlers.archive.logBytes,
    logForwardLogBytes: handlers.logForward.logBytes,
  };
  const pipelineScenario: Scenario = {
    logBytesPerEvent: bytes.logsBytesPerEvent,
    eventsPerInvocation: STREAM_BATCH_SIZE,
    memoryMb: a.memoryMb.streamConsumers,
    archiveStandardMonths: ARCHIVE_STANDARD_MONTHS,
    kmsRequestsPerObject: a.kmsRequestsPerObject,
  };
  const base: AllInInputs = {
    ingestRequest: batchedRequest,
    accessLogBytesPerRequest: byteLength(ACCESS_LOG_LINE),
    footprint: footprints.typical,
    pointInTimeRecovery: true,
    tableClass: 'standard',
    pipeline,
    pipelineScenario,
    insights,
  };
  const stages = allInStages(base);
  const cost = summarize(stages);
  const total = round(cost.total, 4);
  const status = statusOf(total, COST_TARGETS.allInPerMillionUsd);
  const single = summarize(allInStages({ ...base, ingestRequest: singleRequest }));
  const variedTotal = summarize(allInStages({ ...base, footprint: footprints.varied })).total;

  const cloudTrail = cloudTrailStages(footprints.recordJsonBytes, 2);
  const cloudTrailUsd = Object.fromEntries(
    cloudTrail.map((entry) => [entry.stage, round(entry.usdPerMillionEvents, 4)]),
  ) as Record<string, number>;
  const lakeAndInsights = (cloudTrailUsd.lakeIngestion ?? 0) + (cloudTrailUsd.insights ?? 0);

  // Levers: the same measured inputs with one thing changed; none of them is in the product.
  const summaryLine = { ...pipelineScenario, logBytesPerEvent: bytes.summaryLogBytesPerEvent };
  const levers: Array<{ lever: string; inputs: AllInInputs }> = [
    {
      lever: 'no resource-type item (ResourceType lookups need another path)',
      inputs: { ...base, footprint: footprints.withoutResourceType },
    },
    {
      lever: 'no byEventName index (EventName lookups need another path)',
      inputs: { ...base, footprint: footprints.withoutEventNameIndex },
    },
    {
      lever: 'summary log line (-c logLine=summary, exists today)',
      inputs: { ...base, pipelineScenario: summaryLine },
    },
    { lever: 'point-in-time recovery off', inputs: { ...base, pointInTimeRecovery: false } },
    {
      lever: 'no resource-type item + summary log line',
      inputs: {
        ...base,
        footprint: footprints.withoutResourceType,
        pipelineScenario: summaryLine,
      },
    },
    {
      lever: 'the above + point-in-time recovery off',
      inputs: {
        ...base,
        footprint: footprints.withoutResourceType,
        pipelineScenario: summaryLine,
        pointInTimeRecovery: false,
      },
    },
    { lever: 'Standard-IA table class (estimated prices)', inputs: { ...base, tableClass: 'standardIa' } },
    {
      lever: 'minimal: event item + byUser entry only (2 WRU), summary line, no PITR',
      inputs: {
        ...base,
        footprint: footprints.minimal,
        pipelineScenario: summaryLine,
        pointInTimeRecovery: false,
      },
    },
  ];
  const leverResults = levers.map(({ lever, inputs }) => {
    const leverTotal = summarize(allInStages(inputs)).total;
    return {
      lever,
      totalUsd: round(leverTotal, 4),
      savesUsd: round(cost.total - leverTotal, 4),
      status: statusOf(leverTotal, COST_TARGETS.allInPerMillionUsd),
    };
  });

  const drivers = [...stages].sort((x, y) => y.usdPerMillionEvents - x.usdPerMillionEvents).slice(0, 3);
  const ingestMs = lambdaBilledMs(ingestFunction(batchedRequest, footprints.typical.tableItems).durationMs);
  const singleMs = lambdaBilledMs(ingestFunction(singleRequest, footprints.typical.tableItems).durationMs);
  const stagesUsd = Object.fromEntries(
    Object.entries(cost.byStage).map(([name, value]) => [name, round(value, 4)]),
  );

  const result = {
    allInPerMillionUsd: total,
    stages: stagesUsd,
    cloudTrail: {
      ...cloudTrailUsd,
      lakePlusInsights: round(lakeAndInsights, 4),
    },
    targets: { allInPerMillionUsd: { ...COST_TARGETS.allInPerMillionUsd, status } },
    detail: {
      singleEventRequestsPerMillionUsd: round(single.total, 4),
      variedEventsPerMillionUsd: round(variedTotal, 4),
      measured: {
        wruPerEvent: footprints.typical.wru,
        wruPerVariedEvent: round(footprints.varied.wru, 3),
        tableBytesPerEvent: round(footprints.typical.tableBytes, 1),
        indexBytesPerEvent: round(footprints.typical.indexBytes, 1),
        tableItemsPerEvent: footprints.typical.tableItems,
        recordJsonBytes: round(footprints.recordJsonBytes, 1),
        recordStoredBytes: round(footprints.recordStoredBytes, 1),
        eventItemBytes: round(footprints.typical.eventItemBytes, 1),
        ingestRequest: {
          batched: {
            ...batchedRequest,
            cpuUs: round(batchedRequest.cpuUs, 1),
            logBytes: round(batchedRequest.logBytes, 0),
            billedMs: ingestMs,
          },
          single: {
            ...singleRequest,
            cpuUs: round(singleRequest.cpuUs, 1),
            logBytes: round(singleRequest.logBytes, 0),
            billedMs: singleMs,
          },
        },
        accessLogBytesPerRequest: byteLength(ACCESS_LOG_LINE),
        s3GzipBytesPerEvent: round(bytes.archive.gzipBytes / bytes.archive.events, 1),
        firehoseBilledBytesPerEvent: round(bytes.firehoseBilledBytesPerEvent, 1),
        logsBytesPerEvent: round(bytes.logsBytesPerEvent, 1),
        summaryLogBytesPerEvent: round(bytes.summaryLogBytesPerEvent, 1),
        streamHandlerCpuUs: {
          archive: round(handlers.archive.cpuUs, 1),
          logForward: round(handlers.logForward.cpuUs, 1),
        },
        insightCounterWruPerEvent: round(insights.counterWruPerEvent, 3),
        insightCounterUpdatesPerBatch: round(insights.updatesPerBatch, 1),
        insightKeys: insights.keys,
      },
      assumptions: {
        ...a,
        retentionDays: RETENTION_DAYS,
        logGroupRetentionDays: LOG_GROUP_RETENTION_DAYS,
        archiveMonths: PIPELINE_ASSUMPTIONS.retentionMonths,
        archiveStandardMonths: round(ARCHIVE_STANDARD_MONTHS, 2),
        streamBatchSize: STREAM_BATCH_SIZE,
        cloudTrailInsightsTypes: 2,
      },
      levers: leverResults,
      lines: stages.flatMap((entry) =>
        entry.lines.map((line) => ({
          stage: entry.stage,
          what: line.what,
          quantity: round(line.quantity, 6),
          unit: line.unit,
          usd: round(line.usd, 6),
        })),
      ),
    },
  };

  const rows: Row[] = [
    ...stages.map((entry) => ({
      metric: `$ per M events: ${entry.stage}`,
      value: usd(entry.usdPerMillionEvents, 4),
    })),
    targetRow(
      '$ per M 1 KB events, all-in (100-event requests)',
      total,
      usd(total),
      COST_TARGETS.allInPerMillionUsd,
    ),
    { metric: '$ per M, all-in with one event per request', value: usd(single.total) },
    {
      metric: 'CloudTrail: trail copy of management events',
      value: usd(cloudTrailUsd.trailManagementEvents ?? 0),
    },
    { metric: 'CloudTrail: data events', value: usd(cloudTrailUsd.trailDataEvents ?? 0) },
    { metric: 'CloudTrail: Lake ingestion (a year included)', value: usd(cloudTrailUsd.lakeIngestion ?? 0) },
    { metric: 'CloudTrail: Insights, both types', value: usd(cloudTrailUsd.insights ?? 0) },
    { metric: 'CloudTrail: Lake + Insights', value: usd(lakeAndInsights) },
    ...leverResults.map((lever) => ({
      metric: `lever: ${lever.lever}`,
      value: `${usd(lever.totalUsd)} (${lever.savesUsd >= 0 ? '-' : '+'}${usd(Math.abs(lever.savesUsd))})`,
      target: `<= ${COST_TARGETS.allInPerMillionUsd.max}`,
      status: lever.status,
    })),
  ];

  const line = (entry: StageCost) =>
    `${entry.stage} ${usd(entry.usdPerMillionEvents, 4)} = ${entry.lines
      .map((part) => `${part.what} ${round(part.quantity, 4)} ${part.unit} ${usd(part.usd, 5)}`)
      .join(' + ')}`;
  const notes = [
    `cost: a million typical events (${footprints.recordJsonBytes.toFixed(0)} B record JSON, stored encoded as ${footprints.recordStoredBytes.toFixed(0)} B; ~1 KB as sent), ${a.eventsPerSecond} events/s, 100 events per API request; every stage below, then the all-in total, then CloudTrail for the same volume and the levers.`,
    `cost: measured: ${footprints.typical.wru} WRU per event (${footprints.typical.tableItems} table items + index entries as the adapter writes them), ${round(footprints.typical.tableBytes, 0)} B of table items and ${round(footprints.typical.indexBytes, 0)} B of index entries stored per event (100 B overhead each); varied events (six sources, 8% errors) ${round(footprints.varied.wru, 2)} WRU, all-in ${usd(variedTotal)}. The ingest route: ${round(batchedRequest.cpuUs, 0)} µs CPU and ${round(batchedRequest.logBytes, 0)} B of log per 100-event request (${batchedRequest.bodyBytes} B body), ${round(singleRequest.cpuUs, 0)} µs and ${round(singleRequest.logBytes, 0)} B per single-event request.`,
    `cost: assumed: ${a.memoryMb.ingest} MB for every function (the stack's sizing), duration = CPU x 1769 / memory + ${a.batchWriteMs} ms per wave of up to ${a.parallelBatchWrites} BatchWriteItem calls (25 items each) = ${ingestMs} ms per 100-event request, ${singleMs} ms per single event; API access log line ${byteLength(ACCESS_LOG_LINE)} B; the counter consumer takes ${a.counterEventsPerInvocation} records per invocation; the insights run reads ${a.insightsRun.rruPerKey} RRU and writes ${round(a.insightsRun.wruPerKey, 3)} WRU per counter key per minute (${insights.keys} keys in the varied traffic); KMS requests 0 with the default keys (a customer key on the bucket adds one GenerateDataKey per object with the bucket key off).`,
    `cost: DynamoDB storage: each event is kept ${RETENTION_DAYS} days = ${round(RETENTION_DAYS / DAYS_PER_MONTH, 2)} months of its bytes, with point-in-time recovery (on by default) on the table's size; the first 25 GB a month of storage are free and left out. TTL deletes items within days of expiry, not at once: a small under-estimate. DynamoDB Streams reads by Lambda triggers are free.`,
    `cost: archive: a year in S3, ${round(ARCHIVE_STANDARD_MONTHS, 2)} months in Standard then Standard-IA (lib/defaults/s3.ts lifecycle), one transition per object (objects of ${PIPELINE_EVENTS} events, above the 128 KB IA minimum); the event log group keeps ${LOG_GROUP_RETENTION_DAYS} days.`,
    ...stages.map((entry) => `cost: ${line(entry)}.`),
    `cost: ${status === 'PASS' ? 'within' : 'MISSES'} the $${COST_TARGETS.allInPerMillionUsd.max} target: ${usd(cost.total)} per million. Top drivers: ${drivers
      .map(
        (entry) =>
          `${entry.stage} ${usd(entry.usdPerMillionEvents)} (${round((entry.usdPerMillionEvents / cost.total) * 100, 0)}%)`,
      )
      .join(', ')}.`,
    `cost: levers (measured on the same events, none in the product): ${leverResults.map((lever) => `${lever.lever}: ${usd(lever.totalUsd)}`).join('; ')}. The record is stored encoded (lambda/core/record-codec.ts): ${round(footprints.recordStoredBytes, 0)} B instead of ${round(footprints.recordJsonBytes, 0)} B of JSON, making the event item ${round(footprints.typical.eventItemBytes, 0)} B (${writeUnits(Math.ceil(footprints.typical.eventItemBytes))} WRU).`,
    `cost: CloudTrail for the same million events: a paid trail copy of management events ${usd(cloudTrailUsd.trailManagementEvents ?? 0)}, data events ${usd(cloudTrailUsd.trailDataEvents ?? 0)}, Lake ingestion of ${round(footprints.recordJsonBytes, 0)} B events ${usd(cloudTrailUsd.lakeIngestion ?? 0)} (366 days of storage included), Insights on both types ${usd(cloudTrailUsd.insights ?? 0)} (write events are analysed once per type). Lake takes custom events only through PutAuditEvents, closed to new customers since 31 May 2026, and Insights do not analyse Lake's custom events: the Lake + Insights figure is a price for the volume, not an available product.`,
  ];
  return { name: 'cost', result, rows, notes };
}
