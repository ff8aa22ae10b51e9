import { createHash, randomBytes } from 'node:crypto';

/**
 * eventID: 26 characters of Crockford base32, sortable like a ULID, carrying what the store needs to find the
 * event from its id alone (docs/storage.md):
 *   [0,10)  eventTime in epoch milliseconds (48 bits)
 *   [10,14) a 20-bit hash of eventSource: the event's partition family
 *   [14]    the write shard (0..31)
 *   [15,25) the page token: 50 random bits naming the page item that holds the event with others of its request
 *   [25]    the event's slot in its page (0..31)
 * Ordering by eventID is ordering by eventTime, which is what "newest first" means for a reader.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const SOURCE_HASH_CHARS = 4;
const PAGE_TOKEN_CHARS = 10;
export const EVENT_ID_LENGTH = TIME_CHARS + SOURCE_HASH_CHARS + 1 + PAGE_TOKEN_CHARS + 1;
/** How many events one page holds at most: the slot is one character. */
export const PAGE_SLOTS = 32;
const MAX_TIME_MS = 2 ** 48 - 1;
/** The highest character of the alphabet: a suffix of it sorts after every eventID with the same prefix. */
const MAX_CHAR = 'Z';

function encode(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** Each character's value by its char code, -1 outside the alphabet: eventIDs are decoded on every write and read. */
const DIGIT_VALUES = new Int8Array(128).fill(-1);
for (let digit = 0; digit < ALPHABET.length; digit++) DIGIT_VALUES[ALPHABET.charCodeAt(digit)] = digit;

/** The value of the alphabet character at `at`, -1 for any other character. */
const digitAt = (text: string, at: number): number => DIGIT_VALUES[text.charCodeAt(at)] ?? -1;

/** The number `length` characters from `from` spell; the caller has checked they are in the alphabet. */
function decode(text: string, from: number, length: number): number {
  let value = 0;
  for (let at = from; at < from + length; at++) value = value * 32 + digitAt(text, at);
  return value;
}

const knownSourceHashes = new Map<string, string>();
const SOURCE_HASH_CACHE_MAX = 4096;

/** The 20-bit hash of an eventSource, as the 4 characters used in eventIDs and partition keys. */
export function sourceHash(eventSource: string): string {
  let hash = knownSourceHashes.get(eventSource);
  if (hash === undefined) {
    const digest = createHash('sha256').update(eventSource).digest();
    hash = encode(digest.readUIntBE(0, 3) >>> 4, SOURCE_HASH_CHARS);
    // Sources are few; the cap only bounds memory against a producer that invents them.
    if (knownSourceHashes.size >= SOURCE_HASH_CACHE_MAX) knownSourceHashes.clear();
    knownSourceHashes.set(eventSource, hash);
  }
  return hash;
}

const RANDOM_POOL_BYTES = 8 * 512;
let randomPool = randomBytes(RANDOM_POOL_BYTES);
let randomOffset = 0;

/** 8 random bytes from a pool refilled in bulk: one system call per 512 ids instead of one per id. */
function nextRandom(): Buffer {
  if (randomOffset + 8 > RANDOM_POOL_BYTES) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  randomOffset += 8;
  return randomPool.subarray(randomOffset - 8, randomOffset);
}

export function shardChar(shard: number): string {
  return ALPHABET.charAt(shard);
}

export interface EventIdParts {
  readonly timeMs: number;
  readonly sourceHash: string;
  readonly shard: number;
  /** The page token: with the source hash, shard and minute it names the item holding the event (keys.ts). */
  readonly pageToken: string;
}

/**
 * What a page stores of each eventID it holds: the eventTime and the slot. The source hash, shard and page token are
 * the page's own, in its key (keys.ts pageEventIds).
 */
export const SLOT_ID_LENGTH = TIME_CHARS + 1;

export const slotIdOf = (eventID: string): string =>
  eventID.slice(0, TIME_CHARS) + eventID.slice(EVENT_ID_LENGTH - 1);

/** The eventID of a slot id, given its page's source hash, shard character and token. */
export const eventIdOfSlot = (
  slotId: string,
  sourceHashChars: string,
  shard: string,
  pageToken: string,
): string => slotId.slice(0, TIME_CHARS) + sourceHashChars + shard + pageToken + slotId.slice(TIME_CHARS);

/** A fresh page token: 50 random bits, as 25 + 25, each exact in a Number. */
export function newPageToken(random = nextRandom()): string {
  const high = random.readUInt32BE(0) % 2 ** 25;
  const low = random.readUInt32BE(4) % 2 ** 25;
  return encode(high, 5) + encode(low, 5);
}

/** The eventID of the event in `slot` of page `pageToken`. */
export function pageEventId(
  timeMs: number,
  eventSource: string,
  shard: number,
  pageToken: string,
  slot: number,
): string {
  return (
    encode(timeMs, TIME_CHARS) +
    sourceHash(eventSource) +
    shardChar(shard) +
    pageToken +
    ALPHABET.charAt(slot)
  );
}

/** The eventID of an event alone in a page of its own. */
export function newEventId(
  timeMs: number,
  eventSource: string,
  shard: number,
  random = nextRandom(),
): string {
  return pageEventId(timeMs, eventSource, shard, newPageToken(random), 0);
}

export function isEventId(text: string): boolean {
  if (text.length !== EVENT_ID_LENGTH) return false;
  for (let at = 0; at < EVENT_ID_LENGTH; at++) if (digitAt(text, at) < 0) return false;
  return true;
}

const PAGE_TOKEN_AT = TIME_CHARS + SOURCE_HASH_CHARS + 1;

/** The eventTime an eventID carries; undefined when the text is not an eventID. */
export function eventIdTimeMs(eventId: string): number | undefined {
  if (!isEventId(eventId)) return undefined;
  const timeMs = decode(eventId, 0, TIME_CHARS);
  return timeMs > MAX_TIME_MS ? undefined : timeMs;
}

/** The character of an eventID that names its write shard: shardChar of its shard. */
export const shardCharOf = (eventId: string): string => eventId.charAt(TIME_CHARS + SOURCE_HASH_CHARS);

export function parseEventId(eventId: string): EventIdParts | undefined {
  const timeMs = eventIdTimeMs(eventId);
  if (timeMs === undefined) return undefined;
  return {
    timeMs,
    sourceHash: eventId.slice(TIME_CHARS, TIME_CHARS + SOURCE_HASH_CHARS),
    shard: digitAt(eventId, TIME_CHARS + SOURCE_HASH_CHARS),
    pageToken: eventId.slice(PAGE_TOKEN_AT, PAGE_TOKEN_AT + PAGE_TOKEN_CHARS),
  };
}

/** The smallest eventID-ordered key at or after `timeMs`. */
export function lowestIdAt(timeMs: number): string {
  return encode(timeMs, TIME_CHARS);
}

const MAX_SUFFIX = MAX_CHAR.repeat(EVENT_ID_LENGTH - TIME_CHARS);
let lastHighestMs = Number.NaN;
let lastHighestId = '';

/** The largest eventID-ordered key at or before the end of millisecond `timeMs`; the events of a page share one. */
export function highestIdAt(timeMs: number): string {
  if (timeMs !== lastHighestMs) {
    lastHighestId = encode(timeMs, TIME_CHARS) + MAX_SUFFIX;
    lastHighestMs = timeMs;
  }
  return lastHighestId;
}
