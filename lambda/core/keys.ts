import { createHash } from 'node:crypto';
import { parseEventId, shardChar, sourceHash } from './event-id.js';
import type { TrailRecord } from './event-model.js';
import { lookupUsername } from './identity.js';
import type { IndexName } from './table-layout.js';

/**
 * Every key value the events table holds, built here and nowhere else (docs/storage.md explains the layout).
 * A value that dominates traffic is spread over `shards` partitions ("write sharding"); readers merge them.
 */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** A partition to query: on the table itself, or on one of its indexes. */
export interface PartitionRef {
  readonly index?: IndexName;
  readonly partitionKey: string;
}

/** A catalog entry: a small item that lets readers enumerate partitions they cannot derive from a lookup value. */
export interface CatalogEntry extends ItemKey {
  readonly attributes: Readonly<Record<string, string>>;
}

const EVENT_PREFIX = 'E#';
export const SOURCE_CATALOG_PK = 'C#SOURCES';
const ACCESS_KEY_CATALOG_PREFIX = 'C#KEY#';

function allShards(shards: number): string[] {
  return Array.from({ length: shards }, (_, shard) => shardChar(shard));
}

/** The event item's key, derived from the eventID alone so GetItem needs no index. */
export function eventItemKey(eventID: string): ItemKey | undefined {
  const parts = parseEventId(eventID);
  return parts && { pk: eventPartitionKey(parts.sourceHash, parts.shard), sk: eventID };
}

function eventPartitionKey(hash: string, shard: number): string {
  return `${EVENT_PREFIX}${hash}#${shardChar(shard)}`;
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

/** The claim item of a scoped producer id (producerIdScope). */
export function idempotencyKey(scopedProducerId: string): ItemKey {
  return { pk: `ID#${scopedProducerId}`, sk: 'ID' };
}

export function sourcePartitionsByHash(hash: string, shards: number): PartitionRef[] {
  return allShards(shards).map((shard) => ({ partitionKey: `${EVENT_PREFIX}${hash}#${shard}` }));
}

export function sourcePartitions(eventSource: string, shards: number): PartitionRef[] {
  return sourcePartitionsByHash(sourceHash(eventSource), shards);
}

export function eventNamePartitions(eventName: string, shards: number): PartitionRef[] {
  return allShards(shards).map((shard) => ({ index: 'byEventName', partitionKey: `${shard}#${eventName}` }));
}

export function userPartitions(username: string, shards: number): PartitionRef[] {
  return allShards(shards).map((shard) => ({ index: 'byUser', partitionKey: `${shard}#${username}` }));
}

export function resourceNamePartitions(arn: string, shards: number): PartitionRef[] {
  return allShards(shards).map((shard) => ({ partitionKey: `RN#${shard}#${arn}` }));
}

export function resourceTypePartitions(type: string, shards: number): PartitionRef[] {
  return allShards(shards).map((shard) => ({ partitionKey: `RT#${shard}#${type}` }));
}

export function accessKeyCatalogPk(accessKeyId: string): string {
  return `${ACCESS_KEY_CATALOG_PREFIX}${accessKeyId}`;
}

/** What the table holds for one event besides the record itself. */
export interface EventKeys {
  readonly key: ItemKey;
  /** Attributes on the event item that place it in the indexes. */
  readonly indexAttributes: Readonly<Partial<Record<'namePk' | 'userPk', string>>>;
  /** One small item per resource name and type, so an event with several resources is found by each. */
  readonly resourceKeys: readonly ItemKey[];
  readonly catalog: readonly CatalogEntry[];
}

/**
 * Insight events live in a partition family of their own (the source hash of INSIGHTS_SOURCE), outside the
 * source catalog and the indexes, so only EventCategory=insight lookups see them.
 */
export const INSIGHTS_SOURCE = 'insights.opentrail';

export function insightPartitions(shards: number): PartitionRef[] {
  return sourcePartitions(INSIGHTS_SOURCE, shards);
}

export function insightKeys(eventID: string): EventKeys {
  const key = eventItemKey(eventID);
  if (!key) throw new Error(`not an OpenTrail eventID: ${eventID}`);
  return { key, indexAttributes: {}, resourceKeys: [], catalog: [] };
}

export function eventKeys(record: TrailRecord): EventKeys {
  const parts = parseEventId(record.eventID);
  if (!parts) throw new Error(`not an OpenTrail eventID: ${record.eventID}`);
  const shard = shardChar(parts.shard);
  const key = { pk: eventPartitionKey(parts.sourceHash, parts.shard), sk: record.eventID };
  const username = lookupUsername(record.userIdentity);
  const resourcePks = new Set<string>();
  for (const resource of record.resources ?? []) {
    if (resource.ARN !== undefined) resourcePks.add(`RN#${shard}#${resource.ARN}`);
    if (resource.type !== undefined) resourcePks.add(`RT#${shard}#${resource.type}`);
  }
  const catalog: CatalogEntry[] = [
    { pk: SOURCE_CATALOG_PK, sk: parts.sourceHash, attributes: { eventSource: record.eventSource } },
  ];
  const accessKeyId = record.userIdentity.accessKeyId;
  if (accessKeyId !== undefined) {
    catalog.push({ pk: accessKeyCatalogPk(accessKeyId), sk: username, attributes: {} });
  }
  return {
    key,
    indexAttributes: { namePk: `${shard}#${record.eventName}`, userPk: `${shard}#${username}` },
    resourceKeys: [...resourcePks].map((pk) => ({ pk, sk: record.eventID })),
    catalog,
  };
}
