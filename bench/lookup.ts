import type { TrailRecord } from '../lambda/core/event-model.js';
import { lookupUsername } from '../lambda/core/identity.js';
import { putEvents } from '../lambda/core/ingest.js';
import { LOOKUP_KEYS, type LookupAttributes, type LookupKey, lookupEvents } from '../lambda/core/lookup.js';
import { ACCOUNT_ID, seededRandom, variedEvents } from './support/events.js';
import { progress, round } from './support/measure.js';
import { emptyMeter, MemoryEventStore, meterTotal, type ReadMeter } from './support/memory-store.js';
import type { Outcome, Row } from './support/report.js';

/**
 * `npm run bench -- lookup`: read units per returned event for a page of 50, for every LookupEvents attribute
 * key and for a lookup without attributes. A few thousand varied events go through the real putEvents into an
 * in-memory table holding exactly the adapter's items; the real lookupEvents reads them through the same
 * EventReader port, and the store meters what DynamoDB would charge (moto's ConsumedCapacity is a fixed number).
 * In memory rather than moto: deterministic, fast, and the capacity has to be computed either way.
 */

const EVENT_COUNT = 3000;
const SPAN_MS = 7 * 86_400_000;
const PAGE_SIZE = 50;
const WRITE_SHARDS = 16;
const RETENTION_DAYS = 90;

type Scenario = LookupKey | 'none';

interface KeyResult {
  readonly value: string | null;
  readonly matching: number;
  readonly returned: number;
  readonly rru: number;
  readonly meter: ReadMeter;
}

/** The most frequent value of `pick` over the records: the page of 50 should be full where the data allow. */
function mostFrequent(records: readonly TrailRecord[], pick: (record: TrailRecord) => string[]): string {
  const counts = new Map<string, number>();
  for (const record of records)
    for (const value of pick(record)) counts.set(value, (counts.get(value) ?? 0) + 1);
  const [best] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (!best) throw new Error('no values to look up');
  return best[0];
}

function lookupValues(records: readonly TrailRecord[]): Record<LookupKey, string> {
  const byTime = [...records].sort((a, b) => (a.eventID < b.eventID ? -1 : 1));
  return {
    EventId: byTime[Math.floor(byTime.length / 2)]?.eventID ?? '',
    EventName: mostFrequent(records, (record) => [record.eventName]),
    ReadOnly: mostFrequent(records, (record) => [String(record.readOnly)]),
    Username: mostFrequent(records, (record) => [lookupUsername(record.userIdentity)]),
    ResourceType: mostFrequent(records, (record) => (record.resources ?? []).flatMap((r) => r.type ?? [])),
    ResourceName: mostFrequent(records, (record) => (record.resources ?? []).flatMap((r) => r.ARN ?? [])),
    EventSource: mostFrequent(records, (record) => [record.eventSource]),
    AccessKeyId: mostFrequent(records, (record) =>
      record.userIdentity.accessKeyId === undefined ? [] : [record.userIdentity.accessKeyId],
    ),
  };
}

/** What a correct lookup returns, computed by brute force: the benchmark refuses to meter a wrong answer. */
function expectedIDs(records: readonly TrailRecord[], attributes: LookupAttributes): string[] {
  const matches = (record: TrailRecord): boolean =>
    (attributes.EventId === undefined || record.eventID === attributes.EventId) &&
    (attributes.EventName === undefined || record.eventName === attributes.EventName) &&
    (attributes.ReadOnly === undefined || String(record.readOnly) === attributes.ReadOnly) &&
    (attributes.Username === undefined || lookupUsername(record.userIdentity) === attributes.Username) &&
    (attributes.ResourceType === undefined ||
      (record.resources ?? []).some((resource) => resource.type === attributes.ResourceType)) &&
    (attributes.ResourceName === undefined ||
      (record.resources ?? []).some((resource) => resource.ARN === attributes.ResourceName)) &&
    (attributes.EventSource === undefined || record.eventSource === attributes.EventSource) &&
    (attributes.AccessKeyId === undefined || record.userIdentity.accessKeyId === attributes.AccessKeyId);
  return records
    .filter(matches)
    .map((record) => record.eventID)
    .sort()
    .reverse();
}

async function seed(nowMs: number): Promise<{ store: MemoryEventStore; records: TrailRecord[] }> {
  const store = new MemoryEventStore();
  const random = seededRandom(7);
  const events = variedEvents(EVENT_COUNT, nowMs, SPAN_MS);
  for (let i = 0; i < events.length; i += 100) {
    const result = await putEvents(events.slice(i, i + 100), store, {
      receivedAtMs: nowMs,
      defaultRegion: 'eu-west-1',
      defaultAccountId: ACCOUNT_ID,
      retentionDays: RETENTION_DAYS,
      writeShards: WRITE_SHARDS,
      pickShard: (shards) => Math.floor(random() * shards),
    });
    if (result.failed.length > 0) throw new Error(`seeding failed: ${JSON.stringify(result.failed[0])}`);
  }
  const records = store.storedEvents.map((stored) => JSON.parse(stored.recordJson) as TrailRecord);
  return { store, records };
}

export async function runLookup(): Promise<Outcome> {
  const nowMs = Date.now();
  progress(`lookup: seeding ${EVENT_COUNT} events`);
  const { store, records } = await seed(nowMs);
  const values = lookupValues(records);
  const scenarios: Scenario[] = [...LOOKUP_KEYS, 'none'];
  const results = {} as Record<Scenario, KeyResult>;

  for (const scenario of scenarios) {
    const attributes: LookupAttributes = scenario === 'none' ? {} : { [scenario]: values[scenario] };
    store.meter = emptyMeter();
    const page = await lookupEvents(
      { attributes, startMs: nowMs - RETENTION_DAYS * 86_400_000, endMs: nowMs, maxResults: PAGE_SIZE },
      store,
      { writeShards: WRITE_SHARDS },
    );
    const meter = store.meter;
    const returnedIDs = page.records.map((record) => (JSON.parse(record) as TrailRecord).eventID);
    const expected = expectedIDs(records, attributes);
    if (returnedIDs.join() !== expected.slice(0, PAGE_SIZE).join()) {
      throw new Error(`lookup ${scenario} returned other events than a brute-force search`);
    }
    results[scenario] = {
      // eventIDs carry the run's clock and random bits: name the choice, not the id, so results.json diffs stay clean.
      value: scenario === 'none' ? null : scenario === 'EventId' ? 'the median eventID' : values[scenario],
      matching: expected.length,
      returned: returnedIDs.length,
      rru: meterTotal(meter),
      meter: { ...meter },
    };
  }

  const perEvent = (result: KeyResult): number =>
    round(result.returned === 0 ? result.rru : result.rru / result.returned, 3);
  const rruPerReturnedEvent = Object.fromEntries(
    scenarios.map((scenario) => [scenario, perEvent(results[scenario])]),
  );
  const result = {
    rruPerReturnedEvent,
    detail: {
      events: EVENT_COUNT,
      spanDays: SPAN_MS / 86_400_000,
      pageSize: PAGE_SIZE,
      writeShards: WRITE_SHARDS,
      byKey: Object.fromEntries(
        scenarios.map((scenario) => {
          const r = results[scenario];
          return [
            scenario,
            {
              value: r.value,
              matching: r.matching,
              returned: r.returned,
              rru: r.rru,
              queries: r.meter.queries,
              queryItemsRead: r.meter.queryItems,
              queryRru: r.meter.queryRru,
              catalogRru: r.meter.catalogRru,
              recordsRead: r.meter.batchGetItems,
              batchGetRru: r.meter.batchGetRru,
            },
          ];
        }),
      ),
    },
  };
  const rows: Row[] = scenarios.map((scenario) => {
    const r = results[scenario];
    return {
      metric: `RRU per returned event: ${scenario}`,
      value: `${perEvent(r).toFixed(3)} (${r.rru} RRU / ${r.returned})`,
    };
  });
  const notes = [
    `lookup: ${EVENT_COUNT} events over ${SPAN_MS / 86_400_000} days, ${WRITE_SHARDS} write shards, one page of ${PAGE_SIZE}, the most frequent value of each key; every page checked against a brute-force search.`,
    'lookup: Query = 0.5 RRU per 4 KB of the full items its key condition reads (summed per Query, at least 0.5; ProjectionExpression does not lower it); BatchGetItem = 0.5 RRU per item per 4 KB; eventually consistent throughout.',
    ...scenarios.map((scenario) => {
      const r = results[scenario];
      return `lookup ${scenario}: ${r.meter.queries} queries reading ${r.meter.queryItems} items = ${r.meter.queryRru} RRU, catalog ${r.meter.catalogRru} RRU, ${r.meter.batchGetItems} records read = ${r.meter.batchGetRru} RRU, ${r.returned} returned of ${r.matching} matching.`;
    }),
  ];
  return { name: 'lookup', result, rows, notes };
}
