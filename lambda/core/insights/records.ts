import { createHash } from 'node:crypto';
import { newEventId } from '../event-id.js';
import { EVENT_VERSION, type TrailRecord } from '../event-model.js';
import { expiresAtFor, INSIGHTS_SOURCE, insightKeys } from '../keys.js';
import type { StoredEvent } from '../ports.js';
import { ATTRIBUTES, type AttributionAttribute, type CounterKey } from './counters.js';
import type { InsightStatistics } from './detector.js';

/**
 * Insight events in CloudTrail's shape (insightDetails with state, insightType, insightContext statistics and
 * attributions), built deterministically: the same insight always gets the same sharedEventID and eventIDs,
 * so writing it again (a retried or concurrent run) stores nothing new.
 */
/** `source` of every insight event on the bus (docs/insights.md). */
export const INSIGHT_EVENT_SOURCE = 'opentrail.insights';
/** `detail-type` of every insight event on the bus (docs/insights.md). */
export const INSIGHT_DETAIL_TYPE = 'OpenTrail Insight';
/** `insightDetails.state`: an insight opens with a Start and closes with an End. */
export const INSIGHT_STATES = ['Start', 'End'] as const;
export type InsightState = (typeof INSIGHT_STATES)[number];

export interface AttributionValue {
  readonly value: string;
  readonly average: number;
}

export interface Attribution {
  readonly attribute: AttributionAttribute;
  readonly insight: AttributionValue[];
  readonly baseline: AttributionValue[];
}

export interface InsightContext {
  readonly key: CounterKey;
  readonly keyId: string;
  readonly startMinute: number;
  readonly state: InsightState;
  /** The minute the record describes: the anomaly's first minute for Start, its last for End. */
  readonly minute: number;
  readonly statistics: InsightStatistics;
  /** Minutes of history the baseline had; shorter than the configured window means a limited baseline. */
  readonly historyMinutes: number;
  readonly baselineMinutes: number;
  readonly attributions: readonly Attribution[];
}

export interface RecordContext {
  readonly nowMs: number;
  readonly region: string;
  readonly accountId: string;
  readonly retentionDays: number;
  readonly writeShards: number;
}

const TOP_VALUES = 5;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A UUID-shaped id derived from the insight's key and first minute. */
export function sharedEventIdOf(keyId: string, startMinute: number): string {
  const hex = digest(`${keyId}#${startMinute}`).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Top contributors per attribute from contributor counts over `minutes` minutes, as averages per minute. */
export function topValues(
  contributors: ReadonlyMap<string, number>,
  minutes: number,
): Record<AttributionAttribute, AttributionValue[]> {
  const result = { userIdentityArn: [], userAgent: [], errorCode: [] } as Record<
    AttributionAttribute,
    AttributionValue[]
  >;
  for (const [attribute, letter] of Object.entries(ATTRIBUTES) as Array<[AttributionAttribute, string]>) {
    result[attribute] = [...contributors]
      .filter(([name]) => name.startsWith(`${letter}|`))
      .sort(([, a], [, b]) => b - a)
      .slice(0, TOP_VALUES)
      .map(([name, count]) => ({
        value: name.slice(letter.length + 1),
        average: round(count / Math.max(1, minutes)),
      }));
  }
  return result;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

export function insightRecord(insight: InsightContext, context: RecordContext): TrailRecord {
  const sharedEventID = sharedEventIdOf(insight.keyId, insight.startMinute);
  const random = digest(`${sharedEventID}#${insight.state}`);
  const timeMs = insight.minute * 60_000;
  const eventID = newEventId(timeMs, INSIGHTS_SOURCE, random.readUInt8(8) % context.writeShards, random);
  const { statistics } = insight;
  return {
    eventVersion: EVENT_VERSION,
    eventTime: new Date(timeMs).toISOString(),
    eventSource: insight.key.eventSource,
    eventName: insight.key.eventName,
    awsRegion: context.region,
    userIdentity: { type: 'AWSService', principalId: INSIGHTS_SOURCE, invokedBy: INSIGHTS_SOURCE },
    eventID,
    eventType: 'Insight',
    eventCategory: 'Insight',
    readOnly: true,
    managementEvent: false,
    recipientAccountId: context.accountId,
    sharedEventID,
    clientType: 'service',
    insightDetails: {
      state: insight.state,
      eventSource: insight.key.eventSource,
      eventName: insight.key.eventName,
      insightType: insight.key.insightType,
      ...(insight.key.errorCode === undefined ? {} : { errorCode: insight.key.errorCode }),
      insightContext: {
        statistics: {
          baseline: { average: round(statistics.baselineAverage) },
          insight: { average: round(statistics.insightAverage) },
          insightDuration: statistics.insightDurationMinutes,
          baselineDuration: statistics.baselineDurationMinutes,
        },
        attributions: insight.attributions,
        baselineWindowMinutes: insight.baselineMinutes,
        // Said plainly when the trail has less history than the baseline window (a new deployment, a new key).
        ...(insight.historyMinutes < insight.baselineMinutes
          ? { limitedBaseline: { historyMinutes: insight.historyMinutes } }
          : {}),
      },
    },
    ingestion: { receivedAt: new Date(context.nowMs).toISOString() },
  };
}

export function storedInsight(record: TrailRecord, retentionDays: number): StoredEvent {
  return {
    eventID: record.eventID,
    recordJson: JSON.stringify(record),
    keys: insightKeys(record.eventID),
    expiresAt: expiresAtFor(Date.parse(record.eventTime), retentionDays),
  };
}
