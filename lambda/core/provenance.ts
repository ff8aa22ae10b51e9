import type { EventFailure, ProducerEvent } from './event-model.js';
import { INSIGHT_EVENT_SOURCE } from './insights/records.js';
import { INSIGHTS_SOURCE } from './keys.js';

/**
 * Where an event may say it comes from, one rule set for both put routes (POST /events and PutAuditEvents;
 * docs/cloudtrail-compat.md). `strict` (the default) keeps a producer to its own trail and its own sources:
 * recipientAccountId, when sent, must be the trail's account, and AWS services' event sources (`*.amazonaws.com`)
 * are refused. `relaxed` accepts both as sent, for trails that collect events forwarded from AWS or from other
 * accounts (OPENTRAIL_PROVENANCE, docs/configuration.md). OpenTrail's own names are refused either way: its
 * insight events carry them, and a producer must not be able to pass for OpenTrail.
 */
export const PROVENANCE_MODES = ['strict', 'relaxed'] as const;
export type ProvenanceMode = (typeof PROVENANCE_MODES)[number];

const AWS_EVENT_SOURCE = /\.amazonaws\.com$/i;

/** OpenTrail's identity and sources (lambda/core/insights/records.ts), compared case-insensitively. */
const OPENTRAIL_NAMES: ReadonlySet<string> = new Set([INSIGHTS_SOURCE, INSIGHT_EVENT_SOURCE]);
/**
 * Lowercasing keeps a string's length but for U+0130, whose lowercase holds a combining dot no name has: a value of
 * another length is not compared (and not lowercased, five times per event).
 */
const OPENTRAIL_NAME_LENGTHS: ReadonlySet<number> = new Set([...OPENTRAIL_NAMES].map((name) => name.length));
const isOpenTrailName = (value: string | undefined): boolean =>
  value !== undefined && OPENTRAIL_NAME_LENGTHS.has(value.length) && OPENTRAIL_NAMES.has(value.toLowerCase());

const IDENTITY_NAMES = ['principalId', 'userName', 'arn', 'invokedBy'] as const;

const refuse = (errorCode: EventFailure['errorCode'], errorMessage: string): EventFailure => ({
  ok: false,
  errorCode,
  errorMessage,
});

export function checkProvenance(
  event: ProducerEvent,
  trailAccountId: string,
  mode: ProvenanceMode = 'strict',
): EventFailure | undefined {
  if (isOpenTrailName(event.eventSource)) {
    return refuse('InvalidEventSource', `eventSource ${event.eventSource} is OpenTrail's own`);
  }
  for (const identity of IDENTITY_NAMES) {
    if (isOpenTrailName(event.userIdentity[identity])) {
      return refuse(
        'InvalidData',
        `userIdentity.${identity} ${event.userIdentity[identity]} is OpenTrail's own identity`,
      );
    }
  }
  if (mode === 'relaxed') return undefined;
  if (event.recipientAccountId !== undefined && event.recipientAccountId !== trailAccountId) {
    return refuse(
      'InvalidRecipient',
      `recipientAccountId must be ${trailAccountId}, the account that owns this trail`,
    );
  }
  if (AWS_EVENT_SOURCE.test(event.eventSource)) {
    return refuse('InvalidEventSource', `eventSource ${event.eventSource} is reserved for AWS services`);
  }
  return undefined;
}
