import {
  type AuditEvent,
  eventDataChecksum,
  toLakeEventData,
  toProducerEvent,
} from '../lambda/core/cloudtrail/audit-events.js';
import { byteLength, type ProducerEvent } from '../lambda/core/event-model.js';
import { countRecords } from '../lambda/core/insights/counters.js';
import { pagesOf } from '../lambda/core/keys.js';
import { LIMITS } from '../lambda/core/limits.js';
import type { StoredEvent } from '../lambda/core/ports.js';
import { encodePage } from '../lambda/core/record-codec.js';
import { TRAIL_ROUTES } from '../lambda/core/trail-routes.js';
import { FUNCTIONS, streamMappingOf } from '../lambda/manifest/functions.js';
import { createIngestHandler } from '../lambda/routes/ingest.js';
import { defaultEventLogGroupProps } from '../lib/defaults/logs.js';
import { ARCHIVE_LIFECYCLE_DEFAULTS } from '../lib/defaults/s3.js';
import { ACCOUNT_ID, typicalBatch } from '../test/fixtures/events.js';
import { variedEvents } from '../test/fixtures/traffic.js';
import {
  cloudTrailStages,
  DAYS_PER_MONTH,
  dynamodbStorageStage,
  dynamodbWriteStage,
  httpApiStage,
  LAMBDA_INIT,
  type LambdaConsumerInput,
  lambdaBilledMs,
  lambdaStage,
  MILLION,
  requestPrices,
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
import { adversarialEvents } from './support/adversarial-traffic.js';
import { cpuMicrosPerCall, median, progress, round, withCapturedStdout } from './support/measure.js';
import { type Outcome, type Row, statusOf, type Target, targetRow } from './support/report.js';
import { benchIngestOptions, storeEvents } from './support/stored-events.js';
import { inRequests, measureWritePlan, type WritePlan } from './support/write-plan.js';

/**
 * `npm run bench -- cost`: the all-in cost of a million 1 KB events (API, ingest function, DynamoDB writes and
 * storage for the retention, stream consumers, Firehose, S3 for a year, CloudWatch Logs, insights, KMS) next to
 * CloudTrail's prices for the same volume, for five kinds of traffic: typical events in 100-event requests (the
 * headline), the same one per request, varied events, adversarial events (every key distinct) and PutAuditEvents
 * (every event carries an id, so a claim). Every quantity the repository can measure is measured here: write units
 * and stored bytes from what the real DynamoDB adapter sends for the real `putEvents` (support/write-plan.ts), the
 * ingest route's CPU and log bytes, the pipeline's bytes and handler CPU as bench -- pipeline measures them, the
 * insight counters' writes; what cannot be measured without AWS is an assumption, printed with the result.
 * Prices: the one table in bench/cost-model.ts.
 */

/** PutAuditEvents may cost at most this much more than the native put of the same events (issue 17). */
const PUT_AUDIT_EVENTS_MARGIN = 1.1;

export const COST_TARGETS = {
  /** All stages, dollars per million 1 KB events in 100-event requests (issue 17). */
  allInPerMillionUsd: { max: 2 },
  /** The same, one event per request (issue 17). */
  singleEventPerMillionUsd: { max: 4.5 },
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
  /** One DynamoDB write call (BatchWriteItem or a conditional PutItem) from Lambda, waited for. */
  writeCallMs: 15,
  /** Write calls the adapter runs at once (lambda/adapters/dynamodb-event-store.ts PARALLEL_REQUESTS). */
  parallelWriteCalls: 8,
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
  /** Lambda INIT, billed since August 2025 (bench/cost-model.ts LAMBDA_INIT). */
  lambdaInit: { coldStartShare: LAMBDA_INIT.coldStartShare, initMs: LAMBDA_INIT.initMs },
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
/** Single-event requests measured for the write plan (each is a request of its own). */
const SINGLE_EVENTS = 600;
const MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60;
const CHANNEL_ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT_ID}:channel/bench-channel`;

// ---------------------------------------------------------------------------------------------------------------
// Measurements

/** The traffic each figure is for. */
type Traffic = 'typical' | 'single' | 'varied' | 'adversarial' | 'putAuditEvents';

/** Typical events each with a producer id, as PutAuditEvents gives every event one (its UID). */
const withIds = (events: readonly ProducerEvent[]): ProducerEvent[] =>
  events.map((event, i) => ({ ...event, id: `audit-${i.toString(36).padStart(6, '0')}` }));

/**
 * Typical events as PutAuditEvents carries them: Lake's eventData (its fields only; the identity's details under
 * `details`), each with a UID, so every one claims its producer id.
 */
function auditEventsOf(events: readonly ProducerEvent[]): AuditEvent[] {
  return events.map((event, i) => {
    const { type, principalId, ...details } = event.userIdentity as Record<string, unknown>;
    const eventData = JSON.stringify({
      ...toLakeEventData({ ...event, ingestion: { id: `audit-${i.toString(36).padStart(6, '0')}` } }),
      userIdentity: { type, principalId, details },
      version: '1.0',
    });
    return { id: `audit-${i}`, eventData, eventDataChecksum: eventDataChecksum(eventData) };
  });
}

/** The producer events PutAuditEvents makes of audit events, as its route maps them. */
function mappedAuditEvents(auditEvents: readonly AuditEvent[]): ProducerEvent[] {
  return auditEvents.map((auditEvent) => {
    const mapping = toProducerEvent(auditEvent);
    if (!mapping.ok) throw new Error(`a benchmark audit event was refused: ${mapping.errorMessage}`);
    return mapping.event;
  });
}

interface IngestRequest {
  readonly events: number;
  readonly bodyBytes: number;
  readonly cpuUs: number;
  readonly logBytes: number;
}

/** The HTTP event of one put request: POST /events with producer events, or PutAuditEvents with audit events. */
function putRequest(events: PutBody, nowMs: number) {
  if (events.route === 'PutEvents') {
    const [only] = events.events;
    return apiGatewayEvent(
      JSON.stringify(events.events.length === 1 ? only : { events: events.events }),
      nowMs,
    );
  }
  const plain = apiGatewayEvent(JSON.stringify({ auditEvents: events.auditEvents }), nowMs);
  return {
    ...plain,
    routeKey: `${TRAIL_ROUTES.PutAuditEvents.method} ${TRAIL_ROUTES.PutAuditEvents.path}`,
    rawPath: TRAIL_ROUTES.PutAuditEvents.path,
    rawQueryString: `channelArn=${encodeURIComponent(CHANNEL_ARN)}`,
    queryStringParameters: { channelArn: CHANNEL_ARN },
  };
}

type PutBody =
  | { readonly route: 'PutEvents'; readonly events: readonly ProducerEvent[] }
  | { readonly route: 'PutAuditEvents'; readonly auditEvents: readonly AuditEvent[] };

/**
 * The ingest route as deployed (createIngestHandler with its parsing, validation, enrichment, metrics and log
 * line), against a writer that answers at once: CPU and stdout bytes per request of `events`.
 */
async function measureIngestRequest(body: PutBody, nowMs: number): Promise<IngestRequest> {
  const handler = createIngestHandler({
    config: { tableName: TABLE_NAME, region: 'us-east-1', retentionDays: RETENTION_DAYS, writeShards: 16 },
    writer: new NullWriter(),
  });
  const request = putRequest(body, nowMs);
  const events = body.route === 'PutEvents' ? body.events.length : body.auditEvents.length;
  const { value: first } = await withCapturedStdout(() => handler(request, lambdaContext));
  const answer = first.statusCode === 200 ? (JSON.parse(first.body ?? '{}') as { failed?: unknown[] }) : {};
  if (first.statusCode !== 200 || (answer.failed?.length ?? 0) > 0) {
    throw new Error(`the ingest route refused the request: ${first.statusCode} ${first.body?.slice(0, 300)}`);
  }
  const iterations = events === 1 ? 400 : 60;
  const warmup = Math.ceil(iterations / 4);
  const { value: samples, bytes } = await withCapturedStdout(async () => {
    const taken: number[] = [];
    for (let round = 0; round < CPU_ROUNDS; round++) {
      taken.push((await cpuMicrosPerCall(() => handler(request, lambdaContext), iterations, warmup)).cpuUs);
    }
    return taken;
  });
  return {
    events,
    bodyBytes: byteLength(request.body ?? ''),
    cpuUs: median(samples),
    logBytes: bytes / (CPU_ROUNDS * (iterations + warmup)),
  };
}

/**
 * The ingest function per request: the measured CPU at its memory's vCPU share, plus the write calls it waits for
 * (as many as the write plan measured, in waves of the adapter's parallelism; claims are a wave before).
 */
function ingestFunction(request: IngestRequest, plan: WritePlan): LambdaConsumerInput {
  const a = COST_ASSUMPTIONS;
  const waves = (calls: number) => Math.ceil(Math.round(calls * 100) / 100 / a.parallelWriteCalls);
  return {
    name: 'ingest fn',
    memoryMb: a.memoryMb.ingest,
    eventsPerInvocation: request.events,
    durationMs: invocationMs(
      request.cpuUs,
      a.memoryMb.ingest,
      waves(plan.batchWriteCallsPerRequest) + waves(plan.putItemCallsPerRequest),
      a.writeCallMs,
    ),
    logBytesPerInvocation: request.logBytes + a.platformLogBytesPerInvocation,
  };
}

interface InsightsInputs {
  readonly counterWruPerEvent: number;
  readonly counterRruPerEvent: number;
  readonly updatesPerBatch: number;
  readonly keys: number;
  readonly countCpuUsPerBatch: number;
}

async function measureInsights(stored: readonly StoredEvent[]): Promise<InsightsInputs> {
  const batchSize = COST_ASSUMPTIONS.counterEventsPerInvocation;
  const load = insightCounterLoad(stored, batchSize);
  const batch = stored
    .slice(0, batchSize)
    .map((event, i) => ({ json: event.recordJson, sequenceNumber: String(i) }));
  const samples: number[] = [];
  for (let round = 0; round < CPU_ROUNDS; round++) {
    samples.push((await cpuMicrosPerCall(() => countRecords(batch), 40, 10)).cpuUs);
  }
  return {
    counterWruPerEvent: load.wruPerEvent,
    counterRruPerEvent: load.rruPerEvent,
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
  readonly writePlan: WritePlan;
  readonly pointInTimeRecovery: boolean;
  readonly tableClass: TableClass;
  readonly pipeline: CostInputs;
  readonly pipelineScenario: Scenario;
  readonly insights: InsightsInputs;
}

/** The insights stage: the counter consumer and its writes per event, and the per-minute run spread over the month's events. */
export function insightsStage(
  insights: InsightsInputs,
  eventsPerSecond: number,
  tableClass: TableClass = 'standard',
): StageCost {
  const a = COST_ASSUMPTIONS;
  const prices = requestPrices(tableClass);
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
  const counterRru = insights.counterRruPerEvent * MILLION;
  const runWru = runsPerMillion * insights.keys * a.insightsRun.wruPerKey;
  const runRru = runsPerMillion * insights.keys * a.insightsRun.rruPerKey;
  return stage('insights', [
    ...functions.lines,
    {
      what: 'counter PutItem WRU',
      quantity: counterWru,
      unit: 'WRU',
      usd: (counterWru / MILLION) * prices.wru.usd,
    },
    {
      what: 'counter GetItem RRU',
      quantity: counterRru,
      unit: 'RRU',
      usd: (counterRru / MILLION) * prices.rru.usd,
    },
    {
      what: 'run: state and rollup WRU',
      quantity: runWru,
      unit: 'WRU',
      usd: (runWru / MILLION) * prices.wru.usd,
    },
    {
      what: 'run: counter and state RRU',
      quantity: runRru,
      unit: 'RRU',
      usd: (runRru / MILLION) * prices.rru.usd,
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
    lambdaStage('ingestFunction', [ingestFunction(request, inputs.writePlan)]),
    dynamodbWriteStage(inputs.writePlan.wruPerEvent, inputs.tableClass),
    dynamodbStorageStage({
      tableBytesPerEvent: inputs.writePlan.tableBytesPerEvent,
      indexBytesPerEvent: inputs.writePlan.indexBytesPerEvent,
      retentionDays: RETENTION_DAYS,
      pointInTimeRecovery: inputs.pointInTimeRecovery,
      tableClass: inputs.tableClass,
    }),
    ...pipelineStages(inputs.pipeline, inputs.pipelineScenario),
    insightsStage(inputs.insights, COST_ASSUMPTIONS.eventsPerSecond, inputs.tableClass),
    stage('kms', [
      { what: 'KMS requests (AWS managed table key, SSE-S3 archive)', quantity: 0, unit: 'requests', usd: 0 },
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------------------------

const usd = (value: number, digits = 3): string => `$${value.toFixed(digits)}`;

const describePlan = (plan: WritePlan): string =>
  `${round(plan.wruPerEvent, 3)} WRU/event (${Object.entries(plan.wruPerEventByKind)
    .map(([kind, wru]) => `${kind} ${round(wru, 3)}`)
    .join(
      ', ',
    )}), ${round(plan.batchWriteCallsPerRequest, 2)} BatchWriteItem + ${round(plan.putItemCallsPerRequest, 2)} PutItem per request`;

export async function runCost(): Promise<Outcome> {
  const nowMs = Date.now();
  const a = COST_ASSUMPTIONS;
  const options = benchIngestOptions(nowMs);
  const typicalEvents = typicalBatch(PIPELINE_EVENTS, nowMs);
  const variedTraffic = variedEvents(PIPELINE_EVENTS, nowMs, 60 * 1000);
  const adversarialTraffic = adversarialEvents(PIPELINE_EVENTS, nowMs);
  // PutAuditEvents is priced on the typical events with ids, so it differs from the native figure by the id only;
  // Lake's eventData has no resources field, so the events it really carries write less (detail.lakeShaped).
  const auditEvents = auditEventsOf(typicalEvents);
  const auditTraffic = withIds(typicalEvents);

  progress('cost: the write plan (the DynamoDB adapter under putEvents) for each kind of traffic');
  const request = LIMITS.eventsPerRequest;
  const plans: Record<Traffic, WritePlan> = {
    typical: await measureWritePlan(inRequests(typicalEvents, request), options),
    single: await measureWritePlan(inRequests(typicalEvents.slice(0, SINGLE_EVENTS), 1), options),
    varied: await measureWritePlan(inRequests(variedTraffic, request), options),
    adversarial: await measureWritePlan(inRequests(adversarialTraffic, request), options),
    putAuditEvents: await measureWritePlan(inRequests(auditTraffic, request), options),
  };
  const lakeShapedPlan = await measureWritePlan(inRequests(mappedAuditEvents(auditEvents), request), options);
  const typical = await storeEvents(typicalEvents, nowMs);
  const varied = await storeEvents(variedTraffic, nowMs);
  const adversarial = await storeEvents(adversarialTraffic, nowMs);
  const recordJsonBytes =
    typical.reduce((sum, event) => sum + byteLength(event.recordJson), 0) / typical.length;
  // A record's share of its page's encoded bytes, in the pages ingest formed.
  const recordStoredBytes =
    pagesOf(typical).reduce(
      (sum, page) => sum + encodePage(page.events.map((event) => event.recordJson)).byteLength,
      0,
    ) / typical.length;

  const put = (events: readonly ProducerEvent[]): PutBody => ({ route: 'PutEvents', events });
  progress('cost: the ingest route per request (100 events, 1 event, adversarial, PutAuditEvents)');
  const requests: Record<Traffic, IngestRequest> = {
    typical: await measureIngestRequest(put(typicalEvents.slice(0, request)), nowMs),
    single: await measureIngestRequest(put(typicalEvents.slice(0, 1)), nowMs),
    varied: await measureIngestRequest(put(variedTraffic.slice(0, request)), nowMs),
    adversarial: await measureIngestRequest(put(adversarialTraffic.slice(0, request)), nowMs),
    putAuditEvents: await measureIngestRequest(
      { route: 'PutAuditEvents', auditEvents: auditEvents.slice(0, request) },
      nowMs,
    ),
  };

  progress('cost: the pipeline bytes and the deployed stream handlers');
  const batches = streamBatches(typical, nowMs);
  const bytes = measureBytes(typical, batches, nowMs);
  const handlers = await measureHandlers(batches);
  progress('cost: the insight counters');
  const insightsVaried = await measureInsights(varied);
  const insightsAdversarial = await measureInsights(adversarial);
  const insightsTypical = await measureInsights(typical);

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
  // The headline prices typical events with the counters of varied traffic (typical events share one key).
  const base: AllInInputs = {
    ingestRequest: requests.typical,
    accessLogBytesPerRequest: byteLength(ACCESS_LOG_LINE),
    writePlan: plans.typical,
    // The default since the rebuild from the archive (npm run rebuild, docs/storage.md).
    pointInTimeRecovery: false,
    tableClass: 'standard',
    pipeline,
    pipelineScenario,
    insights: insightsVaried,
  };
  const scenarios: Record<Traffic, AllInInputs> = {
    typical: base,
    single: { ...base, ingestRequest: requests.single, writePlan: plans.single },
    varied: { ...base, ingestRequest: requests.varied, writePlan: plans.varied },
    adversarial: {
      ...base,
      ingestRequest: requests.adversarial,
      writePlan: plans.adversarial,
      insights: insightsAdversarial,
    },
    putAuditEvents: { ...base, ingestRequest: requests.putAuditEvents, writePlan: plans.putAuditEvents },
  };
  const stages = allInStages(base);
  const totals = Object.fromEntries(
    (Object.keys(scenarios) as Traffic[]).map((traffic) => [
      traffic,
      round(summarize(allInStages(scenarios[traffic])).total, 4),
    ]),
  ) as Record<Traffic, number>;
  const total = totals.typical;
  const putAuditEventsTarget: Target = { max: round(total * PUT_AUDIT_EVENTS_MARGIN, 4) };

  const readOnlyShare =
    typical.filter((event) => JSON.parse(event.recordJson).readOnly === true).length / typical.length;
  const cloudTrail = cloudTrailStages(recordJsonBytes, readOnlyShare);
  const cloudTrailUsd = Object.fromEntries(
    cloudTrail.map((entry) => [entry.stage, round(entry.usdPerMillionEvents, 4)]),
  ) as Record<string, number>;
  const lakeAndInsights = (cloudTrailUsd.lakeIngestion ?? 0) + (cloudTrailUsd.insights ?? 0);

  // Levers outside the table's layout: the same measured inputs with one setting changed.
  const summaryLine = { ...pipelineScenario, logBytesPerEvent: bytes.summaryLogBytesPerEvent };
  const levers: Array<{ lever: string; inputs: AllInInputs }> = [
    {
      lever: 'summary log line (-c logLine=summary)',
      inputs: { ...base, pipelineScenario: summaryLine },
    },
    {
      lever: 'point-in-time recovery on (-c pointInTimeRecovery=true), a cost',
      inputs: { ...base, pointInTimeRecovery: true },
    },
    { lever: 'Standard-IA table class', inputs: { ...base, tableClass: 'standardIa' } },
  ];
  const leverResults = levers.map(({ lever, inputs }) => {
    const leverTotal = summarize(allInStages(inputs)).total;
    return {
      lever,
      totalUsd: round(leverTotal, 4),
      savesUsd: round(total - leverTotal, 4),
      status: statusOf(leverTotal, COST_TARGETS.allInPerMillionUsd),
    };
  });

  const cost = summarize(stages);
  const drivers = [...stages].sort((x, y) => y.usdPerMillionEvents - x.usdPerMillionEvents).slice(0, 3);
  const billedMs = (traffic: Traffic) =>
    lambdaBilledMs(ingestFunction(requests[traffic], plans[traffic]).durationMs);
  const stagesUsd = Object.fromEntries(
    Object.entries(cost.byStage).map(([name, value]) => [name, round(value, 4)]),
  );
  const status = {
    allInPerMillionUsd: statusOf(total, COST_TARGETS.allInPerMillionUsd),
    singleEventPerMillionUsd: statusOf(totals.single, COST_TARGETS.singleEventPerMillionUsd),
    putAuditEventsPerMillionUsd: statusOf(totals.putAuditEvents, putAuditEventsTarget),
  };

  const result = {
    allInPerMillionUsd: total,
    singleEventPerMillionUsd: totals.single,
    adversarialPerMillionUsd: totals.adversarial,
    putAuditEventsPerMillionUsd: totals.putAuditEvents,
    stages: stagesUsd,
    cloudTrail: {
      ...cloudTrailUsd,
      lakePlusInsights: round(lakeAndInsights, 4),
    },
    targets: {
      allInPerMillionUsd: { ...COST_TARGETS.allInPerMillionUsd, status: status.allInPerMillionUsd },
      singleEventPerMillionUsd: {
        ...COST_TARGETS.singleEventPerMillionUsd,
        status: status.singleEventPerMillionUsd,
      },
      putAuditEventsPerMillionUsd: { ...putAuditEventsTarget, status: status.putAuditEventsPerMillionUsd },
    },
    detail: {
      variedEventsPerMillionUsd: totals.varied,
      measured: {
        wruPerEvent: Object.fromEntries(
          (Object.keys(plans) as Traffic[]).map((traffic) => [traffic, round(plans[traffic].wruPerEvent, 3)]),
        ),
        writePlans: Object.fromEntries(
          (Object.keys(plans) as Traffic[]).map((traffic) => [
            traffic,
            {
              ...plans[traffic],
              wruPerEvent: round(plans[traffic].wruPerEvent, 3),
              tableBytesPerEvent: round(plans[traffic].tableBytesPerEvent, 1),
              indexBytesPerEvent: round(plans[traffic].indexBytesPerEvent, 1),
              batchWriteCallsPerRequest: round(plans[traffic].batchWriteCallsPerRequest, 2),
              putItemCallsPerRequest: round(plans[traffic].putItemCallsPerRequest, 2),
              wruPerEventByKind: Object.fromEntries(
                Object.entries(plans[traffic].wruPerEventByKind).map(([kind, wru]) => [kind, round(wru, 3)]),
              ),
            },
          ]),
        ),
        putAuditEventsLakeShaped: {
          wruPerEvent: round(lakeShapedPlan.wruPerEvent, 3),
          allInPerMillionUsd: round(
            summarize(allInStages({ ...scenarios.putAuditEvents, writePlan: lakeShapedPlan })).total,
            4,
          ),
        },
        recordJsonBytes: round(recordJsonBytes, 1),
        recordStoredBytes: round(recordStoredBytes, 1),
        readOnlyShare: round(readOnlyShare, 3),
        ingestRequests: Object.fromEntries(
          (Object.keys(requests) as Traffic[]).map((traffic) => [
            traffic,
            {
              ...requests[traffic],
              cpuUs: round(requests[traffic].cpuUs, 1),
              logBytes: round(requests[traffic].logBytes, 0),
              billedMs: billedMs(traffic),
            },
          ]),
        ),
        accessLogBytesPerRequest: byteLength(ACCESS_LOG_LINE),
        s3GzipBytesPerEvent: round(bytes.archive.gzipBytes / bytes.archive.events, 1),
        firehoseBilledBytesPerEvent: round(bytes.firehoseBilledBytesPerEvent, 1),
        logsBytesPerEvent: round(bytes.logsBytesPerEvent, 1),
        summaryLogBytesPerEvent: round(bytes.summaryLogBytesPerEvent, 1),
        streamHandlerCpuUs: {
          archive: round(handlers.archive.cpuUs, 1),
          logForward: round(handlers.logForward.cpuUs, 1),
        },
        insightCounters: Object.fromEntries(
          (
            [
              ['typical', insightsTypical],
              ['varied', insightsVaried],
              ['adversarial', insightsAdversarial],
            ] as const
          ).map(([traffic, inputs]) => [
            traffic,
            {
              wruPerEvent: round(inputs.counterWruPerEvent, 3),
              rruPerEvent: round(inputs.counterRruPerEvent, 3),
              updatesPerBatch: round(inputs.updatesPerBatch, 1),
              keys: inputs.keys,
            },
          ]),
        ),
      },
      assumptions: {
        ...a,
        retentionDays: RETENTION_DAYS,
        logGroupRetentionDays: LOG_GROUP_RETENTION_DAYS,
        archiveMonths: PIPELINE_ASSUMPTIONS.retentionMonths,
        archiveStandardMonths: round(ARCHIVE_STANDARD_MONTHS, 2),
        streamBatchSize: STREAM_BATCH_SIZE,
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
    targetRow(
      '$ per M, all-in with one event per request',
      totals.single,
      usd(totals.single),
      COST_TARGETS.singleEventPerMillionUsd,
    ),
    targetRow(
      '$ per M, PutAuditEvents (every event an id) vs native + 10%',
      totals.putAuditEvents,
      usd(totals.putAuditEvents),
      putAuditEventsTarget,
    ),
    { metric: '$ per M, adversarial (every key distinct)', value: usd(totals.adversarial) },
    { metric: '$ per M, varied events', value: usd(totals.varied) },
    ...(Object.keys(plans) as Traffic[]).map((traffic) => ({
      metric: `WRU per event, ${traffic}`,
      value: round(plans[traffic].wruPerEvent, 3).toString(),
    })),
    {
      metric: 'CloudTrail: trail copy of management events',
      value: usd(cloudTrailUsd.trailManagementEvents ?? 0),
    },
    { metric: 'CloudTrail: data events', value: usd(cloudTrailUsd.trailDataEvents ?? 0) },
    {
      metric: 'CloudTrail: Lake, custom events (a year included)',
      value: usd(cloudTrailUsd.lakeIngestion ?? 0),
    },
    { metric: 'CloudTrail: Lake, CloudTrail events', value: usd(cloudTrailUsd.lakeCloudTrailEvents ?? 0) },
    { metric: 'CloudTrail: Lake, seven-year option', value: usd(cloudTrailUsd.lakeSevenYear ?? 0) },
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
    `cost: a million typical events (${recordJsonBytes.toFixed(0)} B record JSON, stored encoded in pages as ${recordStoredBytes.toFixed(0)} B each; ~1 KB as sent), ${a.eventsPerSecond} events/s, 100 events per API request; every stage below, then the all-in total, then CloudTrail for the same volume and the levers.`,
    ...(Object.keys(plans) as Traffic[]).map(
      (traffic) =>
        `cost: write plan, ${traffic}: ${describePlan(plans[traffic])}; ${round(plans[traffic].tableBytesPerEvent, 0)} B of table items and ${round(plans[traffic].indexBytesPerEvent, 0)} B of index entries stored per event; ingest route ${round(requests[traffic].cpuUs, 0)} µs CPU per ${requests[traffic].events}-event request (${billedMs(traffic)} ms billed); all-in ${usd(totals[traffic])}.`,
    ),
    `cost: assumed: ${a.memoryMb.ingest} MB ingest function, duration = CPU x 1769 / memory + ${a.writeCallMs} ms per wave of up to ${a.parallelWriteCalls} write calls; API access log line ${byteLength(ACCESS_LOG_LINE)} B; the counter consumer takes ${a.counterEventsPerInvocation} records per invocation; the insights run reads ${a.insightsRun.rruPerKey} RRU and writes ${round(a.insightsRun.wruPerKey, 3)} WRU per counter key per minute (${insightsVaried.keys} keys in varied traffic, ${insightsAdversarial.keys} in adversarial); Lambda INIT billed on ${a.lambdaInit.coldStartShare * 100}% of invocations at ${a.lambdaInit.initMs} ms; KMS requests 0 with the default keys.`,
    `cost: DynamoDB storage: each event is kept ${RETENTION_DAYS} days = ${round(RETENTION_DAYS / DAYS_PER_MONTH, 2)} months of its bytes, point-in-time recovery off by default (a lever prices it on); the Standard class's 25 GB free tier is not subtracted (Standard-IA has none). TTL deletes items within days of expiry, not at once: a small under-estimate. DynamoDB Streams reads by Lambda triggers are free.`,
    `cost: archive: a year in S3, ${round(ARCHIVE_STANDARD_MONTHS, 2)} months in Standard then Standard-IA (lib/defaults/s3.ts lifecycle), one transition per object (objects of ${PIPELINE_EVENTS} events, above the 128 KB IA minimum); the event log group keeps ${LOG_GROUP_RETENTION_DAYS} days.`,
    ...stages.map((entry) => `cost: ${line(entry)}.`),
    `cost: ${status.allInPerMillionUsd === 'PASS' ? 'within' : 'MISSES'} the $${COST_TARGETS.allInPerMillionUsd.max} target: ${usd(cost.total)} per million. Top drivers: ${drivers
      .map(
        (entry) =>
          `${entry.stage} ${usd(entry.usdPerMillionEvents)} (${round((entry.usdPerMillionEvents / cost.total) * 100, 0)}%)`,
      )
      .join(', ')}.`,
    `cost: levers outside the table layout (same measured inputs): ${leverResults.map((lever) => `${lever.lever}: ${usd(lever.totalUsd)}`).join('; ')}.`,
    `cost: CloudTrail for the same million events: a paid trail copy of management events ${usd(cloudTrailUsd.trailManagementEvents ?? 0)}, data events ${usd(cloudTrailUsd.trailDataEvents ?? 0)}, Lake ingestion of ${round(recordJsonBytes, 0)} B events ${usd(cloudTrailUsd.lakeIngestion ?? 0)} as custom events, ${usd(cloudTrailUsd.lakeCloudTrailEvents ?? 0)} as CloudTrail events (366 days of storage included), ${usd(cloudTrailUsd.lakeSevenYear ?? 0)} on the seven-year option; Insights on both types ${usd(cloudTrailUsd.insights ?? 0)} (write events analysed twice, read-only once; ${round(readOnlyShare * 100, 0)}% read-only here). Lake takes custom events only through PutAuditEvents, closed to new customers since 31 May 2026, and Insights do not analyse Lake's custom events: the Lake + Insights figure is a price for the volume, not an available product.`,
  ];
  return { name: 'cost', result, rows, notes };
}
