import { describe, expect, it } from 'vitest';
import type { TrailRecord } from '../../../lambda/core/event-model.js';
import { countBatch } from '../../../lambda/core/insights/count-batch.js';
import { counterKeyId, countRecords, keysOf } from '../../../lambda/core/insights/counters.js';
import { streamRecord } from '../../fixtures/stream.js';

const base = {
  eventSource: 'iam.example.com',
  eventName: 'CreateUser',
  eventTime: '2026-11-24T10:00:30Z',
  managementEvent: true,
  readOnly: false,
  eventCategory: 'Management',
  userIdentity: { type: 'IAMUser', principalId: 'P', arn: 'arn:aws:iam::1:user/alice' },
  userAgent: 'aws-cli/2',
};
const json = (overrides: Record<string, unknown> = {}) => JSON.stringify({ ...base, ...overrides });

describe('insight counters', () => {
  it('counts write management calls for the call rate and failed calls of any kind for the error rate', () => {
    expect(keysOf(JSON.parse(json()) as TrailRecord).map((key) => key.insightType)).toEqual([
      'ApiCallRateInsight',
    ]);
    expect(keysOf(JSON.parse(json({ readOnly: true })) as TrailRecord)).toEqual([]);
    expect(
      keysOf(
        JSON.parse(
          json({ readOnly: true, eventCategory: 'Data', managementEvent: false, errorCode: 'AccessDenied' }),
        ) as TrailRecord,
      ),
    ).toEqual([
      {
        insightType: 'ApiErrorRateInsight',
        eventSource: 'iam.example.com',
        eventName: 'CreateUser',
        errorCode: 'AccessDenied',
      },
    ]);
    expect(keysOf(JSON.parse(json({ eventCategory: 'Insight' })) as TrailRecord)).toEqual([]);
  });

  it('makes one update per key and eventTime minute, with counts and top contributors', () => {
    // Prepare: 5 calls in minute 10:00 (4 by alice, 1 by bob), 2 in 10:01, and one error.
    const records = [
      ...[1, 2, 3, 4].map((i) => ({ json: json(), sequenceNumber: String(i) })),
      {
        json: json({ userIdentity: { type: 'IAMUser', principalId: 'B', arn: 'arn:bob' } }),
        sequenceNumber: '5',
      },
      { json: json({ eventTime: '2026-11-24T10:01:00Z' }), sequenceNumber: '6' },
      { json: json({ eventTime: '2026-11-24T10:01:59Z', errorCode: 'Throttling' }), sequenceNumber: '7' },
    ];
    // Act
    const updates = countRecords(records);
    // Assess
    const minute = Math.floor(Date.parse('2026-11-24T10:00:00Z') / 60_000);
    const rate = updates.filter((update) => update.key.insightType === 'ApiCallRateInsight');
    expect(rate.map((update) => [update.minute - minute, update.count])).toEqual([
      [0, 5],
      [1, 2],
    ]);
    expect(rate[0]?.contributors).toMatchObject({
      'u|arn:aws:iam::1:user/alice': 4,
      'u|arn:bob': 1,
      'a|aws-cli/2': 5,
    });
    const errors = updates.filter((update) => update.key.insightType === 'ApiErrorRateInsight');
    expect(errors).toEqual([
      expect.objectContaining({
        minute: minute + 1,
        count: 1,
        contributors: expect.objectContaining({ 'e|Throttling': 1 }),
      }),
    ]);
    expect(new Set(updates.map((update) => update.keyId)).size).toBe(2);
    expect(rate[0]?.keyId).toBe(counterKeyId(rate[0]?.key ?? (base as never)));
  });

  it('gives the same records the same update id, so a retried batch is not counted twice', () => {
    const records = [
      { json: json(), sequenceNumber: '1' },
      { json: json(), sequenceNumber: '2' },
    ];
    expect(countRecords(records)[0]?.updateId).toBe(countRecords(records)[0]?.updateId);
    expect(countRecords(records.slice(1))[0]?.updateId).not.toBe(countRecords(records)[0]?.updateId);
  });

  it('throws when an update fails, so the mapping retries the whole batch', async () => {
    const writer = {
      registerKeys: async () => true,
      addCounts: async (updates: readonly unknown[]) => updates.map(() => false),
    };
    await expect(countBatch([streamRecord(1, json())], writer, Date.now(), 10_080)).rejects.toThrow(
      /counter updates failed/,
    );
  });
});
