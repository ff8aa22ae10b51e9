import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, mapWithConcurrency } from '../core/backoff.js';
import { EVENT_ID_LENGTH } from '../core/event-id.js';
import {
  type CatalogEntry,
  type ItemKey,
  idempotencyKey,
  isPagePartition,
  type Page,
  type PartitionRef,
  type Posting,
  pageEventIds,
  pageIds,
  pageKeyOf,
  pagesOf,
  postingsOf,
} from '../core/keys.js';
import { type PageWriter, RECORD_ATTRIBUTE as RECORD, WRITTEN_BY_ATTRIBUTE } from '../core/pipeline.js';
import {
  type CatalogRange,
  type ClaimResult,
  type EventReader,
  type EventWriter,
  type PartitionEntry,
  type PartitionPage,
  type ProducerIdClaim,
  type ReadOptions,
  type StoredEvent,
  StoreUnavailableError,
  type WriteResult,
} from '../core/ports.js';
import { encodePage, storedPageRecords } from '../core/record-codec.js';
import { TABLE_LAYOUT } from '../core/table-layout.js';
import { changedNothing, isRetryable, sentMoreThanOnce } from './retryable.js';

type Item = Record<string, AttributeValue>;

/** What a batch write left unwritten, by owner (DynamoDbEventStore batchPut). */
interface UnwrittenOwners {
  readonly failed: ReadonlySet<number>;
  readonly mayLand: ReadonlySet<number>;
}

const BATCH_WRITE_MAX_ITEMS = 25;
const BATCH_GET_MAX_KEYS = 100;
const PARALLEL_REQUESTS = 8;
const CATALOG_REFRESH_MS = 60 * 60 * 1000;
const CATALOG_CACHE_MAX = 10_000;
const CATALOG_MAX_PAGES = 100;

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL, postingAttribute: IDS } = TABLE_LAYOUT;
const EVENT_ID = 'eventID';
const CONTENT_HASH = 'contentHash';
const CLAIMED_AT = 'claimedAt';

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const keyItem = (key: ItemKey): Item => ({ [PK]: s(key.pk), [SK]: s(key.sk) });
const keyId = (item: Item): string => `${item[PK]?.S}\u0000${item[SK]?.S}`;

export interface DynamoDbEventStoreOptions {
  readonly backoff?: BackoffPolicy;
  /**
   * Longest wait for one DynamoDB call on the write path, the SDK's own attempts included. The SDK waits up to
   * 300 s on a silent connection, far past the function's timeout: a stalled call must fail (and be retried)
   * while the function can still answer. Generous for DynamoDB, and for moto, which serves one call at a time.
   * Reads are not bounded here: a lookup passes its own signal, which ends all its calls at the request's
   * deadline (lambda/adapters/http.ts) or when its page no longer needs them.
   * @default 4 000 ms
   */
  readonly callTimeoutMs?: number;
  /**
   * How long a batch write keeps retrying before it reports what is left as not stored. With a stalled store a
   * put takes at most: producer-id claims (one call each, in parallel, 4 s), then a catalog write and an event
   * write, each within this plus one backoff (1 s), then the release of its failed events' claims (one call
   * timeout, 4 s): about 22 s. The ingest function's timeout (LIMITS.putAttemptMs, 25 s) leaves room for that, so
   * every put answers per event instead of timing out. @default 6 000 ms
   */
  readonly writeBudgetMs?: number;
}

/** Options for one SDK call: the signal that ends it when its time is up. */
type CallOptions = { abortSignal: AbortSignal };

/** A read ends when its lookup does (page answered, failed, or out of time): the SDK abandons the request. */
const readCallOptions = ({ signal }: ReadOptions): Partial<CallOptions> =>
  signal === undefined ? {} : { abortSignal: signal };

/** Runs one SDK call with a time limit; a call that runs out fails with a TimeoutError, which is retryable. */
async function withTimeout<T>(send: (options: CallOptions) => Promise<T>, timeoutMs: number): Promise<T> {
  const abortSignal = AbortSignal.timeout(Math.max(1, timeoutMs));
  try {
    return await send({ abortSignal });
  } catch (error) {
    if (!abortSignal.aborted) throw error;
    throw Object.assign(new Error(`DynamoDB did not answer within ${timeoutMs} ms`), {
      name: 'TimeoutError',
    });
  }
}

/**
 * The events table in DynamoDB: BatchWriteItem in parallel chunks of 25 with unprocessed items retried
 * (capped exponential backoff, full jitter), conditional puts for producer ids, Query and BatchGetItem for reads.
 */
export class DynamoDbEventStore implements EventWriter, EventReader {
  private readonly backoff: BackoffPolicy;
  private readonly callTimeoutMs: number;
  private readonly writeBudgetMs: number;
  /** Catalog entries this container wrote recently: they change rarely, so most batches skip them. */
  private readonly writtenCatalog = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbEventStoreOptions = {},
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.callTimeoutMs = options.callTimeoutMs ?? 4_000;
    this.writeBudgetMs = options.writeBudgetMs ?? 6_000;
  }

  async writeCatalog(entries: readonly CatalogEntry[], expiresAt: number): Promise<WriteResult[]> {
    const now = Date.now();
    const due = entries
      .map((entry, owner) => ({ entry, owner }))
      .filter(
        ({ entry }) => (this.writtenCatalog.get(keyId(keyItem(entry))) ?? 0) + CATALOG_REFRESH_MS < now,
      );
    const { failed: failedOwners } = await this.batchPut(
      due.map(({ entry, owner }) => ({
        owners: [owner],
        item: catalogItem(entry, expiresAt),
      })),
    );
    if (this.writtenCatalog.size > CATALOG_CACHE_MAX) this.writtenCatalog.clear();
    for (const { entry, owner } of due) {
      if (!failedOwners.has(owner)) this.writtenCatalog.set(keyId(keyItem(entry)), now);
    }
    return entries.map((_, owner) =>
      failedOwners.has(owner) ? { ok: false, errorCode: 'Throttling' } : { ok: true },
    );
  }

  async writeEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    const { failed, mayLand } = await this.batchPut(writeItems(events));
    return events.map(
      (_, owner): WriteResult =>
        mayLand.has(owner)
          ? { ok: false, errorCode: 'Throttling', mayLand: true }
          : failed.has(owner)
            ? { ok: false, errorCode: 'Throttling' }
            : { ok: true },
    );
  }

  /**
   * Reads the pages the events belong to and writes back each page that misses some of them, with what it held and
   * the missing events, and the missing events' posting lists. Pages written here are marked `restore`: the stream
   * consumers do not deliver their events again (the archive and the log group have them).
   */
  /**
   * Each page is merged and put back conditionally on what was read (it did not exist, or its ids are unchanged), and
   * read again when another writer got there first: two restores of the same page (objects read in parallel, a
   * second run) never put back a page without the other's events. Then every event's posting lists.
   */
  async restoreEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    const ownerOf = new Map(events.map((event, owner) => [event.eventID, owner]));
    const failedOwners = new Set<number>();
    await mapWithConcurrency(pagesOf(events), PARALLEL_REQUESTS, async (page) => {
      if (!(await this.restorePage(page))) {
        for (const event of page.events) failedOwners.add(ownerOf.get(event.eventID) as number);
      }
    });
    for (const owner of (await this.batchPut(postingItems(events))).failed) failedOwners.add(owner);
    return events.map((_, owner) =>
      failedOwners.has(owner) ? { ok: false, errorCode: 'Throttling' } : { ok: true },
    );
  }

  /** Read (strongly consistent), merge, conditional put, until it holds every event of `page` or attempts run out. */
  private async restorePage(page: Page<StoredEvent>): Promise<boolean> {
    for (let attempt = 1; attempt <= this.backoff.maxAttempts; attempt++) {
      try {
        const read = await this.writeCall((callOptions) =>
          this.client.send(
            new GetItemCommand({ TableName: this.tableName, Key: keyItem(page.key), ConsistentRead: true }),
            callOptions,
          ),
        );
        const stored = read.Item && {
          records: pageRecords(read.Item),
          expiresAt: Number(read.Item[TTL]?.N ?? 0),
        };
        const merged = mergedPage(page, stored);
        if (merged === undefined) return true;
        await this.writeCall((callOptions) =>
          this.client.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: merged,
              ...(read.Item?.[IDS] === undefined
                ? {
                    ConditionExpression: 'attribute_not_exists(#pk)',
                    ExpressionAttributeNames: { '#pk': PK },
                  }
                : {
                    ConditionExpression: '#ids = :ids',
                    ExpressionAttributeNames: { '#ids': IDS },
                    ExpressionAttributeValues: { ':ids': read.Item[IDS] },
                  }),
            }),
            callOptions,
          ),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) && !(error instanceof StoreUnavailableError))
          throw error;
      }
      await backoffDelay(this.backoff, attempt);
    }
    return false;
  }

  async claimProducerId(claim: ProducerIdClaim): Promise<ClaimResult> {
    try {
      await this.writeCall((callOptions) =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: claimItem(claim),
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          callOptions,
        ),
      );
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const held = error.Item?.[EVENT_ID] === undefined ? await this.readClaim(claim.scope) : error.Item;
      const heldEventID = held?.[EVENT_ID]?.S;
      if (heldEventID === undefined)
        throw new StoreUnavailableError('the producer id claim vanished while being read');
      const heldHash = held?.[CONTENT_HASH]?.S;
      const claimedAtMs = Number(held?.[CLAIMED_AT]?.N);
      return {
        claimed: false,
        eventID: heldEventID,
        ...(heldHash === undefined ? {} : { contentHash: heldHash }),
        ...(Number.isFinite(claimedAtMs) ? { claimedAtMs } : {}),
      };
    }
  }

  async reassignProducerId(claim: ProducerIdClaim, fromEventID: string): Promise<boolean> {
    try {
      await this.writeCall((callOptions) =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: claimItem(claim),
            ConditionExpression: '#eventID = :from',
            ExpressionAttributeNames: { '#eventID': EVENT_ID },
            ExpressionAttributeValues: { ':from': s(fromEventID) },
          }),
          callOptions,
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Reads each claimed event's page (strongly consistent; pages are written whole, so an absent page stores none of
   * its events) and deletes the claims of absent pages, each only if it still names its event. The caller passes
   * only events whose writes cannot land later (WriteResult `mayLand`), so no page appears after it was read. A
   * claim whose page exists is kept: its retry finds the event stored and lists it again. Every call shares one call
   * timeout; a claim not released settles by age. Not a transaction: moto answers a cancelled transaction by
   * restoring a copy of each table it touched, which loses concurrent writes and detaches the stream its pollers read.
   */
  async releaseProducerIds(claims: readonly Pick<ProducerIdClaim, 'scope' | 'eventID'>[]): Promise<void> {
    const byPage = new Map<string, { page: ItemKey; claims: Pick<ProducerIdClaim, 'scope' | 'eventID'>[] }>();
    for (const claim of claims) {
      const page = pageKeyOf(claim.eventID);
      if (!page) continue;
      const group = byPage.get(keyId(keyItem(page))) ?? { page, claims: [] };
      group.claims.push(claim);
      byPage.set(keyId(keyItem(page)), group);
    }
    await withTimeout(
      (callOptions) =>
        mapWithConcurrency([...byPage.values()], PARALLEL_REQUESTS, async ({ page, claims: released }) => {
          try {
            const read = await this.client.send(
              new GetItemCommand({
                TableName: this.tableName,
                Key: keyItem(page),
                ConsistentRead: true,
                ProjectionExpression: '#pk',
                ExpressionAttributeNames: { '#pk': PK },
              }),
              callOptions,
            );
            if (read.Item !== undefined) return;
            await Promise.all(released.map((claim) => this.deleteClaim(claim, callOptions)));
          } catch {
            // Best effort: the store failed or the time ran out; the claims settle by age.
          }
        }),
      this.callTimeoutMs,
    ).catch(() => undefined);
  }

  private async deleteClaim(
    { scope, eventID }: Pick<ProducerIdClaim, 'scope' | 'eventID'>,
    callOptions: CallOptions,
  ): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: keyItem(idempotencyKey(scope)),
          ConditionExpression: '#eventID = :eventID',
          ExpressionAttributeNames: { '#eventID': EVENT_ID },
          ExpressionAttributeValues: { ':eventID': s(eventID) },
        }),
        callOptions,
      );
    } catch (error) {
      // Another attempt moved the claim on: it is that attempt's now.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async readRecord(eventID: string): Promise<string | undefined> {
    const key = pageKeyOf(eventID);
    if (!key) return undefined;
    const output = await this.writeCall((callOptions) =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: keyItem(key),
          ConsistentRead: true,
          ProjectionExpression: '#pk, #sk, #ids, #record',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#ids': IDS, '#record': RECORD },
        }),
        callOptions,
      ),
    );
    return output.Item && pageRecords(output.Item).get(eventID);
  }

  async queryPartition(
    partition: PartitionRef,
    lowSk: string,
    highSk: string,
    limit: number,
    options: ReadOptions = {},
  ): Promise<PartitionPage> {
    const output = await this.call(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#ids': IDS },
          ExpressionAttributeValues: {
            ':pk': s(partition.partitionKey),
            ':low': s(lowSk),
            ':high': s(highSk),
          },
          ProjectionExpression: '#pk, #sk, #ids',
          ScanIndexForward: false,
          Limit: limit,
        }),
        readCallOptions(options),
      ),
    );
    return {
      entries: (output.Items ?? []).flatMap((item) => partitionEntry(item) ?? []),
      exhausted: output.LastEvaluatedKey === undefined,
    };
  }

  async readRecords(eventIDs: readonly string[], options: ReadOptions = {}): Promise<Map<string, string>> {
    const keys = eventIDs.map(pageKeyOf).filter((key): key is ItemKey => key !== undefined);
    const records = new Map<string, string>();
    for (const page of (await this.readPages(keys, options)).values()) {
      for (const [eventID, record] of page.records) records.set(eventID, record);
    }
    return records;
  }

  /** Each page that exists among `keys`, by keyId. */
  private async readPages(
    keys: readonly ItemKey[],
    options: ReadOptions = {},
    consistent = false,
  ): Promise<Map<string, StoredPage>> {
    const pages = new Map<string, StoredPage>();
    const unique = [...new Map(keys.map((key) => [keyId(keyItem(key)), keyItem(key)])).values()];
    await mapWithConcurrency(chunk(unique, BATCH_GET_MAX_KEYS), PARALLEL_REQUESTS, async (keysInChunk) => {
      let pending: Item[] = keysInChunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > this.backoff.maxAttempts) {
          throw new StoreUnavailableError('events could not be read after retries');
        }
        const output = await this.call(() =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: pending,
                  ConsistentRead: consistent,
                  ProjectionExpression: '#pk, #sk, #ids, #record, #ttl',
                  ExpressionAttributeNames: {
                    '#pk': PK,
                    '#sk': SK,
                    '#ids': IDS,
                    '#record': RECORD,
                    '#ttl': TTL,
                  },
                },
              },
            }),
            readCallOptions(options),
          ),
        );
        for (const item of output.Responses?.[this.tableName] ?? []) {
          pages.set(keyId(item), { records: pageRecords(item), expiresAt: Number(item[TTL]?.N ?? 0) });
        }
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length > 0) await backoffDelay(this.backoff, attempt);
      }
    });
    return pages;
  }

  async readCatalog(pk: string, range?: CatalogRange, options: ReadOptions = {}): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    let startKey: Item | undefined =
      range?.after === undefined ? undefined : keyItem({ pk, sk: range.after });
    for (let page = 0; page < CATALOG_MAX_PAGES; page++) {
      const output = await this.call(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':pk': s(pk) },
            ExclusiveStartKey: startKey,
            Limit: range === undefined ? undefined : range.limit - entries.length,
          }),
          readCallOptions(options),
        ),
      );
      for (const item of output.Items ?? []) {
        const attributes: Record<string, string> = {};
        for (const [name, value] of Object.entries(item)) {
          if (name !== PK && name !== SK && value.S !== undefined) attributes[name] = value.S;
        }
        entries.push({ pk, sk: item[SK]?.S ?? '', attributes });
      }
      startKey = output.LastEvaluatedKey;
      if (!startKey || (range !== undefined && entries.length >= range.limit)) break;
    }
    return entries;
  }

  private async readClaim(producerId: string): Promise<Item | undefined> {
    const output = await this.writeCall((callOptions) =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: keyItem(idempotencyKey(producerId)),
          ConsistentRead: true,
        }),
        callOptions,
      ),
    );
    return output.Item;
  }

  /** One SDK call; retryable failures that outlast the SDK's own retries become StoreUnavailableError. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (isRetryable(error)) throw new StoreUnavailableError((error as Error).message);
      throw error;
    }
  }

  /**
   * A call on the write path, ended after callTimeoutMs: a put must answer (stored, or Throttling) before the
   * ingest function times out. Reads keep the SDK's timeouts (see callTimeoutMs).
   */
  private writeCall<T>(send: (options: CallOptions) => Promise<T>): Promise<T> {
    return this.call(() => withTimeout(send, this.callTimeoutMs));
  }

  /**
   * Puts items in chunks of 25, in parallel. Returns the owners (callers' indexes) with an item that could not
   * be written after every retry: those must be reported as failed, never as stored. A posting list has as many
   * owners as it lists events.
   */
  /**
   * Owners of the items left unwritten, and of those among them that a call failed without an answer for (they
   * may still be written: `mayLand`).
   */
  private async batchPut(items: readonly OwnedItem[]): Promise<UnwrittenOwners> {
    const failed = new Set<number>();
    const mayLand = new Set<number>();
    const chunks = chunk(items, BATCH_WRITE_MAX_ITEMS);
    const giveUpAt = Date.now() + this.writeBudgetMs;
    await mapWithConcurrency(chunks, PARALLEL_REQUESTS, async (itemsInChunk) => {
      const ownersByKey = new Map(itemsInChunk.map(({ owners, item }) => [keyId(item), owners]));
      let pending: WriteRequest[] = itemsInChunk.map(({ item }) => ({ PutRequest: { Item: item } }));
      let unanswered = false;
      for (let attempt = 1; pending.length > 0 && attempt <= this.backoff.maxAttempts; attempt++) {
        try {
          const output = await withTimeout(
            (options) =>
              this.client.send(
                new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
                options,
              ),
            Math.min(this.callTimeoutMs, giveUpAt - Date.now()),
          );
          pending = output.UnprocessedItems?.[this.tableName] ?? [];
          // Items left unprocessed by the last of several attempts may have been written by an earlier one.
          unanswered ||= pending.length > 0 && sentMoreThanOnce(output);
        } catch (error) {
          unanswered ||= !changedNothing(error);
          if (!isRetryable(error)) break;
        }
        if (Date.now() >= giveUpAt) break;
        if (pending.length > 0 && attempt < this.backoff.maxAttempts)
          await backoffDelay(this.backoff, attempt);
      }
      for (const request of pending) {
        for (const owner of ownersByKey.get(keyId(request.PutRequest?.Item ?? {})) ?? []) {
          failed.add(owner);
          if (unanswered) mayLand.add(owner);
        }
      }
    });
    return { failed, mayLand };
  }
}

/** The catalog item for one entry. */
export function catalogItem(entry: CatalogEntry, expiresAt: number): Item {
  return {
    ...keyItem(entry),
    [TTL]: n(expiresAt),
    ...Object.fromEntries(Object.entries(entry.attributes).map(([name, value]) => [name, s(value)])),
  };
}

/**
 * The item that claims a producer id for an eventID, with the content hash a re-put is compared against and when
 * it was claimed.
 */
export function claimItem(claim: ProducerIdClaim): Item {
  return {
    ...keyItem(idempotencyKey(claim.scope)),
    [EVENT_ID]: s(claim.eventID),
    [CONTENT_HASH]: s(claim.contentHash),
    [CLAIMED_AT]: n(claim.claimedAtMs),
    [TTL]: n(claim.expiresAt),
  };
}

const newestEventFirst = (a: { eventID: string }, b: { eventID: string }): number =>
  a.eventID < b.eventID ? 1 : a.eventID > b.eventID ? -1 : 0;

/** What a page item holds of an event. */
type PagedEvent = Pick<StoredEvent, 'eventID' | 'recordJson'>;

/** A page as read: its records by eventID, and its expiry. */
export interface StoredPage {
  readonly records: Map<string, string>;
  readonly expiresAt: number;
}

/**
 * A page item: its events' records encoded together (lambda/core/record-codec.ts), their eventIDs as one string of
 * fixed-width ids in the same order (newest first), and who wrote it (pipeline.ts WRITTEN_BY_ATTRIBUTE).
 */
export function pageItem(
  key: ItemKey,
  events: readonly PagedEvent[],
  expiresAt: number,
  writtenBy: PageWriter = 'put',
): Item {
  const eventIDs: string[] = [];
  const recordJsons: string[] = [];
  for (const event of events) {
    eventIDs.push(event.eventID);
    recordJsons.push(event.recordJson);
  }
  return {
    [PK]: s(key.pk),
    [SK]: s(key.sk),
    [IDS]: s(pageIds(eventIDs)),
    [RECORD]: { B: encodePage(recordJsons) },
    [TTL]: n(expiresAt),
    [WRITTEN_BY_ATTRIBUTE]: s(writtenBy),
  };
}

/** A page item's records by eventID; a page whose ids and records disagree in number is corrupt. */
export function pageRecords(item: Item): Map<string, string> {
  const eventIDs = pageEventIds({ pk: item[PK]?.S ?? '', sk: item[SK]?.S ?? '' }, item[IDS]?.S ?? '');
  const records = storedPageRecords(item[RECORD]) ?? [];
  if (records.length !== eventIDs.length)
    throw new Error(
      `page ${keyId(item)} lists ${eventIDs.length} events but holds ${records.length} records`,
    );
  return new Map(eventIDs.map((eventID, index) => [eventID, records[index] as string]));
}

/** A posting list item: the eventIDs as one string of fixed-width ids, newest first. */
export function postingItem(posting: Posting): Item {
  // Spelled out rather than spread from keyItem: a request writes about one posting list per event.
  return {
    [PK]: s(posting.key.pk),
    [SK]: s(posting.key.sk),
    [IDS]: s(posting.eventIDs.join('')),
    [TTL]: n(posting.expiresAt),
  };
}

/** An item to write, and the events (callers' indexes) that are stored only once it is. */
export interface OwnedItem {
  readonly owners: readonly number[];
  readonly item: Item;
}

/**
 * Every item one write of `events` puts in the table: the pages of the events not stored yet (StoredEvent.relist),
 * then the posting lists of all of them.
 */
export function writeItems(events: readonly StoredEvent[]): OwnedItem[] {
  const ownerOf = ownersByEventId(events);
  const items: OwnedItem[] = [];
  for (const page of pagesOf(events.filter((event) => event.relist !== true))) {
    const owners = page.events.map((event) => ownerOf.get(event.eventID) as number);
    items.push({ owners, item: pageItem(page.key, page.events, page.expiresAt) });
  }
  for (const posting of postingsOf(events)) {
    const owners = posting.eventIDs.map((eventID) => ownerOf.get(eventID) as number);
    items.push({ owners, item: postingItem(posting) });
  }
  return items;
}

/** Each event's index by its eventID. */
function ownersByEventId(events: readonly StoredEvent[]): Map<string, number> {
  const ownerOf = new Map<string, number>();
  for (let owner = 0; owner < events.length; owner++)
    ownerOf.set((events[owner] as StoredEvent).eventID, owner);
  return ownerOf;
}

/**
 * The page `page` is restored as, given what the table holds of it (`stored`): what it held and the events it misses,
 * marked `restore` (the stream consumers do not deliver those events again: the archive and the log group have
 * them); undefined when it misses none.
 */
export function mergedPage(page: Page<StoredEvent>, stored: StoredPage | undefined): Item | undefined {
  const absent = page.events.filter((event) => !stored?.records.has(event.eventID));
  if (absent.length === 0) return undefined;
  const kept = [...(stored?.records ?? [])].map(([eventID, recordJson]) => ({ eventID, recordJson }));
  return pageItem(
    page.key,
    [...kept, ...absent].sort(newestEventFirst),
    Math.max(page.expiresAt, stored?.expiresAt ?? 0),
    'restore',
  );
}

/**
 * The posting lists a restore writes: those of every event, stored in a page already or not, so a run that stored a
 * page but not all its lists is healed by the next (the same batch gives the same list keys: a second run
 * overwrites rather than adds).
 */
export function postingItems(events: readonly StoredEvent[]): OwnedItem[] {
  const ownerOf = ownersByEventId(events);
  return postingsOf(events).map((posting) => ({
    owners: posting.eventIDs.map((eventID) => ownerOf.get(eventID) as number),
    item: postingItem(posting),
  }));
}

/** What a lookup reads of an item: the eventIDs a page holds or a posting list names. */
export function partitionEntry(item: Item): PartitionEntry | undefined {
  const pk = item[PK]?.S;
  const sk = item[SK]?.S;
  const ids = item[IDS]?.S;
  if (pk === undefined || sk === undefined || ids === undefined) return undefined;
  return { sk, eventIDs: isPagePartition(pk) ? pageEventIds({ pk, sk }, ids) : splitIds(ids) };
}

function splitIds(ids: string): string[] {
  const eventIDs: string[] = [];
  for (let at = 0; at < ids.length; at += EVENT_ID_LENGTH) eventIDs.push(ids.slice(at, at + EVENT_ID_LENGTH));
  return eventIDs;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
