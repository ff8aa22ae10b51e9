import { setMaxListeners } from 'node:events';
import { mapWithConcurrency } from './backoff.js';
import { highestIdAt, lowestIdAt, parseEventId } from './event-id.js';
import { byteLength, type TrailRecord } from './event-model.js';
import { lookupUsername } from './identity.js';
import {
  feedPartitions,
  insightPartitions,
  newestIdOf,
  type PartitionRef,
  POSTING_FAMILIES,
  partitionQueryHigh,
  postingPartitions,
  sourcePartitions,
} from './keys.js';
import { LIMITS } from './limits.js';
import type { NextTokenCodec } from './next-token.js';
import type { EventReader, ReadOptions } from './ports.js';

/** Listeners one page's signal may carry: each of its outstanding store calls adds a few (request, retry wait). */
const LISTENERS_PER_PAGE = 4 * LIMITS.lookupConcurrency;

/** CloudTrail's LookupEvents attribute keys. */
export const LOOKUP_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
export type LookupKey = (typeof LOOKUP_KEYS)[number];
export type LookupAttributes = Partial<Record<LookupKey, string>>;

export interface LookupQuery {
  /** Every attribute must match (AND); CloudTrail would use only the first. */
  readonly attributes: LookupAttributes;
  /** Inclusive bounds on eventTime, epoch milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  readonly maxResults: number;
  /** Resume strictly after this eventID (from a nextToken). */
  readonly afterEventID?: string;
  /** `insight` looks up insight events only; without it, insight events are never returned. */
  readonly eventCategory?: 'insight';
}

/** What a lookup filters on, besides its window. */
export type LookupFilters = Omit<LookupQuery, 'startMs' | 'endMs' | 'afterEventID'>;

/**
 * A lookup as a protocol parsed it, with the fingerprint its nextTokens are bound to: a new lookup, or one resumed
 * from a nextToken, whose window wins over any the request names.
 */
export type PagedLookupRequest =
  | { readonly query: LookupQuery; readonly fingerprint: string; readonly nextToken?: undefined }
  | { readonly query: LookupFilters; readonly fingerprint: string; readonly nextToken: string };

/** One page for a client: the records and, when more exist, the nextToken that resumes the same lookup. */
export interface LookupResult {
  readonly records: string[];
  readonly nextToken?: string;
}

/** One page of a lookup. When more results may exist, the next page resumes strictly after `lastEventID`. */
export interface LookupPage {
  /** Stored records as JSON text, newest first, exactly as stored. */
  readonly records: string[];
  readonly lastEventID?: string;
}

/** What one record adds to the function's response, in bytes: how a protocol writes it into its page. */
export type RecordBytes = (recordJson: string) => number;

/** The bytes of `text` inside Lambda's response payload, where the body is itself an escaped JSON string. */
export const responseBytes = (text: string): number => byteLength(JSON.stringify(text)) - 2;

/** GET /events lists the records as they are, separated by commas. */
export const nativeRecordBytes: RecordBytes = (recordJson) => responseBytes(recordJson) + 1;

/** The limits one page keeps to (limits.ts); tests give smaller ones to reach every boundary with little data. */
export type LookupBounds = {
  readonly [Limit in
    | 'lookupQueriesPerPage'
    | 'lookupConcurrency'
    | 'lookupRecordsPerPage'
    | 'lookupReadBytesPerPage'
    | 'lookupPageBytes']: number;
};

export interface LookupOptions {
  readonly writeShards: number;
  /** Ends the page's store calls early: the request's deadline. */
  readonly signal?: AbortSignal;
  /** @default nativeRecordBytes */
  readonly recordBytes?: RecordBytes;
  /** @default LIMITS */
  readonly bounds?: LookupBounds;
}

type Predicate = (record: TrailRecord) => boolean;

const PREDICATES: Record<LookupKey, (value: string) => Predicate> = {
  EventId: (value) => (record) => record.eventID === value,
  EventName: (value) => (record) => record.eventName === value,
  ReadOnly: (value) => (record) => String(record.readOnly) === value,
  Username: (value) => (record) => lookupUsername(record.userIdentity) === value,
  ResourceType: (value) => (record) => (record.resources ?? []).some((resource) => resource.type === value),
  ResourceName: (value) => (record) => (record.resources ?? []).some((resource) => resource.ARN === value),
  EventSource: (value) => (record) => record.eventSource === value,
  AccessKeyId: (value) => (record) => record.userIdentity.accessKeyId === value,
};

/**
 * Which attribute drives the Query when several are given: the one whose partitions are likely smallest.
 * The others are checked on the records read. Without any, the feed of every event is merged.
 */
const DRIVING_ORDER = [
  'ResourceName',
  'AccessKeyId',
  'Username',
  'EventName',
  'ResourceType',
  'EventSource',
  'ReadOnly',
] as const satisfies readonly LookupKey[];

/** The partitions a lookup merges: one per shard of its driving value (both readOnly feeds without one). */
function partitionsFor(
  attributes: LookupAttributes,
  eventCategory: LookupQuery['eventCategory'],
  shards: number,
): readonly PartitionRef[] {
  if (eventCategory === 'insight') return insightPartitions(shards);
  const driver = DRIVING_ORDER.find((key) => attributes[key] !== undefined);
  if (driver === undefined) return feedPartitions(shards);
  const value = attributes[driver] as string;
  if (driver === 'EventSource') return sourcePartitions(value, shards);
  return postingPartitions(POSTING_FAMILIES[driver], value, shards);
}

/** What is left of one page's allowance (LookupBounds); every store call and record read takes from it. */
interface PageBudget {
  queries: number;
  records: number;
  readBytes: number;
}

/** One page being answered: its reader, window, limits and the records gathered so far. */
interface PageRun {
  readonly reader: EventReader;
  readonly read: ReadOptions;
  readonly bounds: LookupBounds;
  readonly budget: PageBudget;
  readonly lowSk: string;
  readonly highSk: string;
  readonly matches: Predicate;
  readonly page: PageBuilder;
  /** Every record the page's reads brought, asked for or not: a read fetches whole pages of the store. */
  readonly fetched: Map<string, string>;
}

/** The records of a page, bounded by count and by their bytes in the response, and where the next page starts. */
class PageBuilder {
  readonly records: string[] = [];
  /** Set once the page is complete while more may exist: the next page starts strictly after this eventID. */
  next?: { readonly afterEventID: string };
  private bytes = 0;
  private last?: string;

  constructor(
    private readonly maxResults: number,
    private readonly recordBytes: RecordBytes,
    private readonly maxBytes: number,
  ) {}

  /** How many more matches the page takes, the one read ahead included. */
  get wanted(): number {
    return this.maxResults + 1 - this.records.length;
  }

  /**
   * Takes the match `eventID`, or, when the page is full by count or bytes, ends the page before it: the next
   * page starts after the last record taken.
   */
  offer(record: string, eventID: string): boolean {
    const bytes = this.recordBytes(record);
    const full = this.records.length === this.maxResults || this.bytes + bytes > this.maxBytes;
    // A record always fits an empty page (a record is at most 256 KB), so every page makes progress.
    if (full && this.records.length > 0) {
      this.next = { afterEventID: this.last as string };
      return false;
    }
    this.records.push(record);
    this.bytes += bytes;
    this.last = eventID;
    return true;
  }
}

/** One partition's share of a newest-first merge: eventIDs fetched lazily, a few items at a time. */
interface PartitionCursor {
  readonly partition: PartitionRef;
  /**
   * Inclusive upper bound (sort key) of the next fetch; after the first fetch, the last item read. The items not
   * read yet all sort below it, so none holds an eventID newer than the newest this key allows (newestIdOf).
   */
  high: string;
  fetched: boolean;
  /** EventIDs read and not yet merged, newest first. */
  buffer: string[];
  exhausted: boolean;
  fetchSize: number;
}

const MAX_FETCH = 500;

/** Why a merge stopped yielding: every partition is read to the window's start, or the page's queries ran out. */
type MergeEnd = 'exhausted' | 'budget';

const newestFirst = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/**
 * Newest-first k-way merge of many partitions. Their items (pages, posting lists) each hold several events, and
 * items of one partition may overlap in time, but an item's sort key starts at or above the newest eventID it holds. So the next event overall is the newest one read so far once no partition's unread items can
 * hold a newer one; until then those partitions are read further. Partitions are read lazily, so a page costs
 * about what it returns; the merge stops when the partitions it needs would pass the page's queries. An event
 * listed twice (a retried write lists it again) is yielded once.
 */
async function* mergeNewestFirst(
  partitions: readonly PartitionRef[],
  highSk: string,
  run: PageRun,
): AsyncGenerator<string, MergeEnd> {
  const initialFetch = Math.min(
    MAX_FETCH,
    Math.max(2, Math.ceil(run.page.wanted / Math.max(1, partitions.length)) + 1),
  );
  const cursors: PartitionCursor[] = partitions.map((partition) => ({
    partition,
    high: partitionQueryHigh(highSk, partition.partitionKey),
    fetched: false,
    buffer: [],
    exhausted: false,
    fetchSize: initialFetch,
  }));
  let yielded: string | undefined;
  for (;;) {
    let best: PartitionCursor | undefined;
    for (const cursor of cursors) {
      const head = cursor.buffer[0];
      if (head !== undefined && (best === undefined || head > (best.buffer[0] as string))) best = cursor;
    }
    const newest = best?.buffer[0];
    const blocking = cursors.filter(
      (cursor) => !cursor.exhausted && (newest === undefined || newestIdOf(cursor.high) > newest),
    );
    if (blocking.length === 0) {
      if (!best) return 'exhausted';
      const eventID = best.buffer.shift() as string;
      if (eventID !== yielded) yield eventID;
      yielded = eventID;
      continue;
    }
    if (blocking.length > run.budget.queries) return 'budget';
    run.budget.queries -= blocking.length;
    await mapWithConcurrency(blocking, run.bounds.lookupConcurrency, (cursor) => refill(cursor, highSk, run));
  }
}

async function refill(cursor: PartitionCursor, highSk: string, run: PageRun): Promise<void> {
  // A failed call aborts the page; the calls still queued behind it must not start.
  run.read.signal?.throwIfAborted();
  // BETWEEN is inclusive: after the first page the bound repeats the last item read, so ask for one more.
  const repeat = cursor.fetched ? 1 : 0;
  const page = await run.reader.queryPartition(
    cursor.partition,
    run.lowSk,
    cursor.high,
    cursor.fetchSize + repeat,
    run.read,
  );
  const fresh = cursor.fetched ? page.entries.filter((entry) => entry.sk < cursor.high) : page.entries;
  cursor.fetched = true;
  cursor.exhausted = page.exhausted || fresh.length === 0;
  const last = fresh.at(-1);
  if (last !== undefined) cursor.high = last.sk;
  // An item may reach past the window on either side: only its eventIDs inside the window count.
  const inWindow = fresh.flatMap((entry) => entry.eventIDs).filter((id) => id >= run.lowSk && id <= highSk);
  if (inWindow.length > 0) cursor.buffer = [...cursor.buffer, ...inWindow].sort(newestFirst);
  cursor.fetchSize = Math.min(MAX_FETCH, cursor.fetchSize * 2);
}

function matcher({ attributes, eventCategory }: LookupQuery): Predicate {
  const predicates = LOOKUP_KEYS.flatMap((key) => {
    const value = attributes[key];
    return value === undefined ? [] : [PREDICATES[key](value)];
  });
  const wantInsights = eventCategory === 'insight';
  return (record) =>
    (record.eventCategory === 'Insight') === wantInsights &&
    predicates.every((predicate) => predicate(record));
}

function inWindow(eventID: string, query: LookupQuery): boolean {
  const parts = parseEventId(eventID);
  return parts !== undefined && parts.timeMs >= query.startMs && parts.timeMs <= query.endMs;
}

/**
 * Reads the records of `batch` not fetched yet. A read returns every record of the store pages it reads, and every
 * one counts against the page's read bytes: what a lookup reads is bounded by what it fetches, not by what matched.
 */
async function fetchRecords(batch: readonly string[], run: PageRun): Promise<void> {
  const missing = batch.filter((eventID) => !run.fetched.has(eventID));
  if (missing.length === 0) return;
  for (const [eventID, record] of await run.reader.readRecords(missing, run.read)) {
    if (run.fetched.has(eventID)) continue;
    run.fetched.set(eventID, record);
    run.budget.readBytes -= byteLength(record);
  }
}

/**
 * Merges the partitions from `afterEventID` down to the window's start, reading the records in batches and
 * offering the matches to the page, until the page is full or out of queries or reads (then it resumes after the
 * last eventID examined).
 */
async function mergeInto(
  partitions: readonly PartitionRef[],
  afterEventID: string | undefined,
  run: PageRun,
): Promise<void> {
  const highSk = afterEventID !== undefined && afterEventID < run.highSk ? afterEventID : run.highSk;
  if (run.lowSk > highSk) return;
  const candidates = mergeNewestFirst(partitions, highSk, run);
  let examined = afterEventID;
  const stop = (): void => {
    // Every page gets past at least one event: the first refills of a merge read at most the posting lists of one
    // minute above the window per partition, far fewer than a page's queries allow (docs/storage.md).
    if (examined === undefined) throw new Error('a lookup page ran out of its bounds before its first event');
    run.page.next = { afterEventID: examined };
  };
  for (;;) {
    if (run.budget.records <= 0 || run.budget.readBytes <= 0) return stop();
    const batchSize = Math.min(100, Math.max(10, run.page.wanted), run.budget.records);
    const batch: string[] = [];
    let end: MergeEnd | undefined;
    while (batch.length < batchSize) {
      const next = await candidates.next();
      if (next.done) {
        end = next.value;
        break;
      }
      if (next.value !== afterEventID) batch.push(next.value);
    }
    run.budget.records -= batch.length;
    await fetchRecords(batch, run);
    for (const eventID of batch) {
      const record = run.fetched.get(eventID);
      if (
        record !== undefined &&
        run.matches(JSON.parse(record) as TrailRecord) &&
        !run.page.offer(record, eventID)
      )
        return;
      examined = eventID;
    }
    if (end === 'exhausted') return;
    if (end === 'budget') return stop();
  }
}

/**
 * Answers a lookup with Query and BatchGetItem only: pick the partitions of the most selective attribute (one per
 * shard, or the feed of every event), merge them newest first within the time window, read the records, keep
 * those matching every attribute. One extra match is read ahead so that a page ended by its size has a nextToken
 * only when more exists.
 *
 * Every page is bounded whatever producers sent (LookupBounds): store calls are bounded in number and
 * concurrency, and the page ends early, resuming in its nextToken, when its queries, reads or response bytes run
 * out. Its store calls end with it: the page aborts the ones still outstanding when it is answered, fails, or
 * `signal` aborts.
 */
export async function lookupEvents(
  query: LookupQuery,
  reader: EventReader,
  options: LookupOptions,
): Promise<LookupPage> {
  const ended = new AbortController();
  const signal =
    options.signal === undefined ? ended.signal : AbortSignal.any([options.signal, ended.signal]);
  // Every outstanding store call listens on the page's signal, the SDK's retry waits too: as many as the page allows.
  setMaxListeners(LISTENERS_PER_PAGE, signal);
  try {
    return await answer(query, reader, options, { signal });
  } finally {
    ended.abort();
  }
}

async function answer(
  query: LookupQuery,
  reader: EventReader,
  options: LookupOptions,
  read: ReadOptions,
): Promise<LookupPage> {
  const matches = matcher(query);
  const eventId = query.attributes.EventId;
  if (eventId !== undefined) {
    if (!inWindow(eventId, query) || (query.afterEventID !== undefined && eventId >= query.afterEventID)) {
      return { records: [] };
    }
    const record = (await reader.readRecords([eventId], read)).get(eventId);
    return { records: record !== undefined && matches(JSON.parse(record) as TrailRecord) ? [record] : [] };
  }
  if (query.startMs > query.endMs) return { records: [] };

  const bounds = options.bounds ?? LIMITS;
  const page = new PageBuilder(
    query.maxResults,
    options.recordBytes ?? nativeRecordBytes,
    bounds.lookupPageBytes,
  );
  const run: PageRun = {
    reader,
    read,
    bounds,
    budget: {
      queries: bounds.lookupQueriesPerPage,
      records: bounds.lookupRecordsPerPage,
      readBytes: bounds.lookupReadBytesPerPage,
    },
    lowSk: lowestIdAt(query.startMs),
    highSk: highestIdAt(query.endMs),
    matches,
    page,
    fetched: new Map(),
  };
  await mergeInto(
    partitionsFor(query.attributes, query.eventCategory, options.writeShards),
    query.afterEventID,
    run,
  );
  return {
    records: page.records,
    ...(page.next === undefined ? {} : { lastEventID: page.next.afterEventID }),
  };
}

/** The query a request runs: as parsed, or resumed from its nextToken (whose window wins). */
function resumedQuery(request: PagedLookupRequest, tokens: NextTokenCodec): LookupQuery {
  if (request.nextToken === undefined) return request.query;
  const cursor = tokens.decode(request.nextToken, request.fingerprint);
  return { ...request.query, ...cursor };
}

/** Paged lookup, the same for every protocol: resume from the request's token, look up, sign the next token. */
export async function lookupPage(
  request: PagedLookupRequest,
  reader: EventReader,
  options: LookupOptions & {
    readonly tokens: NextTokenCodec;
    /** Events older than this are past their retention: hidden, whether or not TTL has deleted them yet. */
    readonly notBeforeMs?: number;
  },
): Promise<LookupResult> {
  const query = resumedQuery(request, options.tokens);
  const { notBeforeMs } = options;
  const visible =
    notBeforeMs !== undefined && query.startMs < notBeforeMs ? { ...query, startMs: notBeforeMs } : query;
  const page = await lookupEvents(visible, reader, options);
  if (page.lastEventID === undefined) return { records: page.records };
  const cursor = {
    afterEventID: page.lastEventID,
    startMs: query.startMs,
    endMs: query.endMs,
  };
  return { records: page.records, nextToken: options.tokens.encode(cursor, request.fingerprint) };
}
