import { createHash } from 'node:crypto';
import type { TrailRecord } from '../event-model.js';

/**
 * Insight counters, aggregated on the write path: the counter consumer turns each stream batch into one
 * update per (key, minute), never re-reading raw events later (DESIGN §7). Minutes are the events' own
 * eventTime minutes, so back-dated events build history.
 */
export const INSIGHT_TYPES = ['ApiCallRateInsight', 'ApiErrorRateInsight'] as const;
export type InsightType = (typeof INSIGHT_TYPES)[number];

export interface CounterKey {
  readonly insightType: InsightType;
  readonly eventSource: string;
  readonly eventName: string;
  /** Error-rate keys only. */
  readonly errorCode?: string;
}

/** What attributions are made of: who called, with which client, failing how. */
export const ATTRIBUTES = { userIdentityArn: 'u', userAgent: 'a', errorCode: 'e' } as const;
export type AttributionAttribute = keyof typeof ATTRIBUTES;

/** Contributors kept per attribute and update: the insight reports the top 5 over its minutes. */
const CONTRIBUTORS_PER_UPDATE = 3;
const CONTRIBUTOR_VALUE_CHARS = 256;

export interface CounterUpdate {
  /** Identifies the records counted, so the store can refuse to add the same records twice. */
  readonly updateId: string;
  readonly keyId: string;
  readonly key: CounterKey;
  readonly minute: number;
  readonly count: number;
  /** Contributor counts by `<attribute letter>|<value>`. */
  readonly contributors: Readonly<Record<string, number>>;
}

/** A short, fixed-length id for a key: keys can be 3 KB of text, DynamoDB partition keys at most 2 KB. */
export function counterKeyId(key: CounterKey): string {
  return createHash('sha256')
    .update(JSON.stringify([key.insightType, key.eventSource, key.eventName, key.errorCode ?? null]))
    .digest('base64url')
    .slice(0, 22);
}

export const minuteOf = (ms: number): number => Math.floor(ms / 60_000);

interface Tally {
  key: CounterKey;
  minute: number;
  count: number;
  contributors: Map<string, number>;
  sequenceNumbers: string[];
}

function contributorsOf(record: TrailRecord): string[] {
  const identity = record.userIdentity.arn ?? record.userIdentity.principalId ?? record.userIdentity.userName;
  const names: string[] = [];
  if (identity) names.push(`${ATTRIBUTES.userIdentityArn}|${identity.slice(0, CONTRIBUTOR_VALUE_CHARS)}`);
  if (record.userAgent)
    names.push(`${ATTRIBUTES.userAgent}|${record.userAgent.slice(0, CONTRIBUTOR_VALUE_CHARS)}`);
  if (record.errorCode)
    names.push(`${ATTRIBUTES.errorCode}|${record.errorCode.slice(0, CONTRIBUTOR_VALUE_CHARS)}`);
  return names;
}

/** The keys an event counts towards: write management calls (call rate) and failed calls (error rate). */
export function keysOf(record: TrailRecord): CounterKey[] {
  if (record.eventCategory === 'Insight') return [];
  const keys: CounterKey[] = [];
  if (record.managementEvent && !record.readOnly) {
    keys.push({
      insightType: 'ApiCallRateInsight',
      eventSource: record.eventSource,
      eventName: record.eventName,
    });
  }
  if (record.errorCode) {
    keys.push({
      insightType: 'ApiErrorRateInsight',
      eventSource: record.eventSource,
      eventName: record.eventName,
      errorCode: record.errorCode,
    });
  }
  return keys;
}

/** One update per (key, minute) for a batch of stored records, with each update's top contributors. */
export function countRecords(
  records: ReadonlyArray<{ readonly json: string; readonly sequenceNumber: string }>,
): CounterUpdate[] {
  const tallies = new Map<string, Tally>();
  for (const { json, sequenceNumber } of records) {
    const record = JSON.parse(json) as TrailRecord;
    const keys = keysOf(record);
    if (keys.length === 0) continue;
    const minute = minuteOf(Date.parse(record.eventTime));
    const contributors = contributorsOf(record);
    for (const key of keys) {
      const id = `${counterKeyId(key)}#${minute}`;
      let tally = tallies.get(id);
      if (!tally) {
        tally = { key, minute, count: 0, contributors: new Map(), sequenceNumbers: [] };
        tallies.set(id, tally);
      }
      tally.count++;
      tally.sequenceNumbers.push(sequenceNumber);
      for (const name of contributors) tally.contributors.set(name, (tally.contributors.get(name) ?? 0) + 1);
    }
  }
  return [...tallies.values()].map((tally) => ({
    updateId: updateId(tally.sequenceNumbers),
    keyId: counterKeyId(tally.key),
    key: tally.key,
    minute: tally.minute,
    count: tally.count,
    contributors: topContributors(tally.contributors),
  }));
}

/** The top few contributors per attribute, so a counter item stays small whatever the cardinality. */
function topContributors(counts: ReadonlyMap<string, number>): Record<string, number> {
  const kept: Record<string, number> = {};
  for (const letter of Object.values(ATTRIBUTES)) {
    const top = [...counts]
      .filter(([name]) => name.startsWith(`${letter}|`))
      .sort(([, a], [, b]) => b - a)
      .slice(0, CONTRIBUTORS_PER_UPDATE);
    for (const [name, count] of top) kept[name] = count;
  }
  return kept;
}

/**
 * What a counter item keeps for one (key, minute), bounded whatever the traffic: a burst with a distinct caller
 * and client per event (exactly when an insight matters) must not grow it towards DynamoDB's 400 KB item limit.
 * Measured in bench -- partitions (partitions.largestCounterItemBytes).
 */
export const COUNTER_ITEM_CAPS = {
  /** Contributors kept per attribute; the counts of the ones that drop out of the top go to its remainder. */
  contributorsPerAttribute: 10,
  /**
   * Update ids kept, newest last. A batch is refused while its id is among them: the stream mapping retries a
   * failed batch at once (its shard waits for it), so between the first attempt and the retry only the other
   * shards' batches can update the same item, one per batch; 128 leaves room for a long retry at a hot key.
   */
  updateIds: 128,
} as const;

/** A counter item's content: the count, the top contributors, what the others add up to, recent update ids. */
export interface CounterTotals {
  readonly count: number;
  /** Counts by `<attribute letter>|<value>`, at most COUNTER_ITEM_CAPS.contributorsPerAttribute per letter. */
  readonly contributors: Readonly<Record<string, number>>;
  /** Per attribute letter, the count of contributors no longer in the top. */
  readonly others: Readonly<Record<string, number>>;
  readonly updateIds: readonly string[];
}

/**
 * The item after `update`, or undefined when the item already counted it (its id is in the window). Keeps a
 * deterministic top: by count, then by name, so the same updates in the same order always keep the same names.
 */
export function mergeCounterUpdate(
  totals: CounterTotals | undefined,
  update: CounterUpdate,
): CounterTotals | undefined {
  if (totals?.updateIds.includes(update.updateId)) return undefined;
  const summed = new Map(Object.entries(totals?.contributors ?? {}));
  for (const [name, count] of Object.entries(update.contributors)) {
    summed.set(name, (summed.get(name) ?? 0) + count);
  }
  const contributors: Record<string, number> = {};
  const others: Record<string, number> = { ...totals?.others };
  for (const letter of Object.values(ATTRIBUTES)) {
    const ranked = [...summed]
      .filter(([name]) => name.startsWith(`${letter}|`))
      .sort(([nameA, a], [nameB, b]) => b - a || (nameA < nameB ? -1 : 1));
    for (const [name, count] of ranked.slice(0, COUNTER_ITEM_CAPS.contributorsPerAttribute)) {
      contributors[name] = count;
    }
    const dropped = ranked
      .slice(COUNTER_ITEM_CAPS.contributorsPerAttribute)
      .reduce((sum, [, count]) => sum + count, 0);
    if (dropped > 0) others[letter] = (others[letter] ?? 0) + dropped;
  }
  return {
    count: (totals?.count ?? 0) + update.count,
    contributors,
    others,
    updateIds: [...(totals?.updateIds ?? []), update.updateId].slice(-COUNTER_ITEM_CAPS.updateIds),
  };
}

/** Writes counter updates (each merged into its item, see mergeCounterUpdate) and registers the keys insights will scan. */
export interface CounterWriter {
  addCounts(updates: readonly CounterUpdate[], expiresAt: number): Promise<boolean[]>;
  registerKeys(
    keys: ReadonlyArray<{ readonly keyId: string; readonly key: CounterKey }>,
    expiresAt: number,
  ): Promise<boolean>;
}

/** The contributing stream records of an update, as a short id: a retried batch adds nothing twice. */
export function updateId(sequenceNumbers: readonly string[]): string {
  return createHash('sha256').update(sequenceNumbers.join(',')).digest('base64url').slice(0, 12);
}
