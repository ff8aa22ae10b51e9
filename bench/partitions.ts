import { pageItem, writeItems } from '../lambda/adapters/dynamodb-event-store.js';
import { counterItem } from '../lambda/adapters/dynamodb-insight-store.js';
import { parseEventId, sourceHash } from '../lambda/core/event-id.js';
import type { ProducerEvent } from '../lambda/core/event-model.js';
import { putEvents } from '../lambda/core/ingest.js';
import { countRecords } from '../lambda/core/insights/counters.js';
import { POSTING_FAMILIES, pagesOf } from '../lambda/core/keys.js';
import { LIMITS } from '../lambda/core/limits.js';
import type { EventWriter, StoredEvent, WriteResult } from '../lambda/core/ports.js';
import { ACCOUNT_ID, typicalBatch, typicalEvent } from '../test/fixtures/events.js';
import { seededRandom } from '../test/fixtures/random.js';
import { counterLoadOf } from './pipeline.js';
import { itemBytes, writeUnits } from './support/capacity.js';
import { progress, round } from './support/measure.js';
import {
  PARTITION_WCU_LIMIT,
  type PartitionHeat,
  PartitionLoad,
  type PartitionSpace,
  partitionWrite,
} from './support/partition-load.js';
import { type Outcome, type Row, statusOf, type Target, targetRow } from './support/report.js';
import { benchIngestOptions, storeEvents } from './support/stored-events.js';

/**
 * `npm run bench -- partitions`: one simulated minute of skewed traffic at 10,000 events/s (one eventSource and
 * one user dominating, Zipf-distributed event names and resources) put through the real `putEvents`, so every
 * key comes from lambda/core/keys.ts and every item size from the adapter's own items. Write units are summed per
 * partition key and second (the table has no index), and the hottest partition's busiest second is reported as a
 * share of DynamoDB's 1,000 WCU/s per partition.
 */

export const PARTITION_TARGETS = {
  /** The hottest partition's busiest second, as a share of DynamoDB's 1,000 WCU/s per partition. */
  hottestPartitionShare: { max: 0.5 },
  /** The largest insight counter item under hostile cardinality: a tenth of DynamoDB's 400 KB item limit. */
  largestCounterItemBytes: { max: 40_000 },
} as const satisfies Record<string, Target>;

/** The counter mapping's largest batch (lib/constructs/insights.ts: up to 1,000 records or 5 s). */
const COUNTER_BATCH_RECORDS = 1000;

/**
 * One minute of one counter key at the partitions rate with hostile cardinality: every event a write call to the
 * same source and name from a caller and a client no other event has. The counter items are built as the adapter
 * builds them (bench/pipeline.ts counterLoadOf); beside them, the size the same minute reached with the ADD design
 * this replaced (an update id per batch and an attribute per batch-top contributor, never removed).
 */
function hostileCounterMinute(eventsPerSecond: number, seconds: number) {
  const minuteMs = Math.floor(Date.now() / 60_000) * 60_000;
  const records = Array.from({ length: eventsPerSecond * seconds }, (_, i) => ({
    json: JSON.stringify({
      eventTime: new Date(minuteMs + (i % 60_000)).toISOString(),
      eventSource: 'orders.api.example.com',
      eventName: 'UpdateOrderStatus',
      eventCategory: 'Management',
      managementEvent: true,
      readOnly: false,
      userAgent: `example-sdk-js/3.4.1 os/linux#6.5 lang/js md/nodejs#20.11.1 app/instance-${i}`,
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT_ID}:user/caller-${i}` },
    }),
    sequenceNumber: String(i).padStart(21, '0'),
  }));
  const load = counterLoadOf(records, COUNTER_BATCH_RECORDS);
  const ids = new Set<string>();
  const names = new Set<string>();
  for (let start = 0; start < records.length; start += COUNTER_BATCH_RECORDS) {
    for (const update of countRecords(records.slice(start, start + COUNTER_BATCH_RECORDS))) {
      ids.add(update.updateId);
      for (const name of Object.keys(update.contributors)) names.add(name);
    }
  }
  const unboundedBytes =
    itemBytes(counterItem('x'.repeat(22), minuteMs / 60_000, emptyTotals, 1, 1_800_000_000)) +
    [...ids].reduce((sum, id) => sum + id.length, 0) +
    [...names].reduce((sum, name) => sum + name.length + 2, 0);
  return {
    events: records.length,
    updates: load.updates,
    largestItemBytes: load.largestItemBytes,
    unboundedBytes,
  };
}

const emptyTotals = { count: 0, contributors: {}, others: {}, updateIds: [] };

/** The simulated traffic; every figure is printed with the result. */
export const PARTITION_TRAFFIC = {
  eventsPerSecond: 10_000,
  seconds: 60,
  sources: 20,
  /** Share of all events from the one dominating eventSource; the other sources share the rest by Zipf. */
  dominantSourceShare: 0.5,
  users: 1000,
  /** Share of all events from the one dominating principal (a service role, say). */
  dominantUserShare: 0.5,
  eventNamesPerSource: 40,
  resourcesPerSource: 10_000,
  /** Each source has two resource types, picked 80/20. */
  mainResourceTypeShare: 0.8,
  /** Exponent of the Zipf distributions (sources after the first, users after the first, names, resources). */
  zipfExponent: 1,
} as const;

const TOP = 5;
const DEFAULT_SEED = 8;

/** Draws an index in [0, count) with probability proportional to 1 / (rank + 1)^exponent. */
function zipfSampler(random: () => number, count: number, exponent: number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let rank = 0; rank < count; rank++) {
    sum += 1 / (rank + 1) ** exponent;
    cumulative.push(sum);
  }
  return () => {
    const target = random() * sum;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** Index 0 with probability `share`, otherwise 1 + a Zipf draw over the other `count - 1`. */
function dominatedSampler(random: () => number, count: number, share: number): () => number {
  const rest = zipfSampler(random, count - 1, PARTITION_TRAFFIC.zipfExponent);
  return () => (random() < share ? 0 : 1 + rest());
}

const sourceName = (index: number): string => `service${index}.api.example.com`;

/** The skewed event stream: a typical ~1 KB event with source, name, user and resource drawn as configured. */
function trafficGenerator(seed: number): (eventTime: string) => ProducerEvent {
  const t = PARTITION_TRAFFIC;
  const random = seededRandom(seed);
  const source = dominatedSampler(random, t.sources, t.dominantSourceShare);
  const user = dominatedSampler(random, t.users, t.dominantUserShare);
  const name = zipfSampler(random, t.eventNamesPerSource, t.zipfExponent);
  const resource = zipfSampler(random, t.resourcesPerSource, t.zipfExponent);
  return (eventTime) => {
    const s = source();
    const u = user();
    const userName = u === 0 ? 'orders-worker' : `user${u}`;
    const resourceType = `Example::Service${s}::${random() < t.mainResourceTypeShare ? 'Item' : 'Batch'}`;
    return {
      ...typicalEvent(eventTime, random),
      eventSource: sourceName(s),
      eventName: `Service${s}Action${name()}`,
      userIdentity: {
        type: 'IAMUser',
        principalId: `AIDA${String(u).padStart(17, '0')}`,
        arn: `arn:aws:iam::${ACCOUNT_ID}:user/${userName}`,
        accountId: ACCOUNT_ID,
        accessKeyId: `AKIA${String(u).padStart(16, '0')}`,
        userName,
      },
      resources: [
        {
          ARN: `arn:example:service${s}:eu-west-1:${ACCOUNT_ID}:item/r-${resource()}`,
          accountId: ACCOUNT_ID,
          type: resourceType,
        },
      ],
    };
  };
}

/**
 * A writer that stores nothing and counts every write the adapter would make, per partition and second. Catalog
 * entries are not counted: the adapter writes each at most once per container per hour (docs/storage.md).
 */
class CountingWriter implements EventWriter {
  constructor(
    private readonly load: PartitionLoad,
    private readonly startMs: number,
  ) {}

  async writeCatalog(entries: readonly unknown[]): Promise<WriteResult[]> {
    return entries.map(() => ({ ok: true }));
  }

  /** An item is counted in the second of its first event (a posting list's newest). */
  async writeEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    for (const { owners, item } of writeItems(events)) {
      const first = events[owners[0] as number] as StoredEvent;
      const timeMs = parseEventId(first.eventID)?.timeMs ?? Number.NaN;
      this.load.add(Math.floor((timeMs - this.startMs) / 1000), [partitionWrite(item)]);
    }
    return events.map(() => ({ ok: true }));
  }

  restoreEvents(events: readonly StoredEvent[]): Promise<WriteResult[]> {
    return this.writeEvents(events);
  }

  async claimProducerId(): Promise<never> {
    throw new Error('the simulated events carry no producer id');
  }

  async reassignProducerId(): Promise<boolean> {
    return false;
  }

  async releaseProducerIds(): Promise<void> {}

  async readRecord(): Promise<undefined> {
    return undefined;
  }
}

/** The kinds of partition an event writes to, each reported with its hottest key. */
const PARTITION_KINDS: ReadonlyArray<{
  kind: string;
  holds: (space: PartitionSpace, key: string) => boolean;
}> = [
  { kind: 'event items', holds: (_, key) => key.startsWith('E#') },
  ...Object.entries(POSTING_FAMILIES).map(([lookupKey, family]) => ({
    kind: `${lookupKey} posting lists`,
    holds: (_: PartitionSpace, key: string) => key.startsWith(`${family}#`),
  })),
];

interface Simulation {
  readonly writeShards: number;
  readonly events: number;
  readonly hottest: readonly PartitionHeat[];
  readonly hottestByKind: ReadonlyArray<{ kind: string; heat: PartitionHeat | undefined }>;
  readonly totals: Record<string, number>;
}

/** One simulated minute at `writeShards`, the adapter's items counted as written. */
async function simulate(writeShards: number, seed: number): Promise<Simulation> {
  const t = PARTITION_TRAFFIC;
  const nowMs = Date.now();
  // The simulated minute ended a minute ago: every eventTime is in the past, none outside the retention.
  const startMs = Math.floor(nowMs / 60_000) * 60_000 - 2 * 60_000;
  const load = new PartitionLoad(t.seconds);
  const writer = new CountingWriter(load, startMs);
  const next = trafficGenerator(seed);
  const shardRandom = seededRandom(seed + 1);
  const options = {
    ...benchIngestOptions(nowMs),
    writeShards,
    pickShard: (shards: number) => Math.floor(shardRandom() * shards),
  };
  let events = 0;
  for (let second = 0; second < t.seconds; second++) {
    for (let sent = 0; sent < t.eventsPerSecond; sent += LIMITS.eventsPerRequest) {
      const batch = Array.from({ length: LIMITS.eventsPerRequest }, (_, i) =>
        next(
          new Date(
            startMs + second * 1000 + Math.floor(((sent + i) * 1000) / t.eventsPerSecond),
          ).toISOString(),
        ),
      );
      const result = await putEvents(batch, writer, options);
      if (result.failed.length > 0) {
        throw new Error(`simulated events were refused: ${JSON.stringify(result.failed.slice(0, 3))}`);
      }
      events += result.successful.length;
    }
  }
  return {
    writeShards,
    events,
    hottest: load.hottest(TOP),
    hottestByKind: PARTITION_KINDS.map(({ kind, holds }) => ({ kind, heat: load.hottest(1, holds)[0] })),
    totals: load.totals(),
  };
}

const HASH_TO_SOURCE = new Map(
  Array.from({ length: PARTITION_TRAFFIC.sources }, (_, i) => [sourceHash(sourceName(i)), sourceName(i)]),
);

/** What a partition key holds, in words (the layout is in docs/storage.md). */
function describePartition(heat: Pick<PartitionHeat, 'space' | 'partitionKey'>): string {
  const key = heat.partitionKey;
  const [prefix = '', shard = '', ...value] = key.split('#');
  if (prefix === 'E') {
    return `table: event items of ${HASH_TO_SOURCE.get(shard) ?? `source hash ${shard}`}, shard ${value[0]}`;
  }
  const lookupKey = Object.entries(POSTING_FAMILIES).find(([, family]) => family === prefix)?.[0];
  if (lookupKey !== undefined)
    return `table: ${lookupKey} posting lists of ${value.join('#')}, shard ${shard}`;
  return `${heat.space}: ${key}`;
}

const percent = (share: number): string => `${round(share * 100, 1)}%`;

const heatJson = (heat: PartitionHeat) => ({
  space: heat.space,
  partitionKey: heat.partitionKey,
  holds: describePartition(heat),
  peakWcuPerSecond: heat.peakWcuPerSecond,
  meanWcuPerSecond: round(heat.meanWcuPerSecond, 1),
  share: round(heat.share, 3),
});

export async function runPartitions(options: { seed?: number } = {}): Promise<Outcome> {
  const seed = options.seed ?? DEFAULT_SEED;
  const t = PARTITION_TRAFFIC;
  const shardCounts = [LIMITS.writeShards.default, LIMITS.writeShards.max];
  const simulations: Simulation[] = [];
  for (const shards of shardCounts) {
    progress(`partitions: ${t.seconds} s at ${t.eventsPerSecond} events/s, ${shards} write shards`);
    simulations.push(await simulate(shards, seed));
  }
  const [base, widest] = simulations as [Simulation, Simulation];
  // What one typical event's share of its page costs, as the adapter writes pages of a 100-event request: the
  // sharded event partitions' load.
  const nowMs = Date.now();
  const typical = await storeEvents(typicalBatch(100, nowMs), nowMs);
  const pageWcuPerEvent = round(
    pagesOf(typical).reduce(
      (sum, page) => sum + writeUnits(itemBytes(pageItem(page.key, page.events, page.expiresAt))),
      0,
    ) / typical.length,
    3,
  );
  const share = (simulation: Simulation) => simulation.hottest[0]?.share ?? 0;
  const hottestPartitionShare = round(share(base), 3);
  const status = statusOf(hottestPartitionShare, PARTITION_TARGETS.hottestPartitionShare);
  const wcuPerEvent = (simulation: Simulation) =>
    round(Object.values(simulation.totals).reduce((sum, units) => sum + units, 0) / simulation.events, 2);

  progress(
    `partitions: one counter minute at ${t.eventsPerSecond} events/s, every event a new caller and client`,
  );
  const counters = hostileCounterMinute(t.eventsPerSecond, t.seconds);
  const largestCounterItemBytes = counters.largestItemBytes;
  const counterStatus = statusOf(largestCounterItemBytes, PARTITION_TARGETS.largestCounterItemBytes);

  const result = {
    hottestPartitionShare,
    largestCounterItemBytes,
    targets: {
      hottestPartitionShare: { ...PARTITION_TARGETS.hottestPartitionShare, status },
      largestCounterItemBytes: { ...PARTITION_TARGETS.largestCounterItemBytes, status: counterStatus },
    },
    detail: {
      seed,
      partitionWcuLimit: PARTITION_WCU_LIMIT,
      traffic: t,
      byWriteShards: simulations.map((simulation) => ({
        writeShards: simulation.writeShards,
        events: simulation.events,
        hottestPartitionShare: round(share(simulation), 3),
        wcuPerEvent: wcuPerEvent(simulation),
        wcuBySpace: simulation.totals,
        top: simulation.hottest.map(heatJson),
        hottestByKind: Object.fromEntries(
          simulation.hottestByKind.map(({ kind, heat }) => [kind, heat && heatJson(heat)]),
        ),
      })),
      typicalPageWcuPerEvent: pageWcuPerEvent,
      hostileCounterMinute: { ...counters, batchRecords: COUNTER_BATCH_RECORDS },
    },
  };

  const rows: Row[] = [
    targetRow(
      'largest insight counter item, hostile cardinality (bytes)',
      largestCounterItemBytes,
      String(largestCounterItemBytes),
      PARTITION_TARGETS.largestCounterItemBytes,
    ),
    {
      metric: 'the same minute with the ADD design it replaced (bytes)',
      value: String(counters.unboundedBytes),
    },
    targetRow(
      `hottest partition, ${base.writeShards} shards (share of 1,000 WCU/s)`,
      hottestPartitionShare,
      percent(share(base)),
      PARTITION_TARGETS.hottestPartitionShare,
    ),
    targetRow(
      `hottest partition, ${widest.writeShards} shards`,
      share(widest),
      percent(share(widest)),
      PARTITION_TARGETS.hottestPartitionShare,
    ),
    ...base.hottest.map((heat, rank) => ({
      metric: `${base.writeShards} shards top ${rank + 1}: ${describePartition(heat)}`,
      value: `${heat.peakWcuPerSecond} WCU/s peak (${percent(heat.share)})`,
    })),
    ...simulations.flatMap((simulation) =>
      simulation.hottestByKind.flatMap(({ kind, heat }) =>
        heat
          ? [
              {
                metric: `${simulation.writeShards} shards, hottest ${kind}: ${heat.partitionKey}`,
                value: `${heat.peakWcuPerSecond} WCU/s peak (${percent(heat.share)})`,
              },
            ]
          : [],
      ),
    ),
  ];

  const hot = base.hottest[0];
  const notes = [
    `partitions: insight counters: ${counters.events} events of one key in one minute (${t.eventsPerSecond}/s), each from a caller and a client no other event has, counted in batches of ${COUNTER_BATCH_RECORDS} (${counters.updates} updates of the minute's item): the largest item is ${largestCounterItemBytes} B with the caps (lambda/core/insights/counters.ts COUNTER_ITEM_CAPS); the ADD design it replaced would have reached ${counters.unboundedBytes} B (${percent(counters.unboundedBytes / 409_600)} of DynamoDB's 400 KB item limit) and grown with every further batch.`,
    `partitions: ${base.events} events (${t.seconds} s x ${t.eventsPerSecond}/s) per run through putEvents with a writer that counts the adapter's items (writeItems: the event items and the request's posting lists; the table has no index); WCU = ceil(bytes / 1 KB) per item, summed per partition key and second (a posting list in the second of its newest event); the busiest second of each partition is compared with ${PARTITION_WCU_LIMIT} WCU/s. Seeded (--seed ${seed}); shards drawn by the same seeded generator.`,
    `partitions: traffic: ${t.sources} sources, one with ${percent(t.dominantSourceShare)} of events (the rest Zipf s=${t.zipfExponent}); ${t.users} users, one with ${percent(t.dominantUserShare)}; ${t.eventNamesPerSource} event names per source and ${t.resourcesPerSource} resources per source, Zipf s=${t.zipfExponent}; two resource types per source, ${percent(t.mainResourceTypeShare)} / ${percent(1 - t.mainResourceTypeShare)}. Typical ~1 KB events (${pageWcuPerEvent} WCU each of their pages). Catalog entries (once per value per container per hour) and producer-id claims (one partition per id) are left out: neither concentrates load.`,
    `partitions: WCU per event: ${wcuPerEvent(base)} at ${base.writeShards} shards (the write path's ${wcuPerEvent(base)} WRU per event as bench -- ingest counts them).`,
    hot && status === 'MISS'
      ? `partitions: MISS at ${base.writeShards} shards: the hottest key is ${describePartition(hot)} (${hot.peakWcuPerSecond} WCU in its busiest second, ${round(hot.meanWcuPerSecond, 0)} on average). Every page of a source lands on ${base.writeShards} partitions: ${t.eventsPerSecond} x ${t.dominantSourceShare} events/s x ${pageWcuPerEvent} WCU / ${base.writeShards} = ${(t.eventsPerSecond * t.dominantSourceShare * pageWcuPerEvent) / base.writeShards} WCU/s on average. Fix, measured here: ${widest.writeShards} shards bring the hottest partition to ${percent(share(widest))} (${describePartition(widest.hottest[0] ?? hot)}).`
      : `partitions: ${status === 'PASS' ? 'within' : 'over'} the ${percent(PARTITION_TARGETS.hottestPartitionShare.max)} target at ${base.writeShards} shards.`,
    `partitions: headroom: the page partition of a source at s of all traffic takes about rate x s x ${pageWcuPerEvent} / shards WCU/s, so at ${base.writeShards} shards a single source may send ${Math.floor((PARTITION_TARGETS.hottestPartitionShare.max * PARTITION_WCU_LIMIT * base.writeShards) / pageWcuPerEvent)} events/s and at ${widest.writeShards} shards ${Math.floor((PARTITION_TARGETS.hottestPartitionShare.max * PARTITION_WCU_LIMIT * widest.writeShards) / pageWcuPerEvent)} events/s before its partitions pass 50% (DynamoDB's own limit is twice that).`,
  ];
  return { name: 'partitions', result, rows, notes };
}
