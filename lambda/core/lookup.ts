import { highestIdAt, lowestIdAt, parseEventId } from './event-id.js';
import type { TrailRecord } from './event-model.js';
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
import type { NextTokenCodec } from './next-token.js';
import type { EventReader } from './ports.js';

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

export interface LookupPage {
  /** Stored records as JSON text, newest first, exactly as stored. */
  readonly records: string[];
  /** The last returned eventID when more results exist. */
  readonly lastEventID?: string;
}

export interface LookupOptions {
  readonly writeShards: number;
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

async function partitionsFor(
  attributes: LookupAttributes,
  eventCategory: LookupQuery['eventCategory'],
  reader: EventReader,
  shards: number,
): Promise<PartitionRef[]> {
  if (eventCategory === 'insight') return insightPartitions(shards);
  const driver = DRIVING_ORDER.find((key) => attributes[key] !== undefined);
  const value = driver === undefined ? '' : (attributes[driver] as string);
  switch (driver) {
    case 'ResourceName':
      return resourceNamePartitions(value, shards);
    case 'AccessKeyId': {
      const owners = await reader.readCatalog(accessKeyCatalogPk(value));
      return owners.flatMap((owner) => userPartitions(owner.sk, shards));
    }
    case 'Username':
      return userPartitions(value, shards);
    case 'EventName':
      return eventNamePartitions(value, shards);
    case 'ResourceType':
      return resourceTypePartitions(value, shards);
    case 'EventSource':
      return sourcePartitions(value, shards);
    default: {
      const sources = await reader.readCatalog(SOURCE_CATALOG_PK);
      return sources.flatMap((source) => sourcePartitionsByHash(source.sk, shards));
    }
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

/**
 * Newest-first k-way merge of many partitions: every partition is a sorted run of eventIDs, so the next event
 * overall is the largest head among them. Partitions are read lazily, so a page costs about what it returns.
 */
async function* mergeNewestFirst(
  partitions: readonly PartitionRef[],
  lowSk: string,
  highSk: string,
  expected: number,
  reader: EventReader,
): AsyncGenerator<string> {
  const initialFetch = Math.min(
    MAX_FETCH,
    Math.max(2, Math.ceil(expected / Math.max(1, partitions.length)) + 1),
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
    await Promise.all(empty.map((cursor) => refill(cursor, lowSk, reader)));
    let best: PartitionCursor | undefined;
    for (const cursor of cursors) {
      const head = cursor.buffer[0];
      if (head !== undefined && (best === undefined || head > (best.buffer[0] as string))) best = cursor;
    }
    if (!best) return;
    yield best.buffer.shift() as string;
  }
}

async function refill(cursor: PartitionCursor, lowSk: string, reader: EventReader): Promise<void> {
  // BETWEEN is inclusive: after the first page the bound repeats the last eventID seen, so ask for one more.
  const repeat = cursor.fetched ? 1 : 0;
  const page = await reader.queryPartition(cursor.partition, lowSk, cursor.high, cursor.fetchSize + repeat);
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
 * Answers a lookup with Query and BatchGetItem only: pick the partitions of the most selective attribute,
 * merge them newest first within the time window, read the records, keep those matching every attribute.
 * One extra match is read ahead so a page that has a nextToken is never followed by an empty one.
 */
export async function lookupEvents(
  query: LookupQuery,
  reader: EventReader,
  options: LookupOptions,
): Promise<LookupPage> {
  const matches = matcher(query);
  const eventId = query.attributes.EventId;
  if (eventId !== undefined) {
    if (!inWindow(eventId, query) || (query.afterEventID !== undefined && eventId >= query.afterEventID)) {
      return { records: [] };
    }
    const record = (await reader.readRecords([eventId])).get(eventId);
    return { records: record !== undefined && matches(JSON.parse(record) as TrailRecord) ? [record] : [] };
  }

  const partitions = await partitionsFor(query.attributes, query.eventCategory, reader, options.writeShards);
  const lowSk = lowestIdAt(query.startMs);
  const highSk =
    query.afterEventID !== undefined && query.afterEventID < highestIdAt(query.endMs)
      ? query.afterEventID
      : highestIdAt(query.endMs);
  const wanted = query.maxResults + 1;
  const records: Array<{ eventID: string; record: string }> = [];
  const candidates = mergeNewestFirst(partitions, lowSk, highSk, wanted, reader);
  let done = false;
  while (!done && records.length < wanted) {
    const batch: string[] = [];
    const batchSize = Math.min(100, Math.max(10, wanted - records.length));
    while (batch.length < batchSize) {
      const next = await candidates.next();
      if (next.done) {
        done = true;
        break;
      }
      if (next.value !== query.afterEventID) batch.push(next.value);
    }
    const fetched = await reader.readRecords(batch);
    for (const eventID of batch) {
      const record = fetched.get(eventID);
      if (record !== undefined && matches(JSON.parse(record) as TrailRecord)) {
        records.push({ eventID, record });
        if (records.length === wanted) break;
      }
    }
  }
  const page = records.slice(0, query.maxResults);
  const hasMore = records.length > query.maxResults;
  return {
    records: page.map(({ record }) => record),
    ...(hasMore ? { lastEventID: page.at(-1)?.eventID } : {}),
  };
}

/** The query a request runs: as parsed, or resumed from its nextToken (whose window wins). */
function resumedQuery(request: PagedLookupRequest, tokens: NextTokenCodec): LookupQuery {
  if (request.nextToken === undefined) return request.query;
  const cursor = tokens.decode(request.nextToken, request.fingerprint);
  return {
    ...request.query,
    startMs: cursor.startMs,
    endMs: cursor.endMs,
    afterEventID: cursor.afterEventID,
  };
}

/** Paged lookup, the same for every protocol: resume from the request's token, look up, sign the next token. */
export async function lookupPage(
  request: PagedLookupRequest,
  reader: EventReader,
  options: LookupOptions & { readonly tokens: NextTokenCodec },
): Promise<LookupResult> {
  const query = resumedQuery(request, options.tokens);
  const page = await lookupEvents(query, reader, options);
  if (page.lastEventID === undefined) return { records: page.records };
  const cursor = { afterEventID: page.lastEventID, startMs: query.startMs, endMs: query.endMs };
  return { records: page.records, nextToken: options.tokens.encode(cursor, request.fingerprint) };
}
