import { catalogItem, claimItem, eventItems } from '../../lambda/adapters/dynamodb-event-store.js';

import {
  type CatalogEntry,
  eventItemKey,
  idempotencyKey,
  type PartitionRef,
} from '../../lambda/core/keys.js';
import type {
  ClaimResult,
  EventReader,
  EventWriter,
  PartitionPage,
  StoredEvent,
  WriteResult,
} from '../../lambda/core/ports.js';
import { storedRecordJson } from '../../lambda/core/record-codec.js';
import { TABLE_LAYOUT } from '../../lambda/core/table-layout.js';
import { type Item, itemBytes, keysOnlyIndexEntry, readUnits } from './capacity.js';

/**
 * An in-memory events table that holds exactly the items the DynamoDB adapter writes (`eventItems`, and
 * replicas of its catalog and producer-id items that the ingest benchmark checks against the adapter), with the
 * KEYS_ONLY indexes of TABLE_LAYOUT. As a writer it records what it was given; as a reader it answers like
 * DynamoDB (Query newest first with BETWEEN and Limit, BatchGetItem by key) and meters the read units a real
 * table would charge.
 */

const { partitionKey: PK, sortKey: SK } = TABLE_LAYOUT;

/** Read units one lookup consumed, by operation. */
export interface ReadMeter {
  queries: number;
  queryRru: number;
  queryItems: number;
  catalogQueries: number;
  catalogRru: number;
  batchGetItems: number;
  batchGetRru: number;
}

export const emptyMeter = (): ReadMeter => ({
  queries: 0,
  queryRru: 0,
  queryItems: 0,
  catalogQueries: 0,
  catalogRru: 0,
  batchGetItems: 0,
  batchGetRru: 0,
});

export const meterTotal = (meter: ReadMeter): number => meter.queryRru + meter.catalogRru + meter.batchGetRru;

/** A partition: its items sorted by sort key, sorted lazily after writes. */
class Partition {
  private items: Item[] = [];
  private sorted = true;

  put(item: Item): void {
    const sk = item[SK]?.S;
    const existing = this.items.findIndex((candidate) => candidate[SK]?.S === sk);
    if (existing >= 0) this.items[existing] = item;
    else {
      this.items.push(item);
      this.sorted = false;
    }
  }

  /** Items with lowSk <= sk <= highSk, newest (largest sk) first. */
  newestFirst(lowSk: string, highSk: string): Item[] {
    if (!this.sorted) {
      this.items.sort((a, b) => ((a[SK]?.S ?? '') < (b[SK]?.S ?? '') ? -1 : 1));
      this.sorted = true;
    }
    const out: Item[] = [];
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i] as Item;
      const sk = item[SK]?.S ?? '';
      if (sk < lowSk) break;
      if (sk <= highSk) out.push(item);
    }
    return out;
  }

  all(): Item[] {
    return this.newestFirst('', '\uffff');
  }
}

export class MemoryEventStore implements EventWriter, EventReader {
  /** Everything the writer was asked to store, in order. */
  readonly storedEvents: StoredEvent[] = [];
  readonly catalogWrites: Array<{ entry: CatalogEntry; expiresAt: number }> = [];
  readonly claims: Array<{ producerId: string; eventID: string; expiresAt: number }> = [];
  meter: ReadMeter = emptyMeter();

  private readonly table = new Map<string, Partition>();
  private readonly indexes = new Map<string, Map<string, Partition>>(
    TABLE_LAYOUT.indexes.map((index) => [index.name, new Map<string, Partition>()]),
  );

  private partition(map: Map<string, Partition>, key: string): Partition {
    let partition = map.get(key);
    if (!partition) {
      partition = new Partition();
      map.set(key, partition);
    }
    return partition;
  }

  private get(pk: string, sk: string): Item | undefined {
    return this.table.get(pk)?.newestFirst(sk, sk)[0];
  }

  /** Puts an item in the table and in every index it has keys for (KEYS_ONLY entries). */
  putItem(item: Item): void {
    const pk = item[PK]?.S;
    if (pk === undefined || item[SK]?.S === undefined) throw new Error('an item needs pk and sk');
    this.partition(this.table, pk).put(item);
    for (const index of TABLE_LAYOUT.indexes) {
      const entry = keysOnlyIndexEntry(item, index);
      const indexPk = entry?.[index.partitionKey]?.S;
      const partitions = this.indexes.get(index.name);
      if (entry && indexPk !== undefined && partitions) this.partition(partitions, indexPk).put(entry);
    }
  }

  itemCount(): number {
    let count = 0;
    for (const partition of this.table.values()) count += partition.all().length;
    return count;
  }

  async writeCatalog(entries: readonly CatalogEntry[], expiresAt: number): Promise<WriteResult[]> {
    for (const entry of entries) {
      this.catalogWrites.push({ entry, expiresAt });
      this.putItem(catalogItem(entry, expiresAt));
    }
    return entries.map(() => ({ ok: true }));
  }

  async writeEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    for (const event of events) {
      this.storedEvents.push(event);
      for (const item of eventItems(event)) this.putItem(item);
    }
    return events.map(() => ({ ok: true }));
  }

  async claimProducerId(producerId: string, eventID: string, expiresAt: number): Promise<ClaimResult> {
    const key = idempotencyKey(producerId);
    const held = this.get(key.pk, key.sk)?.eventID?.S;
    if (held !== undefined) return { claimed: false, eventID: held };
    this.claims.push({ producerId, eventID, expiresAt });
    this.putItem(claimItem(producerId, eventID, expiresAt));
    return { claimed: true };
  }

  async reassignProducerId(
    producerId: string,
    fromEventID: string,
    toEventID: string,
    expiresAt: number,
  ): Promise<boolean> {
    const key = idempotencyKey(producerId);
    if (this.get(key.pk, key.sk)?.eventID?.S !== fromEventID) return false;
    this.putItem(claimItem(producerId, toEventID, expiresAt));
    return true;
  }

  async readRecord(eventID: string): Promise<string | undefined> {
    const key = eventItemKey(eventID);
    return key ? storedRecordJson(this.get(key.pk, key.sk)?.record) : undefined;
  }

  /**
   * Query on the table or an index, newest first. DynamoDB charges for every item the key condition reads, at
   * full size (ProjectionExpression does not reduce it), summed and rounded up to 4 KB once per Query; it sets
   * LastEvaluatedKey whenever Limit is reached.
   */
  async queryPartition(
    partition: PartitionRef,
    lowSk: string,
    highSk: string,
    limit: number,
  ): Promise<PartitionPage> {
    const source = partition.index === undefined ? this.table : this.indexes.get(partition.index);
    const read = (source?.get(partition.partitionKey)?.newestFirst(lowSk, highSk) ?? []).slice(0, limit);
    this.meter.queries += 1;
    this.meter.queryItems += read.length;
    this.meter.queryRru += readUnits(read.reduce((sum, item) => sum + itemBytes(item), 0));
    return {
      eventIDs: read.map((item) => item[SK]?.S ?? ''),
      exhausted: read.length < limit,
    };
  }

  /** BatchGetItem, eventually consistent: every key is its own read, rounded up to 4 KB (a missing one too). */
  async readRecords(eventIDs: readonly string[]): Promise<Map<string, string>> {
    const records = new Map<string, string>();
    for (const eventID of new Set(eventIDs)) {
      const key = eventItemKey(eventID);
      if (!key) continue;
      const item = this.get(key.pk, key.sk);
      this.meter.batchGetItems += 1;
      this.meter.batchGetRru += readUnits(item ? itemBytes(item) : 0);
      const record = storedRecordJson(item?.record);
      if (record !== undefined) records.set(eventID, record);
    }
    return records;
  }

  /** A Query over a whole catalog partition, as the adapter does it. */
  async readCatalog(pk: string): Promise<CatalogEntry[]> {
    const items = this.table.get(pk)?.all().reverse() ?? [];
    this.meter.catalogQueries += 1;
    this.meter.catalogRru += readUnits(items.reduce((sum, item) => sum + itemBytes(item), 0));
    return items.map((item) => {
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(item)) {
        if (name !== PK && name !== SK && value.S !== undefined) attributes[name] = value.S;
      }
      return { pk, sk: item[SK]?.S ?? '', attributes };
    });
  }
}
