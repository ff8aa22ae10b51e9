import { createHash } from 'node:crypto';
import { RequestError } from './errors.js';
import { parseEventId } from './event-id.js';
import {
  buildRecord,
  byteLength,
  checkEventTime,
  checkStoredSize,
  type EnrichmentContext,
  type EventErrorCode,
  type EventFailure,
  eventTimeMs,
  type ProducerEvent,
  type TrailRecord,
  validateProducerEvent,
} from './event-model.js';
import { owningPrincipal } from './iam-principal.js';
import { eventKeys, expiresAtFor, producerIdScope } from './keys.js';
import { LIMITS } from './limits.js';
import { PageAllocator } from './page-allocator.js';
import {
  type EventWriter,
  type ProducerIdClaim,
  type StoredEvent,
  type StoreFailureCode,
  StoreUnavailableError,
  type WriteResult,
} from './ports.js';
import { checkProvenance, type ProvenanceMode } from './provenance.js';
import { compileRedaction, type Redactor } from './redaction.js';
import { parsePutRequestJson } from './request-body.js';
import { compileSelectors, type SelectorPolicy } from './selectors.js';

export interface PutSuccess {
  readonly index: number;
  readonly id?: string;
  readonly eventID: string;
}

export interface PutFailure {
  readonly index: number;
  readonly id?: string;
  readonly errorCode: EventErrorCode | StoreFailureCode;
  readonly errorMessage: string;
  /**
   * Set when the id is held by an earlier attempt that may still store its event: the id is free within this
   * many seconds, and a retry sooner succeeds only if that attempt stores the event meanwhile.
   */
  readonly retryAfterSeconds?: number;
}

/** An event no selector keeps: it was given an eventID, then dropped, never stored or archived. */
export interface PutFiltered {
  readonly index: number;
  readonly id?: string;
  readonly eventID: string;
}

export interface PutEventsResult {
  readonly successful: PutSuccess[];
  readonly failed: PutFailure[];
  readonly filtered: PutFiltered[];
}

/** What a trail records and masks (docs/selectors.md), compiled once per container. */
export interface IngestPolicy {
  readonly selectors: SelectorPolicy;
  readonly redact: Redactor;
  /** Where events may say they come from (lambda/core/provenance.ts). @default 'strict' */
  readonly provenance?: ProvenanceMode;
}

/** CloudTrail's default trail (management reads and writes, no data events, every region) and default redaction. */
export const DEFAULT_INGEST_POLICY: IngestPolicy = {
  selectors: compileSelectors(),
  redact: compileRedaction(),
};

export interface IngestOptions extends EnrichmentContext {
  readonly writeShards: number;
  /** Picks a write shard; injectable so tests are deterministic. */
  readonly pickShard?: (shards: number) => number;
  /** Selectors, redaction and provenance; without one every event is recorded as sent, provenance strict. */
  readonly policy?: IngestPolicy;
}

/** Turns a request body into the list of events it carries, or a refusal that says exactly what is wrong. */
export function parsePutEventsBody(body: string | undefined): unknown[] {
  const parsed = parsePutRequestJson(body, 'the request body is empty; send an event or { "events": [...] }');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RequestError(
      'InvalidRequestBody',
      'the request body must be an event object or { "events": [...] }',
    );
  }
  if (!Object.hasOwn(parsed, 'events')) return [parsed];
  const extraKeys = Object.keys(parsed).filter((key) => key !== 'events');
  if (extraKeys.length > 0) {
    throw new RequestError(
      'InvalidRequestBody',
      `a batch holds only "events"; unexpected: ${extraKeys.join(', ')}`,
    );
  }
  const events = (parsed as { events: unknown }).events;
  if (!Array.isArray(events))
    throw new RequestError('InvalidRequestBody', '"events" must be an array of event objects');
  if (events.length === 0)
    throw new RequestError('InvalidRequestBody', '"events" is empty; send 1 to 100 events');
  if (events.length > LIMITS.eventsPerRequest) {
    throw new RequestError(
      'TooManyEvents',
      `"events" holds ${events.length} events; at most ${LIMITS.eventsPerRequest} per request`,
    );
  }
  return events;
}

interface Prepared {
  readonly index: number;
  readonly event: ProducerEvent;
  readonly stored: StoredEvent;
}

/** An event with a producer id, and the claim its attempt makes (resolveProducerId). */
interface Claimed {
  readonly prepared: Prepared;
  readonly claim: ProducerIdClaim;
}

/**
 * A claim whose event is not stored belongs to an attempt that may still be writing it until the attempt's timeout
 * (LIMITS.putAttemptMs) has passed; twice that leaves room for clock skew between containers and a write the store
 * applies after its caller gave up.
 */
export const CLAIM_SETTLE_MS = 2 * LIMITS.putAttemptMs;

type Preparation =
  | { kind: 'prepared'; prepared: Prepared; recordBytes: number }
  | { kind: 'failed'; failure: PutFailure }
  | { kind: 'filtered'; filtered: PutFiltered };

const randomShard = (shards: number): number => Math.floor(Math.random() * shards);

function withId(index: number, event: unknown): { index: number; id?: string } {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? { index, id } : { index };
}

function eventFailure(index: number, event: unknown, { errorCode, errorMessage }: EventFailure): PutFailure {
  return { ...withId(index, event), errorCode, errorMessage };
}

/**
 * Validates and enriches one event for a given eventID; pure, so a retry can rebuild it with the same id. The
 * selectors see the built record (defaults filled in); redaction follows, so nothing masked is ever serialised.
 */
function prepare(
  index: number,
  event: ProducerEvent,
  eventID: string,
  timeMs: number,
  options: IngestOptions,
): Preparation {
  const record = buildRecord(event, eventID, timeMs, options);
  if (!('eventID' in record)) return { kind: 'failed', failure: eventFailure(index, event, record) };
  const policy = options.policy;
  if (policy !== undefined) {
    if (!policy.selectors.keeps(record))
      return { kind: 'filtered', filtered: { ...withId(index, event), eventID } };
    policy.redact(record);
  }
  const recordJson = JSON.stringify(record);
  const recordBytes = byteLength(recordJson);
  // Payload limits apply to what the producer sent. Masking can shrink a record below the size at which
  // checkStoredSize measures payloads, so after a redaction they are measured as if the record were at the limit.
  const sizeProblem =
    (record.ingestion.redactedFields !== undefined && checkStoredSize(event, LIMITS.eventBytes)) ||
    checkStoredSize(event, recordBytes);
  if (sizeProblem) return { kind: 'failed', failure: eventFailure(index, event, sizeProblem) };
  return {
    kind: 'prepared',
    recordBytes,
    prepared: {
      index,
      event,
      stored: {
        eventID,
        recordJson,
        keys: eventKeys(record),
        expiresAt: expiresAtFor(timeMs, options.retentionDays),
      },
    },
  };
}

/** A region the trail does not record is refused, not filtered: the producer is told, and can send it elsewhere. */
function checkRegion(event: ProducerEvent, options: IngestOptions): EventFailure | undefined {
  const regions = options.policy?.selectors.regions;
  const region = event.awsRegion ?? options.defaultRegion;
  if (regions === undefined || regions.has(region)) return undefined;
  return {
    ok: false,
    errorCode: 'InvalidRegion',
    errorMessage: `awsRegion ${JSON.stringify(region)} is not recorded by this trail; it records ${[...regions].join(', ')}`,
  };
}

function prepareNew(
  index: number,
  input: unknown,
  options: IngestOptions,
  pages: PageAllocator,
): Preparation {
  const validation = validateProducerEvent(input);
  if (!validation.ok) return { kind: 'failed', failure: eventFailure(index, input, validation) };
  const event = validation.event;
  const timeMs = eventTimeMs(event, options.receivedAtMs);
  const problem =
    checkEventTime(timeMs, options) ??
    checkProvenance(event, options.defaultAccountId, options.policy?.provenance) ??
    checkRegion(event, options);
  if (problem) return { kind: 'failed', failure: eventFailure(index, event, problem) };
  const allocation = pages.allocate(timeMs, event.eventSource);
  const preparation = prepare(index, event, allocation.eventID, timeMs, options);
  if (preparation.kind === 'prepared') allocation.hold(preparation.recordBytes);
  return preparation;
}

const STORE_MESSAGES: Record<StoreFailureCode, string> = {
  Throttling:
    'the event store is busy; the event was not stored, retry it (with the same id to stay idempotent)',
  InternalFailure: 'the event could not be stored; retry it (with the same id to stay idempotent)',
};

function storeFailure(prepared: Prepared, errorCode: StoreFailureCode): PutFailure {
  return { ...withId(prepared.index, prepared.event), errorCode, errorMessage: STORE_MESSAGES[errorCode] };
}

/**
 * Stores the events and reports each one. A success is only ever reported for an event whose items are all
 * stored; an event with a producer id that was stored before returns the original eventID (one whose earlier
 * attempt stored nothing gets this attempt's: resolveProducerId).
 */
export async function putEvents(
  inputs: readonly unknown[],
  writer: EventWriter,
  options: IngestOptions,
): Promise<PutEventsResult> {
  const successful: PutSuccess[] = [];
  const failed: PutFailure[] = [];
  const filtered: PutFiltered[] = [];
  const fresh: Prepared[] = [];
  const claims = new Map<string, Claimed>();
  const repeats: Claimed[] = [];
  const principal = options.producerArn === undefined ? '' : owningPrincipal(options.producerArn);
  const pickShard = options.pickShard ?? randomShard;
  const pages = new PageAllocator(() => pickShard(options.writeShards));

  inputs.forEach((input, index) => {
    const preparation = prepareNew(index, input, options, pages);
    if (preparation.kind === 'failed') {
      failed.push(preparation.failure);
      return;
    }
    if (preparation.kind === 'filtered') {
      filtered.push(preparation.filtered);
      return;
    }
    const { event } = preparation.prepared;
    if (event.id === undefined) {
      fresh.push(preparation.prepared);
      return;
    }
    const { stored } = preparation.prepared;
    const claimed: Claimed = {
      prepared: preparation.prepared,
      claim: {
        scope: producerIdScope(event.eventSource, event.id, options.channelArn, principal),
        eventID: stored.eventID,
        expiresAt: stored.expiresAt,
        contentHash: producerContentHash(event),
        claimedAtMs: options.receivedAtMs,
      },
    };
    if (claims.has(claimed.claim.scope)) repeats.push(claimed);
    else claims.set(claimed.claim.scope, claimed);
  });

  const idempotent = await Promise.all(
    [...claims.values()].map((claimed) => resolveProducerId(claimed, writer, options)),
  );
  const toWrite = [...fresh];
  const outcomeByIndex = new Map<number, PutSuccess | PutFailure>();
  const claimOf = new Map<Prepared, ProducerIdClaim>();
  for (const resolution of idempotent) {
    if (resolution.kind === 'done') {
      outcomeByIndex.set(resolution.outcome.index, resolution.outcome);
      continue;
    }
    toWrite.push(resolution.prepared);
    if (resolution.claim) claimOf.set(resolution.prepared, resolution.claim);
  }

  const writeResults = await writeCatalogFirst(
    toWrite.map((prepared) => prepared.stored),
    writer,
    (stored) => writer.writeEvents(stored),
    options.receivedAtMs,
    options.retentionDays,
  );
  const unstoredClaims: ProducerIdClaim[] = [];
  toWrite.forEach((prepared, i) => {
    const result = writeResults[i];
    const claim = claimOf.get(prepared);
    if (result?.ok === false && !result.mayLand && claim) unstoredClaims.push(claim);
    outcomeByIndex.set(
      prepared.index,
      result?.ok
        ? { ...withId(prepared.index, prepared.event), eventID: prepared.stored.eventID }
        : storeFailure(prepared, result?.ok === false ? result.errorCode : 'InternalFailure'),
    );
  });

  if (unstoredClaims.length > 0) await writer.releaseProducerIds(unstoredClaims);

  for (const outcome of outcomeByIndex.values()) {
    if ('eventID' in outcome) successful.push(outcome);
    else failed.push(outcome);
  }
  for (const repeat of repeats) {
    const first = claims.get(repeat.claim.scope);
    const outcome = first ? outcomeByIndex.get(first.prepared.index) : undefined;
    const index = repeat.prepared.index;
    if (first !== undefined && first.claim.contentHash !== repeat.claim.contentHash) {
      failed.push(
        idempotencyConflict(repeat.prepared, outcome && 'eventID' in outcome ? outcome.eventID : undefined),
      );
    } else if (outcome && 'eventID' in outcome) successful.push({ ...outcome, index });
    else if (outcome) failed.push({ ...outcome, index });
  }
  successful.sort((a, b) => a.index - b.index);
  failed.sort((a, b) => a.index - b.index);
  return { successful, failed, filtered };
}

/** What to write for an event with an id; `claim` is this attempt's, when it holds one (not for a relisted event). */
type Resolution =
  | { kind: 'write'; prepared: Prepared; claim?: ProducerIdClaim }
  | { kind: 'done'; outcome: PutSuccess | PutFailure };

/**
 * "Same content" for idempotency: the SHA-256 of the producer's event as sent (for PutAuditEvents, its eventData
 * as mapped), serialised as canonical JSON (object keys sorted, no whitespace). A retry that writes its fields in
 * another order is the same event; a changed, added or removed value is not.
 */
export function producerContentHash(event: ProducerEvent): string {
  return createHash('sha256').update(canonicalJson(event)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const object = value as Record<string, unknown>;
  const fields = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`);
  return `{${fields.join(',')}}`;
}

/** A re-put under a claimed id with other content: another event, which must never be answered as this one. */
function idempotencyConflict(prepared: Prepared, heldEventID: string | undefined): PutFailure {
  const held = heldEventID === undefined ? '' : ` (eventID ${heldEventID})`;
  return {
    ...withId(prepared.index, prepared.event),
    errorCode: 'IdempotencyConflict',
    errorMessage: `id ${prepared.event.id} was put before with other content${held}; a different event needs a different id`,
  };
}

/**
 * Idempotency by producer id (scoped, producerIdScope): claim the id for the new eventID and the event's content
 * hash. If the id is claimed with the same content, that event wins; with other content, the put is refused
 * (IdempotencyConflict). If the holder is not stored, the attempt that claimed it either failed or is still
 * writing (a retry sent while the first attempt runs): until the claim has settled (CLAIM_SETTLE_MS) this attempt
 * answers Throttling, so the first attempt's event is never stored twice; after that the claim moves to this
 * attempt's eventID. It cannot be stored under the held eventID: that names a page of the earlier request, which a
 * page of this one would overwrite. A failed attempt releases its claims (putEvents), so its retry need not wait.
 */
async function resolveProducerId(
  claimed: Claimed,
  writer: EventWriter,
  options: IngestOptions,
  attemptsLeft = 3,
): Promise<Resolution> {
  const { prepared, claim } = claimed;
  if (attemptsLeft === 0) return { kind: 'done', outcome: storeFailure(prepared, 'Throttling') };
  try {
    const held = await writer.claimProducerId(claim);
    if (held.claimed) return { kind: 'write', prepared, claim };
    if (held.contentHash !== claim.contentHash)
      return { kind: 'done', outcome: idempotencyConflict(prepared, held.eventID) };
    const existing = await writer.readRecord(held.eventID);
    if (existing !== undefined)
      return { kind: 'write', prepared: relisted(prepared, held.eventID, existing, options) };
    const heldForMs = options.receivedAtMs - (held.claimedAtMs ?? Number.NEGATIVE_INFINITY);
    if (heldForMs < CLAIM_SETTLE_MS) return { kind: 'done', outcome: stillWriting(prepared, heldForMs) };
    if (await writer.reassignProducerId(claim, held.eventID)) return { kind: 'write', prepared, claim };
    // Another attempt moved the claim first: start over against the new holder.
    return resolveProducerId(claimed, writer, options, attemptsLeft - 1);
  } catch (error) {
    if (error instanceof StoreUnavailableError)
      return { kind: 'done', outcome: storeFailure(prepared, error.errorCode) };
    throw error;
  }
}

/** Retryable: the attempt holding the id has not stored its event yet, and may still. */
function stillWriting(prepared: Prepared, heldForMs: number): PutFailure {
  const waitS = Math.ceil((CLAIM_SETTLE_MS - Math.max(0, heldForMs)) / 1000);
  return {
    ...withId(prepared.index, prepared.event),
    errorCode: 'Throttling',
    errorMessage: `id ${prepared.event.id} is held by an earlier attempt that has not stored its event yet and may still; retry: if that attempt failed, the id is free within ${waitS} s`,
    retryAfterSeconds: waitS,
  };
}

/**
 * The stored event of an earlier attempt, listed again: that attempt may have stored its page and failed before
 * its posting lists, so the retry writes the lists once more, healing the lookups instead of answering from the
 * page alone (readers drop the repeat).
 */
function relisted(prepared: Prepared, eventID: string, recordJson: string, options: IngestOptions): Prepared {
  const timeMs = parseEventId(eventID)?.timeMs ?? options.receivedAtMs;
  return {
    index: prepared.index,
    event: prepared.event,
    stored: {
      eventID,
      recordJson,
      keys: eventKeys(JSON.parse(recordJson) as TrailRecord),
      expiresAt: expiresAtFor(timeMs, options.retentionDays),
      relist: true,
    },
  };
}

const catalogKey = (entry: { pk: string; sk: string }): string => `${entry.pk}\u0000${entry.sk}`;

/**
 * Catalog entries go first: an event is never stored while the value suggestions cannot list its source. `write`
 * stores the events whose entries were written (writeEvents; a rebuild passes restoreEvents); one result per event.
 */
export async function writeCatalogFirst(
  events: readonly StoredEvent[],
  writer: EventWriter,
  write: (events: readonly StoredEvent[]) => Promise<WriteResult[]>,
  receivedAtMs: number,
  retentionDays: number,
): Promise<WriteResult[]> {
  if (events.length === 0) return [];
  const catalog = new Map<string, StoredEvent['keys']['catalog'][number]>();
  for (const stored of events) {
    for (const entry of stored.keys.catalog) {
      const key = catalogKey(entry);
      if (!catalog.has(key)) catalog.set(key, entry);
    }
  }
  const entries = [...catalog.values()];
  // No event outlives its receipt time plus the retention (eventTime is never in the future), so a catalog
  // entry refreshed at least daily outlives every event it lists.
  const catalogExpiresAt = expiresAtFor(receivedAtMs, retentionDays + 1);
  const catalogResults = await writer.writeCatalog(entries, catalogExpiresAt);
  const failedKeys = new Set(entries.filter((_, i) => !catalogResults[i]?.ok).map(catalogKey));
  const writable =
    failedKeys.size === 0
      ? events
      : events.filter((stored) => !stored.keys.catalog.some((entry) => failedKeys.has(catalogKey(entry))));
  const results = await write(writable);
  const byEvent = new Map(writable.map((stored, i) => [stored, results[i]]));
  return events.map((stored) => byEvent.get(stored) ?? { ok: false, errorCode: 'Throttling' });
}
