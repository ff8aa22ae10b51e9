import type { TrailRecord } from '../lambda/core/event-model.js';
import { putEvents } from '../lambda/core/ingest.js';
import { LOOKUP_KEYS, type LookupAttributes, type LookupKey, lookupEvents } from '../lambda/core/lookup.js';
import { ACCOUNT_ID } from '../test/fixtures/events.js';
import { MemoryEventStore } from '../test/fixtures/memory-store.js';
import { seededRandom } from '../test/fixtures/random.js';
import { expectedMatches, lookupValues, variedEvents } from '../test/fixtures/traffic.js';
import { emptyMeter, meterRead, meterTotal, type ReadMeter } from './support/capacity.js';
import { progress, round } from './support/measure.js';
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

async function seed(
  nowMs: number,
  meter: () => ReadMeter,
): Promise<{ store: MemoryEventStore; records: TrailRecord[] }> {
  const store = new MemoryEventStore({ onRead: (read) => meterRead(meter(), read) });
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
  let meter = emptyMeter();
  const { store, records } = await seed(nowMs, () => meter);
  const values = lookupValues(records);
  const scenarios: Scenario[] = [...LOOKUP_KEYS, 'none'];
  const results = {} as Record<Scenario, KeyResult>;

  for (const scenario of scenarios) {
    const attributes: LookupAttributes = scenario === 'none' ? {} : { [scenario]: values[scenario] };
    meter = emptyMeter();
    const page = await lookupEvents(
      { attributes, startMs: nowMs - RETENTION_DAYS * 86_400_000, endMs: nowMs, maxResults: PAGE_SIZE },
      store,
      { writeShards: WRITE_SHARDS },
    );
    const returnedIDs = page.records.map((record) => (JSON.parse(record) as TrailRecord).eventID);
    const expected = expectedMatches(records, attributes);
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
