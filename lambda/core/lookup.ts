import { setMaxListeners } from 'node:events';
import { mapWithConcurrency } from './backoff.js';
import { highestIdAt, lowestIdAt, parseEventId } from './event-id.js';
import { byteLength, type TrailRecord } from './event-model.js';
import { lookupUsername } from './identity.js';
import {
  accessKeyCatalogPk,
  eventNamePartitions,
  insightPartitions,
  type PartitionRef,
  resourceNamePartitions,
  resourceTypePartitions,
  SOURCE_CATALOG_PK,
  sourcePartitions,
  sourcePartitionsByHash,
  userPartitions,
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
  /** Resume within this group of catalog entries (from a nextToken; next-token.ts PageCursor.group). */
  readonly group?: readonly string[];
  /** `insight` looks up insight events only; without it, insight events are never returned. */
  readonly eventCategory?: 'insight';
}

/** What a lookup filters on, besides its window. */
export type LookupFilters = Omit<LookupQuery, 'startMs' | 'endMs' | 'afterEventID' | 'group'>;

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

/**
 * One page of a lookup. When more results may exist, the next page resumes strictly after `lastEventID` within
 * `group` (either may be absent: a group not begun yet has no lastEventID, a lookup without a catalog no group).
 */
export interface LookupPage {
  /** Stored records as JSON text, newest first (within a group), exactly as stored. */
  readonly records: string[];
  readonly lastEventID?: string;
  readonly group?: readonly string[];
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
    | 'lookupPartitionsPerPage'
    | 'lookupQueriesPerPage'
    | 'lookupConcurrency'
    | 'lookupRecordsPerPage'
    | 'lookupReadBytesPerPage'
    | 'lookupGroupBytes'
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
 * The others are checked on the records read.
 */
const DRIVING_ORDER: readonly LookupKey[] = [
  'ResourceName',
  'AccessKeyId',
  'Username',
  'EventName',
  'ResourceType',
  'EventSource',
];

/**
 * Where a lookup's partitions come from: fixed by its value (one per shard), or listed by a catalog whose entries
 * producers can multiply (the source catalog, an access key's users), which a page takes in bounded groups.
 */
type PartitionPlan =
  | { readonly kind: 'fixed'; readonly partitions: readonly PartitionRef[] }
  | {
      readonly kind: 'catalog';
      readonly pk: string;
      readonly partitionsOf: (entry: string) => PartitionRef[];
    };

function planFor(
  attributes: LookupAttributes,
  eventCategory: LookupQuery['eventCategory'],
  shards: number,
): PartitionPlan {
  const fixed = (partitions: PartitionRef[]): PartitionPlan => ({ kind: 'fixed', partitions });
  if (eventCategory === 'insight') return fixed(insightPartitions(shards));
  const driver = DRIVING_ORDER.find((key) => attributes[key] !== undefined);
  const value = driver === undefined ? '' : (attributes[driver] as string);
  switch (driver) {
    case 'ResourceName':
      return fixed(resourceNamePartitions(value, shards));
    case 'AccessKeyId':
      return {
        kind: 'catalog',
        pk: accessKeyCatalogPk(value),
        partitionsOf: (user) => userPartitions(user, shards),
      };
    case 'Username':
      return fixed(userPartitions(value, shards));
    case 'EventName':
      return fixed(eventNamePartitions(value, shards));
    case 'ResourceType':
      return fixed(resourceTypePartitions(value, shards));
    case 'EventSource':
      return fixed(sourcePartitions(value, shards));
    default:
      return {
        kind: 'catalog',
        pk: SOURCE_CATALOG_PK,
        partitionsOf: (hash) => sourcePartitionsByHash(hash, shards),
      };
  }
}

/** What is left of one page's allowance (LookupBounds); every store call and record read takes from it. */
interface PageBudget {
  queries: number;
  records: number;
  readBytes: number;
}

/** Where a page stands: in which group, and after which eventID of it. */
interface Position {
  readonly group?: readonly string[];
  readonly afterEventID?: string;
}

/** One page being answered: its reader, window, limits and the records gathered so far. */
interface PageRun {
  readonly reader: EventReader;
  readonly read: ReadOptions;
  readonly bounds: LookupBounds;
  readonly budget: PageBudget;
  /** Queries kept back so that a finished group can always read the next one from its catalog. */
  readonly reserve: number;
  readonly lowSk: string;
  readonly highSk: string;
  readonly matches: Predicate;
  readonly page: PageBuilder;
}

/** The records of a page, bounded by count and by their bytes in the response, and where the next page starts. */
class PageBuilder {
  readonly records: string[] = [];
  /** Set once the page is complete while more may exist. */
  next?: Position;
  private bytes = 0;
  private last?: Position;

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
   * Takes a match found at `at`, or, when the page is full by count or bytes, ends the page before it: the next
   * page starts after the last record taken, or at the start of this match's group when it lies in a later one.
   */
  offer(record: string, at: Position): boolean {
    const bytes = this.recordBytes(record);
    const full = this.records.length === this.maxResults || this.bytes + bytes > this.maxBytes;
    // A record always fits an empty page (a record is at most 256 KB), so every page makes progress.
    if (full && this.records.length > 0) {
      this.next = this.last?.group === at.group ? this.last : { ...(at.group ? { group: at.group } : {}) };
      return false;
    }
    this.records.push(record);
    this.bytes += bytes;
    this.last = at;
    return true;
  }
}

/** One partition's share of a newest-first merge: a buffer of eventIDs fetched lazily, page by page. */
interface PartitionCursor {
  readonly partition: PartitionRef;
  /** Inclusive upper bound of the next fetch; after the first fetch it is the last eventID already buffered. */
  high: string;
  fetched: boolean;
  buffer: string[];
  exhausted: boolean;
  fetchSize: number;
}

const MAX_FETCH = 500;

/** Why a merge stopped yielding: every partition is read to the window's start, or the page's queries ran out. */
type MergeEnd = 'exhausted' | 'budget';

/**
 * Newest-first k-way merge of many partitions: every partition is a sorted run of eventIDs, so the next event
 * overall is the largest head among them. Partitions are read lazily, so a page costs about what it returns; the
 * merge stops when refilling the partitions it needs would pass the page's queries.
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
    high: highSk,
    fetched: false,
    buffer: [],
    exhausted: false,
    fetchSize: initialFetch,
  }));
  for (;;) {
    const empty = cursors.filter((cursor) => cursor.buffer.length === 0 && !cursor.exhausted);
    if (empty.length > run.budget.queries - run.reserve) return 'budget';
    run.budget.queries -= empty.length;
    await mapWithConcurrency(empty, run.bounds.lookupConcurrency, (cursor) => refill(cursor, run));
    let best: PartitionCursor | undefined;
    for (const cursor of cursors) {
      const head = cursor.buffer[0];
      if (head !== undefined && (best === undefined || head > (best.buffer[0] as string))) best = cursor;
    }
    if (!best) return 'exhausted';
    yield best.buffer.shift() as string;
  }
}

async function refill(cursor: PartitionCursor, run: PageRun): Promise<void> {
  // A failed call aborts the page; the calls still queued behind it must not start.
  run.read.signal?.throwIfAborted();
  // BETWEEN is inclusive: after the first page the bound repeats the last eventID seen, so ask for one more.
  const repeat = cursor.fetched ? 1 : 0;
  const page = await run.reader.queryPartition(
    cursor.partition,
    run.lowSk,
    cursor.high,
    cursor.fetchSize + repeat,
    run.read,
  );
  const fresh = cursor.fetched ? page.eventIDs.filter((id) => id < cursor.high) : [...page.eventIDs];
  cursor.fetched = true;
  cursor.buffer = fresh;
  cursor.exhausted = page.exhausted || fresh.length === 0;
  const last = fresh.at(-1);
  if (last !== undefined) cursor.high = last;
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
 * Merges one set of partitions from `at` down to the window's start, reading the records in batches and offering
 * the matches to the page. Returns true when the partitions are done; false when the page ended (full, or out of
 * queries or reads, in which case it resumes after the last eventID examined).
 */
async function mergeInto(partitions: readonly PartitionRef[], at: Position, run: PageRun): Promise<boolean> {
  const { afterEventID, group } = at;
  const highSk = afterEventID !== undefined && afterEventID < run.highSk ? afterEventID : run.highSk;
  if (run.lowSk > highSk) return true;
  const candidates = mergeNewestFirst(partitions, highSk, run);
  let examined = afterEventID;
  const stop = (): false => {
    run.page.next = {
      ...(group ? { group } : {}),
      ...(examined === undefined ? {} : { afterEventID: examined }),
    };
    return false;
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
    const fetched =
      batch.length === 0 ? new Map<string, string>() : await run.reader.readRecords(batch, run.read);
    for (const eventID of batch) {
      const record = fetched.get(eventID);
      if (record !== undefined) {
        run.budget.readBytes -= byteLength(record);
        if (
          run.matches(JSON.parse(record) as TrailRecord) &&
          !run.page.offer(record, { group, afterEventID: eventID })
        ) {
          return false;
        }
      }
      examined = eventID;
    }
    if (end === 'exhausted') return true;
    if (end === 'budget') return stop();
  }
}

/** The next group of a catalog after entry `after`: as many entries as fit the page's partitions and the token. */
async function readGroup(
  plan: Extract<PartitionPlan, { kind: 'catalog' }>,
  after: string | undefined,
  shards: number,
  run: PageRun,
): Promise<readonly string[] | undefined> {
  run.budget.queries -= 1;
  const limit = Math.max(1, Math.floor(run.bounds.lookupPartitionsPerPage / shards));
  const entries = await run.reader.readCatalog(
    plan.pk,
    { ...(after === undefined ? {} : { after }), limit },
    run.read,
  );
  const members: string[] = [];
  let bytes = 0;
  for (const entry of entries) {
    bytes += byteLength(entry.sk);
    if (members.length > 0 && bytes > run.bounds.lookupGroupBytes) break;
    members.push(entry.sk);
  }
  return members.length === 0 ? undefined : members;
}

/**
 * Answers a lookup with Query and BatchGetItem only: pick the partitions of the most selective attribute, merge
 * them newest first within the time window, read the records, keep those matching every attribute. One extra
 * match is read ahead so that a page ended by its size has a nextToken only when more exists.
 *
 * Every page is bounded whatever producers sent (LookupBounds): a catalog's partitions are merged a group at a
 * time (groups in catalog order, each newest first), store calls are bounded in number and concurrency, and the
 * page ends early, resuming in its nextToken, when its queries, reads or response bytes run out. Its store calls
 * end with it: the page aborts the ones still outstanding when it is answered, fails, or `signal` aborts.
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
  const plan = planFor(query.attributes, query.eventCategory, options.writeShards);
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
    reserve: plan.kind === 'catalog' ? 1 : 0,
    lowSk: lowestIdAt(query.startMs),
    highSk: highestIdAt(query.endMs),
    matches,
    page,
  };
  const result = (): LookupPage => ({
    records: page.records,
    ...(page.next?.afterEventID === undefined ? {} : { lastEventID: page.next.afterEventID }),
    ...(page.next?.group === undefined ? {} : { group: page.next.group }),
  });

  if (plan.kind === 'fixed') {
    await mergeInto(
      plan.partitions,
      { ...(query.afterEventID ? { afterEventID: query.afterEventID } : {}) },
      run,
    );
    return result();
  }
  let group = query.group ?? (await readGroup(plan, undefined, options.writeShards, run));
  let afterEventID = query.afterEventID;
  // Each group costs at least one query, so the page's queries bound this loop.
  while (group !== undefined) {
    const at = { group, ...(afterEventID === undefined ? {} : { afterEventID }) };
    if (!(await mergeInto(group.flatMap(plan.partitionsOf), at, run))) return result();
    // The queries kept back pay for this read; a group the page cannot begin is where its nextToken resumes.
    group = await readGroup(plan, group.at(-1), options.writeShards, run);
    afterEventID = undefined;
  }
  return result();
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
  if (page.lastEventID === undefined && page.group === undefined) return { records: page.records };
  const cursor = {
    ...(page.lastEventID === undefined ? {} : { afterEventID: page.lastEventID }),
    ...(page.group === undefined ? {} : { group: page.group }),
    startMs: query.startMs,
    endMs: query.endMs,
  };
  return { records: page.records, nextToken: options.tokens.encode(cursor, request.fingerprint) };
}
