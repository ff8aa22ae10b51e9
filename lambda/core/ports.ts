import type { CatalogEntry, EventKeys, ItemKey, PartitionRef } from './keys.js';

/**
 * The narrow interfaces the domain needs from storage. The DynamoDB adapter implements them; tests may swap in
 * fakes. No AWS types cross this line.
 */
export interface StoredEvent {
  readonly eventID: string;
  readonly recordJson: string;
  readonly keys: EventKeys;
  /** Epoch seconds after which TTL may delete every item of the event. */
  readonly expiresAt: number;
  /**
   * Its page holds it already (an earlier attempt stored it): only its posting lists are written again, which heals
   * lookups that attempt may have failed to list it in. A page is never rewritten: it holds other events.
   */
  readonly relist?: boolean;
}

export type StoreFailureCode = 'Throttling' | 'InternalFailure';

/**
 * `mayLand`: a call that wrote the event's items failed without an answer (timed out, connection lost), so they may
 * still be stored; its producer-id claim must not be released (ingest.ts putEvents).
 */
export type WriteResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly errorCode: StoreFailureCode; readonly mayLand?: true };

/** A producer id (scoped, keys.ts producerIdScope) claimed for an eventID by one put attempt. */
export interface ProducerIdClaim {
  readonly scope: string;
  readonly eventID: string;
  /** Epoch seconds: the claim expires with its event. */
  readonly expiresAt: number;
  /** ingest.ts producerContentHash of the event as sent. */
  readonly contentHash: string;
  /** When the attempt made the claim (its receipt time), epoch ms: how a retry tells a running attempt. */
  readonly claimedAtMs: number;
}

/**
 * A claim that already existed names the eventID holding it, the content hash it was made with (ingest.ts
 * producerContentHash) and when it was made; `contentHash` and `claimedAtMs` are absent only on a claim item no
 * current OpenTrail ingest wrote.
 */
export type ClaimResult =
  | { readonly claimed: true }
  | {
      readonly claimed: false;
      readonly eventID: string;
      readonly contentHash?: string;
      readonly claimedAtMs?: number;
    };

export interface EventWriter {
  /** Writes catalog entries (idempotent overwrites); one result per entry. */
  writeCatalog(entries: readonly CatalogEntry[], expiresAt: number): Promise<WriteResult[]>;
  /**
   * Writes the batch's pages (keys.ts pagesOf) and posting lists (postingsOf); an event succeeds only when its page
   * and every list naming it are stored, so a page that fails fails every event it holds.
   */
  writeEvents(events: readonly StoredEvent[]): Promise<WriteResult[]>;
  /**
   * Puts events back as they were stored, under their own eventIDs (a rebuild from the archive): idempotent, an
   * event already stored is left as it is and not listed again; one result per event.
   */
  restoreEvents(events: readonly StoredEvent[]): Promise<WriteResult[]>;
  /** Claims a producer id unless it is claimed already. Throws StoreUnavailable. */
  claimProducerId(claim: ProducerIdClaim): Promise<ClaimResult>;
  /** Moves a claim to another eventID, only if it still points at `fromEventID`. */
  reassignProducerId(claim: ProducerIdClaim, fromEventID: string): Promise<boolean>;
  /**
   * Deletes the claims of a failed attempt whose events are not stored and cannot land later (each only if it
   * still points at its eventID and that event's page does not exist), so a retry need not wait for them to
   * settle. Best effort, within one call's time: a claim left behind settles by age (ingest.ts resolveProducerId).
   * Never throws.
   */
  releaseProducerIds(claims: readonly Pick<ProducerIdClaim, 'scope' | 'eventID'>[]): Promise<void>;
  /** The stored record, read strongly consistently. */
  readRecord(eventID: string): Promise<string | undefined>;
}

/** One item of a partition as a lookup sees it: its sort key and the eventIDs it stands for, newest first. */
export interface PartitionEntry {
  readonly sk: string;
  readonly eventIDs: readonly string[];
}

export interface PartitionPage {
  /** Items by sort key, newest first. */
  readonly entries: readonly PartitionEntry[];
  readonly exhausted: boolean;
}

/** How a read may be ended early: the lookup aborts its calls when its page is answered, fails or runs out of time. */
export interface ReadOptions {
  readonly signal?: AbortSignal;
}

/** A slice of a catalog partition, in sort-key order: the entries after `after`, at most `limit` of them. */
export interface CatalogRange {
  readonly after?: string;
  readonly limit: number;
}

export interface EventReader {
  /** Items with sort keys in [lowSk, highSk], newest first, at most `limit`. */
  queryPartition(
    partition: PartitionRef,
    lowSk: string,
    highSk: string,
    limit: number,
    options?: ReadOptions,
  ): Promise<PartitionPage>;
  /**
   * Records by eventID; missing ones are absent from the map. The map may hold more: every record of the store pages
   * read for them.
   */
  readRecords(eventIDs: readonly string[], options?: ReadOptions): Promise<Map<string, string>>;
  /** Catalog entries under a catalog partition in sort-key order: every one, or the range asked for (suggestions). */
  readCatalog(pk: string, range?: CatalogRange, options?: ReadOptions): Promise<CatalogEntry[]>;
}

/** The store could not answer after its retries: the caller reports Throttling, never success. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    message: string,
    readonly errorCode: StoreFailureCode = 'Throttling',
  ) {
    super(message);
  }
}

export type { ItemKey };
