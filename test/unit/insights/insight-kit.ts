import type { TrailRecord } from '../../../lambda/core/event-model.js';
import { type CounterKey, counterKeyId } from '../../../lambda/core/insights/counters.js';
import {
  type InsightState,
  insightRecord,
  sharedEventIdOf,
  storedInsight,
} from '../../../lambda/core/insights/records.js';
import type { MemoryEventStore } from '../../fixtures/memory-store.js';

/** Insight records as the insights run writes them, for the series and suggestion tests. */
export const KEY: CounterKey = {
  insightType: 'ApiCallRateInsight',
  eventSource: 'iam.example.com',
  eventName: 'CreateUser',
};
export const KEY_ID = counterKeyId(KEY);
export const WRITE_SHARDS = 2;

export const ATTRIBUTIONS = [
  {
    attribute: 'userIdentityArn' as const,
    insight: [{ value: 'arn:aws:iam::123456789012:user/mallory', average: 118 }],
    baseline: [{ value: 'arn:aws:iam::123456789012:user/provisioner', average: 4 }],
  },
];

export function insightOf(
  state: InsightState,
  startMinute: number,
  minute: number,
  nowMs: number,
  key: CounterKey = KEY,
): TrailRecord {
  return insightRecord(
    {
      key,
      keyId: counterKeyId(key),
      startMinute,
      state,
      minute,
      statistics: {
        baselineAverage: 4,
        insightAverage: state === 'End' ? 100 : 120,
        baselineDurationMinutes: 180,
        insightDurationMinutes: minute - startMinute + 1,
      },
      historyMinutes: 180,
      baselineMinutes: 180,
      attributions: state === 'End' ? ATTRIBUTIONS : [],
    },
    { nowMs, region: 'eu-west-1', accountId: '123456789012', retentionDays: 90, writeShards: WRITE_SHARDS },
  );
}

/** Stores a Start at `startMinute` and, when `endMinute` is given, its End; returns the sharedEventID. */
export async function storeInsight(
  store: MemoryEventStore,
  startMinute: number,
  endMinute: number | undefined,
  nowMs: number,
  key: CounterKey = KEY,
): Promise<string> {
  const records = [insightOf('Start', startMinute, startMinute, nowMs, key)];
  if (endMinute !== undefined) records.push(insightOf('End', startMinute, endMinute, nowMs, key));
  await store.writeEvents(records.map((record) => storedInsight(record, 90)));
  return sharedEventIdOf(counterKeyId(key), startMinute);
}
