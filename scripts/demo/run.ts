import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ARCHIVE_PREFIX_WITHOUT_TIME as ARCHIVE_OBJECTS } from '../../lambda/adapters/pipeline-admin.js';
import { mapWithConcurrency } from '../../lambda/core/backoff.js';
import { findLiveLocalMode } from '../../local/live-config.js';
import { type Deadline, deadlineIn } from './deadline.js';
import type { DemoOptions } from './options.js';
import { signedFetch } from './signed-fetch.js';
import { type DemoTarget, type EmulatorPipeline, remoteTarget, startInProcessTarget } from './target.js';
import { type PlannedEvent, planTraffic } from './traffic.js';

/** The demo from start to finish: traffic, progress, the insight, example lookups, the archive and the logs. */

export interface DemoReport {
  readonly sent: number;
  readonly accepted: number;
  readonly failed: ReadonlyArray<{ readonly id: string; readonly errorCode: string }>;
  readonly acceptedByApp: Readonly<Record<string, number>>;
  /** The insight the burst opened, if one was found before the deadline. */
  readonly insight?: InsightSummary;
  readonly lookups: readonly LookupOutcome[];
  readonly archive?: { readonly bucketName: string; readonly objects: number };
  readonly logs?: { readonly logGroupName: string; readonly streams: number };
}

export interface InsightSummary {
  readonly eventID: string;
  readonly insightType: string;
  readonly baselineAverage: number;
  readonly insightAverage: number;
  /** Set when the trail had less history than the baseline window. */
  readonly historyMinutes?: number;
}

export interface LookupOutcome {
  readonly title: string;
  readonly query: Readonly<Record<string, string>>;
  /** This run's accepted events the lookup must return. */
  readonly expected: number;
  readonly found: number;
  /** eventIDs it should have returned and did not. */
  readonly missing: readonly string[];
  /** Events from earlier runs against the same trail. */
  readonly others: number;
}

/** A demo that verified everything it showed. */
export const demoSucceeded = (report: DemoReport): boolean =>
  report.failed.length === 0 &&
  report.insight !== undefined &&
  report.lookups.every((lookup) => lookup.missing.length === 0);

export interface DemoIo {
  /** One line of output. */
  readonly print: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** Where a running local mode describes itself. @default .opentrail/local.json (local/live-config.ts) */
  readonly localConfigFile?: string;
}

const BATCH_SIZE = 100;
/** moto serves one call at a time: more in flight only makes each wait longer. */
const BATCHES_IN_FLIGHT = 2;
const PUT_ATTEMPTS = 4;
const RETRY_AFTER_CAP_MS = 5_000;
const LOOKUP_PAGE_SIZE = 1000;
const LOOKUP_MAX_PAGES = 20;
/** A page of 1,000 events from a busy emulator takes a while. */
const LOOKUP_TIMEOUT_MS = 30_000;
const LISTING_MAX_PAGES = 100;
const INSIGHT_POLL_MS = 5_000;
/** Kept back from the deadline for the lookups and the summary once the insight is waited for. */
const SUMMARY_RESERVE_MS = 20_000;
const SHOWN_PER_LOOKUP = 3;

export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoReport> {
  const now = io.now ?? Date.now;
  const deadline = deadlineIn(options.deadlineSeconds * 1000, now);
  const startedAt = now();
  const elapsed = () => `${((now() - startedAt) / 1000).toFixed(1).padStart(5)}s`;
  // A local mode that `npm start` runs is used like --url, rather than starting a second one next to it.
  const url = options.url ?? (await findLiveLocalMode({ file: io.localConfigFile }))?.apiUrl;
  const target = url
    ? await remoteTarget(url, process.env, io.localConfigFile)
    : await startInProcessTarget(options.baselineMinutes);
  try {
    io.print(`[${elapsed()}] OpenTrail demo against ${target.description}`);
    const plan = planTraffic({
      events: options.events,
      baselineMinutes: options.baselineMinutes,
      nowMs: now(),
      runId: now().toString(36),
      seed: options.seed,
    });
    io.print(
      `Sending ${plan.events.length} events from 3 apps (console, SDK, CLI and service clients) over the last ` +
        `${options.baselineMinutes} minutes, with a burst of ${plan.burst.eventName} on ${plan.burst.eventSource}`,
    );
    const sent = await sendTraffic(target, plan.events, deadline, (progress) =>
      io.print(`[${elapsed()}] ${progress}`),
    );

    io.print(`[${elapsed()}] waiting for the pipeline and the insights run`);
    await target.settle([...sent.eventIDs.values()], deadline, (progress) =>
      io.print(`[${elapsed()}] ${progress}`),
    );
    if (url) {
      io.print(
        `[${elapsed()}] looking for the insight every ${INSIGHT_POLL_MS / 1000} s while the target's schedule runs ` +
          `(up to ${Math.round((deadline.remainingMs() - SUMMARY_RESERVE_MS) / 1000)} s)`,
      );
    }
    const insight = await waitForInsight(target, plan.burst, deadline, Boolean(url));
    io.print(
      insight
        ? `[${elapsed()}] insight opened: ${insight.insightType} on ${plan.burst.eventSource} ${plan.burst.eventName}, ` +
            `${insight.insightAverage} calls/min against a baseline of ${insight.baselineAverage}` +
            (insight.historyMinutes === undefined ? '' : ` (${insight.historyMinutes} minutes of history)`)
        : `[${elapsed()}] no insight yet: a deployed trail judges each minute on its schedule against its own ` +
            'baseline; look again with EventCategory=insight',
    );

    io.print('');
    io.print('Example lookups (GET /events?...; the CloudTrail LookupEvents API answers the same):');
    const lookups: LookupOutcome[] = [];
    for (const example of plan.lookups) {
      deadline.check('during the lookups');
      const expected = example.expectedIds
        .map((id) => sent.eventIDs.get(id))
        .filter((eventID): eventID is string => eventID !== undefined);
      const records = await lookupAll(target, example.query);
      const expectedSet = new Set(expected);
      const returned = new Set(records.map((record) => record.eventID));
      const outcome: LookupOutcome = {
        title: example.title,
        query: example.query,
        expected: expected.length,
        found: records.filter((record) => expectedSet.has(record.eventID)).length,
        missing: expected.filter((eventID) => !returned.has(eventID)),
        others: records.filter((record) => !expectedSet.has(record.eventID)).length,
      };
      lookups.push(outcome);
      io.print(
        `  ${example.title}: ?${Object.entries(example.query)
          .map(([key, value]) => `${key}=${value}`)
          .join('&')}`,
      );
      io.print(
        `    ${outcome.found} of this run's ${outcome.expected} events found` +
          `${outcome.missing.length > 0 ? `, ${outcome.missing.length} MISSING` : ''}` +
          `${outcome.others > 0 ? ` (and ${outcome.others} from earlier runs)` : ''}`,
      );
      for (const record of records.slice(0, SHOWN_PER_LOOKUP)) io.print(`    ${describeRecord(record)}`);
    }
    io.print('  the insight: ?EventCategory=insight');
    io.print(insight ? `    Start ${insight.insightType} ${insight.eventID}` : '    (none yet)');

    const where = target.emulator ? await describePipeline(target, target.emulator) : undefined;
    io.print('');
    for (const line of whereLines(target, where)) io.print(line);
    if (sent.failed.length > 0) {
      io.print('');
      io.print(`${sent.failed.length} events were not accepted, for example:`);
      for (const failure of sent.failed.slice(0, 5)) io.print(`  ${failure.id}: ${failure.errorCode}`);
    }
    return {
      sent: plan.events.length,
      accepted: sent.eventIDs.size,
      failed: sent.failed,
      acceptedByApp: sent.acceptedByApp,
      ...(insight ? { insight } : {}),
      lookups,
      ...(where ?? {}),
    };
  } finally {
    await target.stop();
  }
}

interface SendOutcome {
  /** Producer id -> eventID of every accepted event. */
  readonly eventIDs: Map<string, string>;
  readonly failed: Array<{ id: string; errorCode: string }>;
  readonly acceptedByApp: Record<string, number>;
}

interface PutResponse {
  readonly successful?: ReadonlyArray<{ readonly index: number; readonly eventID: string }>;
  readonly failed?: ReadonlyArray<{ readonly index: number; readonly errorCode: string }>;
}

/** Store failures worth a retry with the same ids (the API keeps retries idempotent by id). */
const RETRYABLE_EVENT_CODES = new Set(['Throttling', 'InternalFailure']);

/**
 * Sends every planned event in batches of 100, a few batches at a time, like a well-behaved producer: events
 * the API could not store, 503s (after Retry-After) and lost connections are retried with the same ids.
 */
async function sendTraffic(
  target: DemoTarget,
  events: readonly PlannedEvent[],
  deadline: Deadline,
  report: (progress: string) => void,
): Promise<SendOutcome> {
  const outcome: SendOutcome = { eventIDs: new Map(), failed: [], acceptedByApp: {} };
  const batches: PlannedEvent[][] = [];
  for (let start = 0; start < events.length; start += BATCH_SIZE) {
    batches.push(events.slice(start, start + BATCH_SIZE));
  }
  let done = 0;
  let reported = 0;
  let nextReport = 0.1;
  const progressLine = () =>
    `sent ${done}/${events.length}  accepted ${outcome.eventIDs.size}  failed ${outcome.failed.length}  | ` +
    Object.entries(outcome.acceptedByApp)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([app, count]) => `${app} ${count}`)
      .join('  ');
  await mapWithConcurrency(batches, BATCHES_IN_FLIGHT, async (batch) => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0 && attempt <= PUT_ATTEMPTS; attempt++) {
      deadline.check('while sending events');
      const result = await putBatch(target, pending);
      if (result.kind === 'retry') {
        if (attempt === PUT_ATTEMPTS) for (const planned of pending) fail(planned, result.reason);
        else await sleep(result.afterMs);
        continue;
      }
      if (result.kind === 'refused') {
        for (const planned of pending) fail(planned, result.reason);
        pending = [];
        break;
      }
      const retry: PlannedEvent[] = [];
      for (const success of result.body.successful ?? []) {
        const planned = pending[success.index];
        if (planned === undefined) continue;
        outcome.eventIDs.set(planned.event.id, success.eventID);
        outcome.acceptedByApp[planned.app] = (outcome.acceptedByApp[planned.app] ?? 0) + 1;
        done++;
      }
      for (const failure of result.body.failed ?? []) {
        const planned = pending[failure.index];
        if (planned === undefined) continue;
        if (RETRYABLE_EVENT_CODES.has(failure.errorCode) && attempt < PUT_ATTEMPTS) retry.push(planned);
        else fail(planned, failure.errorCode);
      }
      pending = retry;
    }
    // A line at every tenth of the traffic, however many batches finish at once.
    if (done >= nextReport * events.length) {
      report(progressLine());
      reported = done;
      nextReport = Math.floor((done / events.length) * 10 + 1) / 10;
    }
  });
  if (reported < done) report(progressLine());
  return outcome;

  function fail(planned: PlannedEvent, errorCode: string): void {
    outcome.failed.push({ id: planned.event.id, errorCode });
    done++;
  }
}

type PutResult =
  | { kind: 'answered'; body: PutResponse }
  | { kind: 'retry'; afterMs: number; reason: string }
  | { kind: 'refused'; reason: string };

async function putBatch(target: DemoTarget, batch: readonly PlannedEvent[]): Promise<PutResult> {
  let response: Response;
  try {
    response = await signedFetch(`${target.apiUrl}/events`, {
      method: 'POST',
      body: JSON.stringify({ events: batch.map((planned) => planned.event) }),
      credentials: target.credentials,
      region: target.region,
      timeoutMs: 35_000,
    });
  } catch (error) {
    return { kind: 'retry', afterMs: 1_000, reason: `no answer (${(error as Error).message})` };
  }
  if (response.status === 200) return { kind: 'answered', body: (await response.json()) as PutResponse };
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  const reason = `HTTP ${response.status} ${body.code ?? ''}`.trim();
  if (response.status === 429 || response.status === 503) {
    const retryAfter = Number(response.headers.get('retry-after') ?? 1);
    return { kind: 'retry', afterMs: Math.min(RETRY_AFTER_CAP_MS, retryAfter * 1000), reason };
  }
  return { kind: 'refused', reason };
}

interface ShownRecord {
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly clientType?: string;
  readonly errorCode?: string;
  readonly userIdentity?: { readonly userName?: string; readonly principalId?: string };
  readonly insightDetails?: {
    readonly state: string;
    readonly eventSource: string;
    readonly eventName: string;
    readonly insightType: string;
    readonly insightContext?: {
      readonly limitedBaseline?: { readonly historyMinutes?: number };
      readonly statistics?: {
        readonly baseline?: { readonly average?: number };
        readonly insight?: { readonly average?: number };
      };
    };
  };
}

/** Every page of a lookup (bounded), newest first. */
async function lookupAll(
  target: DemoTarget,
  query: Readonly<Record<string, string>>,
): Promise<ShownRecord[]> {
  const records: ShownRecord[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < LOOKUP_MAX_PAGES; page++) {
    const parameters = new URLSearchParams({
      ...query,
      maxResults: String(LOOKUP_PAGE_SIZE),
      ...(nextToken ? { nextToken } : {}),
    });
    const response = await signedFetch(`${target.apiUrl}/events?${parameters}`, {
      credentials: target.credentials,
      region: target.region,
      timeoutMs: LOOKUP_TIMEOUT_MS,
    });
    if (!response.ok) throw new Error(`lookup ?${parameters} answered HTTP ${response.status}`);
    const body = (await response.json()) as { events: ShownRecord[]; nextToken?: string };
    records.push(...body.events);
    nextToken = body.nextToken;
    if (!nextToken) break;
  }
  return records;
}

/** Looks for the burst's Start insight; a remote trail's schedule may need a few polls to open it. */
async function waitForInsight(
  target: DemoTarget,
  burst: { readonly eventSource: string; readonly eventName: string },
  deadline: Deadline,
  poll: boolean,
): Promise<InsightSummary | undefined> {
  for (;;) {
    const found = (await lookupAll(target, { EventCategory: 'insight' })).find(
      (record) =>
        record.insightDetails?.state === 'Start' &&
        record.insightDetails.eventSource === burst.eventSource &&
        record.insightDetails.eventName === burst.eventName,
    );
    if (found?.insightDetails) {
      const context = found.insightDetails.insightContext;
      const historyMinutes = context?.limitedBaseline?.historyMinutes;
      return {
        eventID: found.eventID,
        insightType: found.insightDetails.insightType,
        baselineAverage: context?.statistics?.baseline?.average ?? 0,
        insightAverage: context?.statistics?.insight?.average ?? 0,
        ...(historyMinutes === undefined ? {} : { historyMinutes }),
      };
    }
    if (!poll || deadline.remainingMs() < SUMMARY_RESERVE_MS + INSIGHT_POLL_MS) return undefined;
    await sleep(INSIGHT_POLL_MS);
  }
}

const describeRecord = (record: ShownRecord): string =>
  [
    record.eventTime,
    record.eventSource,
    record.eventName,
    record.userIdentity?.userName ?? record.userIdentity?.principalId ?? '-',
    record.clientType ?? '-',
    record.errorCode ?? 'ok',
  ].join('  ');

interface PipelineCounts {
  readonly archive: { readonly bucketName: string; readonly objects: number };
  readonly logs: { readonly logGroupName: string; readonly streams: number };
}

/** Counts archive objects and log streams in the emulator. */
async function describePipeline(target: DemoTarget, emulator: EmulatorPipeline): Promise<PipelineCounts> {
  const config = { region: target.region, endpoint: emulator.awsEndpoint, credentials: target.credentials };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const logs = new CloudWatchLogsClient(config);
  try {
    let objects = 0;
    let token: string | undefined;
    for (let page = 0; page < LISTING_MAX_PAGES; page++) {
      const listed = await s3.send(
        new ListObjectsV2Command({
          Bucket: emulator.bucketName,
          Prefix: ARCHIVE_OBJECTS,
          ContinuationToken: token,
        }),
      );
      objects += listed.KeyCount ?? 0;
      token = listed.NextContinuationToken;
      if (!token) break;
    }
    let streams = 0;
    let nextToken: string | undefined;
    for (let page = 0; page < LISTING_MAX_PAGES; page++) {
      const described = await logs.send(
        new DescribeLogStreamsCommand({ logGroupName: emulator.logGroupName, nextToken }),
      );
      streams += described.logStreams?.length ?? 0;
      nextToken = described.nextToken;
      if (!nextToken) break;
    }
    return {
      archive: { bucketName: emulator.bucketName, objects },
      logs: { logGroupName: emulator.logGroupName, streams },
    };
  } finally {
    s3.destroy();
    logs.destroy();
  }
}

function whereLines(target: DemoTarget, counts: PipelineCounts | undefined): string[] {
  if (!target.emulator || !counts) {
    return [
      'The archive and the logs: see the stack outputs ArchiveBucketName (objects under events/YYYY/MM/DD/HH/,',
      'gzip NDJSON; query them with Athena: AthenaDatabase, AthenaTable) and EventLogGroupName (one JSON line per',
      'event; e.g. aws logs filter-log-events --log-group-name <name> --filter-pattern \'{ $.errorCode = "AccessDenied" }\').',
    ];
  }
  const endpoint = `--endpoint-url ${target.emulator.awsEndpoint}`;
  const lines = [
    `Archive: s3://${counts.archive.bucketName}/${ARCHIVE_OBJECTS} holds ${counts.archive.objects} objects (gzip NDJSON, one event per line)`,
    `  aws ${endpoint} s3 ls s3://${counts.archive.bucketName}/${ARCHIVE_OBJECTS} --recursive`,
    `Logs: log group ${counts.logs.logGroupName} has ${counts.logs.streams} streams (one JSON line per event)`,
    `  aws ${endpoint} logs filter-log-events --log-group-name ${counts.logs.logGroupName} --filter-pattern '{ $.errorCode = "AccessDenied" }'`,
  ];
  if (target.description.includes('in this process')) {
    lines.push(
      'This local mode stops with the demo. To keep the trail, the archive and the logs around: npm start, then',
      '  npm run demo -- --url http://127.0.0.1:3000',
    );
  }
  return lines;
}
