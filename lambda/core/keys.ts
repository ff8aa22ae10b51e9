import { createHash, hash } from 'node:crypto';
import {
  EVENT_ID_LENGTH,
  type EventIdParts,
  eventIdOfSlot,
  eventIdTimeMs,
  highestIdAt,
  parseEventId,
  SLOT_ID_LENGTH,
  shardChar,
  shardCharOf,
  slotIdOf,
  sourceHash,
} from './event-id.js';
import type { TrailRecord } from './event-model.js';
import { lookupUsername } from './identity.js';

/**
 * Every key value the events table holds, built here and nowhere else (docs/storage.md explains the layout).
 * A value that dominates traffic is spread over `shards` partitions ("write sharding"); readers merge them.
 */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * A partition to query. Its items each stand for several events, newest first, and the first 26 characters of an
 * item's sort key are at or above the newest eventID it holds (newestIdOf): pages (sort key = the end of their
 * minute, then the page token) and posting lists (sort key = the newest eventID listed, then a digest).
 */
export interface PartitionRef {
  readonly partitionKey: string;
}

/** A catalog entry: a small item that lists values readers cannot derive (the sources, for suggestions). */
export interface CatalogEntry extends ItemKey {
  readonly attributes: Readonly<Record<string, string>>;
}

const EVENT_PREFIX = 'E#';
export const SOURCE_CATALOG_PK = 'C#SOURCES';

/**
 * The lookup values that have posting lists, by the prefix of their partitions. `A` is the feed of every
 * (non-insight) event, split by readOnly: a lookup without attributes merges both, a ReadOnly lookup one.
 * EventSource needs none: the event items' own partitions are by source.
 */
export const POSTING_FAMILIES = {
  ResourceName: 'RN',
  ResourceType: 'RT',
  EventName: 'N',
  Username: 'U',
  AccessKeyId: 'K',
  ReadOnly: 'A',
} as const;
export type PostingFamily = (typeof POSTING_FAMILIES)[keyof typeof POSTING_FAMILIES];

/** One lookup value of an event: the posting lists it is listed in carry `family` and `value`. */
export interface PostingValue {
  readonly family: PostingFamily;
  readonly value: string;
}

/** A posting list item: one request's eventIDs (newest first) that share a lookup value and a minute. */
export interface Posting {
  readonly key: ItemKey;
  readonly eventIDs: readonly string[];
  /** The latest expiry of the events listed: the list never disappears before an event it lists. */
  readonly expiresAt: number;
}

function allShards(shards: number): string[] {
  return Array.from({ length: shards }, (_, shard) => shardChar(shard));
}

/**
 * The longest time a posting list spans: one holds one request's events of one eventTime minute, so a reader that
 * wants the events at or below an eventID finds every list holding them among those whose sort key starts at most
 * at the end of that minute.
 */
export const POSTING_SPAN_MS = 60_000;

/**
 * The longest time a page spans: one holds one request's events of one aligned 30 s window of eventTime. Its sort key
 * starts with the window's end, the most a reader knows of its newest event before reading it, so a lookup merges
 * every page of the top window of each shard before it can answer; a window shorter than the posting lists' minute
 * halves that for a busy source, and 30 s keeps a typical request's pages full (one event a second, docs/storage.md).
 */
export const PAGE_SPAN_MS = 30_000;

const spanEndOf = (timeMs: number, spanMs: number): number => (Math.floor(timeMs / spanMs) + 1) * spanMs - 1;

/**
 * The key of the page holding an event, derived from the eventID alone so GetItem needs no index: the partition of
 * its source and shard, and a sort key of the end of its page window (at or above every eventID the page
 * holds, so lookups merge pages as they merge posting lists) and its page token.
 */
export function pageKeyOf(eventID: string): ItemKey | undefined {
  const parts = parseEventId(eventID);
  return parts && pageKeyOfParts(parts);
}

const pageKeyOfParts = (parts: EventIdParts): ItemKey => ({
  pk: eventPartitionKey(parts.sourceHash, parts.shard),
  sk: `${highestIdAt(spanEndOf(parts.timeMs, PAGE_SPAN_MS))}#${parts.pageToken}`,
});

function eventPartitionKey(hash: string, shard: number): string {
  return `${EVENT_PREFIX}${hash}#${shardChar(shard)}`;
}

/** Whether an item of this partition is a page (event partitions hold pages only). */
export const isPagePartition = (pk: string): boolean => pk.startsWith(EVENT_PREFIX);

/** A page's `ids` value: its events' slot ids (eventTime and slot), in the order given. */
export const pageIds = (eventIDs: readonly string[]): string => eventIDs.map(slotIdOf).join('');

/** The eventIDs a page's `ids` value names: each slot id completed with the page key's hash, shard and token. */
export function pageEventIds(key: ItemKey, ids: string): string[] {
  const [, hash = '', shard = ''] = key.pk.split('#');
  const token = key.sk.slice(key.sk.lastIndexOf('#') + 1);
  const eventIDs: string[] = [];
  for (let at = 0; at < ids.length; at += SLOT_ID_LENGTH)
    eventIDs.push(eventIdOfSlot(ids.slice(at, at + SLOT_ID_LENGTH), hash, shard, token));
  return eventIDs;
}

/**
 * What a producer id is unique within: the principal that put it (iam-principal.ts owningPrincipal; '' for a
 * caller API Gateway did not authenticate), for PutAuditEvents its channel, and its eventSource. One producer
 * never claims another's event, and unrelated sources that count their ids from 1 never claim each other's. The
 * scope is hashed: its parts are unambiguous as a JSON list, and the claim key stays far below DynamoDB's
 * 2,048-byte partition key whatever their lengths.
 */
export function producerIdScope(
  eventSource: string,
  producerId: string,
  channelArn = '',
  principal = '',
): string {
  return createHash('sha256')
    .update(JSON.stringify([principal, channelArn, eventSource, producerId]))
    .digest('base64url');
}

/** When TTL may delete what an event wrote: its eventTime plus the retention, in epoch seconds. */
export function expiresAtFor(timeMs: number, retentionDays: number): number {
  return Math.floor(timeMs / 1000) + retentionDays * 86_400;
}

/** The partition key prefix of producer-id claims: the only items a put deletes (releasing a failed attempt's). */
export const CLAIM_PREFIX = 'ID#';

/** The claim item of a scoped producer id (producerIdScope). */
export function idempotencyKey(scopedProducerId: string): ItemKey {
  return { pk: `${CLAIM_PREFIX}${scopedProducerId}`, sk: 'ID' };
}

export function sourcePartitions(eventSource: string, shards: number): PartitionRef[] {
  const hash = sourceHash(eventSource);
  return allShards(shards).map((shard) => ({ partitionKey: `${EVENT_PREFIX}${hash}#${shard}` }));
}

const postingPartitionKey = (family: PostingFamily, shard: string, value: string): string =>
  `${family}#${shard}#${value}`;

/** The posting partitions of one lookup value, one per shard. */
export function postingPartitions(family: PostingFamily, value: string, shards: number): PartitionRef[] {
  return allShards(shards).map((shard) => ({ partitionKey: postingPartitionKey(family, shard, value) }));
}

/** The feed of every event, both readOnly values: what a lookup without attributes merges. */
export function feedPartitions(shards: number): PartitionRef[] {
  return ['true', 'false'].flatMap((readOnly) =>
    postingPartitions(POSTING_FAMILIES.ReadOnly, readOnly, shards),
  );
}

/** Where the table holds one event, and what it holds besides the record. */
export interface EventKeys {
  /** The page holding the record (pageKeyOf). */
  readonly key: ItemKey;
  /** The lookup values whose posting lists name the event (the lists are built per request: postingsOf). */
  readonly postings: readonly PostingValue[];
  readonly catalog: readonly CatalogEntry[];
}

/**
 * Insight events live in a partition family of their own (the source hash of INSIGHTS_SOURCE), outside the
 * source catalog and the posting lists, so only EventCategory=insight lookups see them.
 */
export const INSIGHTS_SOURCE = 'insights.opentrail';

export function insightPartitions(shards: number): PartitionRef[] {
  return sourcePartitions(INSIGHTS_SOURCE, shards);
}

export function insightKeys(eventID: string): EventKeys {
  const key = pageKeyOf(eventID);
  if (!key) throw new Error(`not an OpenTrail eventID: ${eventID}`);
  return { key, postings: [], catalog: [] };
}

/** Adds a resource's posting value unless postings[from...] has it: an event naming a resource twice is listed once. */
function listOnce(postings: PostingValue[], from: number, family: PostingFamily, value: string): void {
  for (let i = from; i < postings.length; i++) {
    const listed = postings[i] as PostingValue;
    if (listed.family === family && listed.value === value) return;
  }
  postings.push({ family, value });
}

export function eventKeys(record: TrailRecord): EventKeys {
  const parts = parseEventId(record.eventID);
  if (!parts) throw new Error(`not an OpenTrail eventID: ${record.eventID}`);
  const postings: PostingValue[] = [
    { family: POSTING_FAMILIES.ReadOnly, value: String(record.readOnly) },
    { family: POSTING_FAMILIES.EventName, value: record.eventName },
    { family: POSTING_FAMILIES.Username, value: lookupUsername(record.userIdentity) },
  ];
  const accessKeyId = record.userIdentity.accessKeyId;
  if (accessKeyId !== undefined) postings.push({ family: POSTING_FAMILIES.AccessKeyId, value: accessKeyId });
  const resources = record.resources;
  if (resources !== undefined && resources.length > 0) {
    const firstResource = postings.length;
    for (const resource of resources) {
      if (resource.ARN !== undefined)
        listOnce(postings, firstResource, POSTING_FAMILIES.ResourceName, resource.ARN);
      if (resource.type !== undefined)
        listOnce(postings, firstResource, POSTING_FAMILIES.ResourceType, resource.type);
    }
  }
  return {
    key: pageKeyOfParts(parts),
    postings,
    catalog: [
      { pk: SOURCE_CATALOG_PK, sk: parts.sourceHash, attributes: { eventSource: record.eventSource } },
    ],
  };
}

/** What postingsOf needs of a stored event. */
export interface PostingSource {
  readonly eventID: string;
  readonly keys: EventKeys;
  readonly expiresAt: number;
}

/**
 * The posting lists of one write: for each lookup value and eventTime minute, one item listing the eventIDs of
 * the events that have it, newest first. The list goes to the shard of its newest event, so lists spread over the
 * shards as the events do. Its sort key is the newest eventID listed and a digest of the list: a reader knows the
 * newest event of a list before reading it, and two lists never share a key (a retry lists an event again in a
 * list of its own; readers drop the repeat).
 */
export function postingsOf(events: readonly PostingSource[]): Posting[] {
  // Grouped by family, then value, then minute: Maps keyed by the values themselves, not by a key string built for
  // each of an event's values. The lists come out in the order their first event was met.
  const groups: Array<{ value: PostingValue; events: PostingSource[] }> = [];
  const byFamily = new Map<PostingFamily, Map<string, Map<number, PostingSource[]>>>();
  for (const event of events) {
    const timeMs = eventIdTimeMs(event.eventID);
    if (timeMs === undefined) throw new Error(`not an OpenTrail eventID: ${event.eventID}`);
    const minute = Math.floor(timeMs / POSTING_SPAN_MS);
    for (const value of event.keys.postings) {
      let byValue = byFamily.get(value.family);
      if (byValue === undefined) {
        byValue = new Map();
        byFamily.set(value.family, byValue);
      }
      let byMinute = byValue.get(value.value);
      if (byMinute === undefined) {
        byMinute = new Map();
        byValue.set(value.value, byMinute);
      }
      const listed = byMinute.get(minute);
      if (listed) listed.push(event);
      else {
        const group = { value, events: [event] };
        byMinute.set(minute, group.events);
        groups.push(group);
      }
    }
  }
  return groups.map(({ value, events: listed }) => {
    const eventIDs = newestFirstUnique(listed.map((event) => event.eventID));
    const newest = eventIDs[0] as string;
    const shard = shardCharOf(newest);
    const digest = hash('sha256', eventIDs.join(''), 'base64url').slice(0, 8);
    let expiresAt = -Infinity;
    for (const event of listed) if (event.expiresAt > expiresAt) expiresAt = event.expiresAt;
    return {
      key: { pk: postingPartitionKey(value.family, shard, value.value), sk: `${newest}#${digest}` },
      eventIDs,
      expiresAt,
    };
  });
}

/** The ids sorted newest first (descending), each once. */
function newestFirstUnique(ids: string[]): string[] {
  if (ids.length === 1) return ids;
  const sorted = ids.sort().reverse();
  return sorted.filter((id, i) => i === 0 || id !== sorted[i - 1]);
}

/** The newest eventID a page or posting list can hold, from its sort key alone. */
export const newestIdOf = (sk: string): string => sk.slice(0, EVENT_ID_LENGTH);

/**
 * The highest sort key of an item of `partitionKey` that may hold an eventID at or below `highId` (an eventID, or
 * highestIdAt): a page spans one page window and a posting list one minute, so its sort key starts at most with the
 * end of that window.
 */
export function partitionQueryHigh(highId: string, partitionKey: string): string {
  const timeMs = parseEventId(highId)?.timeMs ?? 0;
  const spanMs = isPagePartition(partitionKey) ? PAGE_SPAN_MS : POSTING_SPAN_MS;
  // '~' sorts after every character of a sort key.
  return `${highestIdAt(spanEndOf(timeMs, spanMs))}~`;
}

/** How many pages hold these events: the stream records their puts made (one INSERT per page). */
export function pageCount(eventIDs: Iterable<string>): number {
  const pages = new Set<string>();
  for (const eventID of eventIDs) {
    const key = pageKeyOf(eventID);
    if (key) pages.add(`${key.pk}\u0000${key.sk}`);
  }
  return pages.size;
}

/** What pagesOf needs of a stored event. */
export interface PageSource {
  readonly eventID: string;
  readonly recordJson: string;
  readonly keys: EventKeys;
  readonly expiresAt: number;
}

/** A page item: events of one request sharing a page key, newest first. */
export interface Page<Event extends PageSource = PageSource> {
  readonly key: ItemKey;
  readonly events: readonly Event[];
  /** The latest expiry of the events held: the page never disappears before an event it holds. */
  readonly expiresAt: number;
}

/** The events grouped by the page that holds them (their keys.key), each page newest first. */
export function pagesOf<Event extends PageSource>(events: readonly Event[]): Page<Event>[] {
  // By partition, then sort key: no key string built per event. Pages come out in the order their first event was met.
  const byPartition = new Map<string, Map<string, Event[]>>();
  const pages: Event[][] = [];
  for (const event of events) {
    const { pk, sk } = event.keys.key;
    let bySortKey = byPartition.get(pk);
    if (bySortKey === undefined) {
      bySortKey = new Map();
      byPartition.set(pk, bySortKey);
    }
    const held = bySortKey.get(sk);
    if (held) held.push(event);
    else {
      const page = [event];
      bySortKey.set(sk, page);
      pages.push(page);
    }
  }
  return pages.map((held) => {
    const sorted = held.sort(newestEventFirst);
    let expiresAt = Number.NEGATIVE_INFINITY;
    for (const event of sorted) if (event.expiresAt > expiresAt) expiresAt = event.expiresAt;
    return { key: (sorted[0] as Event).keys.key, events: sorted, expiresAt };
  });
}

const newestEventFirst = (a: PageSource, b: PageSource): number =>
  a.eventID < b.eventID ? 1 : a.eventID > b.eventID ? -1 : 0;
